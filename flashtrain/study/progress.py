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
        # per rating, what it changed: (card, taken off `total`, its `coming_back` entry before) so an
        # undo puts the counts back at once instead of showing stale ones until the next recount
        self._steps: list[tuple[int, int, datetime | None]] = []

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
        before = self.coming_back.pop(card_id, None)
        taken = 0
        if not self.changes_schedule:
            # cram-like drills: a card rated 1 stays in the drill, any other rating takes it out
            taken = int(rating != 1)
        elif phase_after in LEARNING_PHASES and due_after is not None:
            self.coming_back[card_id] = due_after
        else:
            taken = 1
        if self.total is not None and taken:
            taken = min(taken, self.total)
            self.total -= taken
        self._steps.append((card_id, taken, before))

    def undone(self, card_id: int) -> None:
        """The newest rating of `card_id` is taken back: the counts as they were before it."""
        self.done = max(self.done - 1, 0)
        self.coming_back.pop(card_id, None)
        for i in range(len(self._steps) - 1, -1, -1):
            if self._steps[i][0] == card_id:
                _, taken, before = self._steps.pop(i)
                if self.total is not None:
                    self.total += taken
                if before is not None:
                    self.coming_back[card_id] = before
                return

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
