"""One import job for one import file, end to end against the local Cognito: create, PUT, start, poll,
stop on Ctrl-C, resume by job id, and every line's result read back from CloudWatch Logs."""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from cognito_migrate.aws.ratelimit import RateLimiter
from cognito_migrate.aws.session import AwsSettings
from cognito_migrate.errors import TerminalError, TransientError
from cognito_migrate.local import LocalCognito
from cognito_migrate.local.importjobs import ImportJobService, service_for
from cognito_migrate.local.wire import ApiCall, CognitoError, Reply
from cognito_migrate.strategies.csv_import import ImportCsvWriter
from cognito_migrate.strategies.csv_import.job import (
    ImportJob,
    ImportJobInterrupted,
    ImportJobListener,
    ImportJobRunner,
    JobTiming,
    safe_job_name,
    url_expires_at,
)
from cognito_migrate.strategies.csv_import.job_log import (
    JobLogReader,
    LineOutcome,
    LineResult,
    log_group_name,
    parse_log_line,
)

ROLE = "arn:aws:iam::123456789012:role/CognitoImportLogs"
FAST = JobTiming(
    poll_interval=0.05, active_job_retry_interval=0.05, role_retry_interval=0.05, stop_timeout=10,
    upload_retry_interval=0.05, log_timeout=5, log_poll_interval=0.05,
)  # fmt: skip
NO_AUTO_VERIFIED = "The User Record does not set any of the auto verified attributes to true."


@dataclass
class Pool:
    pool_id: str
    pool_name: str
    header: list[str]


@dataclass
class Recorder(ImportJobListener):
    """What an apply would record in its journal and show on its progress bar."""

    created: list[tuple[str, str | None]] = field(default_factory=list)
    updates: list[ImportJob] = field(default_factory=list)
    notices: list[str] = field(default_factory=list)

    def job_created(self, job: ImportJob, replaces: ImportJob | None) -> None:
        self.created.append((job.job_id, replaces.job_id if replaces else None))

    def job_updated(self, job: ImportJob) -> None:
        self.updates.append(job)

    def notice(self, message: str) -> None:
        self.notices.append(message)


@dataclass(frozen=True)
class Aws:
    """One session's clients for the whole module: creating sessions and clients costs more than a job."""

    local: LocalCognito
    settings: AwsSettings
    idp: Any
    logs: Any

    def new_pool(self) -> Pool:
        name = f"jobs-{uuid.uuid4().hex[:8]}"
        pool_id = self.idp.create_user_pool(PoolName=name, AutoVerifiedAttributes=["email"])["UserPool"]["Id"]
        return Pool(pool_id, name, self.idp.get_csv_header(UserPoolId=pool_id)["CSVHeader"])

    def runner(self, pool: Pool, **options: Any) -> ImportJobRunner:
        options.setdefault("timing", FAST)
        return ImportJobRunner(
            self.settings.client("cognito-idp", rate_limiter=RateLimiter()), self.logs,
            pool_id=pool.pool_id, pool_name=pool.pool_name, role_arn=ROLE, **options,
        )  # fmt: skip

    def job_ids(self, pool: Pool) -> list[str]:
        jobs = self.idp.list_user_import_jobs(UserPoolId=pool.pool_id, MaxResults=60)["UserImportJobs"]
        return [job["JobId"] for job in jobs]

    def status(self, pool: Pool, job_id: str) -> str:
        job = self.idp.describe_user_import_job(UserPoolId=pool.pool_id, JobId=job_id)["UserImportJob"]
        return str(job["Status"])

    def jobs_service(self) -> ImportJobService:
        assert self.local.app is not None
        return service_for(self.local.app)


@pytest.fixture(scope="module")
def aws(local_cognito: LocalCognito) -> Aws:
    settings = local_cognito.settings()
    return Aws(local_cognito, settings, settings.client("cognito-idp"), settings.client("logs"))


@pytest.fixture(scope="module")
def pool(aws: Aws) -> Pool:
    """Shared by the tests of this module: each uses its own usernames (``tag``) and job names."""
    return aws.new_pool()


@pytest.fixture(scope="module")
def other_pool(aws: Aws) -> Pool:
    return aws.new_pool()


@pytest.fixture
def tag() -> str:
    return uuid.uuid4().hex[:6]


def write_file(
    tmp_path: Path, pool: Pool, users: list[tuple[str, dict[str, str]]]
) -> tuple[Path, dict[str, int]]:
    """The import file as plan writes it; returns its path and each username's line number."""
    writer = ImportCsvWriter(tmp_path, pool.header, algorithm=None, mfa_configuration="OFF")
    lines = {username: writer.add(username, attributes)[1] for username, attributes in users}
    (written,) = writer.close()
    return tmp_path / written.name, lines


def good(username: str) -> tuple[str, dict[str, str]]:
    return username, {"email": f"{username}@example.com", "email_verified": "true", "name": username.title()}


def good_users(tag: str, count: int) -> list[tuple[str, dict[str, str]]]:
    return [good(f"{tag}-{n:03}") for n in range(count)]


@pytest.fixture
def slow_rows(aws: Aws, monkeypatch: pytest.MonkeyPatch) -> None:
    """The local Cognito imports one row per 20 ms, so a job is still running when the test acts."""
    monkeypatch.setattr(aws.jobs_service(), "row_pause", 0.02)


# ── a job from start to end ──────────────────────────────────────────────────────────────────────────


def test_a_file_of_good_users_succeeds_with_a_result_for_every_line(
    aws: Aws, pool: Pool, tag: str, tmp_path: Path
) -> None:
    path, lines = write_file(tmp_path, pool, good_users(tag, 6))
    recorder = Recorder()

    outcome = aws.runner(pool).run(path, f"{tag}-reset-required-001", listener=recorder)

    job = outcome.job
    assert (job.status, job.imported, job.skipped, job.failed) == ("Succeeded", 6, 0, 0)
    assert recorder.created == [(job.job_id, None)]
    assert recorder.updates[-1].status == "Succeeded"
    assert outcome.log.complete
    assert outcome.log.problem is None
    assert [result.line for result in outcome.log.results] == sorted(lines.values()) == [1, 2, 3, 4, 5, 6]
    assert {result.outcome for result in outcome.log.results} == {LineOutcome.SUCCEEDED}
    assert outcome.log.missing_lines(6) == []
    user = aws.idp.admin_get_user(UserPoolId=pool.pool_id, Username=f"{tag}-003")
    assert user["UserStatus"] == "RESET_REQUIRED"


def test_skipped_and_failed_lines_are_reported_per_line(
    aws: Aws, pool: Pool, tag: str, tmp_path: Path
) -> None:
    ada, carol, dan, eve, fay = (f"{tag}-{name}" for name in ("ada", "carol", "dan", "eve", "fay"))
    aws.idp.admin_create_user(UserPoolId=pool.pool_id, Username=carol, MessageAction="SUPPRESS")
    unverified = (dan, {"email": f"{dan}@example.com", "email_verified": "false"})
    path, lines = write_file(tmp_path, pool, [good(ada), good(carol), unverified, good(eve), good(fay)])

    outcome = aws.runner(pool).run(path, f"{tag}-mixed")

    assert (outcome.job.imported, outcome.job.skipped, outcome.job.failed) == (3, 1, 1)
    by_line = outcome.log.by_line()
    assert by_line[lines[carol]] == LineResult(lines[carol], LineOutcome.SKIPPED, "The user already exists.")
    assert by_line[lines[dan]] == LineResult(lines[dan], LineOutcome.FAILED, NO_AUTO_VERIFIED)
    assert {by_line[lines[name]].outcome for name in (ada, eve, fay)} == {LineOutcome.SUCCEEDED}
    assert outcome.log.counts() == {LineOutcome.SUCCEEDED: 3, LineOutcome.SKIPPED: 1, LineOutcome.FAILED: 1}


# ── the upload URL ──────────────────────────────────────────────────────────────────────────────────


@pytest.mark.parametrize(("away", "why"), [
    (timedelta(minutes=16), "its upload URL expired"),  # the URL lives 15 minutes
    (timedelta(hours=25), "it expired unstarted"),  # a job not started in time becomes Expired
])  # fmt: skip
def test_a_job_that_can_no_longer_take_the_file_is_replaced_by_a_fresh_one(
    aws: Aws, pool: Pool, tag: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, away: timedelta, why: str
) -> None:
    path, _ = write_file(tmp_path, pool, good_users(tag, 2))
    runner = aws.runner(pool)
    recorder = Recorder()
    first = runner.create(f"{tag}-late", None, recorder)  # recorded, then the process was gone for a while
    service = aws.jobs_service()
    real_clock = service.clock
    monkeypatch.setattr(service, "clock", lambda: real_clock() + away)

    outcome = runner.run(path, f"{tag}-late", job_id=first.job_id, listener=recorder)

    assert outcome.job.status == "Succeeded"
    assert outcome.job.job_id != first.job_id
    assert recorder.created == [(first.job_id, None), (outcome.job.job_id, first.job_id)]
    assert any(why in notice for notice in recorder.notices)
    assert len(outcome.log.results) == 2
    assert aws.status(pool, first.job_id) in ("Created", "Expired")  # left for Cognito to expire


def test_fresh_jobs_are_bounded_when_every_url_is_already_expired(
    aws: Aws, pool: Pool, tag: str, tmp_path: Path
) -> None:
    path, _ = write_file(tmp_path, pool, good_users(tag, 1))
    late = lambda: datetime.now(UTC) + timedelta(minutes=20)  # noqa: E731 - a clock 20 minutes ahead
    recorder = Recorder()

    runner = aws.runner(pool, wall_clock=late, timing=replace(FAST, fresh_jobs=2))

    with pytest.raises(TerminalError, match="expired 2 times in a row"):
        runner.run(path, f"{tag}-skewed", listener=recorder)

    assert len(recorder.created) == 3
    assert {aws.status(pool, job_id) for job_id, _ in recorder.created} == {"Created"}


def test_url_expiry_is_read_from_the_signed_url() -> None:
    url = "https://s3.example/b/k?X-Amz-Date=20260102T030405Z&X-Amz-Expires=900&X-Amz-Signature=ab"
    assert url_expires_at(url) == datetime(2026, 1, 2, 3, 19, 5, tzinfo=UTC)
    assert url_expires_at("https://s3.example/b/k") is None


# ── Ctrl-C and resuming ──────────────────────────────────────────────────────────────────────────────


@pytest.mark.usefixtures("slow_rows")
def test_ctrl_c_stops_the_job_and_the_next_run_resumes_it_by_id(
    aws: Aws, pool: Pool, tag: str, tmp_path: Path
) -> None:
    path, _ = write_file(tmp_path, pool, good_users(tag, 40))
    runner = aws.runner(pool)

    class CtrlC(Recorder):
        def job_updated(self, job: ImportJob) -> None:
            super().job_updated(job)
            if job.status == "InProgress" and job.imported >= 2 and not self.notices:
                raise KeyboardInterrupt  # what the terminal does, at the moment a poll is reported

    first = CtrlC()
    with pytest.raises(KeyboardInterrupt) as caught:
        runner.run(path, f"{tag}-interrupted", listener=first)

    assert isinstance(caught.value, ImportJobInterrupted)
    stopped = caught.value.job
    assert stopped is not None
    assert stopped.status == "Stopped"
    assert 2 <= stopped.imported < 40
    assert aws.status(pool, stopped.job_id) == "Stopped"
    assert any("run again to resume" in notice for notice in first.notices)

    again = Recorder()
    outcome = runner.run(path, f"{tag}-interrupted", job_id=stopped.job_id, listener=again)

    assert again.created == []  # no new job: the stopped one's log says who got in
    assert outcome.job.status == "Stopped"
    assert outcome.log.complete
    assert len(outcome.log.results) == stopped.imported
    assert len(outcome.log.missing_lines(40)) == 40 - stopped.imported


@pytest.mark.usefixtures("slow_rows")
def test_resuming_a_job_that_is_still_running_keeps_polling(
    aws: Aws, pool: Pool, tag: str, tmp_path: Path
) -> None:
    path, _ = write_file(tmp_path, pool, good_users(tag, 15))
    runner = aws.runner(pool)
    job = runner.create(f"{tag}-crashed", None)
    runner.upload(job, path)
    runner.start(job)  # ... and the process was killed here
    recorder = Recorder()

    outcome = runner.run(path, f"{tag}-crashed", job_id=job.job_id, listener=recorder)

    assert recorder.created == []
    assert recorder.updates[0].status in ("Pending", "InProgress")
    assert (outcome.job.job_id, outcome.job.status, outcome.job.imported) == (job.job_id, "Succeeded", 15)
    assert len(outcome.log.results) == 15


def test_resuming_a_finished_job_reads_its_results_without_a_new_job(
    aws: Aws, pool: Pool, tag: str, tmp_path: Path
) -> None:
    path, _ = write_file(tmp_path, pool, good_users(tag, 3))
    runner = aws.runner(pool)
    done = runner.run(path, f"{tag}-done")
    jobs_before = aws.job_ids(pool)
    recorder = Recorder()

    again = runner.run(path, f"{tag}-done", job_id=done.job.job_id, listener=recorder)

    assert recorder.created == []
    assert again.job.job_id == done.job.job_id
    assert again.log.results == done.log.results
    assert aws.job_ids(pool) == jobs_before


def test_resuming_a_job_of_another_pool_says_so(
    aws: Aws, pool: Pool, other_pool: Pool, tag: str, tmp_path: Path
) -> None:
    job = aws.runner(other_pool).create(f"{tag}-elsewhere", None)

    with pytest.raises(TerminalError, match=f"does not exist in user pool {pool.pool_id}"):
        aws.runner(pool).run(tmp_path / "absent.csv", f"{tag}-x", job_id=job.job_id)


# ── one active job per account, new roles ─────────────────────────────────────────────────────────


def start_other_job(aws: Aws, other_pool: Pool, tmp_path: Path, tag: str, users: int) -> str:
    """A job of another pool (the same account), started outside the runner."""
    (tmp_path / "other").mkdir()
    path, _ = write_file(tmp_path / "other", other_pool, good_users(f"{tag}-other", users))
    other = aws.runner(other_pool)
    job = other.create(f"{tag}-someone-elses-job", None)
    other.upload(job, path)
    other.start(job)
    return job.job_id


@pytest.mark.usefixtures("slow_rows")
def test_a_job_waits_while_another_job_of_the_account_runs(
    aws: Aws, pool: Pool, other_pool: Pool, tag: str, tmp_path: Path
) -> None:
    other_job = start_other_job(aws, other_pool, tmp_path, tag, users=400)
    path, _ = write_file(tmp_path, pool, good_users(tag, 1))

    class StopsTheOtherJob(Recorder):
        def notice(self, message: str) -> None:
            super().notice(message)
            if len(self.notices) == 1:  # its owner gives up on it while ours waits
                aws.idp.stop_user_import_job(UserPoolId=other_pool.pool_id, JobId=other_job)

    recorder = StopsTheOtherJob()
    outcome = aws.runner(pool).run(path, f"{tag}-queued", listener=recorder)

    assert outcome.job.status == "Succeeded"
    assert aws.status(other_pool, other_job) == "Stopped"
    assert recorder.notices, "the user is told why nothing happens"
    assert "one import job per account" in recorder.notices[0]
    assert "Another import job is already running" in recorder.notices[0]  # Cognito's own words


@pytest.mark.usefixtures("slow_rows")
def test_waiting_for_another_job_is_bounded(
    aws: Aws, pool: Pool, other_pool: Pool, tag: str, tmp_path: Path
) -> None:
    other_job = start_other_job(aws, other_pool, tmp_path, tag, users=400)
    path, _ = write_file(tmp_path, pool, good_users(tag, 1))
    runner = aws.runner(pool, timing=JobTiming(active_job_wait=0.15, active_job_retry_interval=0.05))
    recorder = Recorder()
    try:
        with pytest.raises(TransientError, match="another import job stayed active"):
            runner.run(path, f"{tag}-gave-up", listener=recorder)
    finally:
        stopped = aws.runner(other_pool).stop(other_job)
    assert stopped.status == "Stopped"
    ((job_id, _),) = recorder.created
    assert aws.status(pool, job_id) == "Created"  # resumable: the next run uploads again and starts it


_ROLE_NOT_READY: dict[str, int] = {}  # pool id → CreateUserImportJob calls still to refuse


def _refuse_new_role(call: ApiCall, forward: Any) -> Reply:
    pool_id = call.params.get("UserPoolId")
    if isinstance(pool_id, str) and _ROLE_NOT_READY.get(pool_id, 0) > 0:
        _ROLE_NOT_READY[pool_id] -= 1
        raise CognitoError("InvalidParameterException", f"Role {ROLE} cannot be assumed by Cognito.")
    reply: Reply = forward(call)
    return reply


@pytest.fixture(scope="module")
def role_not_ready(aws: Aws) -> Iterator[dict[str, int]]:
    """IAM's eventual consistency, as a hook in the local Cognito for the pools a test names."""
    assert aws.local.app is not None
    aws.local.app.on("CreateUserImportJob", _refuse_new_role, order=5)
    yield _ROLE_NOT_READY
    _ROLE_NOT_READY.clear()


def test_a_new_role_is_retried_until_cognito_can_use_it(
    aws: Aws, pool: Pool, tag: str, tmp_path: Path, role_not_ready: dict[str, int]
) -> None:
    path, _ = write_file(tmp_path, pool, good_users(tag, 1))
    role_not_ready[pool.pool_id] = 2
    recorder = Recorder()

    outcome = aws.runner(pool, role_is_new=True).run(path, f"{tag}-new-role", listener=recorder)

    assert outcome.job.status == "Succeeded"
    assert len(recorder.notices) == 2
    assert all("not usable by Cognito yet" in notice for notice in recorder.notices)


def test_an_unusable_role_that_is_not_new_fails_at_once(
    aws: Aws, pool: Pool, tag: str, tmp_path: Path, role_not_ready: dict[str, int]
) -> None:
    role_not_ready[pool.pool_id] = 1
    jobs_before = aws.job_ids(pool)

    with pytest.raises(TerminalError, match="cannot be assumed") as caught:
        aws.runner(pool).run(tmp_path / "unused.csv", f"{tag}-bad-role")

    assert caught.value.code == "InvalidParameterException"
    assert aws.job_ids(pool) == jobs_before
    assert role_not_ready[pool.pool_id] == 0


def test_job_names_are_checked_and_made_safe() -> None:
    assert safe_job_name("run 3: import/bcrypt-001.csv") == "run 3- import-bcrypt-001.csv"
    assert len(safe_job_name("x" * 300)) == 128
    with pytest.raises(ValueError, match="import job name"):
        ImportJobRunner(None, None, pool_id="p", pool_name="n", role_arn=ROLE).run(Path("f"), "a/b")


# ── reading the log ────────────────────────────────────────────────────────────────────────────────


def log_stream(aws: Aws, pool: Pool, job_id: str, messages: list[str]) -> None:
    """A job's log stream (job name ``job``) with ``messages`` in it, as Cognito would write it."""
    group = log_group_name(pool.pool_id, pool.pool_name)
    if not aws.logs.describe_log_groups(logGroupNamePrefix=group)["logGroups"]:
        aws.logs.create_log_group(logGroupName=group)
    aws.logs.create_log_stream(logGroupName=group, logStreamName=f"{job_id}/job")
    append_events(aws, pool, job_id, messages)


def append_events(aws: Aws, pool: Pool, job_id: str, messages: list[str]) -> None:
    now = int(time.time() * 1000)
    events = [{"timestamp": now + n, "message": message} for n, message in enumerate(messages)]
    aws.logs.put_log_events(
        logGroupName=log_group_name(pool.pool_id, pool.pool_name), logStreamName=f"{job_id}/job",
        logEvents=events,
    )  # fmt: skip


def reader_for(aws: Aws, pool: Pool, **options: Any) -> JobLogReader:
    options = {"timeout": 5.0, "poll_interval": 0.05, **options}
    return JobLogReader(aws.logs, pool_id=pool.pool_id, pool_name=pool.pool_name, **options)


def test_log_pages_are_read_to_the_end_and_odd_lines_kept_aside(aws: Aws, pool: Pool, tag: str) -> None:
    messages = [f"[SUCCEEDED] Line Number {n} - The import succeeded." for n in (3, 1, 2)]
    messages += [
        "Import job started.",
        "[FAILED] Line Number 4 - Bad email.",
        "[SKIPPED] Line Number 1 - again",
    ]
    log_stream(aws, pool, f"import-{tag}", messages)

    log = reader_for(aws, pool, page_size=2).read(f"import-{tag}", "job", expected=4)

    assert log.complete
    assert log.problem is None
    assert [(result.line, result.outcome) for result in log.results] == [
        (1, LineOutcome.SUCCEEDED), (2, LineOutcome.SUCCEEDED), (3, LineOutcome.SUCCEEDED),
        (4, LineOutcome.FAILED),
    ]  # fmt: skip
    assert log.results[3].message == "Bad email."
    assert log.unparsed == ("Import job started.",)
    assert log.duplicates == (LineResult(1, LineOutcome.SKIPPED, "again"),)


def test_log_reading_waits_for_late_events_and_says_what_never_came(aws: Aws, pool: Pool, tag: str) -> None:
    job_id = f"import-{tag}"
    log_stream(aws, pool, job_id, [f"[SUCCEEDED] Line Number {n} - ok" for n in (1, 2, 3)])
    late = threading.Timer(0.15, append_events, (aws, pool, job_id, ["[FAILED] Line Number 4 - x"]))

    short = reader_for(aws, pool, timeout=0.1).read(job_id, "job", expected=4)
    late.start()
    try:
        patient = reader_for(aws, pool, timeout=5).read(job_id, "job", expected=4)
    finally:
        late.join()

    assert not short.complete
    assert short.problem is not None
    assert "results for 3 of the 4 users" in short.problem
    assert patient.complete
    assert patient.waited_seconds > 0
    assert patient.by_line()[4].outcome is LineOutcome.FAILED


def test_a_missing_log_stream_points_at_the_role(aws: Aws, pool: Pool, tag: str) -> None:
    log = reader_for(aws, pool, timeout=0.1).read(f"import-{tag}", "job", expected=2)
    empty = reader_for(aws, pool, timeout=0.1).read(f"import-{tag}", "job", expected=0)

    assert not log.complete
    assert not log.stream_found
    assert log.problem is not None
    assert "logs:PutLogEvents" in log.problem
    assert empty.complete
    assert empty.problem is None


_OK, _EXISTS = "The import succeeded.", "The user already exists."


@pytest.mark.parametrize(("message", "expected"), [
    (f"[SUCCEEDED] Line Number 5 - {_OK}", LineResult(5, LineOutcome.SUCCEEDED, _OK)),
    (f"[SKIPPED] Line Number 7 - {_EXISTS}\n", LineResult(7, LineOutcome.SKIPPED, _EXISTS)),
    ("[FAILED] Line Number 9 - a - b", LineResult(9, LineOutcome.FAILED, "a - b")),
    ("[failed] line number 10 - lower", LineResult(10, LineOutcome.FAILED, "lower")),
    ("[STARTED] Line Number 1 - ?", None),
    ("Line Number 1 - no outcome", None),
    ("", None),
])  # fmt: skip
def test_log_lines_are_parsed_or_refused(message: str, expected: LineResult | None) -> None:
    assert parse_log_line(message) == expected
