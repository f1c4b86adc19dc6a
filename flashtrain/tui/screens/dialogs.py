"""Modal dialogs: confirm, trust, custom session, and the keys of the current screen."""

from __future__ import annotations

from rich.markup import escape
from textual.app import ComposeResult
from textual.binding import Binding
from textual.content import Content
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen, Screen
from textual.widgets import Button, Input, Label, RadioButton, RadioSet, Select, Static

from flashtrain.study.queue import QueueSpec


class ConfirmDialog(ModalScreen[bool]):
    """Yes/no question; dismisses with True only on an explicit yes."""

    BINDINGS = [Binding("escape", "cancel", "Cancel"), Binding("y", "confirm", "Yes"), Binding("n", "cancel", "No")]

    def __init__(self, title: str, message: str, yes_label: str = "Yes", danger: bool = False) -> None:
        super().__init__()
        self.title_text, self.message, self.yes_label, self.danger = title, message, yes_label, danger

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Label(self.title_text, classes="dialog-title")
            yield Static(self.message, classes="dialog-body")
            yield Static(f"[b]y[/b] {self.yes_label.lower()} · [b]n[/b] or [b]esc[/b] cancel", classes="dialog-keys")
            with Horizontal(classes="dialog-buttons"):
                yield Button(self.yes_label, id="yes", variant="error" if self.danger else "primary", compact=True)
                yield Button("Cancel", id="no", compact=True)

    def on_mount(self) -> None:
        self.query_one("#no", Button).focus()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        self.dismiss(event.button.id == "yes")

    def action_confirm(self) -> None:
        self.dismiss(True)

    def action_cancel(self) -> None:
        self.dismiss(False)


class TrustDialog(ConfirmDialog):
    """Asked before any code from a deck that did not ship with flashtrain runs."""

    def __init__(self, deck_name: str, snippet_id: str) -> None:
        super().__init__(
            "Run code from this deck?",
            f"The snippet [b]{escape(snippet_id)}[/b] comes from the imported deck [b]{escape(deck_name)}[/b], not from "
            "flashtrain's own decks. Its checks run your code next to the deck's code in a separate, "
            "limited process.\n\nTrust this deck and run its snippets from now on?",
            yes_label="Trust deck",
        )


class ModeButton(RadioButton):
    """A radio button drawn "(•)" when chosen and "( )" otherwise.

    Textual's stock button is "●" either way and tells them apart by colour alone, which tmux and
    16-colour terminals lose: every option looked selected."""

    @property
    def _button(self) -> Content:
        return Content.styled("(•)" if self.value else "( )", self.get_visual_style("toggle--button"))


class ModeSet(RadioSet):
    """Arrow keys choose (not just move a highlight); enter starts the session."""

    BINDINGS = [Binding("enter", "screen.start", "Start", show=False)]

    def action_next_button(self) -> None:
        super().action_next_button()
        self._press_selected()

    def action_previous_button(self) -> None:
        super().action_previous_button()
        self._press_selected()

    def _press_selected(self) -> None:
        if self._selected is not None and self.is_mounted:
            button = self._nodes[self._selected]
            if isinstance(button, RadioButton) and not button.value:
                button.value = True


class CustomSessionDialog(ModalScreen[QueueSpec | None]):
    """Cram a deck or tag, review lapsed cards, or only code-backed cards."""

    BINDINGS = [Binding("escape", "cancel", "Cancel"), Binding("ctrl+s", "start", "Start", priority=True)]
    MODES = (("cram", "Cram: every card, due or not (schedule unchanged)"),
             ("lapsed", "Lapsed cards: those I forgot before (schedule unchanged)"),
             ("code", "Code-backed cards that are due"),
             ("due", "Due cards only"))

    def __init__(self, decks: list[tuple[str, int]], deck_id: int | None = None) -> None:
        super().__init__()
        self.decks = decks
        self.deck_id = deck_id

    def compose(self) -> ComposeResult:
        with VerticalScroll(classes="dialog custom-session"):
            yield Label("Custom session", classes="dialog-title")
            with ModeSet(id="mode", compact=True):
                for index, (_mode, text) in enumerate(self.MODES):
                    yield ModeButton(text, value=index == 0)
            yield Label("Deck")
            yield Select([("All decks", -1)] + self.decks, value=self.deck_id if self.deck_id is not None else -1,
                         allow_blank=False, id="deck", compact=True)
            yield Label("Only cards with tag (optional)")
            yield Input(placeholder="e.g. adam", id="tag", compact=True)
            yield Static("[b]↑↓[/b] choose · [b]tab[/b] deck, tag · [b]enter[/b] or [b]ctrl+s[/b] start · "
                         "[b]esc[/b] cancel", classes="dialog-keys")
            with Horizontal(classes="dialog-buttons"):
                yield Button("Start", id="start", variant="primary", compact=True)
                yield Button("Cancel", id="cancel", compact=True)

    def on_mount(self) -> None:
        self.query_one("#mode", RadioSet).focus()

    def action_start(self) -> None:
        self.dismiss(self.spec())

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "cancel":
            self.dismiss(None)
            return
        self.dismiss(self.spec())

    def on_input_submitted(self) -> None:
        self.dismiss(self.spec())

    def spec(self) -> QueueSpec:
        index = self.query_one("#mode", RadioSet).pressed_index
        mode = self.MODES[max(index, 0)][0]
        deck = self.query_one("#deck", Select).value
        tag = self.query_one("#tag", Input).value.strip().lstrip("#").lower() or None
        deck_ids = None if deck in (-1, Select.BLANK, None) else (int(deck),)
        return QueueSpec(deck_ids=deck_ids, tag=tag, mode=mode)

    def action_cancel(self) -> None:
        self.dismiss(None)


class KeysScreen(ModalScreen[None]):
    """`?`: the keys that work on the screen underneath, with what they do."""

    BINDINGS = [Binding("escape,q,question_mark", "close", "Close")]

    def __init__(self, screen: Screen) -> None:
        super().__init__()
        self.rows = keys_of(screen)
        self.screen_title = getattr(screen, "TITLE_TEXT", None) or type(screen).__name__.removesuffix("Screen")
        self.extra = getattr(screen, "KEYS_HELP", "")  # e.g. Browse's query syntax

    def compose(self) -> ComposeResult:
        with VerticalScroll(classes="dialog keys"):
            yield Label(f"Keys: {self.screen_title}", classes="dialog-title")
            width = max((len(k) for k, _ in self.rows), default=4)
            text = "\n".join(f"[b]{key.ljust(width)}[/b]  {what}" for key, what in self.rows)
            yield Static(text, classes="keys-table")
            if self.extra:
                yield Static(self.extra, classes="keys-table")
            yield Static("[dim]escape closes this.[/dim]")

    def action_close(self) -> None:
        self.dismiss(None)


def keys_of(screen: Screen) -> list[tuple[str, str]]:
    """(key, description) for the screen's own bindings, then the app's, in declaration order."""
    rows: list[tuple[str, str]] = []
    ratings: list[str] = []
    for owner in (screen, screen.app):
        for item in type(owner).BINDINGS:
            binding = item if isinstance(item, Binding) else Binding(*item)
            what = binding.tooltip or binding.description  # the longer wording where there is one
            if not what or binding.system or binding.action == "command_palette":
                continue
            if binding.action.startswith("rate("):
                ratings.append(what.split(" ", 1)[1])
                if len(ratings) == 1:
                    rows.append(("1-5", ""))  # filled in below
                continue
            key = binding.key_display or ", ".join(screen.app.get_key_display(Binding(k, "")) for k in
                                                   binding.key.split(","))
            if all(w != what for _, w in rows):
                rows.append((key, what))
    if ratings:
        rows = [(k, f"Rate: {ratings[0]} … {ratings[-1]}" if k == "1-5" and not w else w) for k, w in rows]
    rows.append(("ctrl+p", "Command palette (every action)"))
    return rows
