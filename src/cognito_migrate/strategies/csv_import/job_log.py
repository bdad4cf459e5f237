"""Reading an import job's CloudWatch log back: one result per CSV line (cognito-facts §1, "Logs").

Cognito writes one event per row of the file to the log group
``/aws/cognito/userpools/<pool-id>/<pool-name>``, stream ``<job-id>/<job-name>``, shaped
``[SUCCEEDED] Line Number 5 - The import succeeded.`` (or ``[SKIPPED]``, ``[FAILED]``). No user data is
in the log: the caller joins each line number back to the user it wrote there (``ImportCsvWriter.add``
returned it).

CloudWatch Logs is eventually consistent: a job may be ``Succeeded`` before its last events can be read.
``JobLogReader.read`` keeps reading, from where it stopped, until it holds as many results as the job's
counters (imported + skipped + failed) say, or until its timeout; then ``JobLog.complete`` is False and
``JobLog.problem`` says what is missing. A line it cannot parse is kept in ``unparsed``, never fatal.

::

    logs = settings.client("logs")
    reader = JobLogReader(logs, pool_id="eu-west-1_AbC", pool_name="portal")
    log = reader.read("import-AbC123", "cognito-migrate-1-bcrypt-001", expected=job.processed)
    for result in log.results:
        print(result.line, result.outcome, result.message)
"""

from __future__ import annotations

import enum
import re
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from cognito_migrate.aws.errors import map_cognito_errors
from cognito_migrate.errors import TerminalError
from cognito_migrate.strategies.csv_import.csvfile import FIRST_DATA_LINE

# GetLogEvents returns at most 10,000 events (1 MB) a page; asking for the maximum keeps the pages few.
MAX_PAGE_SIZE = 10_000
# A guard against a server that never hands back the same token: no real stream of a 500,000-user job
# needs anywhere near this many pages in one pass.
MAX_PAGES_PER_PASS = 100_000
DEFAULT_LOG_TIMEOUT = 120.0
DEFAULT_LOG_POLL_INTERVAL = 2.0

_LINE = re.compile(
    r"\s*\[(?P<outcome>[A-Za-z]+)\]\s*Line\s+Number\s*:?\s*(?P<line>\d+)\s*(?:-\s*)?(?P<message>.*)",
    re.DOTALL | re.IGNORECASE,
)


class LineOutcome(enum.StrEnum):
    """What Cognito did with one row of the file."""

    SUCCEEDED = "SUCCEEDED"
    SKIPPED = "SKIPPED"
    FAILED = "FAILED"


@dataclass(frozen=True)
class LineResult:
    """One row's result: its line number (first data row = ``FIRST_DATA_LINE``), outcome and reason."""

    line: int
    outcome: LineOutcome
    message: str


@dataclass(frozen=True)
class JobLog:
    """Everything read from one job's log stream.

    ``results`` has one entry per line number, in line order. ``duplicates`` holds further events for a
    line already seen (the first one counts). ``unparsed`` holds messages of no known shape.
    ``complete`` is True when at least ``expected`` lines have a result.
    """

    job_id: str
    log_group: str
    log_stream: str
    expected: int
    results: tuple[LineResult, ...]
    duplicates: tuple[LineResult, ...] = ()
    unparsed: tuple[str, ...] = ()
    stream_found: bool = True
    problem: str | None = None
    waited_seconds: float = 0.0

    @property
    def complete(self) -> bool:
        return len(self.results) >= self.expected

    def by_line(self) -> dict[int, LineResult]:
        return {result.line: result for result in self.results}

    def counts(self) -> dict[LineOutcome, int]:
        """Results per outcome (every outcome present, zero when none)."""
        counts = dict.fromkeys(LineOutcome, 0)
        for result in self.results:
            counts[result.outcome] += 1
        return counts

    def missing_lines(self, user_count: int) -> list[int]:
        """Lines of a file of ``user_count`` users that have no result (never tried, or not yet logged)."""
        seen = {result.line for result in self.results}
        return [line for line in range(FIRST_DATA_LINE, FIRST_DATA_LINE + user_count) if line not in seen]


def log_group_name(pool_id: str, pool_name: str) -> str:
    return f"/aws/cognito/userpools/{pool_id}/{pool_name}"


def log_stream_name(job_id: str, job_name: str) -> str:
    return f"{job_id}/{job_name}"


def parse_log_line(message: str) -> LineResult | None:
    """``[FAILED] Line Number 9 - reason`` as a result; None for any other shape."""
    match = _LINE.fullmatch(message.rstrip("\r\n"))
    if match is None:
        return None
    try:
        outcome = LineOutcome(match["outcome"].upper())
    except ValueError:
        return None
    return LineResult(int(match["line"]), outcome, match["message"].strip())


@dataclass
class _Collected:
    results: dict[int, LineResult] = field(default_factory=dict)
    duplicates: list[LineResult] = field(default_factory=list)
    unparsed: list[str] = field(default_factory=list)
    stream_found: bool = False

    def add(self, messages: Iterable[str]) -> None:
        for message in messages:
            result = parse_log_line(message)
            if result is None:
                self.unparsed.append(message)
            elif result.line in self.results:
                self.duplicates.append(result)
            else:
                self.results[result.line] = result


class JobLogReader:
    """Reads the log streams of one pool's import jobs with a CloudWatch Logs client.

    ``timeout`` bounds how long ``read`` waits for results the job's counters promise but the log does
    not show yet; ``poll_interval`` is the pause between two passes. ``clock``/``sleep`` are for tests.
    """

    def __init__(
        self,
        logs: Any,
        *,
        pool_id: str,
        pool_name: str,
        timeout: float = DEFAULT_LOG_TIMEOUT,
        poll_interval: float = DEFAULT_LOG_POLL_INTERVAL,
        page_size: int = MAX_PAGE_SIZE,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if not 1 <= page_size <= MAX_PAGE_SIZE:
            raise ValueError(f"page_size must be 1–{MAX_PAGE_SIZE}, got {page_size}")
        self.logs = logs
        self.log_group = log_group_name(pool_id, pool_name)
        self.timeout = timeout
        self.poll_interval = poll_interval
        self.page_size = page_size
        self._clock = clock
        self._sleep = sleep

    def read(self, job_id: str, job_name: str, expected: int) -> JobLog:
        """The job's results, waiting (up to ``timeout``) until ``expected`` lines have one."""
        stream = log_stream_name(job_id, job_name)
        collected = _Collected()
        started = self._clock()
        token: str | None = None
        while True:
            token = self._read_pass(stream, token, collected)
            waited = self._clock() - started
            if len(collected.results) >= expected or waited >= self.timeout:
                break
            self._sleep(min(self.poll_interval, max(0.0, self.timeout - waited)))
        problem = None
        if len(collected.results) < expected:
            problem = self._describe_shortfall(job_id, stream, expected, collected, waited)
        return JobLog(
            job_id=job_id,
            log_group=self.log_group,
            log_stream=stream,
            expected=expected,
            results=tuple(sorted(collected.results.values(), key=lambda result: result.line)),
            duplicates=tuple(collected.duplicates),
            unparsed=tuple(collected.unparsed),
            stream_found=collected.stream_found,
            problem=problem,
            waited_seconds=waited,
        )

    def _read_pass(self, stream: str, token: str | None, collected: _Collected) -> str | None:
        """Read from ``token`` to the current end of the stream; return the token to go on from.

        GetLogEvents signals the end of a stream by handing back the token it was given; a page may be
        empty before that, so an empty page alone does not mean the end.
        """
        for _ in range(MAX_PAGES_PER_PASS):
            params: dict[str, Any] = {
                "logGroupName": self.log_group,
                "logStreamName": stream,
                "startFromHead": True,
                "limit": self.page_size,
            }
            if token is not None:
                params["nextToken"] = token
            try:
                with map_cognito_errors("GetLogEvents"):
                    page = self.logs.get_log_events(**params)
            except TerminalError as exc:
                if exc.code == "ResourceNotFoundException":  # group or stream not created yet
                    return token
                raise
            collected.stream_found = True
            collected.add(str(event.get("message", "")) for event in page.get("events", []))
            next_token = page.get("nextForwardToken")
            if next_token is None or next_token == token:
                return token if next_token is None else next_token
            token = next_token
        return token

    def _describe_shortfall(
        self, job_id: str, stream: str, expected: int, collected: _Collected, waited: float
    ) -> str:
        where = f"log stream {stream!r} in group {self.log_group!r}"
        if not collected.stream_found:
            return (
                f"import job {job_id}: {where} was not found after {waited:.0f} s, but the job reports "
                f"{expected} processed users. Cognito writes the log with the job's CloudWatchLogsRoleArn: "
                "check that the role trusts cognito-idp.amazonaws.com and allows logs:CreateLogGroup, "
                "logs:CreateLogStream, logs:DescribeLogStreams and logs:PutLogEvents on /aws/cognito/*."
            )
        missing = expected - len(collected.results)
        extra = f" ({len(collected.unparsed)} lines of an unknown shape)" if collected.unparsed else ""
        return (
            f"import job {job_id}: {where} has results for {len(collected.results)} of the {expected} "
            f"users the job reports after {waited:.0f} s{extra}; {missing} results are missing and those "
            "users' outcome is unknown until the log is read again."
        )
