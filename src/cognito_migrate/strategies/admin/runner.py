"""``AdminRunner``: users into the pool through the admin API, many at a time, each one to the end.

    runner = AdminRunner(idp, pool_id, policy=profile.password_policy, credentials=CredentialsFile(p))
    for result in runner.run(users):          # as they finish, not in input order
        journal ... result.state, result.reason, result.sub

Per user, in one worker thread: AdminCreateUser (MessageAction=SUPPRESS unless invitations were asked
for) → the password step of its mode → AdminAddUserToGroup per group → AdminDisableUser if disabled.
Every call goes through the client's rate limiter (one token of its quota category per HTTP attempt)
and botocore's standard/adaptive retries; what still fails after those is that user's result, never
the run's end.

Idempotent and resumable: a user whose name is taken is looked up (AdminGetUser). If it is ours (its
legacy-id attribute holds this source id; or, without that attribute, the user was in doubt or
botocore had retried our create, so an earlier attempt may have made it) the remaining steps run
again, all of them harmless to repeat; otherwise ``on_existing`` decides (skip, update, fail).

Passwords: a generated one is recorded in the credentials file *before* the call that sets it. The
first user whose mode needs that while no credentials file was given stops the run with ConfigError
(checked in the submitting thread, before that user is sent), so nothing is created whose password is
nowhere. Reasons never hold a password (every one used for a user is scrubbed from its reason).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

from cognito_migrate.aws.workers import map_in_threads
from cognito_migrate.errors import CognitoMigrateError, ConfigError, RemoteError, TerminalError
from cognito_migrate.planner.profile import PasswordPolicy
from cognito_migrate.strategies.admin.attempt import Attempt
from cognito_migrate.strategies.admin.calls import FORCE_CHANGE_PASSWORD, AdminCalls, PoolUser, was_retried
from cognito_migrate.strategies.admin.passwords import CredentialsFile, PasswordKind, generate_password
from cognito_migrate.strategies.admin.users import AdminResult, AdminUser, OnExisting
from cognito_migrate.strategies.followups import FollowUp, apply_followup

__all__ = [
    "DEFAULT_WORKERS",
    "INVITATION_WARNING",
    "USERNAME_LIKE",
    "AdminResult",
    "AdminRunner",
    "AdminUser",
]

DEFAULT_WORKERS = 16

INVITATION_WARNING = (
    "invitations are sent by Cognito: its default email sender allows only 50 emails a day per account "
    "(then LimitExceededException), so configure Amazon SES for the pool before inviting more users"
)

# Never written by AdminUpdateUserAttributes: Cognito owns them, or they name the user rather than
# describe it (``immutable`` adds the pool's own immutable attributes).
# How a migrated user's journal reason starts, by what this runner did to the pool; rollback reads them
# to delete only users a run created (rollback/selection.py).
CREATED = "created"
CREATED_EARLIER = "already created by an earlier attempt"
UPDATED_EXISTING = "already in the pool"
USERNAME_LIKE = frozenset({"sub", "username", "cognito:username", "cognito:mfa_enabled"})
# Changing email or phone without its verified flag makes Cognito mark it unverified and send a code.
_VERIFIED_FLAG = {"email": "email_verified", "phone_number": "phone_number_verified"}


class AdminRunner:
    """Migrates ``AdminUser``s into ``pool_id``; see the module docstring.

    ``credentials``: where generated passwords go (temporary ones, and permanent ones without a
    ``clear_password``). ``invite``: temporary-password users get Cognito's invitation (warn the user
    with ``INVITATION_WARNING``); without a credentials file Cognito then makes up the temporary
    password and only the invitation carries it. ``immutable``: attributes ``on_existing="update"``
    must not write. ``idp`` should allow ``workers`` connections (``max_pool_connections``).
    """

    def __init__(
        self,
        idp: Any,
        pool_id: str,
        *,
        policy: PasswordPolicy,
        on_existing: OnExisting = "fail",
        credentials: CredentialsFile | None = None,
        invite: bool = False,
        legacy_id_attribute: str | None = "custom:legacy_id",
        immutable: frozenset[str] = frozenset(),
        workers: int = DEFAULT_WORKERS,
    ) -> None:
        if on_existing not in ("skip", "update", "fail"):
            raise ConfigError(f"on_existing = {on_existing!r}: expected skip, update or fail")
        self._calls = AdminCalls(idp, pool_id)
        self.pool_id = pool_id
        self._policy = policy
        self._on_existing = on_existing
        self._credentials = credentials
        self._invite = invite
        self._legacy = legacy_id_attribute
        self._not_updated = USERNAME_LIKE | immutable
        self._workers = max(1, workers)

    def needs_credentials(self, user: AdminUser) -> bool:
        """Whether a password generated for ``user`` must be written to the credentials file."""
        mode = user.password
        if mode == "temporary":
            return not self._invite
        return mode == "permanent" and user.clear_password is None

    def run(self, users: Iterable[AdminUser]) -> Iterator[AdminResult]:
        """One result per user, as each finishes. At most ``2 × workers`` users are taken from
        ``users`` ahead of their results, so a million users never become a million futures.

        On Ctrl-C (or a ConfigError) no further user starts; users already at Cognito finish and
        their results are still yielded, then the exception is raised. A user taken from ``users``
        but never yielded may or may not be in the pool: treat it as in doubt.
        """
        # Users not started never will; those at Cognito finish (each is a few calls), and their
        # results still reach the journal, so fewer users are left in doubt.
        return map_in_threads(
            self._migrate,
            self._with_credentials_checked(users),
            workers=self._workers,
            name="admin",
            stop_on=(KeyboardInterrupt, CognitoMigrateError),
        )

    def _with_credentials_checked(self, users: Iterable[AdminUser]) -> Iterator[AdminUser]:
        for user in users:
            if self._credentials is None and self.needs_credentials(user):
                raise ConfigError(
                    f"user {user.source_id!r} gets a generated {user.password} password, which must "
                    "be recorded: pass --credentials FILE (a new 0600 CSV only you can read)"
                )
            yield user

    # ── one user, in a worker thread ───────────────────────────────────────────────────────────────

    def _migrate(self, user: AdminUser) -> AdminResult:
        import botocore.exceptions

        attempt = Attempt(user)
        try:
            return self._steps(attempt)
        except RemoteError as exc:
            return attempt.failed(exc)
        except botocore.exceptions.BotoCoreError as exc:
            # Parameter validation, an unmapped connection error: this user's problem, not the run's.
            return attempt.failed(RuntimeError(f"{type(exc).__name__}: {exc}"))

    def _steps(self, attempt: Attempt) -> AdminResult:
        user = attempt.user
        existing = self._calls.get_user(user.username) if user.in_doubt or user.in_pool else None
        if existing is not None:
            return self._existing(attempt, existing, None)
        try:
            created = self._create(attempt)
        except TerminalError as exc:
            if exc.code != "UsernameExistsException":
                raise
            existing = self._calls.get_user(user.username)
            if existing is None:  # deleted between the two calls
                raise
            return self._existing(attempt, existing, exc)
        attempt.found(created)
        self._password(attempt, after_create=True)
        self._finish(attempt)
        return attempt.done("migrated")

    def _create(self, attempt: Attempt) -> PoolUser:
        user, mode = attempt.user, attempt.user.password
        temporary = None
        if mode == "temporary" and self._credentials is not None:
            temporary = self._record(attempt, "temporary")
        invite_by = _invite_by(user) if self._invite and mode == "temporary" else None
        created = self._calls.create_user(
            user.username, user.attributes, temporary_password=temporary, invite_by=invite_by
        )
        attempt.notes.append(CREATED + (" and invited" if invite_by is not None else ""))
        return created

    def _password(self, attempt: Attempt, *, after_create: bool) -> None:
        """The password step of the user's mode (for an earlier attempt's user still in
        FORCE_CHANGE_PASSWORD, ``after_create=False``: its temporary password is set afresh)."""
        user, mode = attempt.user, attempt.user.password
        if mode == "temporary":
            if self._credentials is None:
                attempt.notes.append("temporary password sent in Cognito's invitation")
                return
            if not after_create:
                self._calls.set_password(attempt.name, self._record(attempt, "temporary"), permanent=False)
            attempt.notes.append("temporary password in the credentials file")
        elif mode == "permanent":
            if user.clear_password is not None:
                password, note = user.clear_password, "permanent password from the source"
            else:
                password, note = (
                    self._record(attempt, "permanent"),
                    "permanent password in the credentials file",
                )
            self._calls.set_password(attempt.name, password, permanent=True)
            attempt.notes.append(note)
        else:
            # A user Cognito keeps in FORCE_CHANGE_PASSWORD cannot use forgot-password: ForgotPassword
            # answers NotAuthorizedException "User password cannot be reset in the current state"
            # (reported in aws-amplify/amplify-js#1340 and #2955, amplify-flutter#3048; AWS's own pages
            # only say an administrator must then reset the password). So the user is CONFIRMED with a
            # random password that is never stored or shown: the first sign-in goes through
            # forgot-password, which needs a verified email or phone.
            password = generate_password(self._policy)
            attempt.secrets.append(password)
            self._calls.set_password(attempt.name, password, permanent=True)
            attempt.notes.append("CONFIRMED without a known password: signs in after forgot-password")

    def _record(self, attempt: Attempt, kind: PasswordKind) -> str:
        if self._credentials is None:  # run() refuses such users before they start
            raise ConfigError(f"user {attempt.user.source_id!r}: no credentials file for its password")
        password = generate_password(self._policy)
        attempt.secrets.append(password)
        self._credentials.record(attempt.user.source_id, attempt.user.username, kind, password)
        return password

    def _finish(self, attempt: Attempt) -> None:
        user = attempt.user
        apply_followup(
            self._calls.idp,
            self.pool_id,
            FollowUp(user.source_id, attempt.name, user.groups, not user.enabled),
        )
        if user.groups:
            attempt.notes.append(f"groups {', '.join(user.groups)}")
        if not user.enabled:
            attempt.notes.append("disabled")

    # ── a user the pool already has ────────────────────────────────────────────────────────────────

    def _existing(self, attempt: Attempt, existing: PoolUser, taken: TerminalError | None) -> AdminResult:
        user = attempt.user
        attempt.found(existing)
        retried = taken is not None and was_retried(taken)
        if not user.in_pool and self._is_ours(user, existing, maybe_ours=user.in_doubt or retried):
            attempt.notes.append(f"{CREATED_EARLIER} ({existing.status})")
            if existing.status == FORCE_CHANGE_PASSWORD:
                self._password(attempt, after_create=False)
            else:
                attempt.notes.append("password left as it is")  # set before, or changed by the user
            self._finish(attempt)
            return attempt.done("migrated")
        if self._on_existing == "skip":
            return attempt.done(
                "skipped", "already in the pool, not created by this migration (on_existing = skip)"
            )
        if self._on_existing == "fail":
            said = str(taken) if taken is not None else "the username is taken"
            return attempt.done(
                "failed", f"{said}: already in the pool, not created by this migration (on_existing = fail)"
            )
        changed = self._changed_attributes(user, existing)
        if changed:
            self._calls.update_attributes(attempt.name, changed)
        shown = ", ".join(sorted(changed)) if changed else "none changed"
        attempt.notes.append(f"{UPDATED_EXISTING}: attributes updated ({shown}); password left as it is")
        self._finish(attempt)
        return attempt.done("migrated")

    def _is_ours(self, user: AdminUser, existing: PoolUser, *, maybe_ours: bool) -> bool:
        if self._legacy is not None:
            held = existing.attributes.get(self._legacy)
            if held is not None:
                return held == user.attributes.get(self._legacy, user.source_id)
        return maybe_ours

    def _changed_attributes(self, user: AdminUser, existing: PoolUser) -> dict[str, str]:
        changed = {
            name: value
            for name, value in user.attributes.items()
            if name not in self._not_updated and existing.attributes.get(name) != value
        }
        for attribute, flag in _VERIFIED_FLAG.items():
            if attribute in changed and flag in user.attributes and flag not in self._not_updated:
                changed[flag] = user.attributes[flag]
        return changed


def _invite_by(user: AdminUser) -> list[str]:
    """Where the invitation goes: email when the user has one, else SMS, else Cognito's default."""
    if user.attributes.get("email"):
        return ["EMAIL"]
    if user.attributes.get("phone_number"):
        return ["SMS"]
    return []
