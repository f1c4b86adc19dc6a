"""Study: question -> reveal (space) -> rate 1-5. Every rating is committed before the next card shows.

The screen renders a headless `StudySession` (flashtrain.study.session), which owns reveal, rating,
undo, hints, fetch-ahead and the counts; `flashtrain study --plain` drives the same session.
"""

from __future__ import annotations

import time

from rich.markup import escape
from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import Screen
from textual.widgets import Header, Static

from flashtrain.scheduler.core import RATING_LABELS
from flashtrain.study.service import StoreUnavailable
from flashtrain.study.session import Ahead, AheadTicket, SessionSummary, StudySession, summarize, summary_lines
from flashtrain.tui.host import StudyHost
from flashtrain.tui.memory import collect_young_garbage
from flashtrain.tui.snippet_bridge import SnippetBridge
from flashtrain.services.media import image_loader
from flashtrain.tui.card_render import PreparedCard, build_card
from flashtrain.tui.widgets.card_pane import CardPane
from flashtrain.tui.widgets.lean_footer import LeanFooter
from flashtrain.tui.widgets.rating_bar import RatingBar

PROGRESS_IDLE_SECONDS = 1.5  # recount what is left once the learner pauses this long
MODE_TITLES = {"due": "Review", "cram": "Cram", "lapsed": "Lapsed cards", "code": "Code cards"}


class StudyScreen(Screen):
    # Nothing takes the focus by itself: keys act on the card (and scroll it) until the learner
    # enters a code editor on purpose (ctrl+e), even when the screen comes back from the card form.
    AUTO_FOCUS = None
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
        Binding("ctrl+r", "run_demo", "Run demo", priority=True),  # a demonstration card: nothing is checked
        Binding("ctrl+o", "show_reference", "Reference", priority=True, show=False),
        Binding("ctrl+e", "focus_editor", "Code editor", show=False),
        Binding("ctrl+t", "toggle_results", "Code / results", priority=True, show=False,
                tooltip="Code editor ⇄ check results (narrow)"),
        Binding("escape", "leave_code", "Leave editor"),  # while in the code panel (then the one below)
        Binding("escape", "leave", "Back"),
        # a card longer than its pane (CardPane scrolls itself)
        Binding("down", "scroll_card(1)", show=False),
        Binding("up", "scroll_card(-1)", show=False),
        Binding("pagedown", "scroll_card_page(1)", show=False),
        Binding("pageup", "scroll_card_page(-1)", show=False),
        Binding("home", "scroll_card(-1000000)", show=False),
        Binding("end", "scroll_card(1000000)", show=False),
    ]

    def __init__(self, session: StudySession, host: StudyHost, snippets: SnippetBridge) -> None:
        super().__init__()
        self.session = session
        self.host = host
        self.snippets = snippets
        self.code_panel = None
        self.suggested: int | None = None
        self.rate_started: float | None = None
        # the UI thread's CPU time from a rating key to the next card painted (what the latency is
        # on a quiet machine, minus the wait for the frame and the disk): bench tui prints it
        self.rate_cpu_started = 0.0
        self.rate_cpu: list[float] = []
        self.paint_serial = 0  # the card being drawn (a newer card makes an older paint moot)
        self.pending_ahead: bool | None = None  # after the next paint: None nothing, False fetch, True verify+fetch
        self._progress_timer = None
        self.progress_started = False
        # the next card's sides, built (parsed, images decoded, laid out) in the fetch-ahead thread
        self.prepared_ahead: tuple[object, PreparedCard, PreparedCard] | None = None
        self.prepared_hits = 0
        self.shown_caption: str | None = None  # what the top bar says about the card (deck, flags)
        self.progress_after_paint = False  # a rating's counts are painted once its next card is

    # what tests and the bench read; the session holds them
    @property
    def spec(self):
        return self.session.spec

    @property
    def card(self):
        return self.session.card

    @property
    def revealed(self) -> bool:
        return self.session.revealed

    @property
    def hints_shown(self) -> int:
        return self.session.hints_shown

    @property
    def done(self) -> int:
        return self.session.done

    # -- layout ---------------------------------------------------------------------------------
    def compose(self) -> ComposeResult:
        yield Header()
        with Horizontal(id="study-bar"):
            yield Static(MODE_TITLES.get(self.spec.mode, "Study"), id="study-mode")
            yield Static("", id="study-deck")
            yield Static("", id="study-progress")
        with Vertical(id="study-body"):
            # the card pane and the bar below it keep their sizes from card to card: a new card
            # repaints them without laying the screen out again (see CardPane)
            yield CardPane(id="card")
            yield Static("", id="session-done")
        yield RatingBar(id="rating-bar")
        yield LeanFooter()

    def on_mount(self) -> None:
        self.query_one("#session-done").display = False
        self.query_one("#rating-bar", RatingBar).show_hint("loading the first card…")
        self.first_card()

    @work(thread=True, group="first-card", exit_on_error=False)
    def first_card(self) -> None:
        # The first queue query runs while Textual finishes starting up (SQLite releases the GIL);
        # `flashtrain study` has even started it before importing Textual.
        future = self.host.take_first_card_future(self.spec)
        try:
            card = future.result() if future is not None else self.session.service.next_card(self.spec)
            if card is not None:
                self.prepare_ahead(card, 0)
            self.app.call_from_thread(self.show_first, card)
        except Exception as error:  # shown; then the screen asks the queue once more itself
            self.app.call_from_thread(self.notify, f"could not load the first card: {error}", severity="error")
            self.app.call_from_thread(self.show_next)

    def show_first(self, card) -> None:
        self.show_card(card)

    def show_card(self, card, code: str | None = None) -> None:
        """Put `card` on screen (None: the end of the session)."""
        self.session.show(card)
        self.render_card(code)
        self.pending_ahead = False

    def show_next(self) -> None:
        """Ask the queue for the next card and show it."""
        self.session.next_card()
        self.render_card()
        self.pending_ahead = False  # fetch ahead once this card is painted

    # -- showing cards --------------------------------------------------------------------------
    def render_card(self, code: str | None = None) -> None:
        """Draw the session's card (question side), or the end of the session."""
        card = self.session.card
        self.suggested = None
        view = self.query_one("#card", CardPane)
        self.remove_code_panel()
        if card is None:
            self.show_finished()
            return
        done = self.query_one("#session-done")
        if done.display:  # (setting display, even to what it is, may lay the screen out)
            done.display = False
        if not view.display:
            view.display = True
        self.show_caption(self.card_caption(card))
        self.query_one("#rating-bar", RatingBar).show_hint(self.reveal_hint(card))
        view.show_card(self.prepared_side(card, back=False))
        if card.snippet_id:
            self.mount_code_panel(card, code)
        # the card's text is on the terminal at the next frame: a rating's latency is measured to it
        self.paint_serial += 1
        serial = self.paint_serial
        self.call_after_refresh(lambda: self.card_painted() if serial == self.paint_serial else None)
        self.schedule_progress()
        self.refresh_bindings()

    def show_caption(self, caption: str) -> None:
        """The top bar's words about the card; unchanged (the same deck), the bar stays out of the frame."""
        if caption != self.shown_caption:
            self.shown_caption = caption
            self.query_one("#study-deck", Static).update(caption, layout=False)  # a 1-row, 1fr cell

    def card_caption(self, card) -> str:
        flags = []
        if card.flagged:
            flags.append("⚑ flagged")
        if card.state.phase == "new":
            flags.append("new")
        elif card.state.lapses:
            flags.append(f"{card.state.lapses} lapse{'s' if card.state.lapses != 1 else ''}")
        return " · ".join([escape(card.deck_name), *flags])  # shown in a Static: markup is parsed

    def reveal_hint(self, card) -> str:
        if self.code_in_use():
            run = "run the demonstration" if self.is_demo_card() else "run checks"
            return f"[b]esc[/b] leave the editor (then [b]space[/b] shows the answer) · [b]ctrl+r[/b] {run}"
        parts = ["[b]space[/b] show the answer"]
        if card.hints or card.snippet_id:
            parts.append("[b]h[/b] hint")
        if card.snippet_id:
            from flashtrain.tui.snippet_bridge import is_demonstration

            run = "run the demonstration" if is_demonstration(card.snippet_id) else "run checks"
            parts.append(f"[b]ctrl+e[/b] edit code · [b]ctrl+r[/b] {run}")
        return " · ".join(parts)

    def prepare_ahead(self, card, width: int) -> None:
        """Worker thread: build `card`'s two sides for the pane width, for `prepared_side`."""
        load = image_loader(self.session.service.store, card.source_path)
        front = build_card(card.front, card.plain_text, load, width or None)
        back = build_card(card.back, card.plain_text, load, width or None)
        self.prepared_ahead = (card, front, back)  # one reference swap: the UI thread reads it whole

    def prepared_side(self, card, back: bool) -> PreparedCard:
        """A side of `card` ready to draw: the one built ahead when it is still this card's text,
        else built now."""
        ahead = self.prepared_ahead
        if ahead is not None and ahead[0].card_id == card.card_id and ahead[0].front == card.front \
                and ahead[0].back == card.back and ahead[0].plain_text == card.plain_text:
            prepared = ahead[2] if back else ahead[1]
            width = self.query_one("#card", CardPane).layout_width  # both sides share the pane
            if width and prepared.laid_out_for != width:  # the pane was resized meanwhile
                prepared.lay_out(width)
            self.prepared_hits += not back
            return prepared
        load = image_loader(self.session.service.store, card.source_path)
        width = self.query_one("#card", CardPane).layout_width
        return build_card(card.back if back else card.front, card.plain_text, load, width or None)

    def card_painted(self) -> None:
        """Called once the frame with the new card has been drawn: the end of a rating's latency."""
        if self.rate_started is not None:
            self.host.record_latency(time.perf_counter() - self.rate_started)
            self.rate_cpu.append(time.thread_time() - self.rate_cpu_started)
            self.rate_started = None
        if self.progress_after_paint:
            self.progress_after_paint = False
            self.paint_progress()
        self.host.first_card_shown()
        if self.session.progress.total is None and not self.progress_started:  # first count, once
            self.progress_started = True
            self.refresh_progress()
        if self.pending_ahead is not None:
            # background queries start only now, so they never compete with drawing the card
            verify, self.pending_ahead = self.pending_ahead, None
            ticket = self.session.ahead_ticket(verify)
            if ticket is not None:
                self.fetch_ahead(ticket, self.query_one("#card", CardPane).layout_width)

    # -- the next card, fetched ahead ------------------------------------------------------------
    @work(thread=True, group="prefetch", exit_on_error=False)
    def fetch_ahead(self, ticket: AheadTicket, width: int = 0) -> None:
        ahead = self.session.fetch_ahead(ticket)
        for card in (ahead.following, ahead.instead):
            if card is not None:
                try:
                    self.prepare_ahead(card, width)
                except Exception:  # drawn from scratch when shown, which reports what is wrong
                    pass
        self.app.call_from_thread(self.keep_ahead, ahead)

    def keep_ahead(self, ahead: Ahead) -> None:
        if self.session.accept_ahead(ahead):  # the queue changed: its first card replaces the guess
            self.render_card()
            self.pending_ahead = False
            return
        collect_young_garbage()  # now, while the learner reads, rather than during the next rating

    def show_finished(self) -> None:
        self.query_one("#card").display = False
        self.query_one("#rating-bar", RatingBar).show_hint("")
        self.show_caption("")
        done = self.query_one("#session-done", Static)
        done.update("[b]Session finished.[/b]\n\n…")
        done.display = True
        self.load_summary()
        self.refresh_progress()
        self.refresh_bindings()
        self.call_after_refresh(self.card_painted)

    @work(thread=True, group="summary", exit_on_error=False)
    def load_summary(self) -> None:
        summary = summarize(self.session)
        self.app.call_from_thread(self.show_summary, summary)

    def show_summary(self, summary: SessionSummary) -> None:
        if self.card is not None:
            return  # an undo brought a card back meanwhile
        lines = summary_lines(summary, self.spec, self.session.now())
        body = "\n".join(escape(line) for line in lines)
        self.query_one("#session-done", Static).update(
            f"[b]Session finished.[/b]\n\n{body}\n\n"
            "[b]escape[/b] back to the decks · [b]u[/b] undo the last rating · "
            "[b]c[/b] on the home screen starts a custom session (cram, lapsed, code).")

    def schedule_progress(self) -> None:
        # Counting what is left is a query over the whole collection: keep it off the rating path,
        # and do it once the learner pauses rather than after every key.
        if self._progress_timer is not None:
            self._progress_timer.stop()
        self._progress_timer = self.set_timer(PROGRESS_IDLE_SECONDS, self.refresh_progress)

    @work(thread=True, exclusive=True, group="progress", exit_on_error=False)
    def refresh_progress(self) -> None:
        left = self.session.count_remaining()
        self.app.call_from_thread(self.show_progress, left)

    def show_progress(self, total: int | None) -> None:
        self.session.counted(total)
        self.paint_progress()

    def paint_progress(self) -> None:
        """The counts, right-aligned in the width they had when they fit in it (then only this
        cell repaints), else in a wider cell (a layout)."""
        progress = self.query_one("#study-progress", Static)
        text = Text.from_markup(self.session.progress.text(self.session.now()))
        room = progress.content_region.width
        if 0 < text.cell_len <= room:
            text.pad_left(room - text.cell_len)
            progress.update(text, layout=False)
        else:
            progress.update(text)

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
        # Reveal and hint come and go from card to card: shown dimmed rather than hidden (None), so
        # that the footer keeps its keys and needs no new layout
        if action == "reveal":
            return (True if not self.revealed else None) if has_card else False
        if action == "hint":
            return (True if self.session.has_hint() else None) if has_card else False
        if action in ("scroll_card", "scroll_card_page"):
            return has_card
        if action in ("run_checks", "run_demo"):  # one of the two shows, by the kind of card
            return has_card and self.code_panel is not None and (action == "run_demo") == self.is_demo_card()
        if action in ("show_reference", "focus_editor", "toggle_results"):
            return has_card and self.code_panel is not None
        if action in ("edit", "suspend", "bury", "flag"):
            return has_card
        return True

    def action_reveal(self) -> None:
        if self.card is None or self.revealed:
            return
        preview = self.session.reveal()
        view = self.query_one("#card", CardPane)
        view.show_card(view.prepared, view.hints, self.prepared_side(self.card, back=True))
        self.query_one("#rating-bar", RatingBar).show_preview(preview, self.suggested)
        if self.code_panel is not None:
            self.code_panel.reveal_reference()
        self.refresh_bindings()

    def action_rate(self, rating: int) -> None:
        if self.card is None or not self.revealed:
            return
        self.rate_started = time.perf_counter()
        self.rate_cpu_started = time.thread_time()
        code = self.code_panel.code if self.code_panel is not None and self.code_panel.snippet else None
        rated = self.session.rate(int(rating), code=code)  # committed; the session shows the next card
        self.show_notices()  # e.g. the store is full: the rating went to the journal
        if rated.leech:
            self.notify(f"This card is a leech ({rated.lapses} lapses): tagged 'leech' and suspended. "
                        "Rewrite or split it, then unsuspend it in Browse (u undoes).",
                        title="Leech", severity="warning", timeout=10)
        self.render_card()
        # the counts as the recount will see them, in the frame after the card's (the card first)
        self.progress_after_paint = True
        # a guessed card is checked against the queue once painted, then the one after it fetched
        self.pending_ahead = rated.from_fetch_ahead

    def show_notices(self) -> None:
        """One-line store messages (e.g. a change kept in the journal because the store is read-only)."""
        for notice in self.session.service.take_notices():
            self.notify(notice, severity="warning", timeout=10)

    def action_undo(self) -> None:
        try:
            undone = self.session.undo()
        except StoreUnavailable as trouble:
            self.notify(f"Cannot undo now: {trouble}", severity="error", timeout=10)
            return
        for notice in self.session.service.take_notices():
            self.notify(notice, severity="warning")
        if undone is None:
            self.notify("Nothing to undo.", severity="warning")
            return
        self.paint_progress()  # the counts as before that rating, at once; recounted shortly
        self.notify("Last rating undone.")
        self.render_card(code=undone.code)
        self.pending_ahead = False

    def action_hint(self) -> None:
        if self.session.next_hint() is None:
            return
        from flashtrain.mathtext import plain_math

        def plain(text: str) -> str:  # hints are one line of Markdown; math as Unicode, no markup
            return escape(plain_math(text))

        lines = [Text.from_markup(f"[b]Hint {i}:[/b] {plain(h)}") for i, h in enumerate(self.session.hints_given(), 1)]
        view = self.query_one("#card", CardPane)
        view.show_card(view.prepared, lines, view.back)
        if view.back is None:  # the newest hint is the question side's last line: in view
            view.scroll_to_line(view.max_top)
        self.refresh_bindings()

    def action_edit(self) -> None:
        if self.card is None:
            return
        card_id = self.card.card_id
        # the answer being written survives the edit (render_card builds a new code panel)
        code = self.code_panel.code if self.code_panel is not None and self.code_panel.snippet else None
        snippet_id = self.card.snippet_id

        def edited(saved: bool | None) -> None:
            if saved and self.card is not None and self.card.card_id == card_id:
                card = self.session.reload()
                self.render_card(code=code if card is not None and card.snippet_id == snippet_id else None)

        self.host.edit_card(card_id, edited)

    def action_suspend(self) -> None:
        self.session.suspend()
        self.notify("Card suspended: it will not come up until you unsuspend it in Browse.")
        self.show_notices()
        self.render_card()
        self.pending_ahead = False

    def action_bury(self) -> None:
        self.session.bury()
        self.notify("Card buried until tomorrow.")
        self.show_notices()
        self.render_card()
        self.pending_ahead = False

    def action_flag(self) -> None:
        if self.card is None:
            return
        on = self.session.toggle_flag()
        self.show_caption(self.card_caption(self.card))
        self.notify("Card flagged." if on else "Flag removed.")
        self.show_notices()

    def action_scroll_card(self, lines: int) -> None:
        self.query_one("#card", CardPane).scroll_lines(lines)

    def action_scroll_card_page(self, pages: int) -> None:
        self.query_one("#card", CardPane).scroll_page(pages)

    def action_leave_code(self) -> None:
        if self.code_panel is not None:
            self.code_panel.leave()

    def action_leave(self) -> None:
        if self.code_in_use():  # (the binding above takes escape first; kept for direct calls)
            self.code_panel.leave()
            return
        self.host.leave_screen(self)

    def on_descendant_focus(self) -> None:
        self.focus_moved()

    def on_descendant_blur(self) -> None:
        self.focus_moved()

    def focus_moved(self) -> None:
        """In the code panel or out of it: the footer and the hint line show the keys that act now."""
        self.refresh_bindings()
        if self.card is not None and not self.revealed:
            self.query_one("#rating-bar", RatingBar).show_hint(self.reveal_hint(self.card))

    # -- code-backed cards ----------------------------------------------------------------------
    def mount_code_panel(self, card, code: str | None = None) -> None:
        from flashtrain.tui.snippet_bridge import is_demonstration
        from flashtrain.tui.widgets.code_panel import CodePanel
        from flashtrain.tui.widgets.demo_panel import DemoPanel

        panel = DemoPanel if is_demonstration(card.snippet_id) else CodePanel
        self.code_panel = panel(card, self.snippets, self.session.service.record_attempt,
                                warm=self.host.warm_snippets, code=code)  # no id: the old panel may still be leaving
        self.session.extra_hints = self.code_panel.hints
        body = self.query_one("#study-body")
        body.add_class("-code")
        body.mount(self.code_panel)

    def remove_code_panel(self) -> None:
        if self.code_panel is not None:
            self.code_panel.remove()
            self.code_panel = None
            self.query_one("#study-body").remove_class("-code")

    def is_demo_card(self) -> bool:
        from flashtrain.tui.snippet_bridge import is_demonstration

        return self.card is not None and is_demonstration(self.card.snippet_id)

    def action_run_checks(self) -> None:
        if self.code_panel is not None:
            self.code_panel.run_checks(hints_used=self.session.hints_shown)

    def action_run_demo(self) -> None:
        self.action_run_checks()  # the demo panel runs the demonstration

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
        if message.passed and not self.revealed:
            self.action_reveal()  # the focus stays where it was: keys typed next go on into the editor
        elif self.revealed:
            self.query_one("#rating-bar", RatingBar).show_preview(self.session.preview(), self.suggested)
        self.refresh_bindings()
