"""media files (images and sounds that imported cards refer to)

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-06 21:00:00
"""

from alembic import op
import sqlalchemy as sa
import flashtrain.store.models


revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'media_files',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('name', sa.String(length=255), nullable=False),
        sa.Column('sha1', sa.String(length=40), nullable=False),
        sa.Column('size', sa.Integer(), nullable=False),
        sa.Column('data', sa.LargeBinary(), nullable=False),
        sa.Column('created_at', flashtrain.store.models.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_media_files')),
        sa.UniqueConstraint('name', name=op.f('uq_media_files_name')),
    )


def downgrade() -> None:
    op.drop_table('media_files')
