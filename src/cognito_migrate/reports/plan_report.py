"""The plan as people read it: a terminal summary, and a CSV view of the per-user JSON Lines report."""

from __future__ import annotations

import csv
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

import orjson

from cognito_migrate.results import CommandResult, Outcome

if TYPE_CHECKING:
    from cognito_migrate.planner.plan import PlanOutcome

CSV_COLUMNS = ("source_id", "username", "decision", "strategy", "password", "algorithm", "state",
               "reasons", "groups", "enabled", "import_file", "import_line", "location")  # fmt: skip


def write_csv_view(jsonl: Path, target: Path) -> Path:
    """The per-user report as CSV (reasons joined with ' | '), streamed line by line, 0600."""
    fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with jsonl.open("rb") as source, os.fdopen(fd, "w", encoding="utf-8", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(CSV_COLUMNS)
        for line in source:
            row: dict[str, Any] = orjson.loads(line)
            row["reasons"] = " | ".join(row.get("reasons") or [])
            row["groups"] = ",".join(row.get("groups") or [])
            writer.writerow([row.get(column) for column in CSV_COLUMNS])
    return target


def plan_result(outcome: PlanOutcome) -> CommandResult:
    """The ``plan`` command's result: JSON data (documented in the README) and a summary for people."""
    counts, est = outcome.counts, outcome.estimate
    decisions = {key: counts.decisions.get(key, 0) for key in ("migrate", "reject", "skip")}
    data: dict[str, Any] = {
        "plan_dir": str(outcome.plan_dir),
        "pool_id": outcome.profile.pool_id,
        "run_id": outcome.run_id,
        "users": sum(decisions.values()),
        "decisions": decisions,
        "strategies": dict(counts.by_strategy),
        "passwords": dict(counts.by_password),
        "algorithms": dict(counts.by_algorithm),
        "reasons": dict(counts.reasons.most_common()),
        "import_files": [{"name": f.name, "algorithm": f.algorithm, "users": f.users} for f in outcome.files],
        "estimate": est.as_dict(),
    }
    lines = [
        f"Plan for pool {outcome.profile.pool_id}: {data['users']:,} source users",
        f"  migrate {decisions['migrate']:>9,}   reject {decisions['reject']:>7,}"
        f"   skip {decisions['skip']:>7,}",
    ]
    for strategy, n in counts.by_strategy.most_common():
        passwords = ", ".join(
            f"{password or 'unchanged'} {v:,}"
            for (of, password), v in counts.by_strategy_password.most_common()
            if of == strategy
        )
        lines.append(f"  {strategy:<11} {n:>9,}  ({passwords})")
    if counts.reasons:
        lines.append("Not migrated, by reason (the report has every user):")
        for rule, n in counts.reasons.most_common(12):
            lines.append(f"  {rule:<32} {n:>7,}   e.g. {outcome.examples.get(rule, [''])[0]}")
    if outcome.files:
        lines.append("Import files: " + ", ".join(f"{f.name} ({f.users:,})" for f in outcome.files))
    lines.append(
        f"Estimate: at least {_duration(est.minimum_seconds)} of API calls at your quotas; "
        f"{est.import_jobs} import job(s); adds {est.mau:,} monthly active users"
    )
    for name, seconds in est.seconds.items():
        lines.append(f"  {name:<24} {_duration(seconds)}")
    lines.extend(f"  note: {note}" for note in est.notes)
    lines.append(f"Saved plan: {outcome.plan_dir} (report: {outcome.plan_dir / 'users.jsonl'})")
    outcome_kind = Outcome.PARTIAL if decisions["reject"] else Outcome.OK
    return CommandResult(command="plan", outcome=outcome_kind, data=data, lines=lines)


def _duration(seconds: float) -> str:
    if seconds < 90:
        return f"{seconds:.0f} s"
    if seconds < 5400:
        return f"{seconds / 60:.0f} min"
    return f"{seconds / 3600:.1f} h"
