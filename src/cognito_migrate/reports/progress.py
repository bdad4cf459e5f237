"""What ``apply`` shows while it runs, on stderr: a progress bar per import job on a terminal, plain
lines otherwise (a CI log, a pipe, ``--json``). Never a password, a hash or a pre-signed URL."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from cognito_migrate.strategies.csv_import.apply import ApplyListener

if TYPE_CHECKING:
    from cognito_migrate.strategies.csv_import.job import ImportJob


class LineProgress(ApplyListener):
    """One line per job event worth knowing: created, each change of the counters, notices."""

    def __init__(self, say: Callable[[str], None]) -> None:
        self._say = say
        self._last: tuple[str, str, int, int, int] | None = None

    def job_created(self, job: ImportJob, replaces: ImportJob | None) -> None:
        self._say(f"import job {job.job_id} created ({job.job_name})")

    def job_updated(self, job: ImportJob) -> None:
        now = (job.job_id, job.status, job.imported, job.skipped, job.failed)
        if now != self._last:
            self._last = now
            self._say(f"  {job.job_id} {job.status}: {_counters(job)}")

    def notice(self, message: str) -> None:
        self._say(message)


class BarProgress(ApplyListener):
    """A rich progress bar per job: users processed of the job's total, with the three counters."""

    def __init__(self) -> None:
        from rich.console import Console

        self._console = Console(stderr=True)
        self._progress: Any = None
        self._task: Any = None

    def job_users(self, job: ImportJob, users: int) -> None:
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

        self._finish()
        self._progress = Progress(
            TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
            TextColumn("{task.fields[counters]}"), TimeElapsedColumn(), console=self._console,
        )  # fmt: skip
        self._task = self._progress.add_task(f"{job.job_id} {job.status}", total=users, counters="")
        self._progress.start()

    def job_updated(self, job: ImportJob) -> None:
        if self._progress is None:
            return
        self._progress.update(
            self._task, completed=job.processed, description=f"{job.job_id} {job.status}",
            counters=_counters(job),
        )  # fmt: skip
        if job.finished:
            self._finish()

    def notice(self, message: str) -> None:
        (self._progress.console if self._progress is not None else self._console).print(message)

    def _finish(self) -> None:
        if self._progress is not None:
            self._progress.stop()
            self._progress = None


def _counters(job: ImportJob) -> str:
    return f"{job.imported:,} imported, {job.skipped:,} skipped, {job.failed:,} failed"


def apply_progress(*, interactive: bool, say: Callable[[str], None]) -> ApplyListener:
    """A bar on an interactive terminal, else lines through ``say``."""
    return BarProgress() if interactive else LineProgress(say)
