"""Settings: desired retention (with the reviews a day it implies and the retention recommended for
the learner's cards), new cards a day, day start, leech threshold, sibling burying and the theme.
Saved in the store, as `flashtrain settings` does."""

from __future__ import annotations

from rich.markup import escape
from typing import TYPE_CHECKING

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.screen import Screen
from textual.widgets import Footer, Header, Input, Label, Select, Static, Switch
from textual.worker import get_current_worker

from flashtrain.study.settings import SettingError, StudySettings

if TYPE_CHECKING:
    from flashtrain.scheduler.workload import Sweep, WorkloadResult

WORKLOAD_DELAY = 0.3  # seconds after the last key before the workload is simulated again

FIELDS = (  # (setting, label, help)
    ("desired_retention", "Desired retention (0.70-0.99)",
     "How likely you should be to recall a card when it comes back. Higher means more reviews."),
    ("new_per_day", "New cards per day", "New cards introduced each study day, across all decks (0 turns them off)."),
    ("day_start_hour", "Day starts at (hour, 0-23)", "Local hour at which a new study day begins."),
    ("leech_threshold", "Leech threshold (lapses)", "Forgotten this many times, a card is tagged leech and suspended."),
)


class SettingsScreen(Screen[bool]):
    TITLE_TEXT = "Settings"
    KEYS_HELP = ("tab / shift+tab move between fields · ctrl+r puts the recommended retention in its field · "
                 "ctrl+s saves · esc leaves without saving")
    BINDINGS = [
        Binding("ctrl+s", "save", "Save", priority=True),
        Binding("ctrl+r", "use_recommended", "Use recommended retention", priority=True),
        Binding("escape", "leave", "Back"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.loaded: StudySettings | None = None
        self.wanted: tuple[float, int] | None = None  # (retention, new cards a day) the note should show
        self.shown_workload: WorkloadResult | None = None
        self._workload_timer = None
        self.advice_for: int | None = None  # the new cards a day the recommendation should be for
        self.advice_due = False  # advice_for changed: a sweep starts with the next simulation
        self.shown_sweep: Sweep | None = None

    def compose(self) -> ComposeResult:
        service = self.app.service
        self.loaded = settings = service.settings()
        yield Header()
        with VerticalScroll(id="settings-form"):
            for name, label, help_text in FIELDS:
                yield Label(label)
                with Horizontal(classes="settings-row"):
                    yield Input(str(getattr(settings, name)), id=name, compact=True)
                    yield Static(escape(help_text) if name != "desired_retention" else "…",
                                 id=f"{name}-note", classes="settings-note")
                if name == "desired_retention":
                    yield Static("", id="retention-advice")
            yield Label("Bury siblings")
            with Horizontal(classes="settings-row"):
                yield Switch(settings.bury_siblings, id="bury_siblings")
                yield Static("A reversed card and the other gaps of a cloze note wait until the next day "
                             "once one of them is studied (as in Anki).", classes="settings-note")
            yield Label("Theme")
            themes = sorted(self.app.available_themes)
            current = self.app.theme if self.app.theme in themes else Select.BLANK
            yield Select([(t, t) for t in themes], value=current, id="theme", allow_blank=False, compact=True)
            yield Static("[b]ctrl+s[/b] save · [b]ctrl+r[/b] use the recommended retention · [b]esc[/b] back "
                         "without saving", classes="settings-keys")
        yield Footer()

    def on_mount(self) -> None:
        self.sub_title = "Settings"
        self.query_one("#desired_retention", Input).focus()  # the first field: typing goes there
        self.workload_inputs_changed()

    # -- the workload beside the retention -------------------------------------------------------
    # Simulated by flashtrain.study.workload from the learner's own cards, model and review habits
    # (~0.1-0.5 s for a normal collection): always in a worker thread, a moment after the typing stops.
    @on(Input.Changed, "#desired_retention")
    @on(Input.Changed, "#new_per_day")
    def workload_inputs_changed(self) -> None:
        note = self.query_one("#desired_retention-note", Static)
        try:
            retention = float(self.query_one("#desired_retention", Input).value)
            new_per_day = int(self.query_one("#new_per_day", Input).value)
            if not 0.7 <= retention <= 0.99 or new_per_day < 0:
                raise ValueError
        except ValueError:
            self.wanted = None
            note.update("[dim]a retention 0.70-0.99 and a whole number of new cards show the workload[/dim]")
            return
        self.wanted = (retention, new_per_day)
        note.update(f"simulating a year of reviews at {retention:.0%}…")
        if self._workload_timer is not None:
            self._workload_timer.stop()
        if new_per_day != self.advice_for:  # the recommendation depends on the new cards, not the retention
            self.advice_for, self.advice_due = new_per_day, True
            self.shown_sweep = None
            self.query_one("#retention-advice", Static).update(
                f"[dim]working out the retention that suits your cards at {new_per_day} new a day…[/dim]")

        def start() -> None:
            self.simulate(retention, new_per_day)
            if self.advice_due:  # (a timer restarted by more typing still owes it)
                self.advice_due = False
                self.recommend(new_per_day)

        self._workload_timer = self.set_timer(WORKLOAD_DELAY, start)

    @work(thread=True, exclusive=True, group="settings-workload", exit_on_error=False)
    def simulate(self, retention: float, new_per_day: int) -> None:
        from flashtrain.study.workload import reviews_per_day  # numpy and the simulator: only when asked

        try:
            result = reviews_per_day(self.app.store, retention, new_per_day=new_per_day)
        except Exception as error:  # e.g. the store is busy: say so where the figure would be
            self.app.call_from_thread(self.show_workload, (retention, new_per_day), None, str(error))
            return
        if not get_current_worker().is_cancelled:
            self.app.call_from_thread(self.show_workload, (retention, new_per_day), result)

    def show_workload(self, asked: tuple[float, int], result: WorkloadResult | None, problem: str = "") -> None:
        if asked != self.wanted:
            return  # the learner typed on meanwhile: a newer simulation is coming
        note = self.query_one("#desired_retention-note", Static)
        if result is None:
            note.update(f"[dim]the workload cannot be worked out now: {escape(problem)}[/dim]")
            return
        self.shown_workload = result
        per_day = f"{result.reviews_per_day:.1f}" if result.reviews_per_day < 10 else f"{result.reviews_per_day:.0f}"
        note.update(f"≈ [b]{per_day}[/b] reviews a day ({result.minutes_per_day:.0f} min) at {result.retention:.0%}, "
                    f"{result.remembered:,.0f} cards remembered after a year "
                    "[dim](simulated from your cards and review times; higher retention costs more reviews)[/dim]")

    # -- the recommended retention --------------------------------------------------------------
    # The retention with the least study time per card remembered over a year (study.workload.forecast:
    # the same sweep as `flashtrain simulate`, about 15 simulations), for the new cards a day typed.
    @work(thread=True, exclusive=True, group="settings-advice", exit_on_error=False)
    def recommend(self, new_per_day: int) -> None:
        from flashtrain.study.workload import forecast

        try:
            sweep = forecast(self.app.store, new_per_day=new_per_day).sweep
        except Exception as error:  # e.g. the store is busy
            self.app.call_from_thread(self.show_advice, new_per_day, None, str(error))
            return
        if not get_current_worker().is_cancelled:
            self.app.call_from_thread(self.show_advice, new_per_day, sweep)

    def show_advice(self, asked: int, sweep: Sweep | None, problem: str = "") -> None:
        if asked != self.advice_for:
            return  # the new cards a day changed meanwhile: a newer sweep is coming
        advice = self.query_one("#retention-advice", Static)
        if sweep is None:
            advice.update(f"[dim]no recommended retention now: {escape(problem)}[/dim]")
            return
        self.shown_sweep = sweep
        best = sweep.best
        per_day = f"{best.reviews_per_day:.1f}" if best.reviews_per_day < 10 else f"{best.reviews_per_day:.0f}"
        advice.update(f"Recommended: [b]{best.retention:.2f}[/b], the least study time per card remembered "
                      f"(≈ {per_day} reviews, {best.minutes_per_day:.0f} min a day) · [b]ctrl+r[/b] use it")

    def action_use_recommended(self) -> None:
        if self.shown_sweep is None:
            self.notify("The recommended retention is still being worked out.", severity="warning")
            return
        field = self.query_one("#desired_retention", Input)
        field.value = f"{self.shown_sweep.best.retention:.2f}"
        field.focus()

    # -- saving -----------------------------------------------------------------------------------
    def values(self) -> dict[str, object]:
        values: dict[str, object] = {name: self.query_one(f"#{name}", Input).value.strip() for name, _, _ in FIELDS}
        values["bury_siblings"] = self.query_one("#bury_siblings", Switch).value
        values["theme"] = self.query_one("#theme", Select).value
        return values

    def action_save(self) -> None:
        service = self.app.service
        errors = []
        for name, value in self.values().items():
            try:
                service.save_setting(name, value)
            except SettingError as error:
                errors.append(str(error))
        if errors:
            self.notify("\n".join(errors), title="Not saved", severity="error")
            return
        theme = self.values()["theme"]
        if isinstance(theme, str) and theme in self.app.available_themes:
            self.app.theme = theme
        kept = service.take_notices()  # the store could not take them: kept in the journal
        if kept:
            self.notify(kept[0], title="Settings kept for later", severity="warning")
        else:
            self.notify("Settings saved.")
        self.dismiss(True)

    def action_leave(self) -> None:
        self.dismiss(False)
