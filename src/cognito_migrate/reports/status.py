"""``status``: how many users are in each state, the runs so far, one run's changes, the users in one
state, one user's history on request, and the reports (``--report DIR``)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

from cognito_migrate.errors import ConfigError
from cognito_migrate.results import CommandResult, Outcome

if TYPE_CHECKING:
    from cognito_migrate.journal import Journal, Run, UserRecord, UserState

DEFAULT_LIMIT = 20
"""Users listed by ``--state`` unless ``--limit`` says otherwise: a screenful, not a million lines."""


def locate_journal(plan_file: Path | None, journal: Path | None) -> Path:
    """The journal a command works on: ``--journal``, else the plan file's ``[strategy] journal``,
    else the file next to the plan."""
    from cognito_migrate.journal import default_journal_path

    if journal is not None:
        path = journal
    else:
        plan_file = plan_file or Path("migration.toml")
        path = default_journal_path(plan_file)
        if plan_file.exists():
            from cognito_migrate.config import load_plan_file

            config = load_plan_file(plan_file)
            if config.strategy.journal is not None:
                path = config.resolve(config.strategy.journal)
    if not path.exists():
        raise ConfigError(f"{path}: no journal here yet; it is written by plan and apply")
    return path


def journal_status(
    journal_path: Path,
    *,
    user: str | None = None,
    run: int | None = None,
    state: UserState | None = None,
    limit: int = DEFAULT_LIMIT,
    report_dir: Path | None = None,
    plan_file: Path | None = None,
) -> CommandResult:
    """The ``status`` command. Without ``run``, the whole journal; with it, that run's changes.

    ``state`` lists the users in that state with their reasons (``limit`` of them, 0 for all);
    ``report_dir`` writes ``users.jsonl``, ``users.csv`` and ``report.html`` there (the saved plan's
    estimate is found from ``plan_file``, or beside the journal).
    """
    from cognito_migrate.journal import Journal

    with Journal.open(journal_path) as journal:
        counts = journal.counts()
        runs = journal.runs()
        record = journal.get_user(user) if user is not None else None
        history = journal.history(user) if user is not None else []
        if user is not None and record is None:
            raise ConfigError(f"--user {user!r}: no such source id in {journal_path}")
        if run is not None:
            result = _run_view(journal, journal_path, run, runs)
        else:
            result = _summary(journal_path, counts, runs)
        if state is not None:
            _list_state(journal, result, state, None if run is not None else counts[state], limit, run)
    if record is not None:
        _add_history(result, record, history)
    if report_dir is not None:
        _write_reports(result, journal_path, report_dir, plan_file)
    return result


def _summary(journal_path: Path, counts: dict[UserState, int], runs: list[Run]) -> CommandResult:
    from cognito_migrate.journal import UserState

    total = sum(counts.values())
    # Planned users wait for apply; submitted ones are in doubt until apply checks the pool again.
    waiting = counts[UserState.PLANNED] + counts[UserState.SUBMITTED]
    unfinished = counts[UserState.FAILED] + counts[UserState.REJECTED]
    outcome = Outcome.OK if not unfinished else Outcome.PARTIAL
    data: dict[str, Any] = {
        "journal": str(journal_path),
        "users": total,
        "states": {str(state): n for state, n in counts.items()},
        "runs": [_run_data(run) for run in runs],
    }
    lines = [f"Journal {journal_path}: {total} users"]
    # Eleven wide for rolled_back; the numbers end in the same column as they always did.
    lines += [f"  {state!s:<11}{n:>9,}" for state, n in counts.items()]
    if waiting:
        lines.append(f"  {waiting:,} users wait for apply (planned, or submitted and not yet confirmed).")
    if unfinished:
        lines.append(
            f"  {unfinished:,} users were rejected or failed; their reasons: status --state failed "
            "(or rejected), one user's history: status --user ID."
        )
    lines.append(f"Runs: {len(runs)} (one run's changes: status RUN)")
    lines += [
        f"  #{run.run_id:<4} {run.command:<8} {run.status!s:<11} {run.started_at:%Y-%m-%d %H:%M:%S}"
        for run in runs[-10:]
    ]
    return CommandResult(command="status", outcome=outcome, data=data, lines=lines)


def _run_data(run: Run) -> dict[str, Any]:
    return {
        "run_id": run.run_id,
        "command": run.command,
        "status": str(run.status),
        "started_at": run.started_at.isoformat(),
        "finished_at": run.finished_at.isoformat() if run.finished_at else None,
    }


def _run_view(journal: Journal, journal_path: Path, run_id: int, runs: list[Run]) -> CommandResult:
    """One run: what it was, how it ended, and how many users it moved into each state."""
    from cognito_migrate.journal import RunStatus
    from cognito_migrate.reports.journal_queries import JournalQueries
    from cognito_migrate.reports.report_facts import run_seconds

    run = next((r for r in runs if r.run_id == run_id), None)
    if run is None:
        known = f"runs are #{runs[0].run_id}–#{runs[-1].run_id}" if runs else "it has no runs yet"
        raise ConfigError(f"run {run_id}: not in {journal_path} ({known})")
    with JournalQueries(journal_path) as queries:
        changes = queries.run_changes(run_id)
    jobs = journal.import_jobs(run_id)
    entered: dict[str, int] = {}
    for (_, to_state), n in changes.items():
        entered[str(to_state)] = entered.get(str(to_state), 0) + n
    seconds = run_seconds(run)
    data = {
        "journal": str(journal_path),
        "run": {
            **_run_data(run),
            "seconds": round(seconds, 3) if seconds is not None else None,
            "note": run.note,
            "host": run.host,
            "pid": run.pid,
            "plan_checksum": run.plan_checksum,
            "entered": entered,
            "changes": [
                {"from": str(old) if old else None, "to": str(new), "users": n}
                for (old, new), n in changes.items()
            ],
            "import_jobs": [
                {"job_id": job.job_id, "file_name": job.file_name, "status": job.status,
                 "users": job.user_count, "imported": job.imported, "skipped": job.skipped,
                 "failed": job.failed}
                for job in jobs
            ],
        },
    }  # fmt: skip
    finished = f", finished {run.finished_at:%Y-%m-%d %H:%M:%S}" if run.finished_at else ", still running"
    lines = [
        f"Run #{run.run_id} {run.command}: {run.status}",
        f"  started {run.started_at:%Y-%m-%d %H:%M:%S}{finished} (took {seconds:,.1f} s) on {run.host}",
    ]
    if run.note:
        lines.append(f"  note: {run.note}")
    lines.append(f"Changes: {sum(changes.values()):,} users moved" + (":" if changes else ""))
    lines += [f"  {old or '(new)':>11} → {new:<11} {n:>9,}" for (old, new), n in changes.items()]
    for job in jobs:
        counted = ", ".join(
            f"{n:,} {label}"
            for label, n in (("imported", job.imported), ("skipped", job.skipped), ("failed", job.failed))
            if n is not None
        )
        lines.append(f"  import job {job.job_id} ({job.file_name or job.job_name}): {job.status}; {counted}")
    bad = run.status in (RunStatus.PARTIAL, RunStatus.FAILED, RunStatus.INTERRUPTED)
    return CommandResult(
        command="status", outcome=Outcome.PARTIAL if bad else Outcome.OK, data=data, lines=lines
    )


def _list_state(
    journal: Journal, result: CommandResult, state: UserState, total: int | None, limit: int, run: int | None
) -> None:
    """The users in ``state`` with their reasons, streamed and cut at ``limit`` (0: all); with ``run``,
    only those that run left in ``state`` (their last change was in it), counted as they stream by."""
    users: list[UserRecord] = []
    found = 0
    page = 1000 if run is not None else max(1, min(limit or 1000, 1000))
    for record in journal.users(state, page_size=page):
        if run is not None and record.last_run_id != run:
            continue
        found += 1
        if not limit or len(users) < limit:
            users.append(record)
        elif total is not None:
            break  # the total is known; no need to read the rest
    total = found if total is None else total
    result.data["users_in_state"] = {
        "state": str(state),
        "run_id": run,
        "total": total,
        "users": [
            {"source_id": r.source_id, "username": r.username, "strategy": r.strategy, "reason": r.reason,
             "attempts": r.attempts, "last_run_id": r.last_run_id}
            for r in users
        ],
    }  # fmt: skip
    shown = ""
    if len(users) < total:
        shown = f" (the first {len(users):,}; all of them: --limit 0, or --report DIR)"
    who = f"Users run #{run} left {state}" if run is not None else f"Users {state}"
    result.lines.append(f"{who}: {total:,}{shown}")
    result.lines += [
        f"  {r.source_id:<12} {r.username:<24} {r.strategy or '-':<10} {r.reason or ''}" for r in users
    ]


def _add_history(result: CommandResult, record: Any, history: list[Any]) -> None:
    result.data["user"] = {
        "source_id": record.source_id,
        "username": record.username,
        "state": str(record.state),
        "strategy": record.strategy,
        "reason": record.reason,
        "attempts": record.attempts,
        "cognito_sub": record.cognito_sub,
        "history": [
            {
                "run_id": event.run_id,
                "from": str(event.from_state) if event.from_state else None,
                "to": str(event.to_state),
                "reason": event.reason,
                "at": event.at.isoformat(),
            }
            for event in history
        ],
    }
    result.lines.append(f"User {record.source_id} ({record.username}): {record.state}")
    result.lines += [
        f"  {event.at:%Y-%m-%d %H:%M:%S} run {event.run_id}: "
        f"{event.from_state or '(new)'} → {event.to_state}" + (f" ({event.reason})" if event.reason else "")
        for event in history
    ]


def _write_reports(
    result: CommandResult, journal_path: Path, report_dir: Path, plan_file: Path | None
) -> None:
    from cognito_migrate.reports.html_report import REPORT_NAME, write_html_report
    from cognito_migrate.reports.journal_queries import JournalQueries
    from cognito_migrate.reports.report_facts import gather_facts, saved_plan_dir
    from cognito_migrate.reports.user_report import write_user_reports

    if report_dir.exists() and not report_dir.is_dir():
        raise ConfigError(f"--report {report_dir}: not a folder")
    if not report_dir.exists():
        report_dir.mkdir(parents=True)
        os.chmod(report_dir, 0o700)  # its files name every user
    with JournalQueries(journal_path) as queries:
        jsonl, table, written = write_user_reports(queries, report_dir)
    facts = gather_facts(journal_path, saved_plan_dir(journal_path, plan_file))
    page = write_html_report(facts, report_dir / REPORT_NAME)
    result.data["report"] = {
        "users": written,
        "jsonl": str(jsonl),
        "csv": str(table),
        "html": str(page),
        "plan_estimate": str(facts.plan.plan_dir) if facts.plan else None,
    }
    result.lines.append(f"Report: {page} ({written:,} users in {jsonl.name} and {table.name})")
    if facts.plan is None:
        result.lines.append(f"  without the plan's estimate: {facts.plan_problem}")
