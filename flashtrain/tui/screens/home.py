"""Home: every deck with due / learning / new counts and predicted retention; start sessions here."""

from __future__ import annotations

from rich.markup import escape
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Header, Static

from flashtrain.deck.tree import TreeRow, deck_tree_rows
from flashtrain.study.queue import QueueSpec
from flashtrain.tui.format import percent

ALL_DECKS = -1


class HomeScreen(Screen):
    TITLE_TEXT = "Home"
    BINDINGS = [
        Binding("enter", "study_selected", "Study deck", priority=False),
        Binding("s", "study_all", "Study all"),
        Binding("c", "custom_session", "Custom", tooltip="Custom session: cram, lapsed or code cards"),
        Binding("a", "add_card", "Add card"),
        Binding("b", "browse", "Browse"),
        Binding("t", "stats", "Stats"),
        Binding("comma", "app.settings", "Settings", key_display=",", show=False),
        Binding("i", "app.import_decks", "Import", show=False),
        Binding("o", "app.optimize", "Optimize", show=False),
        Binding("r", "refresh", "Refresh", show=False),
        Binding("q", "quit", "Quit"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.summaries = []
        self.deck_rows: list[TreeRow] = []
        self.budget = None
        self.load_serial = 0

    def compose(self) -> ComposeResult:
        yield Header()
        with Vertical(id="home"):
            yield Static("", id="home-summary")
            yield DataTable(id="decks", cursor_type="row", zebra_stripes=True)
            yield Static("[b]enter[/b] study the deck · [b]s[/b] study all · [b]c[/b] custom session · "
                         "[b],[/b] settings · [b]?[/b] keys", id="home-hint")
        yield Footer()

    def on_mount(self) -> None:
        table = self.query_one("#decks", DataTable)
        table.add_column("Deck", key="deck")
        for label in ("Due", "Learn", "New", "Cards", "Retention"):
            table.add_column(label, key=label.lower())
        table.loading = True

    def on_screen_resume(self) -> None:
        self.load_summaries()  # on first show, and on coming back from a session (counts changed)

    def action_refresh(self) -> None:
        self.load_summaries()

    def load_summaries(self) -> None:
        # not an exclusive worker: cancelling one (a second load while the first runs) made
        # `workers.wait_for_complete` raise; an older load's result is dropped instead
        self.load_serial += 1
        self.load_summaries_worker(self.load_serial)

    @work(thread=True, group="home", exit_on_error=False)
    def load_summaries_worker(self, serial: int) -> None:
        service = self.app.service
        summaries = service.deck_summaries()
        budget = service.new_budget(QueueSpec())
        self.app.call_from_thread(self.show_loaded, serial, summaries, budget)

    def show_loaded(self, serial: int, summaries, budget) -> None:
        if serial == self.load_serial:
            self.show_summaries(summaries, budget)

    def on_resize(self) -> None:
        if self.summaries:
            self.show_summaries(self.summaries, self.budget)

    def name_width(self) -> int:
        """Room for the deck name: the counts (5 columns, about 40 cells) always stay visible."""
        return max(12, self.size.width - 44)

    def show_summaries(self, summaries, budget=None) -> None:
        self.summaries = summaries
        self.budget = budget
        table = self.query_one("#decks", DataTable)
        selected = table.cursor_row
        table.clear()
        due = sum(s.due for s in summaries)
        learning = sum(s.learning for s in summaries)
        new = sum(s.new for s in summaries)
        total = sum(s.total for s in summaries)
        table.add_row("[b]All decks[/b]", str(due), str(learning), str(new), str(total), "", key=str(ALL_DECKS))
        width = self.name_width()
        self.deck_rows = deck_tree_rows(summaries)
        for row in self.deck_rows:  # sub-decks (A::B) indented under their parent, counts summed upwards
            label = "  " * row.depth + row.label
            label = label if len(label) <= width else label[: width - 1].rstrip() + "…"
            label = escape(label) if row.deck_id is not None else f"[dim]{escape(label)}[/dim]"
            table.add_row(label, str(row.due), str(row.learning), str(row.new), str(row.total),
                          percent(row.retention), key=row.key)
        table.loading = False
        if 0 <= selected < table.row_count:
            table.move_cursor(row=selected)
        waiting = due + learning
        if budget is not None:  # the daily limit, as the study queue applies it
            new_text = (f"[b]{budget.left}[/b] new today ({budget.introduced} of {budget.limit} done),"
                        f" {budget.waiting} waiting")
        else:
            new_text = f"[b]{new}[/b] new"
        self.query_one("#home-summary", Static).update(
            f"[b]{waiting}[/b] card{'s' if waiting != 1 else ''} to review now · {new_text}"
            f" · {len(summaries)} deck{'s' if len(summaries) != 1 else ''}")
        table.focus()

    def selected_row(self):
        table = self.query_one("#decks", DataTable)
        if table.row_count == 0:
            return None
        key = table.coordinate_to_cell_key((table.cursor_row, 0)).row_key.value
        return next((row for row in self.deck_rows if row.key == key), None)

    def selected_deck_id(self) -> int | None:
        """The selected deck (None for "All decks" and for a parent that is only a name prefix)."""
        row = self.selected_row()
        return None if row is None else row.deck_id

    def selected_deck_ids(self) -> tuple[int, ...] | None:
        """The selected deck with its sub-decks, as Anki studies a parent; None for "All decks"."""
        row = self.selected_row()
        return None if row is None else row.deck_ids

    @on(DataTable.RowSelected, "#decks")
    def row_selected(self) -> None:
        self.action_study_selected()

    def action_study_selected(self) -> None:
        self.app.start_session(QueueSpec(deck_ids=self.selected_deck_ids()))

    def action_study_all(self) -> None:
        self.app.start_session(QueueSpec())

    def action_custom_session(self) -> None:
        self.app.action_custom_session(self.selected_deck_id(), self.summaries)

    def action_add_card(self) -> None:
        self.app.action_add_card(self.selected_deck_id())

    def action_browse(self) -> None:
        self.app.action_browse()

    def action_stats(self) -> None:
        self.app.action_stats()

    def action_quit(self) -> None:
        self.app.exit()
