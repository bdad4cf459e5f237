"""Run the demo: a sample JupyterHub portal migrating into a pool on the embedded local Cognito.

The demo grows with the pipeline. Today it builds the source, starts the local Cognito with the target
pool, writes the plan file and plans the migration against the pool (every user decided, the import
file written, the journal and the report saved); the migration stages are added here as they are
built, so the demo always shows exactly what works.
"""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path
from typing import Any

from cognito_migrate.apply import apply_plan
from cognito_migrate.config import load_plan_file, write_example
from cognito_migrate.demo.sample_hub import write_sample_hub
from cognito_migrate.journal import default_journal_path
from cognito_migrate.local import LocalCognito
from cognito_migrate.planner.plan import REPORT, make_plan
from cognito_migrate.reports.plan_report import plan_result, write_csv_view
from cognito_migrate.reports.status import journal_status
from cognito_migrate.results import CommandResult
from cognito_migrate.strategies.csv_import.job import JobTiming
from cognito_migrate.verify import verify_migration

DEMO_POOL_NAME = "portal-v2"


def create_demo_pool(idp: Any) -> str:
    """A target pool like a portal's new home: email verified automatically, case-insensitive
    usernames, a custom attribute that keeps the legacy id, invitations only by admins."""
    response = idp.create_user_pool(
        PoolName=DEMO_POOL_NAME,
        AutoVerifiedAttributes=["email"],
        UsernameConfiguration={"CaseSensitive": False},
        AdminCreateUserConfig={"AllowAdminCreateUserOnly": True},
        MfaConfiguration="OFF",
        Policies={
            "PasswordPolicy": {
                "MinimumLength": 10,
                "RequireUppercase": True,
                "RequireLowercase": True,
                "RequireNumbers": True,
                "RequireSymbols": False,
            }
        },
        Schema=[
            {"Name": "email", "AttributeDataType": "String", "Required": True, "Mutable": True},
            {"Name": "legacy_id", "AttributeDataType": "String", "Mutable": True},
        ],
    )
    return str(response["UserPool"]["Id"])


def run_demo(
    workdir: Path, *, users: int = 24, keep_running: bool = False, stop: threading.Event | None = None
) -> CommandResult:
    """Build the sample portal and the local target, then run each pipeline stage that exists."""
    workdir.mkdir(parents=True, exist_ok=True)
    hub = write_sample_hub(workdir / "jupyterhub.sqlite", count=users)
    with sqlite3.connect(hub) as db:
        hub_users = db.execute("SELECT count(*) FROM users").fetchone()[0]
        groups = db.execute("SELECT count(*) FROM groups").fetchone()[0]

    with LocalCognito() as local:
        pool_id = create_demo_pool(local.client("cognito-idp"))
        plan_path = write_example(
            workdir / "migration.toml",
            "jupyterhub",
            force=True,
            database=hub.name,
            pool_id=pool_id,
            region=local.region,
            endpoint_url=local.endpoint_url,
        )
        # Users whose hash was lost get a temporary password through the admin API, so the demo shows
        # all three ways in: CSV import with hashes, just-in-time, and admin.
        plan_path.write_text(
            plan_path.read_text().replace(
                'without_hash = "reset-required"', 'without_hash = "temporary-password"'
            )
        )
        config = load_plan_file(plan_path)
        outcome = make_plan(config, settings=local.settings())
        write_csv_view(outcome.plan_dir / REPORT, outcome.plan_dir / "users.csv")
        planned = plan_result(outcome)
        # The local import jobs finish in moments: poll them often so the demo does not sit waiting.
        quick = JobTiming(poll_interval=0.2, log_poll_interval=0.2)
        credentials = workdir / "credentials.csv"  # the lost-hash user's temporary password (0600)
        credentials.unlink(missing_ok=True)
        applied = apply_plan(plan_path, settings=local.settings(), timing=quick, credentials=credentials)
        # Prove it: the source compared with the pool user by user, then the reports a person reads.
        verified = verify_migration(plan_path, settings=local.settings())
        reports = journal_status(
            default_journal_path(plan_path), report_dir=workdir / "report", plan_file=plan_path
        )

        lines = [
            "cognito-migrate demo",
            f"  source        {hub}: {hub_users} hub users, {groups} groups, bcrypt hashes",
            f"  local Cognito {local.endpoint_url} (Region {local.region})",
            f"  target pool   {DEMO_POOL_NAME} ({pool_id}): email auto-verified, case-insensitive",
            f"  plan file     {plan_path}",
            "",
            *planned.lines,
            "",
            *applied.lines,
            "",
            *verified.lines,
            "",
            f"Reports: {workdir / 'report' / 'report.html'} (open it in a browser), users.jsonl, users.csv",
            f"Temporary passwords: {credentials} (0600)",
            "hopper13 moves at first sign-in through the migrate-user trigger: cognito-migrate trigger "
            "stage, trigger build, trigger deploy (the demo does not deploy it: building downloads the "
            "Lambda's Linux wheels); `cognito-migrate sweep` imports whoever never signs in.",
        ]
        if keep_running:
            lines.append("The local Cognito keeps running until Ctrl-C; these settings reach it:")
            lines.extend(f"  export {name}={value}" for name, value in local.environment().items())
            for line in lines:
                print(line, flush=True)
            lines = []
            (stop or threading.Event()).wait()
    return CommandResult(
        command="demo",
        data={
            "workdir": str(workdir),
            "source": {"path": str(hub), "hub_users": hub_users, "groups": groups},
            "plan": planned.data,
            "apply": applied.data,
            "verify": verified.data,
            "report": reports.data.get("report"),
            "endpoint_url": local.endpoint_url if keep_running else None,
            "pool_id": pool_id,
            "plan_file": str(plan_path),
            "journal": str(default_journal_path(plan_path)),
        },
        lines=lines,
    )
