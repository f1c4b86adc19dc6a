"""Command palette entries for every action: app-wide ones plus the current screen's bindings."""

from __future__ import annotations

from functools import partial

from textual.command import DiscoveryHit, Hit, Hits, Provider

APP_COMMANDS = (
    ("Study all due cards", "study_all", "Start a session over every deck"),
    ("Custom session…", "custom_session", "Cram a deck or tag, lapsed cards, or code-backed cards"),
    ("Add a card", "add_card", "Open the card form"),
    ("Browse cards", "browse", "Search, sort, edit, suspend or retire cards"),
    ("Statistics", "stats", "Heatmap, forecast, retention, mastery, streak"),
    ("Import decks…", "import_decks", "Import a deck file or a folder of them (runs in the background)"),
    ("Optimize the scheduler", "optimize", "Fit the memory model to your own review history"),
    ("Home: decks", "home", "Back to the deck list"),
    ("Show keys", "show_keys", "The keys of the current screen"),
    ("Toggle dark / light", "toggle_dark", "Switch between the dark and light theme"),
)


class FlashtrainCommands(Provider):
    """Lists the app's actions and the current screen's own (taken from its bindings)."""

    def commands(self) -> list[tuple[str, object, str]]:
        screen = self.screen
        found: list[tuple[str, object, str]] = []
        names: set[str] = set()
        for binding_list in screen._bindings.key_to_bindings.values():
            for binding in binding_list:
                title = binding.description
                if not title or binding.system or title in names:
                    continue
                if screen.check_action(binding.action.split("(")[0], ()) is False and "(" not in binding.action:
                    continue
                names.add(title)
                found.append((f"{title} ({binding.key})", partial(screen.run_action, binding.action),
                              binding.tooltip or f"{type(screen).__name__.removesuffix('Screen')}: {title}"))
        for title, action, help_text in APP_COMMANDS:
            if title not in names:
                found.append((title, partial(self.app.run_action, action), help_text))
        return found

    async def discover(self) -> Hits:
        for title, callback, help_text in self.commands():
            yield DiscoveryHit(title, callback, help=help_text)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for title, callback, help_text in self.commands():
            score = matcher.match(title)
            if score > 0:
                yield Hit(score, matcher.highlight(title), callback, help=help_text)
