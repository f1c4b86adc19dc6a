"""Session progress as a learner reads it: done, left to see now, and learning cards coming back later.

The study service's `remaining()` counts learning cards due later today too (the session shows them
again before it ends). Shown as one "left" number it went *up* after a rating (a card rated "Not at
all" leaves the cards to see now, then the recount finds it again), so this splits those cards off as
"+N later". The split uses only what this session itself rated, so it needs no extra query.
"""

from __future__ import annotations

from datetime import datetime

from flashtrain.study.queue import LEARN_AHEAD

LEARNING_PHASES = ("learning", "relearning")


class SessionProgress:
    def __init__(self, changes_schedule: bool) -> None:
        self.changes_schedule = changes_schedule
        self.done = 0
        self.total: int | None = None  # the service's last count (includes learning cards due later)
        self.coming_back: dict[int, datetime] = {}  # card rated this session -> when it is due again

    def counted(self, total: int | None) -> None:
        self.total = total

    def later(self, now: datetime) -> int:
        """Cards rated in this session that come back in a few minutes (counted in `total`)."""
        return sum(1 for due in self.coming_back.values() if now < due <= now + LEARN_AHEAD)

    def left(self, now: datetime) -> int | None:
        if self.total is None:
            return None
        return max(self.total - self.later(now), 0)

    def rated(self, card_id: int, rating: int, phase_after: str, due_after: datetime | None) -> None:
        """Update the counts at once, the way the next recount will see them, so nothing jumps."""
        self.done += 1
        self.coming_back.pop(card_id, None)
        if not self.changes_schedule:
            # cram-like drills: a card rated 1 stays in the drill, any other rating takes it out
            if rating != 1 and self.total is not None:
                self.total = max(self.total - 1, 0)
            return
        stays = phase_after in LEARNING_PHASES and due_after is not None
        if stays:
            self.coming_back[card_id] = due_after
        elif self.total is not None:
            self.total = max(self.total - 1, 0)

    def undone(self, card_id: int) -> None:
        self.done = max(self.done - 1, 0)
        self.coming_back.pop(card_id, None)  # it is on screen again; the recount fixes `total`

    def removed(self, card_id: int) -> None:
        """Suspended or buried: out of the session."""
        self.coming_back.pop(card_id, None)

    def text(self, now: datetime) -> str:
        left = self.left(now)
        left_text = "…" if left is None else str(left)
        line = f"done [b]{self.done}[/b] · left [b]{left_text}[/b]"
        later = self.later(now)
        if later and left is not None:
            line += f" [dim]+{later} later[/dim]"
        return line
