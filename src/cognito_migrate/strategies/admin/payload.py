"""The admin users of a saved plan: what ``apply`` sends through AdminCreateUser, one JSON line each.

Written by ``plan`` next to the import files (0600: it holds personal data, never a password), read back
by ``apply``. A line: ``source_id``, ``username``, ``attributes`` (Cognito names → values, the legacy id
included), ``groups``, ``enabled``, ``password`` (``temporary`` | ``permanent`` | ``none``) and
``update`` (true: the user is already in the pool as ``username`` and ``on_existing = "update"``).
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import orjson

ADMIN_FILE = "admin-users.jsonl"


class AdminPayloadWriter:
    def __init__(self, directory: Path) -> None:
        self.path = directory / ADMIN_FILE
        self._handle: Any = None
        self._digest = hashlib.sha256()
        self.users = 0

    def add(
        self,
        source_id: str,
        username: str,
        attributes: Mapping[str, str],
        *,
        groups: Sequence[str],
        enabled: bool,
        password: str,
        update: bool,
    ) -> None:
        if self._handle is None:
            fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            self._handle = os.fdopen(fd, "wb", buffering=1 << 20)
        line = orjson.dumps(
            {"source_id": source_id, "username": username, "attributes": attributes,
             "groups": list(groups), "enabled": enabled, "password": password, "update": update},
            option=orjson.OPT_APPEND_NEWLINE,
        )  # fmt: skip
        self._handle.write(line)
        self._digest.update(line)
        self.users += 1

    def close(self) -> dict[str, Any] | None:
        """The manifest entry (``name``, ``users``, ``sha256``), or None when no user goes by admin."""
        if self._handle is None:
            return None
        self._handle.close()
        self._handle = None
        return {"name": ADMIN_FILE, "users": self.users, "sha256": self._digest.hexdigest()}


def read_admin_users(path: Path) -> Iterator[dict[str, Any]]:
    with path.open("rb") as lines:
        for line in lines:
            yield orjson.loads(line)
