"""A terminal progress bar for long commands (ingest), fed by the core's progress reports."""

from __future__ import annotations

from types import TracebackType

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    ProgressColumn,
    SpinnerColumn,
    Task,
    TextColumn,
    TimeElapsedColumn,
)
from rich.text import Text

from bot.commands.progress import Status


class RateColumn(ProgressColumn):
    """How many items a second the bar advances (rich's estimate over the last 30 s)."""

    def __init__(self, unit: str = "chunks") -> None:
        super().__init__()
        self.unit = unit

    def render(self, task: Task) -> Text:
        """Return e.g. "212.4 chunks/s", or nothing before the second report."""
        speed = task.finished_speed or task.speed
        return Text(f"{speed:.1f} {self.unit}/s" if speed else "", style="progress.data.speed")


class ProgressBar:
    """Shows progress reports as a rich bar, removed once the command has finished."""

    def __init__(self, console: Console | None = None) -> None:
        self._progress = Progress(
            SpinnerColumn(),
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            RateColumn(),
            TimeElapsedColumn(),
            console=console or Console(stderr=True),
            transient=True,
        )
        self._task = self._progress.add_task("Starting…", total=None)

    def __enter__(self) -> ProgressBar:
        self._progress.start()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self._progress.stop()

    async def __call__(self, status: str) -> None:
        """Show one progress report: its numbers on the bar, its words beside it."""
        if isinstance(status, Status) and status.total:
            label = status.rsplit(":", 1)[0]
            self._progress.update(
                self._task, description=label, completed=status.done, total=status.total
            )
        else:
            self._progress.update(self._task, description=str(status))

    @property
    def rate(self) -> str:
        """Return the items per second the bar shows now."""
        return RateColumn().render(self._progress.tasks[0]).plain

    @property
    def shown(self) -> tuple[str, float, float | None]:
        """Return what the bar shows now: its description, done and total."""
        task = self._progress.tasks[0]
        return task.description, task.completed, task.total
