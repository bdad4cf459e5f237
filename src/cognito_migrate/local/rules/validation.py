"""Request checks Cognito makes and moto skips (hook order 20).

- Attributes outside the pool's schema (``custom:nope``, or a name that is no standard attribute) in
  AdminCreateUser, AdminUpdateUserAttributes, UpdateUserAttributes and SignUp → InvalidParameterException.
- ``TemporaryPassword`` of AdminCreateUser and the new password of ConfirmForgotPassword checked against
  the pool's PasswordPolicy → InvalidPasswordException (moto checks neither).
- ``Limit`` of ListUsers and ListUsersInGroup outside 0–60 → InvalidParameterException (botocore only
  checks the minimum on the client side, so a ``Limit=100`` reaches the server).
- A username in email (phone) format in a pool with an email (phone_number) alias → InvalidParameterException.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from cognito_migrate.local.backends import alias_attributes
from cognito_migrate.local.rules.passwords import policy_violations, pool_password_policy
from cognito_migrate.local.rules.usernames import flatten, pool_of_call
from cognito_migrate.local.wire import ApiCall, CognitoError, Reply, invalid_parameter

if TYPE_CHECKING:
    from moto.cognitoidp.models import CognitoIdpUserPool

    from cognito_migrate.local.app import Forward, LocalCognitoApp

ORDER = 20

LIST_LIMIT_MAX = 60  # ListUsers / ListUsersInGroup ``Limit`` is 0–60 [S1]

# InvalidPasswordException text per action. AdminCreateUser's and SignUp's prefixes are seen in
# real answers; ConfirmForgotPassword's is UNVERIFIED (same as AdminCreateUser's assumed).
_POLICY_PREFIX = {
    "AdminCreateUser": "Password did not conform with password policy: ",
    "SignUp": "Password did not conform with policy: ",
    "ConfirmForgotPassword": "Password did not conform with password policy: ",
}
# Which parameter carries the password to check, per action.
_PASSWORD_PARAMETER = {"AdminCreateUser": "TemporaryPassword", "ConfirmForgotPassword": "Password"}

# What a username in an alias pool may not look like. Email: moto's own pattern; phone: E.164.
_ALIAS_FORMATS = {
    "email": (re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+"), "email", "email"),
    # UNVERIFIED wording for phone numbers, by analogy with AWS's email message.
    "phone_number": (re.compile(r"\+\d{1,15}"), "phone number", "phone number"),
}


def _standard_attributes() -> frozenset[str]:
    from moto.cognitoidp.models import CognitoIdpUserPoolAttribute

    return frozenset(CognitoIdpUserPoolAttribute.STANDARD_SCHEMA)


def unknown_attributes(pool: CognitoIdpUserPool, names: list[str]) -> list[str]:
    """Names that are neither standard attributes (every Cognito pool has all of them, whatever
    moto's ``schema_attributes`` holds) nor in the pool's schema (its custom attributes)."""
    known = _standard_attributes() | set(pool.schema_attributes)
    return [name for name in names if name not in known]


def schema_error(name: str) -> CognitoError:
    # AWS's text; with several unknown names Cognito's answer is UNVERIFIED: we name the first.
    return invalid_parameter(
        f"Attributes did not conform to the schema: Type for attribute {{{name}}} could not be determined"
    )


def limit_error(value: int) -> CognitoError | None:
    """AWS's request-validation answer for a ``Limit`` outside 0–60, or ``None``."""
    if value > LIST_LIMIT_MAX:
        constraint = f"Member must have value less than or equal to {LIST_LIMIT_MAX}"
    elif value < 0:
        constraint = "Member must have value greater than or equal to 0"
    else:
        return None
    return invalid_parameter(
        f"1 validation error detected: Value '{value}' at 'limit' failed to satisfy constraint: {constraint}"
    )


def username_format_error(pool: CognitoIdpUserPool, username: str) -> CognitoError | None:
    """Pools with an email (phone) alias refuse usernames that look like an email (phone number) [D6]."""
    for attribute in alias_attributes(pool):
        rule = _ALIAS_FORMATS.get(attribute)
        if rule is not None and rule[0].fullmatch(username):
            return invalid_parameter(
                f"Username cannot be of {rule[1]} format, since user pool is configured for {rule[2]} alias."
            )
    return None


class ValidationHooks:
    def __init__(self, app: LocalCognitoApp) -> None:
        self.app = app

    def check(self, call: ApiCall, forward: Forward) -> Reply:
        with self.app.moto_lock:
            pool = pool_of_call(call)
            if pool is not None:
                self._check(call, pool)
        return forward(call)

    def _check(self, call: ApiCall, pool: CognitoIdpUserPool) -> None:
        attributes = call.params.get("UserAttributes")
        if attributes is not None:
            unknown = unknown_attributes(pool, list(flatten(attributes)))
            if unknown:
                raise schema_error(unknown[0])
        username = call.params.get("Username")
        creates = (
            call.action in ("AdminCreateUser", "SignUp") and call.params.get("MessageAction") != "RESEND"
        )
        if creates and isinstance(username, str):
            error = username_format_error(pool, username)
            if error is not None:
                raise error
        parameter = _PASSWORD_PARAMETER.get(call.action)
        password = call.params.get(parameter) if parameter else None
        if isinstance(password, str):
            violations = policy_violations(password, pool_password_policy(pool.extended_config))
            if violations:
                raise CognitoError("InvalidPasswordException", _POLICY_PREFIX[call.action] + violations[0])

    def check_limit(self, call: ApiCall, forward: Forward) -> Reply:
        limit: Any = call.params.get("Limit")
        if isinstance(limit, int) and not isinstance(limit, bool):
            error = limit_error(limit)
            if error is not None:
                raise error
        return forward(call)


def install(app: LocalCognitoApp) -> None:
    hooks = ValidationHooks(app)
    for action in ("AdminCreateUser", "AdminUpdateUserAttributes", "UpdateUserAttributes", "SignUp",
                   "ConfirmForgotPassword"):  # fmt: skip
        app.on(action, hooks.check, order=ORDER)
    for action in ("ListUsers", "ListUsersInGroup"):
        app.on(action, hooks.check_limit, order=ORDER)
