"""Everything the HTML report shows, gathered from the journal (and the saved plan, when found) first.

Gathering and rendering are apart so that the page template is plain formatting, and so that what the
report claims can be checked without parsing HTML. Every value here is an aggregate: the facts of a
million-user migration are a few kilobytes.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from cognito_migrate.journal import ImportJobRecord, Journal, Run, UserState
from cognito_migrate.reports.journal_queries import JournalQueries, ReasonGroup, TimelinePoint

NOT_MIGRATED = (UserState.REJECTED, UserState.FAILED, UserState.SKIPPED)
SETTLED = (UserState.MIGRATED, UserState.FAILED)
# Commands whose runs send users to Cognito: their time is what the plan's estimate is compared with.
_SENDING = ("apply", "sweep")


@dataclass(frozen=True)
class PlanEstimate:
    """What the saved plan expected: from its ``plan.json`` manifest."""

    plan_dir: Path
    pool_id: str | None
    created_at: str | None
    strategies: dict[str, int]
    decisions: dict[str, int]
    calls: dict[str, int]
    minimum_seconds: float
    import_jobs: int
    mau: int
    notes: list[str]


@dataclass(frozen=True)
class ReportFacts:
    journal: Path
    generated_at: datetime
    counts: dict[UserState, int]
    strategies: dict[str, dict[UserState, int]]
    attempts: dict[str, int]
    reasons: list[ReasonGroup]
    timeline: list[TimelinePoint]
    runs: list[Run]
    import_jobs: list[ImportJobRecord]
    plan: PlanEstimate | None = None
    plan_problem: str | None = None  # why no estimate is shown
    sending_seconds: float = field(default=0.0)
    calls: dict[str, int] = field(default_factory=dict)
    """Cognito calls per quota category that apply and sweep runs made (every attempt, retries too)."""

    @property
    def total(self) -> int:
        return sum(self.counts.values())


def gather_facts(journal_path: Path, plan_dir: Path | None) -> ReportFacts:
    with Journal.open(journal_path) as journal:
        counts = journal.counts()
        runs = journal.runs()
        jobs = journal.import_jobs()
        calls = journal.calls(_SENDING)
    with JournalQueries(journal_path) as queries:
        strategies = queries.strategy_states()
        attempts = queries.attempts()
        reasons = queries.reason_groups(NOT_MIGRATED, limit=15)
        timeline = queries.timeline(SETTLED)
    plan, problem = _read_estimate(plan_dir, journal_path)
    return ReportFacts(
        journal=journal_path,
        generated_at=datetime.now(UTC),
        counts=counts,
        strategies=strategies,
        attempts=attempts,
        reasons=reasons,
        timeline=timeline,
        runs=runs,
        import_jobs=jobs,
        plan=plan,
        plan_problem=problem,
        sending_seconds=sum(run_seconds(run) or 0.0 for run in runs if run.command in _SENDING),
        calls=calls,
    )


def run_seconds(run: Run) -> float | None:
    """How long a run took (so far, if it is still running)."""
    end = run.finished_at or datetime.now(UTC)
    return (end - run.started_at).total_seconds()


def saved_plan_dir(journal_path: Path, plan_file: Path | None) -> Path | None:
    """Where the journal's saved plan is: the plan file's (``plan``'s default folder), else the folder
    beside the journal named after it (``migration.journal.sqlite`` → ``migration.plan``)."""
    if plan_file is not None and plan_file.exists():
        from cognito_migrate.config import load_plan_file
        from cognito_migrate.planner.plan import default_plan_dir

        return default_plan_dir(load_plan_file(plan_file))
    name = journal_path.name
    stem = name.removesuffix(".journal.sqlite") if name.endswith(".journal.sqlite") else journal_path.stem
    return journal_path.parent / f"{stem}.plan"


def _read_estimate(plan_dir: Path | None, journal_path: Path) -> tuple[PlanEstimate | None, str | None]:
    # Only the manifest is read, not checked file by file: the report shows the plan's numbers, it
    # does not execute the plan, and hashing a million-user plan's files would take minutes.
    from cognito_migrate.planner.saved import MANIFEST

    if plan_dir is None or not (plan_dir / MANIFEST).exists():
        where = f"no saved plan at {plan_dir}" if plan_dir else "no saved plan"
        return None, f"{where}; status --plan FILE reads that plan file's saved plan"
    try:
        manifest: dict[str, Any] = json.loads((plan_dir / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        return None, f"{plan_dir / MANIFEST}: unreadable ({exc})"
    planned_journal = manifest.get("journal")
    if planned_journal and Path(planned_journal).resolve() != journal_path.resolve():
        return None, f"the saved plan in {plan_dir} writes to another journal ({planned_journal})"
    estimate = manifest.get("estimate", {})
    counts = manifest.get("counts", {})
    return (
        PlanEstimate(
            plan_dir=plan_dir,
            pool_id=manifest.get("pool", {}).get("id"),
            created_at=manifest.get("created_at"),
            strategies=dict(counts.get("strategies", {})),
            decisions=dict(counts.get("decisions", {})),
            calls=dict(estimate.get("calls", {})),
            minimum_seconds=float(estimate.get("minimum_seconds", 0.0)),
            import_jobs=int(estimate.get("import_jobs", 0)),
            mau=int(estimate.get("mau", 0)),
            notes=list(estimate.get("notes", [])),
        ),
        None,
    )
