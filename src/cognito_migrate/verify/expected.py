"""What the pool should hold for each source user, and the rules that say so.

    source (re-read through [source] and [attributes], exactly as ``plan`` maps it)
        ──► journal (state, strategy, username, sub), 1,000 users a batch
        ──► saved plan's report (password handling), from a scratch SQLite table
        ──► ``ExpectedUser``: attributes, groups, enabled, which statuses fit, must it be there

The rules are small pure functions (``presence``, ``allowed_statuses``, ``groups_may_lag``), each with
the reason it holds; they follow what the strategies do (``planner/strategy.py``, ``strategies/``,
``trigger/``), so a change there belongs here too.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass
from enum import StrEnum
from itertools import islice

from cognito_migrate.config.models import MigrationConfig
from cognito_migrate.journal import Journal, UserRecord, UserState
from cognito_migrate.mapping import AttributeMapper, MappingProblem
from cognito_migrate.planner.saved import SavedPlan
from cognito_migrate.sources import open_source
from cognito_migrate.sources.records import LegacyUser

BATCH = 1000

CONFIRMED = "CONFIRMED"
RESET_REQUIRED = "RESET_REQUIRED"
FORCE_CHANGE_PASSWORD = "FORCE_CHANGE_PASSWORD"  # noqa: S105 - a user status, not a password
# Where a migrated user may stand when how it was migrated is not known (the saved plan was made again
# after the user was migrated, and now decides differently for it).
ANY_MIGRATED_STATUS = frozenset({CONFIRMED, RESET_REQUIRED, FORCE_CHANGE_PASSWORD})
UNKNOWN = "unknown"  # password handling: the saved plan does not say how the journal's strategy went


class Presence(StrEnum):
    """Whether a source user must, may or must not be in the pool."""

    REQUIRED = "required"  # the journal says migrated
    OPTIONAL = "optional"  # a just-in-time user still waiting: absent until their first sign-in
    UNFINISHED = "unfinished"  # planned, submitted (in doubt) or failed: apply has not put it there
    NOT_EXPECTED = "not-expected"  # rejected by the plan or skipped: never sent
    NOT_PLANNED = "not-planned"  # in the source but not in the journal: new since the plan


def presence(state: UserState | None, strategy: str | None) -> Presence:
    """A journal state → whether the pool must hold the user.

    Migrated users must be there. Just-in-time users stay planned until the trigger moves them at their
    first sign-in (or a sweep imports them), so their absence is no difference; a jit user in the pool
    the journal still calls planned signed in and is compared like any other. Other planned, submitted
    and failed users are unfinished work: a difference, since the pool lacks (or may lack) them.
    Rejected and skipped users were never sent (a skipped one may be a pool user of someone else's).
    """
    if state is None:
        return Presence.NOT_PLANNED
    if state is UserState.MIGRATED:
        return Presence.REQUIRED
    if state in (UserState.PLANNED, UserState.SUBMITTED) and strategy == "jit":
        return Presence.OPTIONAL
    if state in (UserState.PLANNED, UserState.SUBMITTED, UserState.FAILED):
        return Presence.UNFINISHED
    return Presence.NOT_EXPECTED


def allowed_statuses(strategy: str | None, password: str | None) -> frozenset[str] | None:
    """The user statuses that fit how the user was migrated (None: any status fits).

    - csv-import with the legacy hash: CONFIRMED, and it stays so when the user changes the password
      or resets it (ConfirmForgotPassword leaves CONFIRMED).
    - csv-import without a hash: RESET_REQUIRED until the user resets through forgot-password, then
      CONFIRMED (and CONFIRMED from the start in passwordless pools).
    - admin with a temporary password: FORCE_CHANGE_PASSWORD until the first sign-in changes it.
    - admin with a permanent password, or ``reset-required`` (a random permanent password nobody is
      told, see ``AdminRunner._password``): CONFIRMED.
    - admin update of a user the pool had before (``on_existing = "update"``, no password handling):
      its password and status are left alone, so any status fits.
    - jit: the trigger answers CONFIRMED, or RESET_REQUIRED for a password too weak for the pool or a
      forgot-password first contact; the sweep imports with the hash (CONFIRMED) or without
      (RESET_REQUIRED); a reset then makes CONFIRMED.
    """
    if strategy == "admin" and password is None:
        return None
    rule = _STATUSES.get((strategy or "", password or ""))
    return rule if rule is not None else ANY_MIGRATED_STATUS


_STATUSES: dict[tuple[str, str], frozenset[str]] = {
    ("csv-import", "hash"): frozenset({CONFIRMED}),
    ("csv-import", "reset-required"): frozenset({RESET_REQUIRED, CONFIRMED}),
    ("admin", "temporary"): frozenset({FORCE_CHANGE_PASSWORD, CONFIRMED}),
    ("admin", "permanent"): frozenset({CONFIRMED}),
    ("admin", "reset-required"): frozenset({CONFIRMED}),
    ("jit", "jit"): frozenset({CONFIRMED, RESET_REQUIRED}),
}


# How each rule's users were migrated, for messages.
_HOW: dict[tuple[str, str], str] = {
    ("csv-import", "hash"): "imported with its password hash",
    ("csv-import", "reset-required"): "imported to reset its password",
    ("admin", "temporary"): "created with a temporary password",
    ("admin", "permanent"): "created with a permanent password",
    ("admin", "reset-required"): "created to reset its password",
    ("jit", "jit"): "migrated just in time",
}


def how_migrated(strategy: str | None, password: str | None) -> str:
    """``imported with its password hash`` and the like, for a status difference's message."""
    return _HOW.get((strategy or "", password or ""), f"migrated by {strategy} (password: {password})")


def groups_may_lag(strategy: str | None, status: str) -> bool:
    """Whether a user may be in the pool without its groups yet: a jit user the trigger created
    RESET_REQUIRED (forgot-password, or a weak password) gets its groups from the PostAuthentication
    step, at the first sign-in that has not happened yet."""
    return strategy == "jit" and status == RESET_REQUIRED


@dataclass(frozen=True, slots=True)
class ExpectedUser:
    """One source user as the pool should hold it (attributes in the API's forms, as ``plan`` maps)."""

    source_id: str
    username: str  # the journal's (the planned name; in email/phone-username pools the email/phone)
    presence: Presence
    state: UserState | None
    strategy: str | None
    password: str | None  # the plan's handling: hash | reset-required | temporary | permanent | jit
    attributes: dict[str, str]
    groups: tuple[str, ...]
    enabled: bool
    sub: str | None = None
    reason: str | None = None  # the journal's, for unfinished users
    problems: tuple[MappingProblem, ...] = ()  # attributes the mapping cannot read from the source now

    @property
    def updates_existing(self) -> bool:
        """An admin update of a user the pool had before the migration (``on_existing = "update"``)."""
        return self.strategy == "admin" and self.password is None


class PlannedHandling:
    """The saved plan's password handling per source id, in a scratch SQLite table (a million report
    lines never sit in a dict)."""

    def __init__(self, conn: sqlite3.Connection, saved: SavedPlan) -> None:
        self._conn = conn
        conn.execute("CREATE TABLE planned (source_id TEXT PRIMARY KEY, strategy TEXT, password TEXT)")
        rows = (
            (str(line["source_id"]), line.get("strategy"), line.get("password")) for line in saved.report()
        )
        with conn:
            conn.executemany("INSERT OR REPLACE INTO planned VALUES (?, ?, ?)", rows)

    def get_many(self, source_ids: list[str]) -> dict[str, tuple[str | None, str | None]]:
        marks = ",".join("?" * len(source_ids))
        found = self._conn.execute(
            f"SELECT source_id, strategy, password FROM planned WHERE source_id IN ({marks})",  # noqa: S608
            source_ids,
        )
        return {row[0]: (row[1], row[2]) for row in found}


def expected_users(
    config: MigrationConfig, journal: Journal, handling: PlannedHandling
) -> Iterator[ExpectedUser]:
    """Every user the source has now, as the pool should hold it, in source order (streamed).

    Records the source cannot give as users (excluded, incomplete, malformed) are not yielded: the
    plan rejected or skipped them, and one migrated before that shows as no longer in the source.
    """
    mapper = AttributeMapper.from_config(config)
    with open_source(config) as source:
        users = (record for record in source.records() if isinstance(record, LegacyUser))
        while batch := list(islice(users, BATCH)):
            ids = [user.source_id for user in batch]
            records = journal.get_users(ids)
            planned = handling.get_many(ids)
            for user in batch:
                yield _expected(user, mapper, records.get(user.source_id), planned.get(user.source_id))


def _expected(
    user: LegacyUser,
    mapper: AttributeMapper,
    record: UserRecord | None,
    planned: tuple[str | None, str | None] | None,
) -> ExpectedUser:
    mapped = mapper.map(user)
    strategy = record.strategy if record is not None else None
    password: str | None = UNKNOWN
    # The report's handling holds only while it describes the strategy the journal has (a re-plan
    # leaves migrated users alone in the journal but may decide them differently in the report).
    if planned is not None and planned[0] == strategy:
        password = planned[1]
    state = record.state if record is not None else None
    return ExpectedUser(
        source_id=user.source_id,
        username=record.username if record is not None else user.username,
        presence=presence(state, strategy),
        state=state,
        strategy=strategy,
        password=password,
        attributes=mapped.attributes,
        groups=user.groups,
        enabled=user.enabled,
        sub=record.cognito_sub if record is not None else None,
        reason=record.reason if record is not None else None,
        problems=mapped.problems,
    )
