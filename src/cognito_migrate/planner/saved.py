"""The saved plan: a folder that ``apply`` executes exactly, and refuses once it no longer fits.

Layout (every file 0600, the folder 0700: they hold personal data and password hashes)::

    migration.plan/
      plan.json                   the manifest: what was planned, from what, against which pool
      users.jsonl                 one line per source user: the per-user report
      import-bcrypt-001.csv …     Cognito import files, one set per password algorithm

``plan.json`` records the plan file's checksum, a fingerprint of the pool's configuration, a
fingerprint of the source's users, and the SHA-256 of every file, and is itself checksummed. ``apply``
refuses a plan whose files changed, whose plan file changed, or whose pool or source changed since.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Iterable, Iterator
from dataclasses import asdict
from pathlib import Path
from typing import Any

import orjson

from cognito_migrate.errors import ConfigError
from cognito_migrate.planner.profile import PoolProfile
from cognito_migrate.sources.records import GroupDefinition

MANIFEST = "plan.json"
FORMAT_VERSION = 1


def pool_fingerprint(profile: PoolProfile, *, plan_groups: Iterable[str] = ()) -> str:
    """Changes when anything the plan relied on changes: schema, username and alias settings, case
    rule, auto-verified attributes, MFA, the CSV header, the groups, or the pool's last modification.

    ``plan_groups`` (the groups the plan's users join) are left out: ``apply`` creates the missing
    ones, and the plan must still fit the pool when a resumed ``apply`` finds them there.
    """
    relevant = asdict(profile)
    relevant.pop("estimated_users", None)  # grows as users sign up; not a configuration change
    for name in plan_groups:
        relevant["groups"].pop(name, None)
    return hashlib.sha256(json.dumps(relevant, sort_keys=True, default=str).encode()).hexdigest()


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def write_manifest(plan_dir: Path, manifest: dict[str, Any]) -> Path:
    """Write ``plan.json`` with its own checksum (over everything else in it)."""
    body = {**manifest, "format": FORMAT_VERSION}
    body["checksum"] = _checksum(body)
    path = plan_dir / MANIFEST
    tmp = path.with_suffix(".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        json.dump(body, handle, indent=2, sort_keys=True)
        handle.write("\n")
    os.replace(tmp, path)
    return path


def load_manifest(plan_dir: Path, *, require_files: bool = True) -> dict[str, Any]:
    """Read ``plan.json`` and check it and every file it lists; ConfigError naming what changed.

    ``require_files=False`` lets import files be missing (``apply`` deletes each one once all its
    users are in the pool); a file that is there must still be the one planned.
    """
    path = plan_dir / MANIFEST
    try:
        body: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise ConfigError(f"{plan_dir}: no saved plan here; run cognito-migrate plan first") from exc
    except ValueError as exc:
        raise ConfigError(f"{path}: not a plan manifest ({exc})") from exc
    if body.get("format") != FORMAT_VERSION:
        raise ConfigError(f"{path}: plan format {body.get('format')!r}; this version reads {FORMAT_VERSION}")
    claimed = body.pop("checksum", None)
    if claimed != _checksum(body):
        raise ConfigError(f"{path}: the manifest was edited after planning; plan again")
    payloads = [body[key] for key in ("admin", "jit") if body.get(key)]
    for entry in [*body.get("files", []), *payloads]:
        file = plan_dir / entry["name"]
        if not require_files and not file.exists():
            continue
        if not file.exists() or file_sha256(file) != entry["sha256"]:
            raise ConfigError(f"{file}: changed or missing since planning; plan again")
    body["checksum"] = claimed
    return body


def stale_reasons(
    manifest: dict[str, Any],
    *,
    config_checksum: str | None,
    profile: PoolProfile,
    source_fingerprint: str | None = None,
) -> list[str]:
    """Why a saved plan no longer fits (empty: it does). ``source_fingerprint=None`` skips the source."""
    reasons = []
    if manifest.get("config_checksum") != config_checksum:
        reasons.append("the plan file (migration.toml) changed since planning")
    plan_groups = [group["name"] for group in manifest.get("groups", [])]
    if manifest.get("pool", {}).get("fingerprint") != pool_fingerprint(profile, plan_groups=plan_groups):
        reasons.append(f"the pool {profile.pool_id} changed since planning (settings, schema or groups)")
    if source_fingerprint is not None and manifest.get("source", {}).get("fingerprint") != source_fingerprint:
        reasons.append("the source's users changed since planning")
    return reasons


def _checksum(body: dict[str, Any]) -> str:
    return hashlib.sha256(json.dumps(body, sort_keys=True).encode()).hexdigest()


class SavedPlan:
    """A checked saved plan, as ``apply`` reads it: the manifest, and the report streamed line by line.

    >>> saved = SavedPlan.load(Path("migration.plan"))        # doctest: +SKIP
    >>> for user in saved.report():                            # one dict per source user
    ...     user["source_id"], user["import_file"], user["import_line"]
    """

    def __init__(self, plan_dir: Path, manifest: dict[str, Any]) -> None:
        self.plan_dir = plan_dir
        self.manifest = manifest

    @classmethod
    def load(cls, plan_dir: Path) -> SavedPlan:
        """The checked plan; import files ``apply`` already finished with and deleted may be gone."""
        return cls(plan_dir, load_manifest(plan_dir, require_files=False))

    @property
    def checksum(self) -> str:
        return str(self.manifest["checksum"])

    def check_pool(self, pool_id: str) -> None:
        """ConfigError when the plan was made for another user pool than ``pool_id``."""
        if (self.manifest.get("pool") or {}).get("id") not in (None, pool_id):
            raise ConfigError(
                f"{self.plan_dir}: the saved plan is for another user pool than [target] pool_id; "
                "run cognito-migrate plan"
            )

    def check_current(self, config_checksum: str | None, pool_id: str) -> None:
        """ConfigError unless the plan was made from the plan file as it is now, for ``pool_id``."""
        if self.manifest.get("config_checksum") != config_checksum:
            raise ConfigError(
                f"{self.plan_dir}: the plan file changed since planning; run cognito-migrate plan"
            )
        self.check_pool(pool_id)

    @property
    def files(self) -> list[dict[str, Any]]:
        """The import files: ``name``, ``algorithm`` (None: no password_hash column), ``users``."""
        return list(self.manifest.get("files", []))

    @property
    def groups(self) -> list[GroupDefinition]:
        return [
            GroupDefinition(g["name"], g.get("description"), g.get("precedence"), g.get("role_arn"))
            for g in self.manifest.get("groups", [])
        ]

    def report(self) -> Iterator[dict[str, Any]]:
        """The per-user report, one dict per line, streamed (a million users never sit in memory)."""
        with (self.plan_dir / self.manifest.get("report", "users.jsonl")).open("rb") as lines:
            for line in lines:
                yield orjson.loads(line)
