"""Slow work started from the app (deck import, scheduler optimisation) in a worker, with progress."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, ProgressBar, Static

# report(done, total, line): called from the worker thread; total None = unknown
Report = Callable[[int, int | None, str], None]


class PathDialog(ModalScreen[Path | None]):
    """Asks for a deck file or folder to import."""

    BINDINGS = [Binding("escape", "cancel", "Cancel")]

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Label("Import decks", classes="dialog-title")
            yield Static("A deck file (.md, .txt, .csv, .tsv) or a folder of them. Importing again updates "
                         "the cards and keeps their history.", classes="dialog-body")
            yield Input(placeholder="~/decks/optimizers.md", id="path", compact=True)
            with Horizontal(classes="dialog-buttons"):
                yield Button("Import", id="ok", variant="primary", compact=True)
                yield Button("Cancel", id="cancel", compact=True)

    def on_mount(self) -> None:
        self.query_one("#path", Input).focus()

    def on_input_submitted(self) -> None:
        self.submit()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "ok":
            self.submit()
        else:
            self.dismiss(None)

    def submit(self) -> None:
        text = self.query_one("#path", Input).value.strip()
        if not text:
            self.notify("Type a path first.", severity="warning")
            return
        path = Path(text).expanduser()
        if not path.exists():
            self.notify(f"{path}: no such file or folder", severity="error")
            return
        self.dismiss(path)

    def action_cancel(self) -> None:
        self.dismiss(None)


class TaskScreen(ModalScreen[bool]):
    """Runs `job(report)` in a thread worker; shows a progress bar and its lines; escape when done."""

    BINDINGS = [Binding("escape", "close", "Close")]

    def __init__(self, title: str, job: Callable[[Report], str]) -> None:
        super().__init__()
        self.title_text = title
        self.job = job
        self.finished = False
        self.lines: list[str] = []

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Label(self.title_text, classes="dialog-title")
            yield ProgressBar(id="task-progress", show_eta=False)
            yield Static("", id="task-log", classes="dialog-body")
            yield Static("[dim]working… (the app stays usable; escape closes when done)[/dim]", id="task-foot")

    def on_mount(self) -> None:
        self.run_job()

    @work(thread=True, exclusive=True, group="task", exit_on_error=False)
    def run_job(self) -> None:
        def report(done: int, total: int | None, line: str) -> None:
            self.app.call_from_thread(self.show_progress, done, total, line)

        try:
            summary = self.job(report)
            ok = True
        except Exception as error:  # shown to the learner; the app carries on
            summary, ok = f"[b]Failed:[/b] {error}", False
        self.app.call_from_thread(self.done, summary, ok)

    def show_progress(self, done: int, total: int | None, line: str) -> None:
        bar = self.query_one("#task-progress", ProgressBar)
        bar.update(total=total, progress=done)
        if line:
            self.lines = (self.lines + [line])[-8:]
            self.query_one("#task-log", Static).update("\n".join(self.lines))

    def done(self, summary: str, ok: bool) -> None:
        self.finished = True
        self.ok = ok
        bar = self.query_one("#task-progress", ProgressBar)
        if bar.total is None:
            bar.update(total=1, progress=1)
        self.query_one("#task-log", Static).update("\n".join(self.lines[-5:] + ["", summary]))
        self.query_one("#task-foot", Static).update("[dim]escape closes[/dim]")

    def action_close(self) -> None:
        self.dismiss(self.finished and getattr(self, "ok", False))


def import_job(store, path: Path) -> Callable[[Report], str]:
    def job(report: Report) -> str:
        from flashtrain.services.imports import expand_paths, import_file

        files, problems = expand_paths([path])
        reports = list(problems)
        for index, file in enumerate(files):
            report(index, len(files), f"importing {file.name}…")
            reports.append(import_file(store, file))
        report(len(files), len(files), "")
        lines = []
        for r in reports:
            if r.error:
                lines.append(f"✗ {r.error}")
            else:
                lines.append(f"✓ {Path(r.path).name}: {r.deck} — {r.added} added, {r.updated} updated, "
                             f"{r.retired} retired, {r.unchanged} unchanged")
            lines += [f"  {w}" for w in r.warnings[:3]]
        return "\n".join(lines) or "Nothing to import."
    return job


def optimize_job(store) -> Callable[[Report], str]:
    def job(report: Report) -> str:
        from flashtrain.scheduler.optimizer import NotEnoughReviews
        from flashtrain.study.optimize import optimize

        report(0, None, "reading the review log…")

        def progress(iteration: int, total: int, loss: float) -> None:
            report(iteration, total, f"iteration {iteration}: log loss {loss:.4f}" if iteration % 10 == 0 else "")

        def recompute_progress(stage: str, done: int, total: int) -> None:
            report(done, total, f"updating card states: {stage}")

        try:
            outcome = optimize(store, progress=progress, recompute_progress=recompute_progress)
        except NotEnoughReviews as error:
            return str(error)
        r = outcome.result
        verdict = "saved: the scheduler now uses them" if outcome.saved else "not better than the current ones; kept those"
        lines = [f"Fitted on {r.n_train} reviews, tested on the latest {r.n_test}.",
                 f"Held-out log loss {r.before['logloss']:.4f} → {r.after['logloss']:.4f}; weights {verdict}."]
        if outcome.recompute is not None:
            c = outcome.recompute
            lines.append(f"{c.cards} cards replayed with the new weights; {c.rescheduled} due dates moved.")
        return "\n".join(lines)
    return job
