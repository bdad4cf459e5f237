"""What the admin strategy is given per user (``AdminUser``) and what it answers (``AdminResult``)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

PasswordMode = Literal["temporary", "permanent", "none"]
OnExisting = Literal["skip", "update", "fail"]
ResultState = Literal["migrated", "skipped", "failed"]


@dataclass(frozen=True, slots=True)
class AdminUser:
    """One planned user, ready for AdminCreateUser.

    ``password``: ``temporary`` (a generated one, recorded, user status FORCE_CHANGE_PASSWORD),
    ``permanent`` (``clear_password`` from a trusted source, or a generated one that is recorded;
    CONFIRMED), or ``none`` (CONFIRMED with a random password nobody knows: the user signs in after
    forgot-password). ``in_doubt``: an earlier run may have reached Cognito with this user (it was left
    submitted, or failed after its creation): look it up before creating it. ``in_pool``: the plan
    found the username taken by a user the migration did not create: look it up and let
    ``on_existing`` decide (such a user is never taken for one of ours, so its password is never set).
    """

    source_id: str
    username: str
    attributes: dict[str, str]  # Cognito names → values, incl. email_verified and custom:legacy_id
    groups: tuple[str, ...] = ()
    enabled: bool = True
    password: PasswordMode = "none"  # noqa: S105 - a mode, not a password
    clear_password: str | None = field(default=None, repr=False)  # never in a repr, log or reason
    in_doubt: bool = False
    in_pool: bool = False  # the plan found this username in the pool: look it up, apply on_existing


@dataclass(frozen=True, slots=True)
class AdminResult:
    """One user's outcome. ``reason`` is for the journal: what was done, or Cognito's error code and
    message; it never holds a password. ``username`` is the name Cognito stores (a UUID in pools that
    sign in with email or phone), when known."""

    user: AdminUser
    state: ResultState
    reason: str
    sub: str | None = None
    username: str | None = None

    @property
    def ok(self) -> bool:
        return self.state != "failed"
