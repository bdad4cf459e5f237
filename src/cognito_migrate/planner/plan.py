"""``plan``: read the source, map it, read the pool once, decide every user, write the saved plan.

Nothing is written to the pool. Everything streams: users go from the source through the decision
straight into the journal, the per-user report and the import files; only counts (and the rules'
memory of names seen, for duplicates) stay in memory.
"""

from __future__ import annotations

import hashlib
import os
import shutil
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson

from cognito_migrate.aws.ratelimit import rate_limiter_for_target
from cognito_migrate.aws.session import AwsSettings, settings_for_target
from cognito_migrate.config.models import MigrationConfig
from cognito_migrate.journal import Journal, RunStatus, UserState, default_journal_path
from cognito_migrate.journal.background import BackgroundPlanRows
from cognito_migrate.journal.changes import PlanRow
from cognito_migrate.mapping import AttributeMapper
from cognito_migrate.planner.batch import BatchPlanner, FastRun
from cognito_migrate.planner.decide import UserDecider
from cognito_migrate.planner.decision import UserPlan, Verdict, fingerprint_line, report_line
from cognito_migrate.planner.estimate import Estimate, PlanCounts, estimate
from cognito_migrate.planner.existing import read_existing_users
from cognito_migrate.planner.pool_reader import read_pool_profile
from cognito_migrate.planner.profile import PoolProfile
from cognito_migrate.planner.rules import RuleSet
from cognito_migrate.planner.saved import pool_fingerprint, write_manifest
from cognito_migrate.sources import open_source
from cognito_migrate.sources.records import GroupDefinition, SourceRecord
from cognito_migrate.strategies.csv_import import ImportCsvWriter, ImportFile, RowRejected
from cognito_migrate.strategies.payload import ADMIN_FILE, JIT_FILE, PayloadWriter

REPORT = "users.jsonl"
# How an admin user gets a password: the plan's handling → the admin file's `password`.
_ADMIN_PASSWORD = {"temporary": "temporary", "permanent": "permanent", "reset-required": "none"}
EXAMPLES_PER_RULE = 3
_ROWS_PER_PUT = 1000  # users handed to the journal writer at a time by the per-record path


@dataclass
class PlanOutcome:
    plan_dir: Path
    profile: PoolProfile
    counts: PlanCounts
    estimate: Estimate
    files: list[ImportFile]
    run_id: int
    examples: dict[str, list[str]] = field(default_factory=dict)  # rule → "user 42 (ada): message"


def default_plan_dir(config: MigrationConfig) -> Path:
    stem = config.path.stem if config.path else "migration"
    return config.base_dir / f"{stem}.plan"


def make_plan(
    config: MigrationConfig,
    *,
    settings: AwsSettings | None = None,
    plan_dir: Path | None = None,
    quota_flags: Mapping[str, float] | None = None,
    batch: bool = True,
) -> PlanOutcome:
    """Plan the migration ``config`` describes; write the saved plan to ``plan_dir``.
    ``quota_flags`` override ``[target.quotas]`` for this run (``--quota``). ``batch=False`` plans
    every user through the per-record path (``planner.batch`` says when batches are used)."""
    settings = settings or settings_for_target(config.target)
    limiter = rate_limiter_for_target(config.target, quota_flags)
    idp = settings.client("cognito-idp", rate_limiter=limiter)
    # Both readers map Cognito's errors at each call, naming the operation.
    profile = read_pool_profile(idp, config.target.pool_id, region=settings.resolved_region())
    existing = read_existing_users(
        idp, profile, legacy_id_attribute=config.strategy.legacy_id_attribute or None
    )

    def make_rules() -> RuleSet:
        return RuleSet(
            profile,
            username_policy=config.strategy.username_policy,
            grandfathered=config.strategy.grandfathered_usernames,
            existing=existing,
            legacy_id_attribute=config.strategy.legacy_id_attribute or None,
        )

    rules = make_rules()
    decider = UserDecider(profile, rules, AttributeMapper.from_config(config), config.strategy)

    plan_dir = plan_dir or default_plan_dir(config)
    _fresh_directory(plan_dir)

    counts = PlanCounts()
    examples: dict[str, list[str]] = {}
    writers: dict[str | None, ImportCsvWriter] = {}
    # Algorithms in the order their first user was written: the manifest lists the import files so, and
    # the batch planner may make a writer (to format rows) before an earlier user writes to another.
    written: dict[str | None, None] = {}
    admin = PayloadWriter(plan_dir, ADMIN_FILE)
    jit = PayloadWriter(plan_dir, JIT_FILE)
    fingerprint = hashlib.sha256()
    report_fd = os.open(plan_dir / REPORT, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)

    definitions: list[GroupDefinition] = []

    def writer_for(algorithm: str | None) -> ImportCsvWriter:
        writer = writers.get(algorithm)
        if writer is None:
            writer = writers[algorithm] = ImportCsvWriter(
                plan_dir, profile.csv_header, algorithm=algorithm, mfa_configuration=profile.mfa_configuration
            )
        return writer

    def plan_record(record: SourceRecord, report: Any) -> PlanRow:
        plan, prepared = decider.decide(record)
        if prepared is not None and plan.strategy == "csv-import":
            try:
                plan.import_file, plan.import_line = writer_for(plan.algorithm).add(
                    prepared.username,
                    prepared.attributes,
                    mfa_enabled=prepared.mfa_enabled,
                    password_hash=prepared.password_hash,
                )
                written.setdefault(plan.algorithm)
            except RowRejected as exc:
                plan.decision, plan.strategy, plan.password, plan.algorithm = (
                    Verdict.REJECT, None, None, None,
                )  # fmt: skip
                plan.reasons = [f"{exc.rule}: {exc}"]
        elif prepared is not None and plan.strategy == "admin":
            admin.add({
                "source_id": plan.source_id, "username": prepared.username,
                "attributes": prepared.attributes, "groups": plan.groups, "enabled": plan.enabled,
                "password": _ADMIN_PASSWORD.get(plan.password or "", "none"),
                "update": plan.password is None,
            })  # fmt: skip
        elif prepared is not None and plan.strategy == "jit" and prepared.legacy_hash:
            jit.add({
                "source_id": plan.source_id, "username": prepared.username,
                "aliases": {name: prepared.attributes[name] for name in profile.alias_attributes
                            if prepared.attributes.get(name)},
                "password_hash": prepared.legacy_hash, "attributes": prepared.attributes,
                "groups": plan.groups, "enabled": plan.enabled,
            })  # fmt: skip
        if prepared is not None:
            fingerprint.update(_fingerprint_line(plan, prepared.attributes))
        _count(counts, examples, plan)
        report.write(orjson.dumps(plan.as_report_line(), option=orjson.OPT_APPEND_NEWLINE))
        return (plan.source_id, plan.username, plan.strategy, UserState(plan.state),
                "; ".join(plan.reasons) or None)  # fmt: skip

    def plan_run(run: FastRun, report: Any) -> list[PlanRow]:
        """Write a batch planner's run of csv-import users, as plan_record would one by one."""
        placed: list[tuple[str, int] | None] = [None] * len(run.source_ids)
        for algorithm in dict.fromkeys(decision.algorithm for decision in run.decisions):
            mine = [i for i, decision in enumerate(run.decisions) if decision.algorithm == algorithm]
            where = writer_for(algorithm).add_rows([run.rows[i] for i in mine])
            written.setdefault(algorithm)
            for i, spot in zip(mine, where, strict=True):
                placed[i] = spot
        lines: list[bytes] = []
        printed: list[bytes] = []
        rows: list[PlanRow] = []
        users = zip(run.source_ids, run.usernames, run.attributes, run.decisions, run.groups, run.enabled,
                    placed, run.locations, strict=True)  # fmt: skip
        for source_id, username, attributes, decision, groups, enabled, spot, location in users:
            strategy, password, algorithm, reason = (
                decision.strategy, decision.password, decision.algorithm, decision.reason
            )  # fmt: skip
            file, line = spot or (None, None)
            lines.append(orjson.dumps(
                report_line(source_id, username, Verdict.MIGRATE, strategy, password, algorithm, [reason],
                            groups, enabled, file, line, location),
                option=orjson.OPT_APPEND_NEWLINE,
            ))  # fmt: skip
            printed.append(
                fingerprint_line(
                    source_id, username, attributes, strategy, password, algorithm, groups, enabled
                )
            )
            rows.append((source_id, username, strategy, UserState.PLANNED, reason))
        report.write(b"".join(lines))
        fingerprint.update(b"".join(printed))
        _count_run(counts, run)
        return rows

    def plan_source(report: Any, journal_rows: BackgroundPlanRows) -> None:
        with open_source(config) as source:
            definitions.extend(source.group_definitions())
            batches = (
                BatchPlanner.create(
                    source, profile, rules, make_rules, decider.mapper, config.strategy, writer_for
                )
                if batch
                else None
            )
            if batches is None:
                pending: list[PlanRow] = []
                for record in source.records():
                    pending.append(plan_record(record, report))
                    if len(pending) >= _ROWS_PER_PUT:
                        journal_rows.put(pending)
                        pending = []
                journal_rows.put(pending)
                return
            for columns in source.column_batches():  # type: ignore[attr-defined]
                planned: list[PlanRow] = []
                for item in batches.split(columns):
                    if isinstance(item, FastRun):
                        planned += plan_run(item, report)
                    else:
                        planned.append(plan_record(item, report))
                journal_rows.put(planned)

    journal_path = (
        config.resolve(config.strategy.journal)
        if config.strategy.journal
        else default_journal_path(config.path or Path("migration.toml"))
    )
    with Journal.open(journal_path) as journal, os.fdopen(report_fd, "wb", buffering=1 << 20) as report:
        run_id = journal.start_run("plan", config.checksum)
        try:
            with BackgroundPlanRows(journal_path, run_id) as journal_rows:
                plan_source(report, journal_rows)
        except BaseException:
            journal.finish_run(
                run_id, RunStatus.FAILED, note="plan did not finish", calls=limiter.call_counts()
            )
            raise
        outcome = RunStatus.PARTIAL if counts.decisions[Verdict.REJECT] else RunStatus.COMPLETED
        journal.finish_run(run_id, outcome, calls=limiter.call_counts())

    files = [file for algorithm in written for file in writers[algorithm].close()]
    admin_file = admin.close()
    jit_file = jit.close()
    result = estimate(counts, quotas=limiter.quotas, existing_groups=profile.groups, import_files=len(files))
    write_manifest(
        plan_dir,
        {
            "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
            "config_checksum": config.checksum,
            "journal": str(journal_path),
            "run_id": run_id,
            "pool": {
                "id": profile.pool_id,
                "region": profile.region,
                "fingerprint": pool_fingerprint(profile, plan_groups=counts.groups),
            },
            "source": {"type": config.source.type, "fingerprint": fingerprint.hexdigest()},
            "counts": _counts_dict(counts),
            "estimate": result.as_dict(),
            "files": [
                {"name": f.name, "algorithm": f.algorithm, "users": f.users, "sha256": f.sha256}
                for f in files
            ],
            "report": REPORT,
            "admin": admin_file,
            "jit": jit_file,
            # The groups migrated users join, as apply creates those the pool lacks.
            "groups": [_group_entry(name, definitions) for name in sorted(counts.groups)],
        },
    )
    return PlanOutcome(plan_dir, profile, counts, result, files, run_id, examples)


def _fingerprint_line(plan: UserPlan, attributes: dict[str, str]) -> bytes:
    return fingerprint_line(
        plan.source_id, plan.username, attributes, plan.strategy, plan.password, plan.algorithm,
        plan.groups, plan.enabled,
    )  # fmt: skip


def _group_entry(name: str, definitions: list[GroupDefinition]) -> dict[str, Any]:
    found = next((d for d in definitions if d.name == name), GroupDefinition(name))
    return {
        "name": name,
        "description": found.description,
        "precedence": found.precedence,
        "role_arn": found.role_arn,
    }


def _count(counts: PlanCounts, examples: dict[str, list[str]], plan: UserPlan) -> None:
    decision = plan.decision
    counts.decisions[decision] += 1
    if decision is Verdict.MIGRATE:
        strategy = plan.strategy or ""
        counts.migrations[strategy, plan.password or "", plan.algorithm or ""] += 1
        # The trigger's PostAuthentication step adds JIT users' groups and never disables.
        if plan.groups:
            counts.groups.update(plan.groups)
            if strategy != "jit":
                counts.memberships += len(plan.groups)
        if not plan.enabled and strategy != "jit":
            counts.disabled += 1
        if plan.reasons and plan.reasons[0].startswith("pool.exists"):
            counts.updates += 1
        return
    for reason in plan.reasons:
        rule = reason.split(":", 1)[0]
        counts.reasons[rule] += 1
        shown = examples.setdefault(rule, [])
        if len(shown) < EXAMPLES_PER_RULE:
            shown.append(f"user {plan.source_id} ({plan.username}): {reason}")


def _count_run(counts: PlanCounts, run: FastRun) -> None:
    """``_count`` for a batch planner's run: every user migrates by CSV import, created (never updated)."""
    counts.decisions[Verdict.MIGRATE] += len(run.source_ids)
    for decision in run.decisions:
        counts.migrations[decision.strategy, decision.password, decision.algorithm or ""] += 1
    for groups in set(run.groups):
        counts.groups.update(groups)
    counts.memberships += sum(map(len, run.groups))
    counts.disabled += run.enabled.count(False)


def _counts_dict(counts: PlanCounts) -> dict[str, Any]:
    return {
        "decisions": {str(k): v for k, v in counts.decisions.items()},
        "strategies": dict(counts.by_strategy),
        "passwords": dict(counts.by_password),
        "algorithms": dict(counts.by_algorithm),
        "reasons": dict(counts.reasons.most_common()),
        "memberships": counts.memberships,
        "disabled": counts.disabled,
        "groups": sorted(counts.groups),
    }


def _fresh_directory(plan_dir: Path) -> None:
    """An empty 0700 folder: files of an older plan must not be mistaken for this one's."""
    if plan_dir.exists():
        if not (plan_dir / "plan.json").exists() and any(plan_dir.iterdir()):
            from cognito_migrate.errors import ConfigError

            raise ConfigError(f"{plan_dir}: exists and is not a saved plan; choose another --out")
        shutil.rmtree(plan_dir)
    plan_dir.mkdir(mode=0o700, parents=True)
