"""The synthetic users table the benchmarks read: built once per size and reused between runs."""

from __future__ import annotations

import sqlite3
from pathlib import Path

# A syntactically valid bcrypt string: hashing a million real passwords would take hours and measure bcrypt.
FAKE_BCRYPT = "$2b$10$" + "N9qo8uLOickgx2ZMRZoMyeIjZAgcfl7p92ldGxad68LJZdL17lhWy"


def build_users_db(db: Path, rows: int) -> None:
    """A ``users`` table of ``rows`` users (ids 1..rows) at ``db``, unless one of that size is there."""
    if db.exists():
        with sqlite3.connect(db) as conn:
            if conn.execute("SELECT count(*) FROM users").fetchone()[0] == rows:
                return
        db.unlink()
    with sqlite3.connect(db) as conn:
        conn.execute(
            "CREATE TABLE users (id INTEGER PRIMARY KEY, username TEXT, email TEXT, password TEXT,"
            " is_active INTEGER, given_name TEXT, roles TEXT)"
        )
        conn.executemany(
            "INSERT INTO users VALUES (?, ?, ?, ?, ?, ?, ?)",
            (
                (i, f"user{i:07d}", f"User{i:07d}@Example.org", FAKE_BCRYPT, i % 50 != 0, f"Given {i}",
                 "staff,gpu" if i % 7 == 0 else "")
                for i in range(1, rows + 1)
            ),
        )  # fmt: skip
