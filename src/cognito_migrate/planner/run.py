"""The ``plan`` command as one library call: load the plan file, plan, write the report views."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from cognito_migrate.aws.quotas import parse_quota_flags
from cognito_migrate.aws.session import settings_for_target
from cognito_migrate.config import load_plan_file
from cognito_migrate.planner.plan import REPORT, make_plan
from cognito_migrate.reports.plan_report import plan_result, write_csv_view
from cognito_migrate.results import CommandResult


def plan_command(
    plan_file: Path,
    *,
    out_dir: Path | None = None,
    quota_flags: Sequence[str] = (),
    profile: str | None = None,
    region: str | None = None,
    endpoint_url: str | None = None,
) -> CommandResult:
    config = load_plan_file(plan_file)
    settings = settings_for_target(config.target, profile=profile, region=region, endpoint_url=endpoint_url)
    outcome = make_plan(
        config, settings=settings, plan_dir=out_dir, quota_flags=parse_quota_flags(quota_flags)
    )
    write_csv_view(outcome.plan_dir / REPORT, outcome.plan_dir / "users.csv")
    return plan_result(outcome)
