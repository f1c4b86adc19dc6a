"""Stats: heatmap, 30-day forecast, true retention, mastery per deck, streak, time, code checks."""

from __future__ import annotations

from rich.markup import escape
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.events import Resize
from textual.screen import Screen
from textual.widgets import Footer, Header, LoadingIndicator, Static

from flashtrain.services.stats import Stats, collect
from flashtrain.tui.format import duration_text, percent
from flashtrain.tui.widgets.charts import bar_chart_lines, heatmap_lines, meter


class StatsScreen(Screen):
    TITLE_TEXT = "Stats"
    BINDINGS = [Binding("r", "refresh", "Refresh"), Binding("escape", "leave", "Back")]

    def __init__(self) -> None:
        super().__init__()
        self.stats: Stats | None = None

    def compose(self) -> ComposeResult:
        yield Header()
        with VerticalScroll(id="stats-scroll"):
            yield LoadingIndicator(id="stats-loading")
            with Horizontal(classes="stats-row"):
                yield Static("", id="stats-summary", classes="stats-section")
                yield Static("", id="stats-retention", classes="stats-section")
            yield Static("", id="stats-heatmap", classes="stats-section")
            yield Static("", id="stats-forecast", classes="stats-section")
            with Horizontal(classes="stats-row"):
                yield Static("", id="stats-mastery", classes="stats-section")
                yield Static("", id="stats-snippets", classes="stats-section")
        yield Footer()

    def on_mount(self) -> None:
        titles = {"summary": "Streak and time", "retention": "True retention by interval",
                  "heatmap": "Reviews per day", "forecast": "Due in the next 30 days",
                  "mastery": "Mastery per deck (last rating 4 or 5)", "snippets": "Code checks: pass rate"}
        for key, title in titles.items():
            self.query_one(f"#stats-{key}").border_title = title
        self.set_class(self.app.size.width < 110, "-narrow")
        self.action_refresh()

    def action_refresh(self) -> None:
        self.query_one("#stats-loading").display = True
        self.load()

    @work(thread=True, exclusive=True, group="stats", exit_on_error=False)
    def load(self) -> None:
        service = self.app.service
        stats = collect(self.app.store, now=service.now(), day_start_hour=service.settings().day_start_hour,
                        heatmap_weeks=52)
        self.app.call_from_thread(self.show, stats)

    def on_resize(self, event: Resize) -> None:
        self.set_class(event.size.width < 110, "-narrow")  # side-by-side panels stack when narrow
        if self.stats is not None:
            self.show(self.stats)

    def weeks_that_fit(self) -> int:
        width = self.app.size.width - 10
        return max(8, min(52, width))

    def show(self, stats: Stats) -> None:
        self.stats = stats
        self.query_one("#stats-loading").display = False
        self.query_one("#stats-summary", Static).update("\n".join([
            f"Streak        [b]{stats.streak}[/b] day{'s' if stats.streak != 1 else ''} (longest {stats.longest_streak})",
            f"Today         [b]{stats.reviews_today}[/b] reviews, {duration_text(stats.time_today_ms)}",
            f"Last 7 days   {duration_text(stats.time_week_ms)}",
            f"All time      {stats.reviews_total} reviews, {duration_text(stats.time_total_ms)}"
            + (f" [dim](and {stats.cram_total} cram ratings, not counted as reviews)[/dim]" if stats.cram_total else ""),
        ]))
        retention = ["[dim]since last    reviews  recalled[/dim]"]
        for row in stats.retention:
            retention.append(f"{row.label:<12} {row.reviews:>9}  {percent(row.retention):>8}")
        self.query_one("#stats-retention", Static).update("\n".join(retention))
        self.query_one("#stats-heatmap", Static).update(
            "\n".join(heatmap_lines(stats.heatmap, stats.today, self.weeks_that_fit())))
        forecast = stats.forecast
        days = min(len(forecast), max(10, (self.app.size.width - 12) // 2))
        lines = bar_chart_lines(forecast[:days])
        lines.append(f"today {forecast[0]} · tomorrow {forecast[1] if len(forecast) > 1 else 0} · "
                     f"next 7 days {sum(forecast[:7])} · next 30 days {sum(forecast)}")
        self.query_one("#stats-forecast", Static).update("\n".join(lines))
        width = max(8, min(20, self.app.size.width // 2 - 34))
        mastery = [f"{escape(f'{m.deck_name[:22]:<22}')} {meter(m.share, width)} {percent(m.share):>4} of {m.cards}"
                   for m in stats.mastery] or ["No decks yet."]
        self.query_one("#stats-mastery", Static).update("\n".join(mastery))
        snippets = [f"{s.snippet_id[:24]:<24} {percent(s.pass_rate):>4} of {s.attempts} attempt"
                    f"{'s' if s.attempts != 1 else ''}" for s in stats.snippets] or ["No code checks run yet."]
        self.query_one("#stats-snippets", Static).update("\n".join(snippets))

    def action_leave(self) -> None:
        self.dismiss()
