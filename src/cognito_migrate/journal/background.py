"""Writing a plan's users to the journal in a second process, while the planner goes on.

For a million new users SQLite updates four indexes and the history table: about as long as the rest
of planning. A thread does not help much (the rows still pass through Python code on the writer's side,
and it waits for the interpreter lock the planner holds), so the rows go through a pipe to a process of
its own (``python -m cognito_migrate.journal.background``), which runs ``Journal.add_plan_rows`` on its
own connection; the journal is in WAL mode, so the planner's connection stays open beside it. The pipe is
bounded, so a slow disk slows the planner rather than filling memory. A plain child process, not
``multiprocessing``: that would re-run the caller's ``__main__`` in the child.

    with BackgroundPlanRows(journal_path, run_id) as rows:
        rows.put([("42", "ada", "admin", UserState.PLANNED, "…"), …])   # lists, in source order
    rows.result                                                        # the AddResult, once closed

Ctrl-C reaches the writer too; it ignores it and writes what it was sent before the planner's
interruption closed the pipe, so users planned so far stay journaled, as before.
"""

from __future__ import annotations

import contextlib
import os
import pickle
import signal
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import astuple
from pathlib import Path
from types import TracebackType
from typing import IO, Any, Self

from cognito_migrate.errors import JournalError
from cognito_migrate.journal.changes import PlanRow
from cognito_migrate.journal.records import AddResult
from cognito_migrate.journal.store import Journal

_BATCH_SIZE = 5000  # users per journal transaction
_PACKAGE_ROOT = str(Path(__file__).resolve().parents[2])  # the folder holding cognito_migrate


class BackgroundPlanRows:
    """``Journal.add_plan_rows`` in a child process; ``put`` lists of rows, leave the block to finish."""

    def __init__(self, journal_path: Path, run_id: int) -> None:
        self._command = [sys.executable, "-m", __name__, str(journal_path), str(run_id)]
        self._process: subprocess.Popen[bytes] | None = None
        # Where no Python can be started (a frozen build: sys.executable is the program itself), the
        # rows are written here, in the planner's process, as before there was a writer process.
        self._inline: Journal | None = None
        self._journal_path, self._run_id = journal_path, run_id
        self.result: AddResult | None = None
        self.peak_kib: int | None = None  # the writer's peak resident memory, as it reported it

    def __enter__(self) -> Self:
        if getattr(sys, "frozen", False) or not sys.executable:
            self._inline = Journal.open(self._journal_path)
            self.result = AddResult()
            return self
        path = os.environ.get("PYTHONPATH")
        env = {**os.environ, "PYTHONPATH": _PACKAGE_ROOT + (os.pathsep + path if path else "")}
        self._process = subprocess.Popen(
            self._command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, env=env
        )
        return self

    def put(self, rows: list[PlanRow]) -> None:
        """Send rows to the writer; raises ``JournalError`` if it has stopped."""
        if not rows:
            return
        if self._inline is not None:
            added = self._inline.add_plan_rows(self._run_id, rows, batch_size=_BATCH_SIZE)
            self.result = AddResult(
                *(a + b for a, b in zip(astuple(self.result or AddResult()), astuple(added), strict=True))
            )
            return
        assert self._process is not None
        assert self._process.stdin is not None
        try:
            # One pickle per list: the state and a run's shared reason string are written once each.
            pickle.dump(rows, self._process.stdin, protocol=pickle.HIGHEST_PROTOCOL)
        except (BrokenPipeError, ValueError):  # ValueError: the pipe was closed after an earlier error
            self._finish()
            raise JournalError("the journal writer stopped") from None

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, tb: TracebackType | None
    ) -> None:
        # Also after an error: what was sent is written (users planned so far stay journaled).
        self._finish()
        if kind is None and self.result is None:
            raise JournalError("the journal writer stopped without writing the plan's users")

    def _finish(self) -> None:
        if self._inline is not None:
            self._inline.close()
            self._inline = None
            return
        process = self._process
        if process is None or process.stdout is None:
            return
        self._process = None
        try:
            if process.stdin is not None:
                process.stdin.close()
        except BrokenPipeError:
            pass
        answer: Any = None
        with contextlib.suppress(EOFError, pickle.UnpicklingError):
            answer = pickle.load(process.stdout)  # noqa: S301 - from the writer this process started
        process.stdout.close()
        process.wait()
        if isinstance(answer, tuple) and answer[0] == "ok":
            self.result, self.peak_kib = answer[1], answer[2]
        elif isinstance(answer, tuple) and answer[0] == "error":
            raise JournalError(f"the journal writer failed: {answer[1]}")


def _rows(source: IO[bytes]) -> Iterator[PlanRow]:
    while True:
        try:
            batch = pickle.load(source)  # noqa: S301 - written by the planner that started this process
        except EOFError:
            return
        yield from batch


def _main(journal_path: str, run_id: int) -> None:
    """The writer process: rows from stdin into the journal until it closes; the outcome to stdout."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the planner decides when to stop, by closing the pipe
    reply: tuple[Any, ...]
    try:
        with Journal.open(journal_path) as journal:
            result = journal.add_plan_rows(run_id, _rows(sys.stdin.buffer), batch_size=_BATCH_SIZE)
        reply = ("ok", result, _peak_kib())
    except Exception as exc:  # reported to the planner, which raises it
        reply = ("error", f"{type(exc).__name__}: {exc}")
        sys.stdin.close()  # the planner's next write fails at once instead of filling the pipe
    pickle.dump(reply, sys.stdout.buffer)
    sys.stdout.flush()


def _peak_kib() -> int:
    """This process's own peak resident memory. Not ``ru_maxrss``: Linux carries that over ``exec``
    from the moment the planner's process was copied to start this one, so it shows the planner's size."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    except OSError:
        pass
    try:
        import resource
    except ImportError:  # Windows
        return 0
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


if __name__ == "__main__":
    _main(sys.argv[1], int(sys.argv[2]))
