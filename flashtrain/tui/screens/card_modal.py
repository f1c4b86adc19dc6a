"""A card opened from Browse: question, answer, hints and its schedule at a glance."""

from __future__ import annotations

from rich.markup import escape
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

from flashtrain.services.media import image_loader
from flashtrain.tui.format import percent, relative_due
from flashtrain.tui.widgets.card_view import CardView


class CardModal(ModalScreen[None]):
    BINDINGS = [Binding("escape,enter,q", "close", "Close"), Binding("e", "edit", "Edit")]

    def __init__(self, card_id: int) -> None:
        super().__init__()
        self.card_id = card_id

    def compose(self) -> ComposeResult:
        from flashtrain.scheduler.core import retrievability

        service = self.app.service
        card = service.card(self.card_id)
        now = service.now()
        state = card.state
        recall = retrievability(state, now, service.scheduler_config()) if state.last_review else None
        facts = (f"{card.deck_name} · {state.phase} · due {relative_due(state.due, now)}"  # no due: 'new'
                 f" · recall {percent(recall)} · {state.reps} reviews · {state.lapses} lapses")
        hints = "".join(f"\n\n*Hint {i}:* {h}" for i, h in enumerate(card.hints, 1))
        where = f"\n\n*{card.source_path}:{card.source_line}*" if card.source_path else ""
        with VerticalScroll(classes="dialog"):
            yield Static(escape(facts), classes="dialog-title")  # wraps: a Label was cut at 80 columns
            yield CardView(f"{card.front}\n\n---\n\n{card.back}", plain=card.plain_text,
                           load=image_loader(self.app.store, card.source_path))
            yield CardView(f"{hints}{where}".strip())
            yield Static("[b]esc[/b] close · [b]e[/b] edit", classes="dialog-keys")

    def action_close(self) -> None:
        self.dismiss(None)

    def action_edit(self) -> None:
        self.dismiss(None)
        self.app.edit_card(self.card_id)
