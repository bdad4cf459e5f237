"""The per-strategy payload files of a saved plan: what ``apply`` (admin) or ``trigger stage`` (jit) sends
for each user, written by ``plan`` as JSON Lines next to the import files and checksummed in its manifest.

- ``admin-users.jsonl`` — one line per admin user: ``source_id``, ``username``, ``attributes`` (Cognito
  names → values, the legacy id included), ``groups``, ``enabled``, ``password`` (``temporary`` |
  ``permanent`` | ``none``) and ``update`` (true: already in the pool as ``username``, and
  ``on_existing = "update"``). Personal data, never a password.
- ``jit-users.jsonl`` — one line per just-in-time user: ``source_id``, ``username``, ``aliases``
  (attribute → value: what the user may also sign in with), ``password_hash`` (the legacy hash as stored:
  the trigger verifies it), ``attributes``, ``groups``, ``enabled``.

Both are created 0600 (the jit file holds password hashes).
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson

ADMIN_FILE = "admin-users.jsonl"
JIT_FILE = "jit-users.jsonl"


class PayloadWriter:
    """One payload file, created on its first user; ``close`` gives its manifest entry."""

    def __init__(self, directory: Path, name: str) -> None:
        self.path = directory / name
        self._handle: Any = None
        self._digest = hashlib.sha256()
        self.users = 0

    def add(self, record: dict[str, Any]) -> None:
        if self._handle is None:
            fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            self._handle = os.fdopen(fd, "wb", buffering=1 << 20)
        line = orjson.dumps(record, option=orjson.OPT_APPEND_NEWLINE)
        self._handle.write(line)
        self._digest.update(line)
        self.users += 1

    def close(self) -> dict[str, Any] | None:
        """The manifest entry (``name``, ``users``, ``sha256``), or None when no user was added."""
        if self._handle is None:
            return None
        self._handle.close()
        self._handle = None
        return {"name": self.path.name, "users": self.users, "sha256": self._digest.hexdigest()}


def read_payload(path: Path) -> Iterator[dict[str, Any]]:
    """The file's users, one dict each, streamed."""
    with path.open("rb") as lines:
        for line in lines:
            yield orjson.loads(line)


def read_jit_users(path: Path) -> Iterator[dict[str, Any]]:
    return read_payload(path)
