"""``verify``: the source against the pool, user by user, with every difference listed.

    plan file + saved plan ──► pool profile (DescribeUserPool …) ──► every pool user, status, groups
                                                                       (scratch SQLite, paced reads)
    source ──► mapping ──► journal ──► ExpectedUser ──► its pool user ──► differences
    journal: migrated users the source no longer has ──► differences
    pool users with a legacy id nobody claimed ──► differences

Read-only: nothing is written to the pool or the journal. The scratch database lives in a private
temporary folder (0700) and is deleted at the end; ``--out`` gets every difference as JSON Lines (0600:
they hold attribute values).
"""

from __future__ import annotations

import os
import sqlite3
import tempfile
from collections import Counter
from collections.abc import Iterable, Sequence
from pathlib import Path
from types import TracebackType
from typing import IO

import orjson

from cognito_migrate.aws.quotas import parse_quota_flags
from cognito_migrate.aws.ratelimit import rate_limiter_for_target
from cognito_migrate.aws.session import AwsSettings, settings_for_target
from cognito_migrate.config import load_plan_file
from cognito_migrate.journal import Journal, RunStatus, UserState
from cognito_migrate.planner.plan import default_plan_dir
from cognito_migrate.planner.pool_reader import read_pool_profile
from cognito_migrate.planner.profile import PoolProfile
from cognito_migrate.planner.saved import SavedPlan
from cognito_migrate.results import CommandResult, Outcome
from cognito_migrate.verify import compare
from cognito_migrate.verify.compare import Difference, compare_user
from cognito_migrate.verify.expected import ExpectedUser, PlannedHandling, Presence, expected_users
from cognito_migrate.verify.pool_side import PoolSnapshot, PoolUserRow, read_pool

SHOWN = 20  # differences printed for people
IN_DATA = 100  # differences carried in --json's data (all of them go to --out)
_SEEN_BATCH = 1000


def verify_migration(
    plan_file: Path,
    *,
    plan_dir: Path | None = None,
    out: Path | None = None,
    quota_flags: Sequence[str] = (),
    shown: int = SHOWN,
    settings: AwsSettings | None = None,
    profile: str | None = None,
    region: str | None = None,
    endpoint_url: str | None = None,
) -> CommandResult:
    """Compare the source of ``plan_file`` with its pool; see the module docstring.

    Outcome ``ok`` when source and pool agree, ``partial`` (exit 1) when anything differs. ``out``:
    a JSON Lines file (0600) with every difference; ``shown``: how many the result's lines list.
    """
    config = load_plan_file(plan_file)
    settings = settings or settings_for_target(
        config.target, profile=profile, region=region, endpoint_url=endpoint_url
    )
    limiter = rate_limiter_for_target(config.target, parse_quota_flags(quota_flags))
    idp = settings.client("cognito-idp", rate_limiter=limiter)
    saved = SavedPlan.load(plan_dir or default_plan_dir(config))
    pool_id = config.target.pool_id
    saved.check_pool(pool_id)
    pool = read_pool_profile(idp, pool_id, region=settings.resolved_region())
    legacy = config.strategy.legacy_id_attribute or None
    notes = []
    if saved.manifest.get("config_checksum") != config.checksum:
        notes.append("the plan file changed since planning: expected values follow it as it is now")
    if legacy is None or legacy not in pool.attributes:
        notes.append("no legacy id attribute: pool users that came from the source cannot be told apart")
        legacy = None
    with (
        tempfile.TemporaryDirectory(prefix="cognito-migrate-verify-") as scratch,
        _Differences(out, shown) as differences,
        Journal.open(Path(saved.manifest["journal"])) as journal,
    ):
        running = [run for run in journal.runs() if run.status is RunStatus.RUNNING]
        if running:  # its users move while they are compared
            notes.append(
                f"{running[0].command} run {running[0].run_id} is still running: run verify again after it"
            )
        conn = sqlite3.connect(Path(scratch) / "verify.sqlite")
        try:
            check = _Check(conn, pool, legacy, journal, differences)
            pool_users = read_pool(check.snapshot, settings, limiter, pool_id)
            handling = PlannedHandling(conn, saved)
            source_users = check.source(expected_users(config, journal, handling))
            check.gone_from_source()
            check.unknown_to_journal()
        finally:
            conn.close()
    return _result(pool_id, source_users, pool_users, check.compared, differences, out, notes, shown)


class _Check:
    """The comparison's state: the pool snapshot, the ids the source gave, what was compared."""

    def __init__(
        self,
        conn: sqlite3.Connection,
        pool: PoolProfile,
        legacy: str | None,
        journal: Journal,
        differences: _Differences,
    ) -> None:
        self.conn, self.pool, self.journal, self.differences = conn, pool, journal, differences
        self.snapshot = PoolSnapshot(conn, pool, legacy)
        conn.execute("CREATE TABLE seen (source_id TEXT PRIMARY KEY)")
        self.compared = 0

    def source(self, users: Iterable[ExpectedUser]) -> int:
        """Each source user against its pool user; returns how many source users there were."""
        count, seen = 0, []
        for expected in users:
            count += 1
            seen.append((expected.source_id,))
            if len(seen) >= _SEEN_BATCH:
                self._saw(seen)
            self.differences.extend(self._one(expected))
        self._saw(seen)
        return count

    def _saw(self, seen: list[tuple[str]]) -> None:
        with self.conn:
            self.conn.executemany("INSERT OR IGNORE INTO seen VALUES (?)", seen)
        seen.clear()

    def _one(self, expected: ExpectedUser) -> list[Difference]:
        kind = expected.presence
        if kind is Presence.NOT_EXPECTED:
            return self._not_expected(expected)
        found = self.snapshot.find(expected.source_id, expected.username, expected.sub, expected.attributes)
        if found is not None:
            self.snapshot.claim(found)
        if kind is Presence.NOT_PLANNED:
            where = f"; the pool has {found.username}" if found else ""
            message = (
                f"in the source but not in the journal (new since the plan: plan and apply again){where}"
            )
            return [_about(expected, compare.NOT_PLANNED, message, found)]
        if kind is Presence.UNFINISHED:
            where = f"the pool has it as {found.username}" if found else "the pool does not have it"
            said = f"{expected.state}" + (f" ({expected.reason})" if expected.reason else "")
            return [
                _about(expected, compare.UNFINISHED, f"not migrated: the journal says {said}; {where}", found)
            ]
        if found is None:
            if kind is Presence.OPTIONAL:
                return []  # a just-in-time user who has not signed in yet
            return [
                _about(
                    expected, compare.MISSING, "the journal says migrated; the pool has no such user", None
                )
            ]
        self.compared += 1
        return compare_user(expected, found, self.pool)

    def _not_expected(self, expected: ExpectedUser) -> list[Difference]:
        """A rejected or skipped user. Only a pool user carrying its source id is its own: an equal
        username may be anyone's (a skipped user may be one the pool had before, on_existing = skip)."""
        found = self.snapshot.by_legacy_id(expected.source_id)
        if found is None:
            return []
        self.snapshot.claim(found)
        if expected.state is not UserState.REJECTED:
            return []
        message = f"the plan rejected this user ({expected.reason}), yet the pool has it as {found.username}"
        return [_about(expected, compare.UNEXPECTED, message, found)]

    def gone_from_source(self) -> None:
        """Migrated users the source no longer gives (deleted, or now left out by its selection)."""
        for record in self.journal.users(UserState.MIGRATED):
            if self.conn.execute("SELECT 1 FROM seen WHERE source_id = ?", (record.source_id,)).fetchone():
                continue
            found = self.snapshot.find(record.source_id, record.username, record.cognito_sub, {})
            if found is not None:
                self.snapshot.claim(found)
            where = f"the pool has it as {found.username}" if found else "the pool does not have it either"
            self.differences.add(
                Difference(
                    compare.NOT_IN_SOURCE,
                    record.source_id,
                    record.username,
                    f"migrated, but the source no longer has this user; {where}",
                    found.username if found else None,
                )
            )

    def unknown_to_journal(self) -> None:
        """Pool users that carry a legacy id (so came from a migration) that no source user claimed."""
        for legacy_id, user in self.snapshot.unclaimed_with_legacy_id():
            record = self.journal.get_user(legacy_id)
            if record is None:
                message = f"carries legacy id {legacy_id!r}, which the journal does not know"
            elif record.state is UserState.REJECTED:
                message = f"carries legacy id {legacy_id!r}, whose user the plan rejected ({record.reason})"
            else:
                continue  # known, and neither migrated nor rejected: reported with its source user
            attribute = self.snapshot.legacy_id_attribute
            self.differences.add(
                Difference(
                    compare.UNKNOWN, None, user.username, message, user.username, attribute, None, legacy_id
                )
            )


def _about(expected: ExpectedUser, kind: str, message: str, found: PoolUserRow | None) -> Difference:
    return Difference(kind, expected.source_id, expected.username, message, found.username if found else None)


class _Differences:
    """Counts every difference, keeps the first few, and writes all of them to ``out`` (0600)."""

    def __init__(self, out: Path | None, shown: int) -> None:
        self.out = out
        self.by_kind: Counter[str] = Counter()
        self.first: list[Difference] = []
        self._keep = max(shown, IN_DATA)
        self._handle: IO[bytes] | None = None

    def __enter__(self) -> _Differences:
        if self.out is not None:
            fd = os.open(self.out, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            os.fchmod(fd, 0o600)  # an existing file keeps its mode through O_CREAT
            self._handle = os.fdopen(fd, "wb")
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if self._handle is not None:
            self._handle.close()

    @property
    def total(self) -> int:
        return sum(self.by_kind.values())

    def add(self, difference: Difference) -> None:
        self.by_kind[difference.kind] += 1
        if len(self.first) < self._keep:
            self.first.append(difference)
        if self._handle is not None:
            self._handle.write(orjson.dumps(difference.as_dict(), option=orjson.OPT_APPEND_NEWLINE))

    def extend(self, differences: list[Difference]) -> None:
        for difference in differences:
            self.add(difference)


def _result(
    pool_id: str,
    source_users: int,
    pool_users: int,
    compared: int,
    differences: _Differences,
    out: Path | None,
    notes: list[str],
    shown: int,
) -> CommandResult:
    total = differences.total
    by_kind = {kind: differences.by_kind[kind] for kind in compare.KINDS if differences.by_kind[kind]}
    data = {
        "pool": pool_id,
        "source_users": source_users,
        "pool_users": pool_users,
        "compared": compared,
        "differences": total,
        "by_kind": by_kind,
        "first": [d.as_dict() for d in differences.first[:IN_DATA]],
        "out": str(out) if out else None,
        "notes": notes,
    }
    lines = [
        f"verify {pool_id}: {source_users:,} source users, {pool_users:,} pool users, "
        f"{compared:,} compared attribute by attribute"
    ]
    if not total:
        lines.append("no differences: every migrated user is in the pool as the source has it")
    else:
        lines.append(f"{total:,} differences: " + ", ".join(f"{kind} {n:,}" for kind, n in by_kind.items()))
        listed = differences.first[: max(0, shown)]
        lines.extend(f"  {difference}" for difference in listed)
        if total > len(listed):
            more = f"all of them are in {out}" if out else "pass --out FILE to list them all"
            lines.append(f"  … and {total - len(listed):,} more: {more}")
    if out:
        lines.append(f"differences (JSON Lines): {out}")
    lines.extend(f"note: {note}" for note in notes)
    return CommandResult("verify", Outcome.PARTIAL if total else Outcome.OK, data, lines)
