"""What the study screen needs from the app around it, as a typed interface.

The screen receives its collaborators (a StudySession, the snippet bridge, this host) instead of
reaching into untyped `self.app` members, and it never imports the app module: the app imports
the screen, not the other way round. `FlashtrainApp` implements `StudyHost`; a test can pass
anything with these methods.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import Future
from typing import Protocol

from textual.screen import Screen

from flashtrain.study.queue import QueueSpec


class StudyHost(Protocol):
    def take_first_card_future(self, spec: QueueSpec) -> Future | None:
        """The session's first card, if start-up already began fetching it."""

    def first_card_shown(self) -> bool:
        """Called after each card is painted; True the first time."""

    def record_latency(self, seconds: float) -> None:
        """A rating key to the next card's text on the terminal."""

    def edit_card(self, card_id: int, callback: Callable[[bool | None], None] | None = None) -> None:
        """Open the card form; `callback(saved)` when it closes."""

    def leave_screen(self, screen: Screen) -> None:
        """Back from `screen` (to home when there is nothing below it)."""

    def warm_snippets(self, start_runner: bool = False) -> object:
        """Load the snippet library (and start the check worker) in the background."""
