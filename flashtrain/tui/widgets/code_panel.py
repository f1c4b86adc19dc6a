"""Code-backed answers: starter in an editor, checks run in a worker, results, hints, reference."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.message import Message
from textual.widgets import Static, TextArea

from flashtrain.study.service import StudyCard
from flashtrain.tui.grading_hint import adjust_suggestion
from flashtrain.tui.snippet_bridge import SnippetBridge
from flashtrain.tui.widgets.card_view import CardMarkdown

# Below this many columns the editor and the results share the full width, one at a time (ctrl+t);
# side by side the editor got ~44 columns, too few for a starter's docstring.
STACK_BELOW_COLUMNS = 120
STATUS_MARK = {"pass": "✓", "fail": "✗", "error": "!"}
RecordAttempt = Callable[[int | None, str, str, dict], None]  # (card id, snippet id, code, result)


class PythonEditor(TextArea):
    """Enter keeps the line's indentation, one level deeper after a colon, as Python editors do
    (Textual's TextArea starts every new line at column 0). ctrl+a selects all, as in most editors
    (Textual binds it to line start, which `home` still does; f7 selects all too)."""

    BINDINGS = [
        Binding("ctrl+a,f7", "select_all", "Select all", show=False),
        Binding("home", "cursor_line_start", "Cursor line start", show=False),
    ]

    async def _on_key(self, event) -> None:
        if event.key == "escape":
            # Textual's TextArea moves the focus to the next widget (the results), where the study
            # keys would act on the card; the screen's escape leaves the code panel as a whole.
            event.prevent_default()  # not TextArea's handler; the key goes on to the screen's binding
            return
        if event.key == "enter" and not self.read_only:
            row, column = self.cursor_location
            before = self.document.get_line(row)[:column]
            indent = before[: len(before) - len(before.lstrip(" \t"))]
            if before.rstrip().endswith(":"):
                indent += "\t" if self.indent_type == "tabs" else " " * self.indent_width
            event.stop()
            event.prevent_default()
            start, end = self.selection
            self._replace_via_keyboard("\n" + indent, start, end)
            return
        await super()._on_key(event)


def make_editor(code: str) -> TextArea:
    """A Python editor; highlighted when Textual's tree-sitter extra is installed, plain otherwise."""
    editor = PythonEditor.code_editor(code, language=None, soft_wrap=False, tab_behavior="indent", id="code-editor",
                                  compact=True)
    if "python" in editor.available_languages:
        editor.language = "python"
    return editor


def check_message(check) -> str:
    """The grader's own message for the check (it already words assert-only statistics as passed)."""
    return check.message or ""


def results_markdown(result) -> str:
    """The grader's result (a GradeResult) as Markdown: one line per check, expected vs actual, the
    mutant hint."""
    status = result.status
    checks = list(result.checks)
    passed = sum(1 for c in checks if c.status == "pass")
    head = {"pass": "**All checks passed.**", "fail": f"**{passed} of {len(checks)} checks passed.**",
            "error": "**The code could not be checked.**"}.get(status, f"**{status}**")
    lines = [head, ""]
    if result.hint:
        lines += [f"> Hint: {result.hint}", ""]
    messages = {c.message for c in checks}
    said = set(messages)  # the result's own message is not repeated when a check already said it
    if status == "error" and len(checks) > 1 and len(messages) == 1 and all(c.status != "pass" for c in checks):
        # a syntax error or a missing function fails every check the same way: say it once
        lines.append(f"- {STATUS_MARK.get(checks[0].status, '?')} every check ({len(checks)}): "
                     f"{checks[0].message or 'no message'}")
        checks = []
    for check in checks:
        mark = STATUS_MARK.get(check.status, "?")
        lines.append(f"- {mark} `{check.name}` {check_message(check)}".rstrip())
        if check.status != "pass":
            for label in ("expected", "actual"):
                if getattr(check, label) not in (None, ""):
                    value = " ".join(str(getattr(check, label)).split())
                    value = value if len(value) <= 300 else value[:300] + " …"
                    lines.append(f"  - {label}: `{value}`")
            if check.max_abs_diff is not None:
                where = ", ".join(str(tuple(i)) for i in check.mismatched[:3])
                count = check.mismatch_count or 0
                lines.append(f"  - max abs diff {check.max_abs_diff:.3g}" +
                             (f"; {count} mismatched, first at {where}" if count else ""))
        if check.output:
            lines.append(f"  - output: `{' '.join(str(check.output).split())[:200]}`")
    if result.message and not checks and result.message not in said:
        lines.append(str(result.message))
    if result.duration_ms is not None:
        lines += ["", f"*checked in {round(result.duration_ms)} ms*"]
    return "\n".join(lines)


class CodePanel(Vertical):
    """Shown under a code-backed card. Posts `CodePanel.Checked` after every graded attempt."""

    @dataclass
    class Checked(Message):
        passed: bool
        suggested: int
        result: object  # the GradeResult

    def __init__(self, card: StudyCard, bridge: SnippetBridge, record_attempt: RecordAttempt, *,
                 warm: Callable[..., object] | None = None, code: str | None = None, **kwargs) -> None:
        super().__init__(**kwargs)
        self.card = card
        self.initial_code = code  # None: the snippet's starter
        self.bridge = bridge
        self.record_attempt = record_attempt  # the study service's, called from the grading thread
        self.warm = warm  # loads the library and starts the check worker in the background
        self.hints_used = 0
        self.snippet = None
        self.attempts = 0
        self.running = False
        self.reference_seen = False
        self.last_result = None  # the last GradeResult
        self.has_results = False  # a check ran or the reference was shown: the results pane has content
        self.load_error: str | None = None
        try:
            self.snippet = self.load_snippet()
        except Exception as error:  # a broken snippet file must not take the study session down
            self.load_error = f"cannot load snippet {card.snippet_id!r}: {error}"

    def load_snippet(self):
        """What the panel shows for the card's snippet (a DemoPanel loads a demonstration)."""
        return self.bridge.snippet(self.card.snippet_id, self.card.deck_id)

    @property
    def hints(self) -> tuple[str, ...]:
        return self.snippet.hints if self.snippet else ()

    def compose(self) -> ComposeResult:
        if self.snippet is None:
            yield Static(self.load_error or f"The snippet [b]{self.card.snippet_id}[/b] is not available.",
                         id="code-status")
            return
        yield Static(self.idle_status(), id="code-status")
        with Horizontal(id="code-split"):
            yield make_editor(self.snippet.starter if self.initial_code is None else self.initial_code)
            with VerticalScroll(id="code-results"):
                yield CardMarkdown("*No checks run yet.*", id="code-output")
                yield CardMarkdown("", id="reference")

    @property
    def stacked(self) -> bool:
        return self.app.size.width < STACK_BELOW_COLUMNS

    def idle_status(self) -> str:
        middle = "[b]ctrl+t[/b] results" if self.stacked else "[b]ctrl+o[/b] reference"
        return f"[b]{self.snippet.id}[/b] · [b]ctrl+r[/b] check · {middle} · [b]esc[/b] leave editor"

    def apply_width(self) -> None:
        stacked = self.stacked
        self.set_class(stacked, "-stacked")
        if self.snippet is not None:
            # narrow: long docstring lines wrap instead of running off the edge
            self.query_one("#code-editor", TextArea).soft_wrap = stacked
        if self.snippet is not None and self.last_result is None and not self.running:
            self.query_one("#code-status", Static).update(self.idle_status())

    def on_resize(self) -> None:
        self.apply_width()

    def show_results(self, results: bool = True) -> None:
        """Results (and reference) in view after a check; never moves the focus.

        Narrow terminals: the editor keeps its place and the results open below it (the learner goes
        on typing); ctrl+t (`toggle_results`) gives the results the whole panel on request."""
        if self.snippet is None:
            return
        self.has_results = self.has_results or results
        self.set_class(self.has_results, "-split")

    def toggle_results(self) -> None:
        """ctrl+t: the results in focus (narrow: the whole panel) or back to the editor."""
        if self.snippet is None:
            return
        results = self.query_one("#code-results")
        if self.has_class("-show-results") or (not self.stacked and results.has_focus):
            self.remove_class("-show-results")
            self.query_one("#code-editor", TextArea).focus()
            return
        if self.stacked:
            self.add_class("-show-results")
        results.focus()  # keys scroll the results; ctrl+t goes back to the editor

    def on_mount(self) -> None:
        self.apply_width()
        if self.snippet is not None:
            self.query_one("#reference").display = False
            if self.snippet.runnable and self.warm is not None:
                self.warm(start_runner=True)  # the first check then skips the cold start

    def editor_has_focus(self) -> bool:
        focused = self.app.focused
        return focused is not None and focused.id == "code-editor"

    @property
    def in_use(self) -> bool:
        """The learner is in the panel (editor or results): keys belong to the code, not the card."""
        return self.has_focus_within

    def focus_editor(self) -> None:
        if self.snippet is not None:
            self.remove_class("-show-results")
            self.query_one("#code-editor", TextArea).focus()

    def leave(self) -> None:
        """esc: out of the code panel (the study keys act again); the results stay as they are."""
        self.remove_class("-show-results")
        self.screen.set_focus(None)

    @property
    def code(self) -> str:
        return self.query_one("#code-editor", TextArea).text

    def reveal_reference(self, force: bool = False) -> None:
        """After a pass, or on request (ctrl+o), show the reference implementation."""
        if self.snippet is None:
            return
        passed = bool(self.last_result and self.last_result.status == "pass")
        if not (force or passed):
            return
        if not passed:
            self.reference_seen = True
        reference = self.query_one("#reference", CardMarkdown)
        reference.show(f"**Reference**\n\n```python\n{self.snippet.reference.rstrip()}\n```")
        reference.display = True
        self.show_results(True)

    def run_checks(self, hints_used: int | None = None) -> None:
        if hints_used is not None:
            self.hints_used = hints_used  # the study session's hints count towards the suggestion
        if self.snippet is None or self.running:
            return
        if not self.snippet.runnable:
            from flashtrain.tui.screens.dialogs import TrustDialog

            deck_name = ", ".join(self.snippet.deck_names) or self.card.deck_name

            def answered(trusted: bool | None) -> None:
                if trusted:
                    self.bridge.trust(self.snippet.id, self.card.deck_id)
                    self.snippet = self.load_snippet()
                    self.run_checks()
                else:
                    self.query_one("#code-status", Static).update(
                        "Not run: this deck's code is not trusted. ctrl+r asks again.")

            self.app.push_screen(TrustDialog(deck_name, self.snippet.id), answered)
            return
        self.start_run()

    def start_run(self) -> None:
        """The snippet may run: grade the code in the editor (a DemoPanel runs its program)."""
        self.running = True
        self.query_one("#code-status", Static).update(f"[b]{self.snippet.id}[/b] · running the checks…")
        # the last attempt's verdict goes at once: a new status beside old results read as a contradiction
        self.query_one("#code-output", CardMarkdown).show(f"*Running the checks (attempt {self.attempts + 1})…*")
        self.grade(self.code)

    @work(thread=True, exclusive=True, group="checks", exit_on_error=False)
    def grade(self, code: str) -> None:
        try:
            result = self.bridge.grade(self.snippet.id, code, self.card.deck_id)
        except Exception as error:  # the runner reports problems as data; anything else is shown, not raised
            from flashtrain.snippets import GradeResult

            result = GradeResult(self.snippet.id, "error", (), message=f"the checker failed: {error}")
        try:
            self.record_attempt(self.card.card_id, self.snippet.id, code, result.to_dict())
        except Exception as error:
            self.app.call_from_thread(self.notify, f"attempt not saved: {error}", severity="error")
        self.app.call_from_thread(self.show_result, result)

    def show_result(self, result) -> None:
        self.running = False
        self.attempts += 1
        self.last_result = result
        passed_all = result.status == "pass"
        try:
            base = self.bridge.suggest(result, self.hints_used)
        except Exception:  # a result the grader could not even produce (the checker failed)
            base = 1
        suggested = adjust_suggestion(base, passed_all, self.attempts, self.reference_seen)
        self.query_one("#code-output", CardMarkdown).show(results_markdown(result))
        self.show_results(True)
        from flashtrain.scheduler.core import RATING_LABELS

        verdict = "passed" if passed_all else ("failed" if result.status == "fail" else "error")
        # One row above the editor: kept under 78 columns for the longest id at 80x24 (the rating
        # bar highlights the suggestion once the answer shows; the learner confirms with a number).
        self.query_one("#code-status", Static).update(
            f"[b]{self.snippet.id}[/b] · attempt {self.attempts}: {verdict} · suggested "
            f"[b]{suggested} {RATING_LABELS[suggested]}[/b]")
        if passed_all:
            self.reveal_reference()
        self.post_message(self.Checked(passed_all, suggested, result))
