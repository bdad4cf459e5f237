"""What ``apply`` shows while it runs, on stderr: a progress bar per import job on a terminal, plain
lines otherwise (a CI log, a pipe, ``--json``). Never a password, a hash or a pre-signed URL."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from cognito_migrate.apply import ApplyProgress

if TYPE_CHECKING:
    from cognito_migrate.strategies.admin.runner import AdminResult
    from cognito_migrate.strategies.csv_import.job import ImportJob

LINE_EVERY = 10.0  # seconds between two progress lines of the admin phase when not on a terminal


class LineProgress(ApplyProgress):
    """One line per job event worth knowing (created, each change of the counters, notices), and for
    the admin phase a line every ``LINE_EVERY`` seconds with the rate and what is left."""

    def __init__(self, say: Callable[[str], None], *, clock: Callable[[], float] = time.monotonic) -> None:
        self._say = say
        self._clock = clock
        self._last: tuple[str, str, int, int, int] | None = None
        self._admin = _AdminCounts(0, clock())
        self._next_line = 0.0

    def admin_started(self, users: int) -> None:
        self._admin = _AdminCounts(users, self._clock())
        self._next_line = self._clock() + LINE_EVERY
        self._say(f"admin API: {users:,} users to create")

    def admin_result(self, result: AdminResult) -> None:
        self._admin.add(result.state)
        now = self._clock()
        if now >= self._next_line or self._admin.done == self._admin.total:
            self._next_line = now + LINE_EVERY
            self._say(f"  admin API: {self._admin.describe(now)}")

    def job_created(self, job: ImportJob, replaces: ImportJob | None) -> None:
        self._say(f"import job {job.job_id} created ({job.job_name})")

    def job_updated(self, job: ImportJob) -> None:
        now = (job.job_id, job.status, job.imported, job.skipped, job.failed)
        if now != self._last:
            self._last = now
            self._say(f"  {job.job_id} {job.status}: {_counters(job)}")

    def notice(self, message: str) -> None:
        self._say(message)


class BarProgress(ApplyProgress):
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

    def admin_started(self, users: int) -> None:
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            TaskProgressColumn,
            TextColumn,
            TimeRemainingColumn,
        )  # fmt: skip

        self._finish()
        self._progress = Progress(
            TextColumn("admin API"), BarColumn(), MofNCompleteColumn(), TaskProgressColumn(),
            TextColumn("{task.fields[rate]} users/s"), TextColumn("{task.fields[counters]}"),
            TimeRemainingColumn(), console=self._console,
        )  # fmt: skip
        self._admin = _AdminCounts(users, time.monotonic())
        self._task = self._progress.add_task("admin", total=users, rate="-", counters="")
        self._progress.start()

    def admin_result(self, result: AdminResult) -> None:
        if self._progress is None:
            return
        self._admin.add(result.state)
        now = time.monotonic()
        self._progress.update(
            self._task, completed=self._admin.done, rate=f"{self._admin.rate(now):.1f}",
            counters=self._admin.counters(),
        )  # fmt: skip
        if self._admin.done == self._admin.total:
            self._finish()

    def notice(self, message: str) -> None:
        (self._progress.console if self._progress is not None else self._console).print(message)

    def _finish(self) -> None:
        if self._progress is not None:
            self._progress.stop()
            self._progress = None


class _AdminCounts:
    def __init__(self, total: int, started: float) -> None:
        self.total, self.started = total, started
        self.by_state = {"migrated": 0, "skipped": 0, "failed": 0}

    @property
    def done(self) -> int:
        return sum(self.by_state.values())

    def add(self, state: str) -> None:
        self.by_state[state] = self.by_state.get(state, 0) + 1

    def rate(self, now: float) -> float:
        return self.done / max(now - self.started, 1e-9)

    def counters(self) -> str:
        return ", ".join(f"{n:,} {state}" for state, n in self.by_state.items())

    def describe(self, now: float) -> str:
        rate = self.rate(now)
        left = (self.total - self.done) / rate if rate else float("inf")
        eta = f"{left:.0f} s left" if left != float("inf") else "-"
        return f"{self.done:,}/{self.total:,} ({self.counters()}), {rate:.1f} users/s, {eta}"


def _counters(job: ImportJob) -> str:
    return f"{job.imported:,} imported, {job.skipped:,} skipped, {job.failed:,} failed"


def apply_progress(*, interactive: bool, say: Callable[[str], None]) -> ApplyProgress:
    """A bar on an interactive terminal, else lines through ``say``."""
    return BarProgress() if interactive else LineProgress(say)
