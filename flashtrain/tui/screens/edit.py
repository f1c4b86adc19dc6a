"""Add / edit a card: deck, question, answer (live Markdown preview), tags, hints, snippet link."""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.events import Resize
from textual.screen import Screen
from textual.widgets import Footer, Header, Input, Label, Select, Static, TextArea

from flashtrain.services.card_edit import CardDraft, EditError, deck_target, load_draft, parse_hints, parse_tags, save_card
from flashtrain.services.decks import deck_choices
from flashtrain.tui.widgets.card_view import CardMarkdown

NARROW = 100  # below this width the preview hides; ctrl+t shows it instead of the form


class EditCardScreen(Screen[bool]):
    TITLE_TEXT = "Add / edit card"
    KEYS_HELP = ("[b]In the text fields[/b]: tab / shift+tab next / previous field · f7 select all · "
                 "f6 select line · home or ctrl+a / end or ctrl+e line start / end · ctrl+z / ctrl+y undo / redo · "
                 "ctrl+x / ctrl+c / ctrl+v cut, copy, paste · ctrl+w delete word · ctrl+k / ctrl+u delete to "
                 "line end / start\n"
                 "Question and answer are Markdown: $math$, `code`, **bold**; {{gap}} makes a cloze card.\n"
                 "[b]esc[/b] leaves the form (asks first when something changed) · [b]ctrl+s[/b] saves.")
    BINDINGS = [
        Binding("ctrl+s", "save", "Save", priority=True),
        Binding("escape", "cancel", "Cancel"),
        Binding("ctrl+t", "toggle_preview", "Preview", priority=True),
        Binding("f1", "app.show_keys", "Keys"),  # ? is text in every field of this form
    ]

    def __init__(self, card_id: int | None = None, deck_id: int | None = None) -> None:
        super().__init__()
        self.card_id = card_id
        self.deck_id = deck_id
        self.draft: CardDraft | None = None
        self.where = ""

    def compose(self) -> ComposeResult:
        store = self.app.store
        decks = deck_choices(store)
        if self.card_id is not None:
            self.draft, self.where = load_draft(store, self.card_id)
            self.deck_id = self.draft.deck_id
        elif self.deck_id is None and decks:
            self.deck_id = decks[0][1]
        draft = self.draft or CardDraft(deck_id=self.deck_id or 0, question="", answer="")
        cloze = draft.kind == "cloze"
        yield Header()
        with Horizontal(id="edit-body"):
            with VerticalScroll(id="edit-form"):
                yield Static("", id="edit-source")
                yield Label("Deck")
                yield Select(decks, value=self.deck_id if self.deck_id is not None else Select.BLANK, id="deck",
                             allow_blank=self.deck_id is None, disabled=self.card_id is not None, compact=True)
                yield Label("Cloze text ({{gap}} per card)" if cloze else "Question (Markdown, $math$ ok; "
                            "{{gap}} makes a cloze card)")
                yield TextArea(draft.question, id="question", soft_wrap=True, tab_behavior="focus", compact=True)
                # a cloze card's answer is its extra (Anki's Back Extra): shown on the back, under the text
                yield Label("Extra (optional, shown on the back under the filled gap)" if cloze else "Answer")
                yield TextArea(draft.answer, id="answer", soft_wrap=True, tab_behavior="focus", compact=True)
                yield Label("Tags (comma or space separated)")
                yield Input(", ".join(draft.tags), id="tags", compact=True)
                yield Label("Hints (one per line, shown in order)")
                yield TextArea("\n".join(draft.hints), id="hints", soft_wrap=True, tab_behavior="focus", compact=True)
                yield Label("Snippet id (links a code check; empty for none)")
                yield Input(draft.snippet_id or "", id="snippet", compact=True)
                yield Label("Card id (optional; keeps identity in the deck file)")
                yield Input(draft.explicit_id or "", id="explicit-id", compact=True)
            with VerticalScroll(id="edit-preview"):
                yield CardMarkdown("", id="preview")
        yield Footer()

    def on_mount(self) -> None:
        self.show_source()
        self.update_preview()
        self.query_one("#question", TextArea).focus()
        self.initial_values = self.form_values()
        self.sub_title = "Edit card" if self.card_id is not None else "Add a card"
        self.apply_width(self.app.size.width)

    def on_resize(self, event: Resize) -> None:
        self.apply_width(event.size.width)

    def apply_width(self, width: int) -> None:
        self.query_one("#edit-body").set_class(width < NARROW, "-narrow")

    def show_source(self) -> None:
        text = self.where
        if self.card_id is None:
            deck = self.query_one("#deck", Select).value
            text = deck_target(self.app.store, deck) if isinstance(deck, int) else "Choose a deck."
        self.query_one("#edit-source", Static).update(text)

    @on(Select.Changed, "#deck")
    def deck_changed(self) -> None:
        self.show_source()

    @on(TextArea.Changed)
    def text_changed(self) -> None:
        self.update_preview()

    def update_preview(self) -> None:
        question = self.query_one("#question", TextArea).text
        answer = self.query_one("#answer", TextArea).text
        hints = parse_hints(self.query_one("#hints", TextArea).text)  # as they will be saved
        cloze = self.draft is not None and self.draft.kind == "cloze"
        if cloze or ("{{" in question and not answer.strip()):  # as note_specs will save it
            from flashtrain.deck.markdown_format import cloze_numbers
            from flashtrain.study.service import card_sides

            numbers = cloze_numbers(question)
            question, answer = card_sides("cloze", question, answer if cloze else "", numbers[0] if numbers else 1)
        parts = ["**Question**", "", question or "*empty*", "", "---", "", "**Answer**", "", answer or "*empty*"]
        if hints:
            parts += ["", "**Hints**", ""] + [f"{i}. {h}" for i, h in enumerate(hints, 1)]
        self.query_one("#preview", CardMarkdown).show("\n".join(parts))

    def current_draft(self) -> CardDraft:
        deck = self.query_one("#deck", Select).value
        if not isinstance(deck, int):
            raise EditError("choose a deck")
        snippet = self.query_one("#snippet", Input).value.strip() or None
        explicit = self.query_one("#explicit-id", Input).value.strip() or None
        return CardDraft(deck_id=deck, question=self.query_one("#question", TextArea).text,
                         answer=self.query_one("#answer", TextArea).text,
                         tags=parse_tags(self.query_one("#tags", Input).value),
                         hints=parse_hints(self.query_one("#hints", TextArea).text), snippet_id=snippet,
                         explicit_id=explicit, kind=self.draft.kind if self.draft else "basic")

    def check_snippet(self, draft: CardDraft) -> None:
        """A link to a snippet that does not exist would make a code card with nothing to run."""
        if not draft.snippet_id or (self.draft is not None and draft.snippet_id == self.draft.snippet_id):
            return  # unchanged links are kept as they are (the snippet may come with a later import)
        if self.app.snippets.snippet(draft.snippet_id, draft.deck_id) is None:
            raise EditError(f"no snippet named {draft.snippet_id!r} for this deck (`flashtrain snippets` "
                            "lists them; leave the field empty for a card without code)")

    def action_save(self) -> None:
        try:
            draft = self.current_draft()
            self.check_snippet(draft)
            result = save_card(self.app.store, draft, self.card_id)
        except EditError as error:
            self.notify(str(error), title="Not saved", severity="error")
            return
        if result.kept_in is not None:  # the store could not take it: kept in the journal for later
            self.notify(result.message, title="Kept for later", severity="warning", timeout=10)
        else:
            self.notify(result.message, title="Saved")
        self.dismiss(True)

    def form_values(self) -> tuple:
        """What the learner can change, as typed (to tell whether leaving would lose anything)."""
        texts = tuple(self.query_one(f"#{name}", TextArea).text for name in ("question", "answer", "hints"))
        inputs = tuple(self.query_one(f"#{name}", Input).value for name in ("tags", "snippet", "explicit-id"))
        return (self.query_one("#deck", Select).value, *texts, *inputs)

    def action_cancel(self) -> None:
        if self.form_values() == self.initial_values:
            self.dismiss(False)
            return
        from flashtrain.tui.screens.dialogs import ConfirmDialog

        def answered(discard: bool | None) -> None:
            if discard:
                self.dismiss(False)

        self.app.push_screen(ConfirmDialog("Discard your changes?", "The card form has changes that are not saved.",
                                           yes_label="Discard", danger=True), answered)

    def action_toggle_preview(self) -> None:
        body = self.query_one("#edit-body")
        if body.has_class("-narrow"):
            form = self.query_one("#edit-form")
            preview = self.query_one("#edit-preview")
            form.display = not form.display
            preview.styles.display = "block" if not form.display else "none"
