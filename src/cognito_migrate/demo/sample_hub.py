"""A small JupyterHub database like a real portal's: the demo's source.

Tables and columns are those JupyterHub 6 creates (``users`` with its ``user_info`` column, ``groups``,
``user_group_map``) and NativeAuthenticator's (``users_info`` with bcrypt hashes stored as bytes). The
users cover the cases a migration meets: active and inactive, abandoned, new, without 2FA, unauthorized,
admins, groups, bcrypt costs Cognito can import (≤ 12) and one it cannot (13), a bad email, and rows
missing on either side.

Every sample user's password is ``<username>-Demo-2026!`` so a rehearsal can sign in with it.
"""

from __future__ import annotations

import os
import random
import sqlite3
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

_SCHEMA = """
CREATE TABLE users (
    id INTEGER NOT NULL, name VARCHAR(255), user_info TEXT, admin BOOLEAN, created DATETIME,
    last_activity DATETIME, cookie_id VARCHAR(255) NOT NULL, state TEXT, encrypted_auth_state BLOB,
    CONSTRAINT pk_users PRIMARY KEY (id), CONSTRAINT uq_users_name UNIQUE (name),
    CONSTRAINT uq_users_cookie_id UNIQUE (cookie_id)
);
CREATE TABLE groups (
    id INTEGER NOT NULL, name VARCHAR(255), properties TEXT,
    CONSTRAINT pk_groups PRIMARY KEY (id), CONSTRAINT uq_groups_name UNIQUE (name)
);
CREATE TABLE user_group_map (
    user_id INTEGER NOT NULL, group_id INTEGER NOT NULL,
    CONSTRAINT pk_user_group_map PRIMARY KEY (user_id, group_id),
    CONSTRAINT fk_user_group_map_user_id_users FOREIGN KEY(user_id) REFERENCES users (id) ON DELETE CASCADE,
    CONSTRAINT fk_user_group_map_group_id_groups FOREIGN KEY(group_id) REFERENCES groups (id)
        ON DELETE CASCADE
);
CREATE TABLE users_info (
    id INTEGER NOT NULL, username VARCHAR(128) NOT NULL, password BLOB NOT NULL, is_authorized BOOLEAN,
    login_email_sent BOOLEAN, email VARCHAR(128), has_2fa BOOLEAN, otp_secret VARCHAR(16),
    CONSTRAINT pk_users_info PRIMARY KEY (id)
);
"""


@dataclass(frozen=True)
class SampleUser:
    name: str
    created_days_ago: int
    active_days_ago: int | None
    authorized: bool = True
    has_2fa: bool = True
    admin: bool = False
    groups: tuple[str, ...] = ()
    email: str | None = "{name}@example.org"
    bcrypt_cost: int = 10
    stored_password: bytes | None = None  # what users_info holds instead of a bcrypt hash
    in_hub: bool = True
    in_users_info: bool = True


def sample_users(count: int = 24, seed: int = 7) -> list[SampleUser]:
    """The twelve edge cases first, then ordinary active researchers up to ``count``."""
    special = [
        SampleUser("ada", 900, 2, admin=True, groups=("staff",)),
        SampleUser("grace", 700, 5, groups=("staff", "gpu")),
        SampleUser("hopper13", 650, 3, groups=("gpu",), bcrypt_cost=13),  # over Cognito's cost limit
        SampleUser("old.timer", 1500, 500),  # inactive for more than a year
        SampleUser("drive-by", 200, 200),  # abandoned: never used after the first day
        SampleUser("newbie", 10, 1, authorized=False, has_2fa=False),  # new: 2FA rules wait
        SampleUser("no2fa", 400, 4, has_2fa=False),
        SampleUser("pending", 300, 6, authorized=False),
        SampleUser("bad-email", 365, 7, email="bad-email@"),
        # An account whose hash was lost in an old restore: nothing can verify its password.
        SampleUser("lost-hash", 500, 9, groups=("teaching",), stored_password=b"!"),
        SampleUser("hubonly", 100, 3, in_users_info=False),  # hub user without a users_info row
        SampleUser("infoonly", 100, None, in_hub=False),  # users_info row without a hub user
    ]
    rng = random.Random(seed)  # noqa: S311 - reproducible sample data, not a secret
    groups = ("physics", "biology", "gpu", "teaching")
    while len(special) < count:
        n = len(special)
        chosen = tuple(sorted(set(rng.sample(groups, rng.randint(0, 2)))))
        special.append(SampleUser(f"user{n:03d}", rng.randint(40, 1200), rng.randint(0, 90), groups=chosen))
    return special


def demo_password(username: str) -> str:
    return f"{username}-Demo-2026!"


def write_sample_hub(path: Path, *, count: int = 24, seed: int = 7, now: datetime | None = None) -> Path:
    """Create the sample hub database at ``path`` (replacing one there), mode 0600: it holds hashes."""
    import bcrypt

    now = now or datetime.now(UTC).replace(tzinfo=None)  # JupyterHub stores naive UTC
    midnight = now.replace(hour=0, minute=0, second=0, microsecond=0)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.unlink(missing_ok=True)
    os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    users = sample_users(count, seed)
    with sqlite3.connect(path) as db:
        db.executescript(_SCHEMA)
        group_ids: dict[str, int] = {}
        for user_id, user in enumerate(users, start=1):
            # Calendar days, at fixed times of day: the portal rules compare dates the way SQLite's
            # date() does, so times relative to "now" would move users across a rule at midnight.
            created = midnight - timedelta(days=user.created_days_ago) + timedelta(hours=9)
            active: datetime | None = None
            if user.active_days_ago == user.created_days_ago:
                active = created + timedelta(hours=2)  # abandoned: never back after the first day
            elif user.active_days_ago is not None:
                active = min(midnight - timedelta(days=user.active_days_ago) + timedelta(hours=11), now)
            if user.in_hub:
                db.execute(
                    "INSERT INTO users (id, name, user_info, admin, created, last_activity, cookie_id, state)"
                    " VALUES (?, ?, NULL, ?, ?, ?, ?, '{}')",
                    (user_id, user.name, user.admin, _ts(created), _ts(active), f"cookie-{user_id}"),
                )
                for group in user.groups:
                    group_id = group_ids.setdefault(group, len(group_ids) + 1)
                    db.execute("INSERT OR IGNORE INTO groups (id, name, properties) VALUES (?, ?, '{}')",
                               (group_id, group))  # fmt: skip
                    db.execute("INSERT INTO user_group_map VALUES (?, ?)", (user_id, group_id))
            if user.in_users_info:
                hashed = user.stored_password
                if hashed is None:
                    hashed = bcrypt.hashpw(
                        demo_password(user.name).encode(), bcrypt.gensalt(user.bcrypt_cost)
                    )
                email = user.email.format(name=user.name) if user.email else None
                db.execute(
                    "INSERT INTO users_info (username, password, is_authorized, email, has_2fa,"
                    " otp_secret, login_email_sent) VALUES (?, ?, ?, ?, ?, ?, 0)",
                    (user.name, hashed, user.authorized, email, user.has_2fa,
                     "JBSWY3DPEHPK3PXP" if user.has_2fa else None),
                )  # fmt: skip
    return path


def _ts(moment: datetime | None) -> str | None:
    return moment.strftime("%Y-%m-%d %H:%M:%S.%f") if moment else None
