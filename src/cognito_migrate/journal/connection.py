"""Opening the journal's SQLite file: private permissions, connection settings, schema upgrade."""

from __future__ import annotations

import os
import sqlite3
import sys
from pathlib import Path

from cognito_migrate.errors import JournalError
from cognito_migrate.journal import schema


def connect(path: Path, *, busy_timeout: float) -> sqlite3.Connection:
    """Open (creating 0600 if needed) the journal at ``path``, configured and at the current schema.

    The connection is in autocommit mode (``isolation_level=None``): the journal issues its own
    ``BEGIN IMMEDIATE`` / ``COMMIT``, because sqlite3's implicit transactions would commit DDL and
    batches at moments we do not choose.
    """
    try:
        _create_private(path)
    except OSError as exc:
        raise JournalError(f"cannot open journal {path}: {exc.strerror or exc}") from exc
    conn: sqlite3.Connection | None = None
    try:
        conn = sqlite3.connect(path, timeout=busy_timeout, isolation_level=None, check_same_thread=False)
        conn.row_factory = sqlite3.Row
        # WAL + synchronous=NORMAL: a killed process loses nothing committed (only a power cut could
        # lose the last transactions), and readers never block the writer.
        conn.execute("PRAGMA journal_mode = WAL")
        conn.execute("PRAGMA synchronous = NORMAL")
        conn.execute("PRAGMA foreign_keys = ON")
        conn.execute(f"PRAGMA busy_timeout = {int(busy_timeout * 1000):d}")
        schema.upgrade(conn, path)
        _tighten_sidecars(path)
    except sqlite3.Error as exc:
        if conn is not None:
            conn.close()
        raise JournalError(f"cannot open journal {path}: {exc}") from exc
    except BaseException:
        if conn is not None:
            conn.close()
        raise
    return conn


def pid_alive(pid: int) -> bool:
    """Whether a process with this id exists on this host."""
    if sys.platform == "win32":
        # os.kill(pid, 0) would *terminate* the process on Windows; assume it lives.
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # it exists, it just belongs to someone else
    return True


def _create_private(path: Path) -> None:
    # Create the file ourselves, 0600, before SQLite creates it with the umask's wider default: the
    # journal holds usernames and ids. An existing file keeps the mode its owner gave it.
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    os.close(fd)


def _tighten_sidecars(path: Path) -> None:
    # SQLite gives -wal/-shm the main file's mode, but files left by another tool or umask may be
    # wider; they hold the same personal data as the journal.
    for suffix in ("-wal", "-shm"):
        sidecar = path.with_name(path.name + suffix)
        try:
            if sidecar.stat().st_mode & 0o077:
                sidecar.chmod(0o600)
        except OSError:
            pass  # absent, or not ours to change
