"""Study: question -> reveal (space) -> rate 1-5. Every rating is committed before the next card shows."""

from __future__ import annotations

import time

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.reactive import reactive
from textual.screen import Screen
from textual.widgets import Footer, Header, Rule, Static

from flashtrain.scheduler.core import RATING_LABELS
from flashtrain.study.queue import QueueSpec
from flashtrain.study.service import StoreUnavailable
from flashtrain.tui.progress import SessionProgress
from flashtrain.tui.widgets.card_view import CardMarkdown
from flashtrain.tui.widgets.rating_bar import RatingBar

MAX_DURATION_MS = 5 * 60 * 1000  # a card left on screen over lunch is not a 2-hour answer
PROGRESS_IDLE_SECONDS = 1.5  # recount what is left once the learner pauses this long
MODE_TITLES = {"due": "Review", "cram": "Cram", "lapsed": "Lapsed cards", "code": "Code cards"}


class StudyScreen(Screen):
    TITLE_TEXT = "Study"
    KEYS_HELP = ("[b]Code cards[/b]: ctrl+e enters the editor; every key then types code (a check run "
                 "leaves you there) until [b]esc[/b] leaves it, after which space, 1-5, u, e … act on the card.\n"
                 "[b]In the code editor[/b]: ctrl+r run checks · ctrl+a (or f7) select all · home line start · "
                 "ctrl+z undo · ctrl+o reference\n"
                 "Under 120 columns the results open below the editor; ctrl+t gives them the whole panel and back.")
    BINDINGS = [
        Binding("space", "reveal", "Reveal"),
        *(Binding(str(r), f"rate({r})", f"{r} {label}", show=False) for r, label in RATING_LABELS.items()),
        Binding("u", "undo", "Undo"),
        Binding("e", "edit", "Edit card"),
        Binding("h", "hint", "Hint"),
        Binding("s", "suspend", "Suspend", show=False),
        Binding("b", "bury", "Bury", show=False),
        Binding("f", "flag", "Flag", show=False),
        Binding("ctrl+r", "run_checks", "Run checks", priority=True),
        Binding("ctrl+o", "show_reference", "Reference", priority=True, show=False),
        Binding("ctrl+e", "focus_editor", "Code editor", show=False),
        Binding("ctrl+t", "toggle_results", "Code / results", priority=True, show=False,
                tooltip="Code editor ⇄ check results (narrow)"),
        Binding("escape", "leave_code", "Leave editor"),  # while in the code panel (then the one below)
        Binding("escape", "leave", "Back"),
    ]

    revealed = reactive(False, init=False)

    def __init__(self, spec: QueueSpec) -> None:
        super().__init__()
        self.spec = spec
        self.card = None
        self.progress = SessionProgress(spec.changes_schedule)
        self.shown_at = 0.0
        self.hints_shown = 0
        self.code_panel = None
        self.codes: dict[int, str] = {}  # card -> the learner's code when it was rated
        self.suggested: int | None = None
        self.rate_started: float | None = None
        # The card that follows the one on screen, fetched in the background while the learner thinks
        # (the queue query is the slow part of a rating): (card on screen, the card after it).
        self.prefetched: tuple[int, object] | None = None
        self.prefetch_serial = 0
        self.pending_prefetch: bool | None = None  # after the next paint: None nothing, False fetch, True verify+fetch
        self._progress_timer = None
        self.progress_started = False

    @property
    def done(self) -> int:
        return self.progress.done

    # -- layout ---------------------------------------------------------------------------------
    def compose(self) -> ComposeResult:
        yield Header()
        with Horizontal(id="study-bar"):
            yield Static(MODE_TITLES.get(self.spec.mode, "Study"), id="study-mode")
            yield Static("", id="study-deck")
            yield Static("", id="study-progress")
        with Vertical(id="study-body"):
            with VerticalScroll(id="card-scroll"):
                yield CardMarkdown(id="front")
                yield Static("", id="hints")
                yield Rule(id="answer-rule")
                yield CardMarkdown(id="back")
                yield Static("", id="session-done")
        yield Static("[b]space[/b] show the answer", id="reveal-hint")
        yield RatingBar(id="rating-bar")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#rating-bar").display = False
        self.query_one("#answer-rule").display = False
        self.query_one("#back").display = False
        self.query_one("#session-done").display = False
        self.query_one("#reveal-hint", Static).update("loading the first card…")
        self.first_card()

    @work(thread=True, group="first-card", exit_on_error=False)
    def first_card(self) -> None:
        # The first queue query runs while Textual finishes starting up (SQLite releases the GIL);
        # `flashtrain study` has even started it before importing Textual.
        future = self.app.take_first_card_future(self.spec)
        try:
            card = future.result() if future is not None else self.app.service.next_card(self.spec)
            found = card if card is not None else False  # False: the queue is empty
        except Exception as error:  # shown; then the screen asks the queue once more itself
            self.app.call_from_thread(self.notify, f"could not load the first card: {error}", severity="error")
            found = None
        self.app.call_from_thread(self.next_card, found)

    # -- showing cards --------------------------------------------------------------------------
    def next_card(self, card=None) -> None:
        """Show `card`, or (None) ask the queue; `False` means the queue was asked and is empty."""
        service = self.app.service
        card = None if card is False else (card or service.next_card(self.spec))
        self.show_card(card)
        self.pending_prefetch = False  # fetch ahead once this card is painted

    def show_card(self, card, code: str | None = None) -> None:
        self.card = card
        self.revealed = False
        self.hints_shown = 0
        self.suggested = None
        front = self.query_one("#front", CardMarkdown)
        back = self.query_one("#back", CardMarkdown)
        back.display = False
        self.query_one("#answer-rule").display = False
        self.query_one("#rating-bar").display = False
        self.remove_code_panel()
        if card is None:
            self.show_finished()
            return
        self.query_one("#session-done").display = False
        front.display = True
        self.query_one("#study-deck", Static).update(self.card_caption(card))
        self.query_one("#hints", Static).update("")
        self.query_one("#hints").display = False
        self.query_one("#reveal-hint", Static).update(self.reveal_hint(card))
        self.query_one("#reveal-hint").display = True
        self.query_one("#card-scroll").scroll_home(animate=False)
        update = front.show(card.front)
        if card.snippet_id:
            self.mount_code_panel(card, code)
        self.shown_at = time.perf_counter()
        self.call_after_refresh(self.card_painted)
        self.schedule_progress()
        self.refresh_bindings()
        return update

    def card_caption(self, card) -> str:
        flags = []
        if card.flagged:
            flags.append("⚑ flagged")
        if card.state.phase == "new":
            flags.append("new")
        elif card.state.lapses:
            flags.append(f"{card.state.lapses} lapse{'s' if card.state.lapses != 1 else ''}")
        from rich.markup import escape

        return " · ".join([escape(card.deck_name), *flags])  # shown in a Static: markup is parsed

    def reveal_hint(self, card) -> str:
        if self.code_in_use():
            return "[b]esc[/b] leave the editor (then [b]space[/b] shows the answer) · [b]ctrl+r[/b] run checks"
        parts = ["[b]space[/b] show the answer"]
        if card.hints or card.snippet_id:
            parts.append("[b]h[/b] hint")
        if card.snippet_id:
            from flashtrain.tui.snippet_bridge import is_demonstration

            run = "run the demonstration" if is_demonstration(card.snippet_id) else "run checks"
            parts.append(f"[b]ctrl+e[/b] edit code · [b]ctrl+r[/b] {run}")
        return " · ".join(parts)

    def card_painted(self) -> None:
        """Called once the frame with the new card has been drawn: the end of a rating's latency."""
        if self.rate_started is not None:
            self.app.record_latency(time.perf_counter() - self.rate_started)
            self.rate_started = None
        self.app.first_card_shown()
        if self.progress.total is None and not self.progress_started:  # first count, once
            self.progress_started = True
            self.refresh_progress()
        if self.pending_prefetch is not None:
            # background queries start only now, so they never compete with drawing the card
            verify, self.pending_prefetch = self.pending_prefetch, None
            self.start_prefetch(verify=verify)

    # -- the next card, fetched ahead ------------------------------------------------------------
    def start_prefetch(self, verify: bool) -> None:
        """In the background: (optionally) check that the card on screen is what the queue says comes
        next, then fetch the card after it."""
        self.prefetch_serial += 1
        self.prefetched = None
        if self.card is not None:
            self.prefetch_worker(self.card.card_id, self.prefetch_serial, verify)

    @work(thread=True, group="prefetch", exit_on_error=False)
    def prefetch_worker(self, card_id: int, serial: int, verify: bool) -> None:
        service = self.app.service
        try:
            if verify:
                expected = service.next_card(self.spec)
                if expected is None or expected.card_id != card_id:
                    self.app.call_from_thread(self.correct_guess, card_id, serial, expected)
                    return
            following = service.next_card(self.spec, exclude={card_id})
        except Exception:  # e.g. the store is busy: the rating path then queries on its own
            return
        self.app.call_from_thread(self.keep_prefetch, card_id, serial, following)

    def keep_prefetch(self, card_id: int, serial: int, following) -> None:
        if serial == self.prefetch_serial and self.card is not None and self.card.card_id == card_id:
            self.prefetched = (card_id, following)
            from flashtrain.tui.app import collect_young_garbage

            collect_young_garbage()  # now, while the learner reads, rather than during the next rating

    def correct_guess(self, card_id: int, serial: int, expected) -> None:
        """The queue changed while the learner looked at the last card (say a learning card fell due):
        show what the queue says instead, unless the guessed card is already being answered."""
        if serial != self.prefetch_serial or self.card is None or self.card.card_id != card_id or self.revealed:
            return
        self.app.prefetch_corrections += 1
        self.show_card(expected)
        self.pending_prefetch = False

    def show_finished(self) -> None:
        self.query_one("#front").display = False
        self.query_one("#hints").display = False
        self.query_one("#reveal-hint").display = False
        self.query_one("#study-deck", Static).update("")
        done = self.query_one("#session-done", Static)
        reviewed = f"You reviewed {self.done} card{'s' if self.done != 1 else ''}." if self.done else \
            "Nothing is due here right now."
        done.update(f"[b]Session finished.[/b]\n\n{reviewed}\n\n"
                    "[b]escape[/b] back to the decks · [b]u[/b] undo the last rating · "
                    "[b]c[/b] on the home screen starts a custom session (cram, lapsed, code).")
        done.display = True
        self.refresh_progress()
        self.refresh_bindings()
        self.call_after_refresh(self.card_painted)

    def schedule_progress(self) -> None:
        # Counting what is left is a query over the whole collection: keep it off the rating path,
        # and do it once the learner pauses rather than after every key.
        if self._progress_timer is not None:
            self._progress_timer.stop()
        self._progress_timer = self.set_timer(PROGRESS_IDLE_SECONDS, self.refresh_progress)

    @work(thread=True, exclusive=True, group="progress", exit_on_error=False)
    def refresh_progress(self) -> None:
        left = self.app.service.remaining(self.spec)
        self.app.call_from_thread(self.show_progress, left)

    def show_progress(self, total: int | None) -> None:
        self.progress.counted(total)
        self.paint_progress()

    def paint_progress(self) -> None:
        self.query_one("#study-progress", Static).update(self.progress.text(self.app.service.now()))

    # -- actions --------------------------------------------------------------------------------
    # keys that act on the card; inactive while the learner is in the code panel (esc leaves it)
    CARD_ACTIONS = frozenset({"reveal", "rate", "undo", "edit", "hint", "suspend", "bury", "flag"})

    def code_in_use(self) -> bool:
        return self.code_panel is not None and self.code_panel.in_use

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in self.CARD_ACTIONS and self.code_in_use():
            return False
        if action == "leave_code":
            return self.code_in_use()
        has_card = self.card is not None
        if action == "rate":
            return has_card and self.revealed
        if action == "reveal":
            return has_card and not self.revealed
        if action == "hint":
            return has_card and self.hints_shown < len(self.all_hints())
        if action in ("run_checks", "show_reference", "focus_editor", "toggle_results"):
            return has_card and self.code_panel is not None
        if action in ("edit", "suspend", "bury", "flag"):
            return has_card
        return True

    def watch_revealed(self, revealed: bool) -> None:
        if not revealed or self.card is None:
            return
        back = self.query_one("#back", CardMarkdown)
        back.show(self.card.back)
        back.display = True
        self.query_one("#answer-rule").display = True
        self.query_one("#reveal-hint").display = False
        bar = self.query_one("#rating-bar", RatingBar)
        bar.show_preview(self.app.service.preview(self.card.card_id), self.suggested)
        bar.display = True
        if self.code_panel is not None:
            self.code_panel.reveal_reference()
        self.refresh_bindings()

    def action_reveal(self) -> None:
        if self.card is not None:
            self.revealed = True

    def action_rate(self, rating: int) -> None:
        if self.card is None or not self.revealed:
            return
        self.rate_started = time.perf_counter()
        duration = min(int((self.rate_started - self.shown_at) * 1000), MAX_DURATION_MS)
        service = self.app.service
        card_id = self.card.card_id
        if self.code_panel is not None and self.code_panel.snippet is not None:
            self.codes[card_id] = self.code_panel.code  # an undo brings the card back with this code
        outcome = service.rate_detailed(card_id, int(rating), duration_ms=duration, origin=self.spec.origin)
        for notice in service.take_notices():  # e.g. the store is full: the rating went to the journal
            self.notify(notice, severity="warning", timeout=10)
        after = outcome.record.state_after
        if outcome.leech:
            self.notify(f"This card is a leech ({after.lapses} lapses): tagged 'leech' and suspended. "
                        "Rewrite or split it, then unsuspend it in Browse (u undoes).",
                        title="Leech", severity="warning", timeout=10)
        self.progress.rated(card_id, int(rating), after.phase, after.due)  # as the recount will see it
        self.paint_progress()
        guess = self.prefetched[1] if self.prefetched and self.prefetched[0] == card_id else None
        if guess is not None and (after.due is None or after.due > service.now()):
            # The card fetched while this one was on screen; checked against the queue right after.
            self.app.prefetch_hits += 1
            self.show_card(guess)
            self.pending_prefetch = True  # verify, then fetch ahead, once this card is painted
        else:
            self.next_card()

    def action_undo(self) -> None:
        try:
            card_id = self.app.service.undo_last()
        except StoreUnavailable as trouble:
            self.notify(f"Cannot undo now: {trouble}", severity="error", timeout=10)
            return
        for notice in self.app.service.take_notices():
            self.notify(notice, severity="warning")
        if card_id is None:
            self.notify("Nothing to undo.", severity="warning")
            return
        self.progress.undone(card_id)
        self.paint_progress()  # the counts as before that rating, at once; recounted shortly
        self.notify("Last rating undone.")
        self.show_card(self.app.service.card(card_id), code=self.codes.get(card_id))
        self.pending_prefetch = False

    def all_hints(self) -> tuple[str, ...]:
        """The card's hints, then the linked snippet's (without repeats), revealed one at a time."""
        if self.card is None:
            return ()
        extra = self.code_panel.hints if self.code_panel is not None else ()
        return tuple(dict.fromkeys((*self.card.hints, *extra)))

    def action_hint(self) -> None:
        hints = self.all_hints()
        if self.card is None or self.hints_shown >= len(hints):
            return
        self.hints_shown += 1
        from rich.markup import escape

        from flashtrain.mathtext import plain_math

        def plain(text: str) -> str:  # hints are one line of Markdown; math as Unicode, no markup
            return escape(plain_math(text))

        lines = [f"[b]Hint {i + 1}:[/b] {plain(h)}" for i, h in enumerate(hints[: self.hints_shown])]
        hints = self.query_one("#hints", Static)
        hints.update("\n".join(lines))
        hints.display = True
        self.refresh_bindings()

    def action_edit(self) -> None:
        if self.card is None:
            return
        card_id = self.card.card_id

        # the answer being written survives the edit (show_card builds a new code panel)
        code = self.code_panel.code if self.code_panel is not None and self.code_panel.snippet else None
        snippet_id = self.card.snippet_id

        def edited(saved: bool | None) -> None:
            if saved:
                card = self.app.service.card(card_id)
                self.show_card(card, code=code if card is not None and card.snippet_id == snippet_id else None)

        self.app.edit_card(card_id, edited)

    def action_suspend(self) -> None:
        self.set_card_aside(lambda card_id: self.app.service.suspend(card_id, True),
                            "Card suspended: it will not come up until you unsuspend it in Browse.")

    def action_bury(self) -> None:
        self.set_card_aside(self.app.service.bury, "Card buried until tomorrow.")

    def set_card_aside(self, take_out, message: str) -> None:
        """Suspend or bury: the card leaves this session and the next one shows."""
        if self.card is None:
            return
        take_out(self.card.card_id)
        self.progress.removed(self.card.card_id)
        self.notify(message)
        self.next_card()

    def action_flag(self) -> None:
        if self.card is None:
            return
        on = not self.card.flagged
        self.app.service.flag(self.card.card_id, on)
        self.card = self.app.service.card(self.card.card_id)
        self.query_one("#study-deck", Static).update(self.card_caption(self.card))
        self.notify("Card flagged." if on else "Flag removed.")

    def action_leave_code(self) -> None:
        if self.code_panel is not None:
            self.code_panel.leave()

    def action_leave(self) -> None:
        if self.code_in_use():  # (the binding above takes escape first; kept for direct calls)
            self.code_panel.leave()
            return
        self.app.leave_screen(self)

    def on_descendant_focus(self) -> None:
        self.focus_moved()

    def on_descendant_blur(self) -> None:
        self.focus_moved()

    def focus_moved(self) -> None:
        """In the code panel or out of it: the footer and the hint line show the keys that act now."""
        self.refresh_bindings()
        if self.card is not None and not self.revealed:
            self.query_one("#reveal-hint", Static).update(self.reveal_hint(self.card))

    # -- code-backed cards ----------------------------------------------------------------------
    def mount_code_panel(self, card, code: str | None = None) -> None:
        from flashtrain.tui.snippet_bridge import is_demonstration
        from flashtrain.tui.widgets.code_panel import CodePanel
        from flashtrain.tui.widgets.demo_panel import DemoPanel

        panel = DemoPanel if is_demonstration(card.snippet_id) else CodePanel
        self.code_panel = panel(card, self.app.snippets, code=code)  # no id: the old panel may still be leaving
        body = self.query_one("#study-body")
        body.add_class("-code")
        body.mount(self.code_panel)

    def remove_code_panel(self) -> None:
        if self.code_panel is not None:
            self.code_panel.remove()
            self.code_panel = None
            self.query_one("#study-body").remove_class("-code")

    def action_run_checks(self) -> None:
        if self.code_panel is not None:
            self.code_panel.run_checks()

    def action_show_reference(self) -> None:
        if self.code_panel is not None:
            self.code_panel.reveal_reference(force=True)

    def action_toggle_results(self) -> None:
        if self.code_panel is not None:
            self.code_panel.toggle_results()

    def action_focus_editor(self) -> None:
        if self.code_panel is not None:
            self.code_panel.focus_editor()

    def on_code_panel_checked(self, message) -> None:
        """A check finished: suggest a rating; after a pass, show the answer so it can be confirmed."""
        self.suggested = message.suggested
        if message.passed:
            self.revealed = True  # the focus stays where it was: keys typed next go on into the editor
        if self.revealed:
            self.query_one("#rating-bar", RatingBar).show_preview(
                self.app.service.preview(self.card.card_id), self.suggested)
        self.refresh_bindings()
