"""Settings: desired retention (with the reviews a day it implies), new cards a day, day start, leech
threshold, sibling burying and the theme. Saved in the store, as `flashtrain settings` does."""

from __future__ import annotations

from dataclasses import replace

from rich.markup import escape
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.screen import Screen
from textual.widgets import Footer, Header, Input, Label, Select, Static, Switch

from flashtrain.study.settings import SettingError, StudySettings
from flashtrain.study.workload_estimate import Workload, expected_reviews_per_day

FIELDS = (  # (setting, label, help)
    ("desired_retention", "Desired retention (0.70-0.99)",
     "How likely you should be to recall a card when it comes back. Higher means more reviews."),
    ("new_per_day", "New cards per day", "New cards introduced each study day, across all decks (0 turns them off)."),
    ("day_start_hour", "Day starts at (hour, 0-23)", "Local hour at which a new study day begins."),
    ("leech_threshold", "Leech threshold (lapses)", "Forgotten this many times, a card is tagged leech and suspended."),
)


class SettingsScreen(Screen[bool]):
    TITLE_TEXT = "Settings"
    KEYS_HELP = "tab / shift+tab move between fields · ctrl+s saves · esc leaves without saving"
    BINDINGS = [
        Binding("ctrl+s", "save", "Save", priority=True),
        Binding("escape", "leave", "Back"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.loaded: StudySettings | None = None
        self.stabilities: list[float] | None = None

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
            yield Label("Bury siblings")
            with Horizontal(classes="settings-row"):
                yield Switch(settings.bury_siblings, id="bury_siblings")
                yield Static("A reversed card and the other gaps of a cloze note wait until the next day "
                             "once one of them is studied (as in Anki).", classes="settings-note")
            yield Label("Theme")
            themes = sorted(self.app.available_themes)
            current = self.app.theme if self.app.theme in themes else Select.BLANK
            yield Select([(t, t) for t in themes], value=current, id="theme", allow_blank=False, compact=True)
            yield Static("[b]ctrl+s[/b] save · [b]esc[/b] back without saving", classes="settings-keys")
        yield Footer()

    def on_mount(self) -> None:
        self.sub_title = "Settings"
        self.load_stabilities()

    # -- the workload beside the retention -------------------------------------------------------
    @work(thread=True, exclusive=True, group="settings-workload", exit_on_error=False)
    def load_stabilities(self) -> None:
        stabilities = self.app.service.stabilities()
        self.app.call_from_thread(self.got_stabilities, stabilities)

    def got_stabilities(self, stabilities: list[float]) -> None:
        self.stabilities = stabilities
        self.show_workload()

    @on(Input.Changed, "#desired_retention")
    @on(Input.Changed, "#new_per_day")
    def show_workload(self) -> None:
        note = self.query_one("#desired_retention-note", Static)
        if self.stabilities is None or self.loaded is None:
            note.update("working out the reviews a day…")
            return
        try:
            retention = float(self.query_one("#desired_retention", Input).value)
            new_per_day = int(self.query_one("#new_per_day", Input).value)
            if not 0.7 <= retention <= 0.99 or new_per_day < 0:
                raise ValueError
        except ValueError:
            note.update("[dim]a retention 0.70-0.99 and a whole number of new cards show the workload[/dim]")
            return
        config = replace(self.app.service.scheduler_config(), desired_retention=retention)
        workload: Workload = expected_reviews_per_day(self.stabilities, config, new_per_day)
        how = ("estimated from the memory model of your "
               f"{workload.cards} studied cards" if workload.method == "estimate" else "simulated")
        note.update(f"≈ [b]{workload.reviews_per_day:.0f}[/b] reviews a day at {retention:.0%} "
                    f"[dim]({how}; higher retention costs more reviews)[/dim]")

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
