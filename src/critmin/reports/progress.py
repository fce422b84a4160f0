"""A rich progress display (spinner, step, elapsed time) on stderr for long runs.

It shows only on a terminal, so piped output, files and tests never contain it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

from rich.console import Console
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn


@contextmanager
def steps(enabled: bool = True) -> Iterator[Callable[[str], None]]:
    """Yield ``step(label)``: each call replaces the label shown next to the spinner."""
    console = Console(stderr=True)
    progress = Progress(SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn(), console=console,
                        transient=True, disable=not (enabled and console.is_terminal))
    with progress:
        task = progress.add_task("starting", total=None)
        yield lambda label: progress.update(task, description=label)
