"""FlashtrainApp: holds the opened store and the headless services, and moves between screens."""

from __future__ import annotations

import time
from collections.abc import Callable
from concurrent.futures import Future

from textual import work
from textual.app import App
from textual.binding import Binding

from flashtrain.study.queue import QueueSpec
from flashtrain.tui.commands import FlashtrainCommands
from flashtrain.tui.memory import tune_gc


# Variants of a theme already listed (one of each family keeps the palette's theme list short).
NEAR_DUPLICATE_THEMES = ("catppuccin-frappe", "catppuccin-macchiato", "rose-pine-moon", "rose-pine-dawn")


class FlashtrainApp(App):
    """Implements tui.host.StudyHost for the study screen."""

    CSS_PATH = "app.tcss"
    TITLE = "flashtrain"
    COMMANDS = App.COMMANDS | {FlashtrainCommands}
    BINDINGS = [
        # f1 too: on screens where the focus is a text field, ? is typed like any other character
        Binding("question_mark,f1", "show_keys", "Keys", key_display="?",
                tooltip="Keys of this screen (f1 where ? would be typed into a text field)"),
        Binding("ctrl+p", "command_palette", "Commands", show=False),
    ]

    def __init__(self, store, service=None, *, start: QueueSpec | None = None, snippets=None,
                 on_first_card: Callable[[float], None] | None = None, first_card: Future | None = None,
                 after_first_card: Callable[[], None] | None = None) -> None:
        super().__init__()
        from flashtrain.study.service import StudyService

        self.store = store
        self.service = service or StudyService(store)
        self.start_spec = start
        self._snippets = snippets
        self.on_first_card = on_first_card
        self.first_card_future = first_card  # the start session's first card, already being fetched
        self.after_first_card = after_first_card  # start-up work left until the first card is painted
        self._first_card_reported = False
        self._gc_tuned = False
        self.latencies: list[float] = []  # seconds from a rating key to the next card painted

    # -- services -------------------------------------------------------------------------------
    @property
    def snippets(self):
        """The bridge to flashtrain.snippets, made on first use (the package loads numpy)."""
        if self._snippets is None:
            from flashtrain.tui.snippet_bridge import SnippetBridge

            self._snippets = SnippetBridge(self.store)
        return self._snippets

    @work(thread=True, group="warm-up", exit_on_error=False)
    def warm_snippets(self, start_runner: bool = False) -> None:
        """Snippet files parsed (and the check worker started) before the learner needs them."""
        self.snippets.warm_up(start_runner)

    # -- theme ----------------------------------------------------------------------------------
    def restore_theme(self) -> None:
        """The theme the learner chose last time (kept in the store's settings, like the others)."""
        for name in NEAR_DUPLICATE_THEMES:
            if name in self.available_themes:
                self.unregister_theme(name)
        try:
            saved = self.service.settings().theme
        except Exception:  # an unreadable store is reported by the screens; colours are not worth a crash
            saved = None
        if saved in self.available_themes:
            self.theme = saved
        self._saved_theme = saved
        self.theme_changed_signal.subscribe(self, self.theme_changed)

    def theme_changed(self, theme) -> None:
        if theme.name == self._saved_theme:
            return
        self._saved_theme = theme.name
        try:
            self.service.save_setting("theme", theme.name)
        except Exception as error:
            self.notify(f"The theme could not be saved: {error}", severity="warning")

    def get_system_commands(self, screen):
        """Textual's own palette entries, without those flashtrain already lists ("Keys" is our
        "Show keys")."""
        for command in super().get_system_commands(screen):
            if command.title not in ("Keys",):
                yield command

    # -- lifecycle ------------------------------------------------------------------------------
    def on_mount(self) -> None:
        self.restore_theme()
        if not self.is_headless:  # a real terminal: pictures in its own graphics where it has them
            from flashtrain.tui.graphics import choose_protocol, use_protocol

            use_protocol(choose_protocol())
        if self.start_spec is not None:
            self.start_session(self.start_spec)  # the home screen (and DataTable) is loaded when the session is left
        else:
            from flashtrain.tui.screens.home import HomeScreen

            self.push_screen(HomeScreen())
            self.call_after_refresh(self.startup_done)
        self.set_timer(10, self.startup_done)  # collection resumes even if no card ever shows

    def startup_done(self) -> None:
        if not self._gc_tuned:
            self._gc_tuned = True
            tune_gc()

    def record_latency(self, seconds: float) -> None:
        self.latencies.append(seconds)

    def first_card_shown(self) -> bool:
        """Called after each card is painted; True the first time."""
        if self._first_card_reported:
            return False
        self._first_card_reported = True
        if self.on_first_card is not None:
            self.on_first_card(time.perf_counter())
        self.startup_done()
        if self.after_first_card is not None:
            self.finish_start_up()
        self.warm_snippets()
        return True

    @work(thread=True, group="start-up", exit_on_error=False)
    def finish_start_up(self) -> None:
        """The fast start's remaining work (study/quickstart.finish_opening), beside the learner."""
        try:
            self.after_first_card()
        except Exception as error:  # e.g. StoreDamaged: say so; ratings then go to the journal
            self.call_from_thread(self.notify, str(error), severity="error", timeout=30)

    # -- navigation -----------------------------------------------------------------------------
    def start_session(self, spec: QueueSpec) -> None:
        from flashtrain.study.session import StudySession
        from flashtrain.tui.screens.study import StudyScreen

        self.push_screen(StudyScreen(StudySession(self.service, spec), host=self, snippets=self.snippets))

    def take_first_card_future(self, spec: QueueSpec) -> Future | None:
        future, self.first_card_future = self.first_card_future, None
        return future if spec == self.start_spec else None

    def action_study_all(self) -> None:
        self.start_session(QueueSpec())

    def action_custom_session(self, deck_id: int | None = None, summaries=None) -> None:
        """`summaries`: the deck list a screen already has (home), so it is not queried again."""
        from flashtrain.tui.screens.dialogs import CustomSessionDialog

        decks = [(s.name, s.deck_id) for s in summaries or self.service.deck_summaries()]

        def chosen(spec: QueueSpec | None) -> None:
            if spec is not None:
                self.start_session(spec)

        self.push_screen(CustomSessionDialog(decks, deck_id), chosen)

    def has_home(self) -> bool:
        from flashtrain.tui.screens.home import HomeScreen

        return any(isinstance(screen, HomeScreen) for screen in self.screen_stack)

    def leave_screen(self, screen) -> None:
        """Back from a screen: to the one below it, or to a fresh home screen if there is none."""
        from flashtrain.tui.screens.home import HomeScreen

        if self.has_home():
            screen.dismiss()
        else:
            self.switch_screen(HomeScreen())

    def action_home(self) -> None:
        from flashtrain.tui.screens.home import HomeScreen

        if not self.has_home():
            self.switch_screen(HomeScreen())
            return
        while not isinstance(self.screen, HomeScreen):
            self.pop_screen()

    def action_browse(self) -> None:
        from flashtrain.tui.screens.browse import BrowseScreen

        self.push_screen(BrowseScreen())

    def action_settings(self) -> None:
        from flashtrain.tui.screens.settings import SettingsScreen

        self.push_screen(SettingsScreen(), lambda saved: self.refresh_home() if saved else None)

    def action_stats(self) -> None:
        from flashtrain.tui.screens.stats import StatsScreen

        self.push_screen(StatsScreen())

    def action_add_card(self, deck_id: int | None = None) -> None:
        from flashtrain.tui.screens.edit import EditCardScreen

        self.push_screen(EditCardScreen(card_id=None, deck_id=deck_id))

    def edit_card(self, card_id: int, callback: Callable[[bool | None], None] | None = None) -> None:
        from flashtrain.tui.screens.edit import EditCardScreen

        self.push_screen(EditCardScreen(card_id=card_id), callback)

    def action_import_decks(self) -> None:
        from flashtrain.tui.screens.tasks import PathDialog, TaskScreen, import_job

        def chosen(path) -> None:
            if path is not None:
                self.push_screen(TaskScreen(f"Importing {path.name}", import_job(self.store, path)),
                                 lambda _ok: self.refresh_home())

        self.push_screen(PathDialog(), chosen)

    def action_optimize(self) -> None:
        from flashtrain.tui.screens.tasks import TaskScreen, optimize_job

        self.push_screen(TaskScreen("Fitting the scheduler to your reviews", optimize_job(self.store)),
                         lambda _ok: self.refresh_home())

    def refresh_home(self) -> None:
        from flashtrain.tui.screens.home import HomeScreen

        if isinstance(self.screen, HomeScreen):
            self.screen.load_summaries()

    def action_show_keys(self) -> None:
        from flashtrain.tui.screens.dialogs import KeysScreen

        if isinstance(self.screen, KeysScreen):
            return
        self.push_screen(KeysScreen(self.screen))
