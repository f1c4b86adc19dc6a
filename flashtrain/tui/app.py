"""FlashtrainApp: holds the opened store and the headless services, and moves between screens."""

from __future__ import annotations

import time
from collections.abc import Callable

from textual.app import App
from textual.binding import Binding

from flashtrain.study.queue import QueueSpec
from flashtrain.tui.commands import FlashtrainCommands


class FlashtrainApp(App):
    CSS_PATH = "app.tcss"
    TITLE = "flashtrain"
    COMMANDS = App.COMMANDS | {FlashtrainCommands}
    BINDINGS = [
        Binding("question_mark", "show_keys", "Keys", key_display="?"),
        Binding("ctrl+p", "command_palette", "Commands", show=False),
    ]

    def __init__(self, store, service=None, *, start: QueueSpec | None = None, snippets=None,
                 on_first_card: Callable[[float], None] | None = None, process_start: float | None = None) -> None:
        super().__init__()
        from flashtrain.study.service import StudyService

        self.store = store
        self.service = service or StudyService(store)
        self.start_spec = start
        self._snippets = snippets
        self.on_first_card = on_first_card
        self.process_start = process_start
        self._first_card_reported = False
        self.latencies: list[float] = []  # seconds from a rating key to the next card painted

    # -- services -------------------------------------------------------------------------------
    @property
    def snippets(self):
        """The bridge to flashtrain.snippets, made on first use (the package loads numpy)."""
        if self._snippets is None:
            from flashtrain.tui.snippet_bridge import SnippetBridge

            self._snippets = SnippetBridge(self.store)
        return self._snippets

    # -- lifecycle ------------------------------------------------------------------------------
    def on_mount(self) -> None:
        from flashtrain.tui.screens.home import HomeScreen

        self.push_screen(HomeScreen())
        if self.start_spec is not None:
            self.start_session(self.start_spec)

    def record_latency(self, seconds: float) -> None:
        self.latencies.append(seconds)

    def first_card_shown(self) -> None:
        if self._first_card_reported:
            return
        self._first_card_reported = True
        if self.on_first_card is not None:
            self.on_first_card(time.perf_counter())

    # -- navigation -----------------------------------------------------------------------------
    def start_session(self, spec: QueueSpec) -> None:
        from flashtrain.tui.screens.study import StudyScreen

        self.push_screen(StudyScreen(spec))

    def action_study_all(self) -> None:
        self.start_session(QueueSpec())

    def action_custom_session(self, deck_id: int | None = None) -> None:
        from flashtrain.tui.screens.dialogs import CustomSessionDialog

        decks = [(s.name, s.deck_id) for s in self.service.deck_summaries()]

        def chosen(spec: QueueSpec | None) -> None:
            if spec is not None:
                self.start_session(spec)

        self.push_screen(CustomSessionDialog(decks, deck_id), chosen)

    def action_home(self) -> None:
        from flashtrain.tui.screens.home import HomeScreen

        while len(self.screen_stack) > 2 and not isinstance(self.screen, HomeScreen):
            self.pop_screen()

    def action_browse(self) -> None:
        from flashtrain.tui.screens.browse import BrowseScreen

        self.push_screen(BrowseScreen())

    def action_stats(self) -> None:
        from flashtrain.tui.screens.stats import StatsScreen

        self.push_screen(StatsScreen())

    def action_add_card(self, deck_id: int | None = None) -> None:
        from flashtrain.tui.screens.edit import EditCardScreen

        self.push_screen(EditCardScreen(card_id=None, deck_id=deck_id))

    def edit_card(self, card_id: int, callback: Callable[[bool | None], None] | None = None) -> None:
        from flashtrain.tui.screens.edit import EditCardScreen

        self.push_screen(EditCardScreen(card_id=card_id), callback)

    def action_show_keys(self) -> None:
        from flashtrain.tui.screens.dialogs import KeysScreen

        if isinstance(self.screen, KeysScreen):
            return
        self.push_screen(KeysScreen(self.screen))

    def action_toggle_dark(self) -> None:
        self.theme = "textual-light" if self.current_theme.dark else "textual-dark"
