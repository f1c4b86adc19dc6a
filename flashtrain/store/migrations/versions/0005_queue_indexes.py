"""indexes the study queue reads alone: due reviews ranked, new cards listed, held cards counted

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-07 00:00:00

- ix_card_states_queue (phase, due, last_review, stability, card_id) replaces ix_card_states_phase_due:
  the day's due reviews are ranked by predicted recall from the index alone, without reading a row;
- ix_cards_active (id, deck_id, suspended, buried_until) WHERE retired_at IS NULL: new cards are
  listed in import order from a narrow index instead of the wide cards rows;
- ix_cards_held (id) WHERE the card is retired, suspended or buried: the few cards the queue's
  count leaves out.
"""

from alembic import op
import sqlalchemy as sa


revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None

ACTIVE = "retired_at IS NULL"
HELD = "retired_at IS NOT NULL OR suspended = TRUE OR buried_until IS NOT NULL"


def upgrade() -> None:
    op.drop_index('ix_card_states_phase_due', table_name='card_states')
    op.create_index('ix_card_states_queue', 'card_states', ['phase', 'due', 'last_review', 'stability', 'card_id'])
    op.create_index('ix_cards_active', 'cards', ['id', 'deck_id', 'suspended', 'buried_until'],
                    sqlite_where=sa.text(ACTIVE), postgresql_where=sa.text(ACTIVE))
    op.create_index('ix_cards_held', 'cards', ['id'], sqlite_where=sa.text(HELD), postgresql_where=sa.text(HELD))


def downgrade() -> None:
    op.drop_index('ix_cards_held', table_name='cards')
    op.drop_index('ix_cards_active', table_name='cards')
    op.drop_index('ix_card_states_queue', table_name='card_states')
    op.create_index('ix_card_states_phase_due', 'card_states', ['phase', 'due'])
