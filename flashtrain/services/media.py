"""The files a card's Markdown names (`![alt](file)`): next to its deck file, or imported media.

A deck file may name pictures beside it (`![](img/conv.png)`); an Anki package brings its media
into the store (`media_files`), named as the card names them. A deck is untrusted input: a name
never reaches outside the deck's folder (no absolute paths, no `..` out of it) and never the
network; anything else is "not found", and the card shows the image's alt text.
"""

from __future__ import annotations

from pathlib import Path
from typing import Callable
from urllib.parse import unquote

from sqlalchemy import select

from flashtrain.store.models import MediaFile

MAX_IMAGE_BYTES = 20 * 1024 * 1024  # a card's picture; anything bigger is not drawn in a terminal


def media_file(store, name: str) -> bytes | None:
    """An imported media file's bytes by the name a card uses (None: no such file)."""
    with store.sessions() as s:
        return s.execute(select(MediaFile.data).where(MediaFile.name == name)).scalar_one_or_none()


def deck_file(source_path: str | None, name: str) -> bytes | None:
    """A file beside the deck file `source_path` (or below its folder); None when it is not there
    or would lie outside that folder."""
    if not source_path or Path(name).is_absolute():
        return None
    folder = Path(source_path).resolve().parent
    target = (folder / name).resolve()
    if not target.is_relative_to(folder) or not target.is_file() or target.stat().st_size > MAX_IMAGE_BYTES:
        return None
    return target.read_bytes()


def image_loader(store, source_path: str | None) -> Callable[[str], bytes | None]:
    """The loader a card's view uses for its images: the deck's folder first, then imported media."""

    def load(name: str) -> bytes | None:
        name = unquote(name)
        if "://" in name or name.startswith("data:"):
            return None  # no network at run time
        try:
            found = deck_file(source_path, name)
            if found is None and store is not None:
                found = media_file(store, name.rsplit("/", 1)[-1])
            return found
        except OSError:
            return None

    return load
