"""The migrate-user trigger: create a user from the function's answer when the user does not exist.

Cognito invokes ``LambdaConfig.UserMigration`` when nobody in the pool answers to the name typed at
InitiateAuth (USER_PASSWORD_AUTH), AdminInitiateAuth (ADMIN_USER_PASSWORD_AUTH) or ForgotPassword;
never for SRP or refresh flows [D3]. The hook (order 40: after name canonicalisation, validation
and imported-hash sign-in) invokes the function outside moto's lock, checks its answer
(``events.py``), creates the user in moto's backend under the lock, and forwards the original call
with the new username, so moto signs the user in or starts the password reset.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from cognito_migrate.local.app import Forward, LocalCognitoApp
from cognito_migrate.local.backends import (
    alias_attributes,
    cognito_backend,
    find_user,
    pool_for_client,
    user_pool,
    username_attributes,
)
from cognito_migrate.local.rules import usernames
from cognito_migrate.local.triggers import events
from cognito_migrate.local.triggers.functions import ERROR_CODE, Trigger, invoke
from cognito_migrate.local.wire import ApiCall, CognitoError, Reply

if TYPE_CHECKING:
    from moto.cognitoidp.models import CognitoIdpUser, CognitoIdpUserPool

HOOK_ORDER = 40
TRIGGER = "UserMigration"
STATE_KEY = "triggers"
_SIGN_IN_FLOWS = {"InitiateAuth": "USER_PASSWORD_AUTH", "AdminInitiateAuth": "ADMIN_USER_PASSWORD_AUTH"}

# What Cognito answers a sign-in whose user must reset the password first.
RESET_REQUIRED_ERROR = CognitoError("PasswordResetRequiredException", "Password reset required for the user")


@dataclass(frozen=True)
class _Target:
    """A pool with a migrate-user function, and a name nobody in it answers to."""

    pool_id: str
    client_id: str
    function: str
    rules: events.PoolRules


class UserMigration:
    def __init__(self, app: LocalCognitoApp) -> None:
        self.app = app

    def install(self) -> None:
        for action in _SIGN_IN_FLOWS:
            self.app.on(action, self.on_sign_in, order=HOOK_ORDER)
        self.app.on("ForgotPassword", self.on_forgot_password, order=HOOK_ORDER)

    # ── hooks ───────────────────────────────────────────────────────────────────────────────────

    def on_sign_in(self, call: ApiCall, forward: Forward) -> Reply:
        if call.params.get("AuthFlow") != _SIGN_IN_FLOWS[call.action]:
            return forward(call)
        auth = call.params.get("AuthParameters") or {}
        typed, password = auth.get("USERNAME"), auth.get("PASSWORD")
        if not isinstance(typed, str) or not typed or not isinstance(password, str):
            return forward(call)
        target = self._target(call, typed)
        if target is None:
            return forward(call)
        username, status = self._migrate(call, target, events.MIGRATION_AUTHENTICATION, typed, password)
        if status == events.RESET_REQUIRED:
            raise RESET_REQUIRED_ERROR
        return forward(call.replace_params(AuthParameters={**auth, "USERNAME": username}))

    def on_forgot_password(self, call: ApiCall, forward: Forward) -> Reply:
        typed = call.params.get("Username")
        if not isinstance(typed, str) or not typed:
            return forward(call)
        target = self._target(call, typed)
        if target is None:
            return forward(call)
        username, _ = self._migrate(call, target, events.MIGRATION_FORGOT_PASSWORD, typed, None)
        return forward(call.replace_params(Username=username))

    # ── steps ───────────────────────────────────────────────────────────────────────────────────

    def _target(self, call: ApiCall, typed: str) -> _Target | None:
        """The pool to migrate into, or None: no such pool (moto will say so), no trigger, or a
        user who already exists."""
        client_id = str(call.params.get("ClientId") or "")
        with self.app.moto_lock:
            try:
                if call.action == "AdminInitiateAuth":
                    pool = user_pool(call.account, call.region, str(call.params.get("UserPoolId") or ""))
                else:
                    pool = pool_for_client(call.account, call.region, client_id)
            except CognitoError:
                return None
            function = (pool.extended_config.get("LambdaConfig") or {}).get("UserMigration")
            if not function or find_user(pool, typed) is not None:
                return None
            return _Target(pool.id, client_id, str(function), pool_rules(pool))

    def _migrate(
        self, call: ApiCall, target: _Target, source: str, typed: str, password: str | None
    ) -> tuple[str, str]:
        """Invoke the function and create the user it describes; the stored username and status."""
        metadata = call.params.get("ClientMetadata")
        event = events.migration_event(
            source,
            region=call.region,
            pool_id=target.pool_id,
            client_id=target.client_id,
            user_name=typed,
            password=password,
            client_metadata=metadata if isinstance(metadata, Mapping) else None,
        )
        result = invoke(self.app, Trigger(TRIGGER, target.function, call), event)
        try:
            response = events.parse_migration_response(result)
            made = events.new_user(target.rules, typed, response)
        except events.InvalidMigrationResponse as exc:
            raise CognitoError(ERROR_CODE, str(exc)) from exc
        with self.app.moto_lock:
            pool = user_pool(call.account, call.region, target.pool_id)
            raced = find_user(pool, typed)
            if raced is not None:  # a concurrent call migrated the same user first
                return str(raced.username), str(getattr(raced.status, "value", raced.status))
            user = self._create(call, pool, typed, made, response)
            user.status = _moto_status(response.final_status)
            if source == events.MIGRATION_AUTHENTICATION and response.final_status == events.CONFIRMED:
                user.password = password  # moto keeps passwords in clear and compares them
            if response.enable_sms_mfa:
                user.sms_mfa_enabled = True
            if response.message_action != "SUPPRESS":
                self._count_welcome_message(target.pool_id)
            return str(user.username), response.final_status

    def _create(
        self,
        call: ApiCall,
        pool: CognitoIdpUserPool,
        typed: str,
        made: events.NewUser,
        response: events.MigrationResponse,
    ) -> CognitoIdpUser:
        """Create the user in moto (caller holds the lock), after Cognito's uniqueness checks: the
        same ones AdminCreateUser makes (``rules.usernames``)."""
        name = made.username or typed  # for e-mail/phone-username pools moto stores a UUID instead
        taken = usernames.username_taken(pool, name)
        if taken is not None:
            raise taken
        for attribute, holder in list(
            usernames.alias_holders(pool, usernames.claimed_aliases(pool, made.attributes))
        ):
            # forceAliasCreation moves an email or phone alias, never a preferred_username (as for
            # AdminCreateUser in rules.usernames).
            if not response.force_alias_creation or attribute not in ("email", "phone_number"):
                raise usernames.alias_exists(attribute)
            usernames.release_alias(holder, attribute)
        backend = cognito_backend(call.account, call.region)
        attributes = [{"Name": attribute, "Value": value} for attribute, value in made.attributes.items()]
        try:
            return backend.admin_create_user(pool.id, name, "SUPPRESS", None, attributes)  # type: ignore[arg-type]
        except Exception as exc:  # moto's JsonRESTError carries Cognito's code and message
            code, message = getattr(exc, "error_type", None), getattr(exc, "message", None)
            if code is None:
                raise
            raise CognitoError(str(code), str(message)) from exc

    def _count_welcome_message(self, pool_id: str) -> None:
        """Cognito would send a welcome message here; the local one sends nothing and counts it."""
        state = self.app.state.setdefault(STATE_KEY, {})
        counts: dict[str, int] = state.setdefault("welcome_messages", {})
        counts[pool_id] = counts.get(pool_id, 0) + 1


def welcome_messages(app: LocalCognitoApp, pool_id: str) -> int:
    """How many welcome messages migrations in ``pool_id`` would have sent (none is sent)."""
    return int(app.state.get(STATE_KEY, {}).get("welcome_messages", {}).get(pool_id, 0))


def pool_rules(pool: CognitoIdpUserPool) -> events.PoolRules:
    """The pool's attribute and sign-in-name rules (caller holds the lock)."""
    from moto.cognitoidp.models import CognitoIdpUserPoolAttribute

    schema: Mapping[str, Any] = pool.schema_attributes
    # moto keeps only the attributes given at CreateUserPool when a Schema was given; Cognito
    # always has the standard ones.
    known = frozenset(schema) | frozenset(CognitoIdpUserPoolAttribute.STANDARD_SCHEMA)
    required = frozenset(name for name, attribute in schema.items() if getattr(attribute, "required", False))
    return events.PoolRules(
        known_attributes=known,
        required_attributes=required,
        alias_attributes=tuple(alias_attributes(pool)),
        username_attributes=tuple(username_attributes(pool)),
    )


def _moto_status(status: str) -> Any:
    from moto.cognitoidp.models import UserStatus

    # moto compares statuses with `is`: it must be the enum member, not the string.
    return UserStatus[status]


def install(app: LocalCognitoApp) -> None:
    UserMigration(app).install()
