"""The command line's progress bar: fed with ``(done, total)``, events per second, time
left; silent when not on a terminal (a log or a pipe gets the summary line only)."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    ProgressColumn,
    Task,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.text import Text

console = Console()
if not console.is_terminal and "COLUMNS" not in os.environ:
    console = Console(width=160)


class _Rate(ProgressColumn):
    """Things per second (rich's speed estimate): events, or rows of an import."""

    def __init__(self, unit: str = "events") -> None:
        super().__init__()
        self.unit = unit

    def render(self, task: Task) -> Text:
        speed = task.finished_speed or task.speed
        text = f"{speed:,.0f} {self.unit}/s" if speed else f"… {self.unit}/s"
        return Text(text, style="cyan")


@contextmanager
def bar(label: str, unit: str = "events") -> Iterator[Callable[[int, int], None]]:
    """A progress bar fed with ``(done, total)``; silent when not on a terminal."""
    columns = (
        TextColumn(f"[bold]{label}"),
        BarColumn(),
        MofNCompleteColumn(),
        _Rate(unit),
        TextColumn("ETA"),
        TimeRemainingColumn(),
        TimeElapsedColumn(),
    )
    with Progress(
        *columns, console=console, transient=True, disable=not console.is_terminal
    ) as progress:
        task = progress.add_task(label, total=None)

        def advance(done: int, total: int) -> None:
            progress.update(task, completed=done, total=total)

        yield advance
