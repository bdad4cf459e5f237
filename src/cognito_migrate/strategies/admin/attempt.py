"""One user's way through the admin steps: what was done so far, and the reason it makes.

The reason goes to the journal and the reports, so every password used for the user (the source's clear
one, generated ones) is scrubbed from it, whatever an error message might echo.
"""

from __future__ import annotations

from cognito_migrate.errors import RemoteError, TerminalError
from cognito_migrate.strategies.admin.calls import PoolUser
from cognito_migrate.strategies.admin.users import AdminResult, AdminUser, ResultState

_MIN_SCRUB = 4  # shorter "secrets" would mangle reasons; no policy allows a password that short


class Attempt:
    """One user's run through the steps: what was done so far, for the reason."""

    def __init__(self, user: AdminUser) -> None:
        self.user = user
        self.notes: list[str] = []
        self.secrets: list[str] = [user.clear_password] if user.clear_password else []
        self.username: str | None = None
        self.sub: str | None = None

    def found(self, pool_user: PoolUser) -> None:
        self.username = pool_user.username or self.username
        self.sub = pool_user.sub or self.sub

    @property
    def name(self) -> str:
        """The name to use in calls after creation: Cognito's stored one when known."""
        return self.username or self.user.username

    def done(self, state: ResultState, note: str | None = None) -> AdminResult:
        reason = "; ".join([*self.notes, *([note] if note else [])])
        return AdminResult(self.user, state, self._scrub(reason), self.sub, self.username)

    def failed(self, error: RemoteError | Exception) -> AdminResult:
        text = str(error)
        if isinstance(error, RemoteError) and not isinstance(error, TerminalError):
            text = f"transient error after retries (a later run may succeed): {text}"
        if getattr(error, "code", None) == "AliasExistsException":
            text += " (another user of the pool holds this email or phone number as a verified alias)"
        if self.notes:
            text = f"{'; '.join(self.notes)}, but then {text}"
        return AdminResult(self.user, "failed", self._scrub(text), self.sub, self.username)

    def _scrub(self, text: str) -> str:
        for secret in self.secrets:
            if len(secret) >= _MIN_SCRUB:
                text = text.replace(secret, "[password]")
        return text
