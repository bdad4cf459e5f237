"""``status``: how many users are in each state, the runs so far, and one user's history on request."""

from __future__ import annotations

from pathlib import Path

from cognito_migrate.errors import ConfigError
from cognito_migrate.results import CommandResult, Outcome


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


def journal_status(journal_path: Path, *, user: str | None = None) -> CommandResult:
    from cognito_migrate.journal import Journal, UserState

    with Journal.open(journal_path) as journal:
        counts = journal.counts()
        runs = journal.runs()
        record = journal.get_user(user) if user is not None else None
        history = journal.history(user) if user is not None else []
    if user is not None and record is None:
        raise ConfigError(f"--user {user!r}: no such source id in {journal_path}")

    total = sum(counts.values())
    # Planned users wait for apply; submitted ones are in doubt until apply checks the pool again.
    waiting = counts[UserState.PLANNED] + counts[UserState.SUBMITTED]
    unfinished = counts[UserState.FAILED] + counts[UserState.REJECTED]
    outcome = Outcome.OK if not unfinished else Outcome.PARTIAL
    data = {
        "journal": str(journal_path),
        "users": total,
        "states": {str(state): n for state, n in counts.items()},
        "runs": [
            {
                "run_id": run.run_id,
                "command": run.command,
                "status": str(run.status),
                "started_at": run.started_at.isoformat(),
                "finished_at": run.finished_at.isoformat() if run.finished_at else None,
            }
            for run in runs
        ],
    }
    lines = [f"Journal {journal_path}: {total} users"]
    lines += [f"  {state!s:<10} {n:>9,}" for state, n in counts.items()]
    if waiting:
        lines.append(f"  {waiting:,} users wait for apply (planned, or submitted and not yet confirmed).")
    if unfinished:
        lines.append(f"  {unfinished:,} users were rejected or failed; their reasons: status --user ID.")
    lines.append(f"Runs: {len(runs)}")
    lines += [
        f"  #{run.run_id:<4} {run.command:<8} {run.status!s:<11} {run.started_at:%Y-%m-%d %H:%M:%S}"
        for run in runs[-10:]
    ]
    if record is not None:
        data["user"] = {
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
        lines.append(f"User {record.source_id} ({record.username}): {record.state}")
        lines += [
            f"  {event.at:%Y-%m-%d %H:%M:%S} run {event.run_id}: "
            f"{event.from_state or '(new)'} → {event.to_state}"
            + (f" ({event.reason})" if event.reason else "")
            for event in history
        ]
    return CommandResult(command="status", outcome=outcome, data=data, lines=lines)
