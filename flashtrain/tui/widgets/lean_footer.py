"""Textual's footer, updated in place instead of rebuilt.

Textual's `Footer` recomposes (new `FooterKey` widgets) whenever a screen refreshes its bindings,
which the study screen does for every card (reveal and hint come and go). Each rebuilt key also
registers a watcher on the footer's `compact` reactive, and Textual prunes those only when
`compact` changes, which it never does here: every card left a few dead keys alive for good. This
footer rebuilds only when it must show a key it has not built, and otherwise shows, hides, enables
or disables the keys it already has.
"""

from __future__ import annotations

from textual.screen import Screen
from textual.widgets import Footer
from textual.widgets._footer import FooterKey


class LeanFooter(Footer):

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._shown: tuple[tuple[str, str, str], ...] | None = None
        self.rebuilds = 0  # how often the keys were rebuilt (a test reads it)

    def _active(self) -> tuple[tuple[tuple[str, str, str], ...], dict[tuple[str, str], bool]]:
        """The keys this footer shows (key, action, description) and whether each is enabled."""
        shown, enabled = [], {}
        for _node, binding, on, _tooltip in self.screen.active_bindings.values():
            if binding.show or binding.key == self.app.COMMAND_PALETTE_BINDING:
                shown.append((binding.key, binding.action, binding.description))
                enabled[(binding.key, binding.action)] = on
        return tuple(shown), enabled

    def bindings_changed(self, screen: Screen) -> None:
        self._bindings_ready = True
        if not screen.app.app_focus or not self.is_attached or screen is not self.screen:
            return
        shown, enabled = self._active()
        if self._shown is not None and self._has_keys_for(shown):
            visible = {(key, action) for key, action, _ in shown}
            for widget in self.query(FooterKey):
                here = (widget.key, widget.action)
                widget.display = here in visible
                on = enabled.get(here)
                if on is not None and widget.has_class("-disabled") == on:
                    widget._disabled = not on  # what a click checks (FooterKey keeps its own flag)
                    widget.set_class(not on, "-disabled")
            return
        self._shown = shown
        self.rebuilds += 1
        self.call_after_refresh(self.recompose)

    def _has_keys_for(self, shown) -> bool:
        """The keys built last time include `shown`, in the same order: hiding the others will do
        (a study screen alternates between question and answer keys)."""
        wanted = set(shown)
        return wanted <= set(self._shown) and [k for k in self._shown if k in wanted] == list(shown)
