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
    ("Settings", "settings", "Retention (and the reviews a day it implies), new cards a day, day start, leeches, "
     "sibling burying, theme"),
    ("Home: decks", "home", "Back to the deck list"),
    ("Show keys", "show_keys", "The keys of the current screen"),
)


# Textual's own provider already lists Quit (and Theme); focus moving and copying are not commands
SYSTEM_ACTIONS = frozenset({"quit", "focus_next", "focus_previous", "copy_text", "maximize", "minimize"})


def bare_action(action: str) -> str:
    """'app.import_decks' and 'import_decks' name the same action (arguments dropped)."""
    return action.split("(")[0].removeprefix("app.").removeprefix("screen.")


class FlashtrainCommands(Provider):
    """Lists the app's actions and the current screen's own (taken from its bindings)."""

    def commands(self) -> list[tuple[str, object, str]]:
        screen = self.screen
        found: list[tuple[str, object, str]] = []
        names: set[str] = set()
        app_actions = {action: (title, help_text) for title, action, help_text in APP_COMMANDS}
        listed_actions: set[str] = set()  # a screen key for an app action replaces the app's own entry
        for binding_list in screen._bindings.key_to_bindings.values():
            for binding in binding_list:
                title = binding.description
                if not title or binding.system or title in names:
                    continue
                if screen.check_action(binding.action.split("(")[0], ()) is False and "(" not in binding.action:
                    continue
                action_name = bare_action(binding.action)
                if action_name in SYSTEM_ACTIONS or action_name in listed_actions:
                    continue
                names.add(title)
                listed_actions.add(action_name)
                help_text = binding.tooltip or f"{type(screen).__name__.removesuffix('Screen')}: {title}"
                if action_name in app_actions:
                    title, help_text = app_actions[action_name]
                    names.add(title)
                key = binding.key_display or binding.key
                found.append((f"{title} ({key})", partial(screen.run_action, binding.action), help_text))
        for title, action, help_text in APP_COMMANDS:
            if title not in names and action not in listed_actions:
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
