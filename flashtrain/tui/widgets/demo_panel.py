"""A demonstration under its card: the program (parameters on top) in an editor, ctrl+r runs it in the
sandbox, and the results pane shows one ✓/✗ line per claim, then the program's printed output and
text plots. Nothing is graded and no rating is suggested: the learner explores, then rates the card.

Built on CodePanel, so it keeps the code panel's layout, focus rules and keys (esc leaves the editor,
ctrl+t shows the results on a narrow terminal); ctrl+o puts the original program back.
"""

from __future__ import annotations

from textual import work
from textual.app import ComposeResult
from textual.containers import Horizontal, VerticalScroll
from textual.widgets import Static

from flashtrain.tui.widgets.card_view import CardMarkdown
from flashtrain.tui.widgets.code_panel import CodePanel, make_editor

PLOT_WIDTH = (40, 100)  # the narrowest and widest plot the results pane asks the program for


def results_text(run, summary: str, claim_lines: list[str]):
    """The run as rich Text: the verdict, a coloured line per claim, then the output as printed."""
    from rich.text import Text

    text = Text()
    text.append(summary + "\n", style="bold")
    for line, claim in zip(claim_lines, run.claims):
        text.append(line + "\n", style="green" if claim.holds else "red")
    if run.error:
        text.append("\n" + run.error.rstrip() + "\n", style="red")
    if run.output.strip():
        text.append("\n")
        if run.output_truncated:
            text.append("(output shortened: its end is shown)\n", style="italic")
        text.append(run.output.rstrip("\n") + "\n")
    text.append(f"\nran in {run.seconds * 1000:.0f} ms", style="dim")
    return text


class DemoPanel(CodePanel):
    def load_snippet(self):
        return self.bridge.demo(self.card.snippet_id, self.card.deck_id)

    @property
    def hints(self) -> tuple[str, ...]:
        return ()

    def compose(self) -> ComposeResult:
        if self.snippet is None:
            yield Static(self.load_error or f"The demonstration [b]{self.card.snippet_id}[/b] is not available.",
                         id="code-status")
            return
        yield Static(self.idle_status(), id="code-status")
        with Horizontal(id="code-split"):
            yield make_editor(self.snippet.program if self.initial_code is None else self.initial_code)
            with VerticalScroll(id="code-results"):
                yield Static("", id="demo-output", markup=False)
                yield CardMarkdown(self.intro_markdown(), id="demo-intro")
                yield CardMarkdown("", id="reference")

    def intro_markdown(self) -> str:
        """What the experiment shows and what to try (Markdown with $math$, as in the file)."""
        parts = [f"**{self.snippet.title}**", self.snippet.description]
        if self.snippet.suggestions:
            parts.append("**Try:**\n\n" + "\n".join(f"{k}. {s}" for k, s in enumerate(self.snippet.suggestions, 1)))
        parts.append("*Change a parameter at the top of the program and press ctrl+r to run it.*")
        return "\n\n".join(p for p in parts if p)

    def idle_status(self) -> str:
        middle = "[b]ctrl+t[/b] results" if self.stacked else "[b]ctrl+o[/b] original"
        return f"[b]{self.snippet.id}[/b] · demonstration · [b]ctrl+r[/b] run · {middle} · [b]esc[/b] leave"

    def on_mount(self) -> None:
        self.apply_width()
        if self.snippet is not None:
            self.query_one("#reference").display = False
            self.query_one("#demo-output").display = False
            self.show_results(True)  # the description and what to try are there from the start
            if self.snippet.runnable:
                self.app.warm_snippets(start_runner=True)

    def apply_width(self) -> None:
        """Side by side, the results (output and plots) get the larger share, unlike an exercise's."""
        super().apply_width()
        if self.snippet is None:
            return
        from textual.widgets import TextArea

        wide = not self.stacked
        self.query_one("#code-editor", TextArea).styles.width = "2fr" if wide else "1fr"
        self.query_one("#code-results").styles.width = "3fr" if wide else "1fr"

    def reveal_reference(self, force: bool = False) -> None:
        """ctrl+o: put the demonstration's own program back (the answer showing changes nothing)."""
        if self.snippet is None or not force:
            return
        from textual.widgets import TextArea

        self.query_one("#code-editor", TextArea).load_text(self.snippet.program)
        self.query_one("#demo-intro").display = True
        self.query_one("#code-status", Static).update(f"[b]{self.snippet.id}[/b] · the original program is back")

    def plot_width(self) -> int:
        width = self.query_one("#code-results").size.width - 3
        return max(PLOT_WIDTH[0], min(PLOT_WIDTH[1], width))

    def start_run(self) -> None:
        """ctrl+r once the demonstration may run (CodePanel.run_checks asks for trust first)."""
        self.running = True
        self.query_one("#code-status", Static).update(f"[b]{self.snippet.id}[/b] · running…")
        output = self.query_one("#demo-output", Static)
        output.update(f"Running the program (run {self.attempts + 1})…")
        output.display = True
        self.run_program(self.code, self.plot_width())

    @work(thread=True, exclusive=True, group="checks", exit_on_error=False)
    def run_program(self, program: str, width: int) -> None:
        from flashtrain.snippets import demonstrations

        try:
            run = self.bridge.run_demo(self.snippet.id, program, self.card.deck_id, width)
            shown = results_text(run, demonstrations.summary(run), demonstrations.claim_lines(run))
            verdict = demonstrations.summary(run)
        except Exception as error:  # the runner reports problems as data; anything else is shown, not raised
            run, shown, verdict = None, f"The demonstration could not be run: {error}", "could not run"
        self.app.call_from_thread(self.show_run, run, shown, verdict)

    def show_run(self, run, shown, verdict: str) -> None:
        self.running = False
        self.attempts += 1
        self.last_result = run
        self.query_one("#demo-output", Static).update(shown)
        self.query_one("#demo-intro").display = False  # the results take its place (ctrl+o brings it back)
        self.show_results(True)
        self.query_one("#code-status", Static).update(f"[b]{self.snippet.id}[/b] · run {self.attempts}: {verdict}")
