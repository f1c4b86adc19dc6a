"""`flashtrain study --plain`: a line-based session for any terminal, screen reader or pipe.

Keys (each followed by Enter): empty line reveals the answer, 1-5 rates, u undoes the last rating,
h shows the next hint, q quits. End of input quits too. Cards are printed as their Markdown source
with math as Unicode, without the escapes and blank cells the app's Markdown view needs (a screen
reader would read those out).
"""

from __future__ import annotations

from typing import TextIO

from flashtrain.mathtext import plain_math
from flashtrain.timetext import interval_text, preview_texts
from flashtrain.scheduler.core import RATING_LABELS, RATINGS
from flashtrain.study.service import QueueSpec, StoreUnavailable, StudyCard, StudyService
from flashtrain.study.session import StudySession, summarize, summary_lines

RULE = "-" * 60


class _PlainSession:
    """Renders a StudySession as lines of text; the session decides everything else."""

    def __init__(self, session: StudySession, stdin: TextIO, stdout: TextIO) -> None:
        self.session, self.stdin, self.stdout = session, stdin, stdout

    def say(self, text: str = "") -> None:
        self.stdout.write(text + "\n")
        self.stdout.flush()

    def ask(self, prompt: str) -> str | None:
        self.stdout.write(prompt)
        self.stdout.flush()
        line = self.stdin.readline()
        if not line:
            self.say()
            return None  # end of input
        return line.strip().lower()

    def tell_notices(self) -> None:
        for notice in self.session.service.take_notices():
            self.say(f"! {notice}")

    def undo(self) -> None:
        try:
            undone = self.session.undo()
        except StoreUnavailable as trouble:
            self.say(f"! Cannot undo now: {trouble}")
            return
        self.tell_notices()
        if undone is None:
            self.say("Nothing to undo.")
        else:
            self.say(f"Undone: the last rating (card {undone.card.card_id}) is taken back.")

    def show_front(self, card: StudyCard) -> None:
        remaining = self.session.count_remaining()
        where = f"{card.source_path}:{card.source_line}" if card.source_path else card.deck_name
        self.say(RULE)
        self.say(f"[{self.session.done} done, {remaining} to go]  {card.deck_name} - {card.state.phase}  ({where})")
        self.say()
        self.say(plain_math(card.front))
        self.say()

    def show_back(self, card: StudyCard) -> None:
        waits = self.session.reveal()
        self.say(plain_math(card.back))
        self.say()
        if waits is not None:
            texts = preview_texts(waits)
            self.say("  ".join(f"{r} {RATING_LABELS[r]} ({texts[r]})" for r in RATINGS))
        else:
            self.say("  ".join(f"{r} {RATING_LABELS[r]}" for r in RATINGS) + "   (drill: schedule unchanged)")

    def rate(self, rating: int) -> None:
        rated = self.session.rate(rating)
        self.tell_notices()
        if self.session.spec.changes_schedule:
            self.say(f"-> {RATING_LABELS[rating]}: back in {interval_text(rated.interval)}.")
        if rated.leech:
            self.say(f"This card is a leech ({rated.lapses} lapses): tagged 'leech' and "
                     "suspended. Rewrite or split it, then unsuspend it.")

    def summary(self) -> None:
        for line in summary_lines(summarize(self.session), self.session.spec, self.session.now()):
            self.say(line)

    def run(self) -> int:
        self.say("Plain study mode. Enter shows the answer, 1-5 rates, u undoes, h gives a hint, q quits.")
        self.session.next_card()
        while True:
            card = self.session.card
            if card is None:
                self.say(RULE)
                self.say(f"Nothing more to study now. Reviewed {self.session.done} card(s) this session.")
                self.summary()
                return 0
            self.show_front(card)
            while True:
                revealed = self.session.revealed
                prompt = "Rate 1-5 (u undo, q quit): " if revealed else "Enter: show answer (h hint, u undo, q quit): "
                answer = self.ask(prompt)
                if answer is None or answer == "q":
                    self.say(f"Bye. Reviewed {self.session.done} card(s) this session.")
                    self.summary()
                    return 0
                if answer == "u":
                    self.undo()
                    break  # the undone card (or, with nothing to undo, the same one) shows again
                if answer == "h" and not revealed:
                    hint = self.session.next_hint()
                    self.say(f"Hint: {plain_math(hint)}" if hint is not None else "No more hints.")
                    continue
                if answer == "" and not revealed:
                    self.show_back(card)
                    continue
                if answer.isdigit() and int(answer) in RATINGS:
                    if not revealed:
                        self.show_back(card)
                    self.rate(int(answer))
                    break
                self.say("Type 1-5 to rate, u to undo, q to quit." if revealed
                         else "Press Enter to see the answer (or 1-5, h, u, q).")


def run_plain_session(service: StudyService, spec: QueueSpec, stdin: TextIO, stdout: TextIO) -> int:
    """Run a plain line-based session until the queue is empty, `q`, or end of input. Returns 0."""
    return _PlainSession(StudySession(service, spec), stdin, stdout).run()
