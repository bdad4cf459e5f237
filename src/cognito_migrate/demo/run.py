"""Run the demo: a sample JupyterHub portal migrating into a pool on the embedded local Cognito.

The demo grows with the pipeline. Today it builds the source, starts the local Cognito with the target
pool, writes and checks the plan file, reads the source through the plan's selection rules and mapping,
and opens the journal; the planning and migration stages are added here as they are built, so the demo
always shows exactly what works.
"""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path
from typing import Any

from cognito_migrate.config import load_plan_file, write_example
from cognito_migrate.demo.sample_hub import write_sample_hub
from cognito_migrate.journal import Journal, RunStatus, default_journal_path
from cognito_migrate.local import LocalCognito
from cognito_migrate.results import CommandResult
from cognito_migrate.sources.survey import survey_source

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
        config = load_plan_file(plan_path)
        survey = survey_source(config)
        journal_path = default_journal_path(plan_path)
        with Journal.open(journal_path) as journal:
            run_id = journal.start_run("demo", config.checksum)
            journal.finish_run(run_id, RunStatus.COMPLETED)

        lines = [
            "cognito-migrate demo",
            f"  source        {hub}: {hub_users} hub users, {groups} groups, bcrypt hashes",
            f"  local Cognito {local.endpoint_url} (Region {local.region})",
            f"  target pool   {DEMO_POOL_NAME} ({pool_id}): email auto-verified, case-insensitive",
            f"  plan file     {plan_path} (checked: {config.source.type} → {config.target.pool_id})",
            f"  read          {survey.users} users to migrate from {survey.description}",
            *(
                f"  left out      {n} {kind}: e.g. {survey.issue_examples[str(kind)][0]}"
                for kind, n in sorted(survey.issues.items())
            ),
            "  hashes        " + ", ".join(f"{n} {fmt}" for fmt, n in survey.hash_formats.most_common()),
            "  groups        " + ", ".join(f"{name} ({n})" for name, n in sorted(survey.groups.items())),
            f"  journal       {journal_path} (run {run_id} recorded)",
            "  not built yet: plan, apply, verify; the demo runs them once they exist",
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
            "survey": {
                "users": survey.users,
                "issues": {str(kind): n for kind, n in survey.issues.items()},
                "hash_formats": dict(survey.hash_formats),
                "groups": dict(survey.groups),
            },
            "endpoint_url": local.endpoint_url if keep_running else None,
            "pool_id": pool_id,
            "plan_file": str(plan_path),
            "journal": str(journal_path),
            "run_id": run_id,
        },
        lines=lines,
    )
