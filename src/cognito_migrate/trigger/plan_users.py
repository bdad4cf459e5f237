"""The saved plan's just-in-time users (``jit-users.jsonl``), as users to stage for the trigger.

The planner writes one JSON line per jit user (issue 8): ``source_id``, ``username``, ``aliases``
(attribute → value), ``password_hash`` (the legacy hash as stored), ``attributes`` (Cognito name →
value), ``groups`` and ``enabled`` (see ``cognito_migrate.strategies.payload``).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

from cognito_migrate.errors import ConfigError
from cognito_migrate.strategies.payload import JIT_FILE, read_jit_users
from cognito_migrate.trigger.staging import StagedUser


def jit_users_path(plan_dir: Path, manifest: dict[str, Any]) -> Path | None:
    """The plan's jit file: the manifest's ``jit.name``, else ``jit-users.jsonl`` when present."""
    entry = manifest.get("jit")
    if isinstance(entry, dict) and entry.get("name"):
        return plan_dir / str(entry["name"])
    path = plan_dir / JIT_FILE
    return path if path.exists() else None


def read_plan_users(path: Path) -> Iterator[dict[str, Any]]:
    """One dict per jit user, in file order (the planner's payload file)."""
    return read_jit_users(path)


def staged_user(record: dict[str, Any], *, where: str = "") -> StagedUser:
    """A jit line as the staging table takes it; ``ConfigError`` (naming the user) when malformed."""
    username, password_hash = record.get("username"), record.get("password_hash")
    if not isinstance(username, str) or not username:
        raise ConfigError(f"{where}jit user {record.get('source_id')!r} has no username")
    if not isinstance(password_hash, str) or not password_hash:
        raise ConfigError(f"{where}jit user {username!r} has no password hash")
    return StagedUser(
        username=username,
        password_hash=password_hash,
        aliases=_strings(record.get("aliases"), username, "aliases", where),
        attributes=_strings(record.get("attributes"), username, "attributes", where),
        groups=tuple(str(group) for group in record.get("groups") or ()),
    )


def _strings(value: Any, username: str, name: str, where: str) -> dict[str, str]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise ConfigError(f"{where}jit user {username!r}: {name} is not an object")
    # Verified flags are the strings "true" / "false" in Cognito (and the staging layout).
    return {
        str(key): ("true" if item else "false") if isinstance(item, bool) else str(item)
        for key, item in value.items()
        if item is not None
    }
