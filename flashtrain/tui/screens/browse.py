"""Browse: every card in a table, a search box with query syntax, sort, open, edit, suspend, retire."""

from __future__ import annotations

from datetime import datetime

from rich.markup import escape
from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Header, Input, Static

from flashtrain.mathtext import plain_math
from flashtrain.services.browse import BrowseRow, QueryError, card_text, first_line, search
from flashtrain.services.media import image_loader
from flashtrain.tui.format import percent, relative_due
from flashtrain.tui.widgets.card_view import CardView

DECK_MIN = 10  # the deck column's narrowest width
SHOW_AT_MOST = 1000  # rows put in the table; the count line says how many matched
SORTS = ("due", "recall", "lapses")
COLUMN_SORT = {"due": "due", "recall": "recall", "lapses": "lapses"}
QUERY_HELP = "deck:NAME tag:NAME is:due|new|suspended|leech|learning|flagged has:code -negate \"free text\""


class QueryInput(Input):
    """The search box: `?` typed into an empty box shows the keys and the query syntax (a query of a
    lone "?" would only match every question); anywhere else in a query it is text."""

    async def _on_key(self, event) -> None:
        if event.character == "?" and not self.value:
            event.stop()
            event.prevent_default()
            self.app.action_show_keys()
            return
        await super()._on_key(event)


class BrowseScreen(Screen):
    TITLE_TEXT = "Browse"
    KEYS_HELP = ("[b]Search[/b] (words are ANDed)\n"
                 "deck:NAME    a deck, or the start of its name (deck:optim); * is a wildcard\n"
                 "tag:NAME     a card tag\n"
                 "is:WORD      due new learning review suspended buried flagged leech retired\n"
                 "has:code     linked to a code check (has:hints: has hints)\n"
                 "-TERM        not TERM (-is:new);  \"two words\" or any word: text search\n"
                 "Typing goes to the search box; [b]enter[/b] runs it and moves to the table.")
    BINDINGS = [
        Binding("slash", "focus_search", "Search", key_display="/"),
        Binding("enter", "open", "Open", show=False),
        Binding("e", "edit", "Edit"),
        Binding("s", "suspend", "Suspend", tooltip="Suspend or unsuspend the card"),
        Binding("delete,x", "retire", "Delete", key_display="del", tooltip="Retire the card (history kept), after asking"),
        Binding("o", "cycle_sort", "Sort"),
        Binding("r", "reverse", "Reverse"),
        Binding("escape", "leave", "Back"),
        Binding("down", "focus_table", "To the table", key_display="↵/↓"),
    ]
    # Letters are shortcuts only while the table has focus; the screen opens in the search box, so
    # typing a query straight away never suspends, deletes or edits a card.
    TABLE_ONLY = frozenset({"open", "edit", "suspend", "retire", "cycle_sort", "reverse"})

    def __init__(self, query: str = "") -> None:
        super().__init__()
        self.initial_query = query
        self.sort = "due"
        self.descending = False
        self.rows: list[BrowseRow] = []
        self.total: int | None = None
        self.search_serial = 0
        self._debounce = None

    def compose(self) -> ComposeResult:
        yield Header()
        with Horizontal(id="browse-search"):
            yield QueryInput(self.initial_query, placeholder=QUERY_HELP, id="query")
            yield Static("", id="browse-count")
        yield DataTable(id="cards", cursor_type="row", zebra_stripes=True)
        with VerticalScroll(id="browse-preview"):
            yield CardView("", id="browse-card")
        yield Footer()

    def on_mount(self) -> None:
        table = self.query_one("#cards", DataTable)
        table.add_column("Deck", key="deck", width=DECK_MIN)
        table.add_column("", key="note", width=2)  # which card of its note: → ← c2
        table.add_column("Question", key="question")
        table.add_column("Due", key="due", width=9)
        table.add_column("Recall", key="recall", width=6)
        table.add_column("Lapses", key="lapses", width=6)
        table.add_column("", key="status", width=4)
        self.query_one("#query", Input).focus()
        self.run_search()

    def on_resize(self) -> None:
        if self.rows:
            self.show_rows(self.rows, self.total, self.search_serial)

    def text_room(self) -> int:
        """Columns left for the deck and the question after the fixed columns and cell padding."""
        return self.app.size.width - (2 + 9 + 6 + 6 + 4) - 2 * 7 - 2

    def deck_width(self) -> int:
        """The deck column is as wide as the longest deck name shown, up to a third of the room the
        question shares with it (at least DECK_MIN): short names leave the question more room, long
        ones are not cut at a fixed width when the terminal is wide."""
        longest = max((len(row.deck_name) for row in self.rows), default=DECK_MIN)
        return max(DECK_MIN, min(longest, self.text_room() // 3))

    def question_width(self) -> int:
        return max(20, self.text_room() - self.deck_width())

    # -- searching ------------------------------------------------------------------------------
    @on(Input.Changed, "#query")
    def query_changed(self) -> None:
        if self._debounce is not None:
            self._debounce.stop()
        self._debounce = self.set_timer(0.25, self.run_search)

    @on(Input.Submitted, "#query")
    def query_submitted(self) -> None:
        if self._debounce is not None:
            self._debounce.stop()
        self.query_one("#cards", DataTable).focus()
        self.run_search()

    def run_search(self) -> None:
        self.search_serial += 1
        self.query_one("#browse-count", Static).update("searching…")
        self.search_worker(self.query_one("#query", Input).value, self.sort, self.descending, self.search_serial)

    @work(thread=True, exclusive=True, group="browse", exit_on_error=False)
    def search_worker(self, query: str, sort: str, descending: bool, serial: int) -> None:
        try:
            service = self.app.service
            rows, total = search(self.app.store, query, now=service.now(), sort=sort, descending=descending,
                                 limit=SHOW_AT_MOST, config=service.scheduler_config())
        except QueryError as error:
            self.app.call_from_thread(self.show_error, str(error), serial)
            return
        self.app.call_from_thread(self.show_rows, rows, total, serial)

    def show_error(self, message: str, serial: int) -> None:
        if serial != self.search_serial:
            return
        self.query_one("#browse-count", Static).update(f"[b]?[/b] {message}")

    def show_rows(self, rows: list[BrowseRow], total: int, serial: int) -> None:
        if serial != self.search_serial:
            return  # a newer search is on its way
        self.rows = rows
        self.total = total
        table = self.query_one("#cards", DataTable)
        keep = self.current_card_id()
        table.clear()
        table.columns["deck"].width = self.deck_width()
        now = self.app.service.now()
        table.add_rows([self.cells(row, now) for row in rows])  # row i of the table is self.rows[i]
        arrow = "↓" if self.descending else "↑"
        shown = f"{len(rows)} of {total}" if total > len(rows) else str(total)
        self.query_one("#browse-count", Static).update(f"{shown} cards · sort {self.sort} {arrow}")
        if keep is not None:
            for index, row in enumerate(rows):
                if row.card_id == keep:
                    table.move_cursor(row=index)
                    break
        self.show_preview()

    def cells(self, row: BrowseRow, now: datetime) -> tuple:
        status = "".join(mark for flag, mark in ((row.suspended, "S"), (row.flagged, "⚑"), (row.retired, "R"),
                                                 (row.snippet_id, "</>")) if flag)
        # Text, not str: DataTable reads a str cell as markup, and card text such as $b^{[l]}$ has brackets
        question = first_line(plain_math(row.question), self.question_width())
        width = self.deck_width()
        deck = row.deck_name if len(row.deck_name) <= width else row.deck_name[: width - 1] + "…"
        return (Text(deck), row.note_mark, Text(question), relative_due(row.due, now) if row.phase != "new"
                else "new", percent(row.recall), str(row.lapses), status)

    def current_row(self) -> BrowseRow | None:
        table = self.query_one("#cards", DataTable)
        if not self.rows or table.cursor_row < 0 or table.cursor_row >= len(self.rows):
            return None
        return self.rows[table.cursor_row]

    def current_card_id(self) -> int | None:
        row = self.current_row()
        return None if row is None else row.card_id

    @on(DataTable.RowHighlighted, "#cards")
    def show_preview(self) -> None:
        row = self.current_row()
        preview = self.query_one("#browse-card", CardView)
        card = card_text(self.app.store, row.card_id) if row is not None else None
        if card is None:
            preview.show("*No card matches.*")
            return
        text = f"{card.question}\n\n---\n\n{card.answer}" if card.answer else card.question
        tags = ", ".join(card.tags)
        preview.show(text + (f"\n\n*tags: {tags}*" if tags else ""), load=image_loader(self.app.store, card.source_path))

    @on(DataTable.HeaderSelected, "#cards")
    def header_selected(self, event: DataTable.HeaderSelected) -> None:
        sort = COLUMN_SORT.get(str(event.column_key.value))
        if sort is None:
            return
        self.descending = (not self.descending) if sort == self.sort else False
        self.sort = sort
        self.run_search()

    # -- actions --------------------------------------------------------------------------------
    def table_has_focus(self) -> bool:
        return self.focused is not None and self.focused.id == "cards"

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in self.TABLE_ONLY and not self.table_has_focus():
            return None  # shown dimmed in the footer: press enter (or tab) to get to the table first
        if action == "focus_table":
            return not self.table_has_focus()  # the footer says how to get from the search box to the table
        return True

    def on_descendant_focus(self) -> None:
        self.refresh_bindings()

    def on_descendant_blur(self) -> None:
        self.refresh_bindings()

    def action_focus_search(self) -> None:
        self.query_one("#query", Input).focus()

    def action_focus_table(self) -> None:
        # reached only from the search box (the table handles its own down key)
        self.query_one("#cards", DataTable).focus()

    def action_cycle_sort(self) -> None:
        self.sort = SORTS[(SORTS.index(self.sort) + 1) % len(SORTS)] if self.sort in SORTS else SORTS[0]
        self.run_search()

    def action_reverse(self) -> None:
        self.descending = not self.descending
        self.run_search()

    @on(DataTable.RowSelected, "#cards")
    def action_open(self) -> None:
        row = self.current_row()
        if row is None:
            return
        from flashtrain.tui.screens.card_modal import CardModal

        self.app.push_screen(CardModal(row.card_id))

    def action_edit(self) -> None:
        card_id = self.current_card_id()
        if card_id is not None:
            self.app.edit_card(card_id, lambda saved: self.run_search() if saved else None)

    def action_suspend(self) -> None:
        row = self.current_row()
        if row is None:
            return
        self.app.service.suspend(row.card_id, not row.suspended)
        kept = self.app.service.take_notices()  # the store could not take it: kept in the journal
        self.notify(kept[0] if kept else "Card unsuspended." if row.suspended else "Card suspended.",
                    severity="warning" if kept else "information")
        self.run_search()

    def action_retire(self) -> None:
        row = self.current_row()
        if row is None or row.retired:
            return
        from flashtrain.services.card_edit import EditError, retire_card
        from flashtrain.tui.screens.dialogs import ConfirmDialog

        def answered(yes: bool | None) -> None:
            if not yes:
                return
            try:
                result = retire_card(self.app.store, row.card_id)
            except EditError as error:
                self.notify(str(error), title="Not deleted", severity="error")
                return
            self.notify(result.message, severity="warning" if result.kept_in else "information")
            self.run_search()

        self.app.push_screen(ConfirmDialog(
            "Delete this card?",
            f"[b]{escape(first_line(plain_math(row.question), 60))}[/b]\n\nThe card leaves study. If it came from a deck "
            "file you imported, its note is removed from that file too (a cloze or reversed card goes with its "
            "whole note); flashtrain's bundled deck files are never changed. Its review history stays in the store.",
            yes_label="Delete", danger=True), answered)

    def action_leave(self) -> None:
        if self.focused is not None and self.focused.id == "query":
            self.query_one("#cards", DataTable).focus()
            return
        self.dismiss()
