"""Which JupyterHub users a migration keeps: the portal's export rules, each one a setting.

The portal selects users with SQLite's date functions (``current_date`` is today in UTC)::

    WHERE last_activity > date(current_date, '-1 year')
      AND (last_activity > date(created, '+1 day') OR created > date(current_date, '-1 month'))
      AND (created > date(current_date, '-1 month') OR (has_2fa = 1 AND is_authorized = 1))

These rules reproduce that query exactly, on any database:

- ``date()`` is midnight of a day, and SQLite compares the stored text "2025-11-21 10:00:00.000000" with
  "2025-11-21" as strings, so "later than that date" means "on that day or later". A cut-off is
  therefore a midnight, and a moment passes when it is at or after it.
- SQLite counts months on the calendar and lets an impossible day spill over: 2026-03-31 '-1 month' is
  "2026-02-31", which is 2026-03-03; 2028-02-29 '-1 year' is 2027-03-01. A number of days in the
  settings that is a multiple of 365 counts whole years this way, a multiple of 30 whole months (so the
  defaults, 365 and 30, are the portal's "1 year" and "1 month"); any other number counts days.
- A NULL makes a comparison fail: a user never active fails the activity rule, an account without a
  creation date is never new and fails the abandoned rule, and has_2fa/is_authorized must be 1.
- ``new_account_days = 0`` means no account is new: every account must pass every rule.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from cognito_migrate.config.models import JupyterHubSource

_YEAR_DAYS = 365
_MONTH_DAYS = 30


def sqlite_date_shift(day: date, *, months: int = 0, days: int = 0) -> date:
    """``date(day, '±N months', '±N days')`` as SQLite computes it (months first, overflow spills)."""
    if months:
        index = day.year * 12 + (day.month - 1) + months
        year, month = divmod(index, 12)
        day = date(year, month + 1, 1) + timedelta(days=day.day - 1)
    return day + timedelta(days=days)


def days_back(today: date, count: int) -> date:
    """``count`` days before ``today``, counted as the portal counts "1 year" and "1 month"."""
    if count % _YEAR_DAYS == 0:
        return sqlite_date_shift(today, months=-12 * (count // _YEAR_DAYS))
    if count % _MONTH_DAYS == 0:
        return sqlite_date_shift(today, months=-(count // _MONTH_DAYS))
    return sqlite_date_shift(today, days=-count)


@dataclass(frozen=True, slots=True)
class HubAccount:
    """What the rules look at, read from ``users`` and ``users_info`` (naive UTC datetimes)."""

    created: datetime | None
    last_activity: datetime | None
    has_2fa: bool
    is_authorized: bool


@dataclass(frozen=True, slots=True)
class PortalRules:
    """The selection for one run; ``exclusions()`` says why an account is left out (empty: kept)."""

    config: JupyterHubSource
    active_since: datetime | None  # None: the activity rule is off
    new_since: datetime | None  # None: no account counts as new

    @classmethod
    def for_config(cls, config: JupyterHubSource, now: datetime) -> PortalRules:
        today = (now.astimezone(UTC) if now.tzinfo else now).date()  # SQLite's current_date is UTC
        active = config.last_active_within_days
        return cls(
            config,
            _midnight(days_back(today, active)) if active is not False else None,
            _midnight(days_back(today, config.new_account_days)) if config.new_account_days else None,
        )

    def is_new(self, account: HubAccount) -> bool:
        return (
            self.new_since is not None and account.created is not None and account.created >= self.new_since
        )

    def exclusions(self, account: HubAccount) -> list[str]:
        """Each rule the account fails, in words that name the setting and the values compared."""
        config = self.config
        reasons: list[str] = []
        if self.active_since is not None and not _at_or_after(account.last_activity, self.active_since):
            when = f"last active {_show(account.last_activity)}" if account.last_activity else "never active"
            reasons.append(
                f"inactive: {when}, before {self.active_since.date()} "
                f"(last_active_within_days = {config.last_active_within_days})"
            )
        if self.is_new(account):
            return reasons  # the other rules wait until an account is no longer new
        older: list[str] = []
        if config.drop_abandoned and not self._used_after_first_day(account):
            older.append(
                f"abandoned: not used after the day it was created (created {_show(account.created)}, "
                f"last active {_show(account.last_activity)}; drop_abandoned = true)"
            )
        if config.require_2fa and not account.has_2fa:
            older.append("no 2FA set up (require_2fa = true)")
        if config.require_authorized and not account.is_authorized:
            older.append("not authorized (require_authorized = true)")
        if older:
            older.append(self._not_new(account))
        return reasons + older

    def _not_new(self, account: HubAccount) -> str:
        if self.new_since is None:
            return "no account counts as new (new_account_days = 0)"
        return (
            f"not a new account: created {_show(account.created)}, before {self.new_since.date()} "
            f"(new_account_days = {self.config.new_account_days})"
        )

    @staticmethod
    def _used_after_first_day(account: HubAccount) -> bool:
        # last_activity > date(created, '+1 day'): on or after the midnight that ends the creation day.
        if account.created is None:
            return False
        return _at_or_after(account.last_activity, _midnight(account.created.date() + timedelta(days=1)))


def _at_or_after(moment: datetime | None, cutoff: datetime) -> bool:
    return moment is not None and moment >= cutoff


def _midnight(day: date) -> datetime:
    return datetime.combine(day, time())


def _show(moment: datetime | None) -> str:
    return moment.isoformat(sep=" ", timespec="seconds") if moment else "empty"


__all__ = ["HubAccount", "PortalRules", "days_back", "sqlite_date_shift"]
