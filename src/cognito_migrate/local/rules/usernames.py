"""Usernames and aliases as Cognito resolves them (hook order 10), where moto only knows exact keys.

moto stores users in a dict keyed by the exact username and ignores ``CaseSensitive=False`` and
``AliasAttributes``. Cognito instead lets every call that names a user use any case in a
case-insensitive pool, and lets sign-in (and the Admin* calls) use a *verified* email or phone alias, or
a preferred_username. This hook rewrites the name a caller typed to the stored username before moto
(or a later hook, such as the migrate-user trigger) sees it; a name that matches nobody passes unchanged,
so moto answers UserNotFoundException and the trigger sees what the user typed.

It also enforces what Cognito refuses at creation: a username that differs from an existing one only
by case (case-insensitive pools), and a verified alias value another user already holds
(``AliasExistsException`` unless ``ForceAliasCreation``, which moves the alias).
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING, Any

from cognito_migrate.local.backends import (
    alias_attributes,
    cognito_backend,
    find_user,
    is_case_sensitive,
    pool_for_client,
    user_pool,
    username_attributes,
)
from cognito_migrate.local.wire import ApiCall, CognitoError, Reply

if TYPE_CHECKING:
    from moto.cognitoidp.models import CognitoIdpUser, CognitoIdpUserPool

    from cognito_migrate.local.app import Forward, Handler, LocalCognitoApp

ORDER = 10

# Calls that name a user with ``Username`` next to ``UserPoolId``. AWS documents that this ``Username``
# "can be any of their alias attributes" or the user's ``sub`` (AdminGetUser and friends [S1]).
ADMIN_USER_ACTIONS = (
    "AdminGetUser", "AdminDeleteUser", "AdminAddUserToGroup", "AdminRemoveUserFromGroup",
    "AdminListGroupsForUser", "AdminDeleteUserAttributes", "AdminDisableUser", "AdminEnableUser",
    "AdminSetUserPassword", "AdminResetUserPassword", "AdminConfirmSignUp", "AdminUserGlobalSignOut",
    "AdminSetUserMFAPreference", "AdminSetUserSettings", "AdminListDevices", "AdminGetDevice",
    "AdminForgetDevice", "AdminUpdateDeviceStatus", "AdminListUserAuthEvents",
    "AdminUpdateAuthEventFeedback",
)  # fmt: skip
# Calls that name a user with ``Username`` next to ``ClientId``.
CLIENT_USER_ACTIONS = ("ForgotPassword", "ConfirmForgotPassword", "ConfirmSignUp", "ResendConfirmationCode")
# Calls that carry the name inside a map: (action, map parameter).
NESTED_USERNAME_ACTIONS = (
    ("InitiateAuth", "AuthParameters"),
    ("AdminInitiateAuth", "AuthParameters"),
    ("RespondToAuthChallenge", "ChallengeResponses"),
    ("AdminRespondToAuthChallenge", "ChallengeResponses"),
)

USERNAME_EXISTS = "User account already exists"
_VERIFIED_FLAG = {"email": "email_verified", "phone_number": "phone_number_verified"}
_USERNAME_FILTER = re.compile(r'^\s*username\s*=\s*"(.*)"\s*$')


def stored_form(username: str) -> str:
    """The username Cognito stores for ``username`` as typed at creation.

    UNVERIFIED: whether Cognito keeps the case of a username created in a case-insensitive pool or
    lowercases it; AWS's docs only promise that either case signs in. We keep it as created.
    """
    return username


# ── the model: finding users and alias holders (callers hold app.moto_lock) ───────────────────────────


def resolve_username(pool: CognitoIdpUserPool, name: str, *, by_sub: bool = False) -> str | None:
    """The stored username ``name`` designates (case, aliases, optionally ``sub``), or ``None``."""
    user = find_user(pool, name)
    if user is None and by_sub:
        user = next((u for u in pool.users.values() if u.id == name), None)
    return None if user is None else str(user.username)


def username_taken(pool: CognitoIdpUserPool, name: str) -> CognitoError | None:
    """Cognito's refusal of a new user called ``name``, or ``None`` when the name is free."""
    if username_attributes(pool):
        # Pools that sign in by email/phone: moto checks the exact value; Cognito compares emails
        # without case (find_user's rule). UNVERIFIED: the message for the phone-number case.
        holder = find_user(pool, name, by_alias=False)
        if holder is None:
            return None
        attribute = "email" if "@" in name else "phone_number"
        message = f"An account with the given {attribute} already exists."
        return CognitoError("UsernameExistsException", message)
    if name in pool.users:
        return CognitoError("UsernameExistsException", USERNAME_EXISTS)
    if not is_case_sensitive(pool):
        folded = name.casefold()
        if any(user.username.casefold() == folded for user in pool.users.values()):
            return CognitoError("UsernameExistsException", USERNAME_EXISTS)
    return None


def _is_true(value: Any) -> bool:
    return str(value).strip().lower() == "true"


def claimed_aliases(pool: CognitoIdpUserPool, attributes: Mapping[str, str]) -> dict[str, str]:
    """The alias values a user with ``attributes`` holds: verified email/phone, any preferred_username."""
    claimed: dict[str, str] = {}
    for attribute in alias_attributes(pool):
        value = attributes.get(attribute)
        if not value:
            continue
        flag = _VERIFIED_FLAG.get(attribute)
        if flag is None or _is_true(attributes.get(flag)):
            claimed[attribute] = value
    return claimed


def alias_holders(
    pool: CognitoIdpUserPool, claimed: Mapping[str, str], *, exclude: CognitoIdpUser | None = None
) -> Iterator[tuple[str, CognitoIdpUser]]:
    """(attribute, user) for every other user already holding one of the ``claimed`` alias values."""
    ignore_case = not is_case_sensitive(pool)
    for attribute, value in claimed.items():
        for user in pool.users.values():
            if user is exclude:
                continue
            held = claimed_aliases(pool, user.attribute_lookup).get(attribute)
            if held is None:
                continue
            if attribute == "email" or ignore_case:
                same = held.casefold() == value.casefold()
            else:
                same = held == value
            if same:
                yield attribute, user


def alias_exists(attribute: str) -> CognitoError:
    # AWS's text for email; the phone_number and preferred_username variants are UNVERIFIED analogues.
    return CognitoError("AliasExistsException", f"An account with the given {attribute} already exists.")


def release_alias(user: CognitoIdpUser, attribute: str) -> None:
    """Take a verified email/phone alias away from ``user`` (ForceAliasCreation moved it).

    AWS: "The previous user will no longer be able to log in using that alias" [S1]. How is
    UNVERIFIED: we mark the attribute unverified, which is what stops it acting as an alias.
    """
    flag = _VERIFIED_FLAG.get(attribute)
    if flag is not None:
        user.update_attributes([{"Name": flag, "Value": "false"}])


def flatten(attributes: Any) -> dict[str, str]:
    """``[{"Name": n, "Value": v}, …]`` as a dict; malformed entries are left for moto to refuse."""
    if not isinstance(attributes, list):
        return {}
    return {
        str(item["Name"]): str(item.get("Value", ""))
        for item in attributes
        if isinstance(item, dict) and "Name" in item
    }


# ── the hooks ─────────────────────────────────────────────────────────────────────────────────────────


def pool_of_call(call: ApiCall) -> CognitoIdpUserPool | None:
    """The pool a call is about (by UserPoolId, ClientId or AccessToken), or ``None``: then moto
    answers the missing pool or client in its own words."""
    try:
        if isinstance(call.params.get("UserPoolId"), str):
            return user_pool(call.account, call.region, call.params["UserPoolId"])
        if isinstance(call.params.get("ClientId"), str):
            return pool_for_client(call.account, call.region, call.params["ClientId"])
    except CognitoError:
        return None
    token = call.params.get("AccessToken")
    if isinstance(token, str):
        pools = cognito_backend(call.account, call.region).user_pools.values()
        return next((pool for pool in pools if token in pool.access_tokens), None)
    return None


class UsernameHooks:
    """Rewrites names to stored usernames and refuses duplicate usernames and aliases.

    Each hook reads moto's state under ``app.moto_lock`` and forwards only after releasing it: later
    hooks (a migrate-user trigger) may wait on a process.
    """

    def __init__(self, app: LocalCognitoApp) -> None:
        self.app = app

    def _resolved(self, call: ApiCall, name: Any, *, by_sub: bool) -> str | None:
        if not isinstance(name, str) or not name:
            return None
        with self.app.moto_lock:
            pool = pool_of_call(call)
            return None if pool is None else resolve_username(pool, name, by_sub=by_sub)

    def admin_user(self, call: ApiCall, forward: Forward) -> Reply:
        stored = self._resolved(call, call.params.get("Username"), by_sub=True)
        return forward(call.replace_params(Username=stored) if stored else call)

    def client_user(self, call: ApiCall, forward: Forward) -> Reply:
        stored = self._resolved(call, call.params.get("Username"), by_sub=False)
        return forward(call.replace_params(Username=stored) if stored else call)

    def nested_user(self, parameter: str) -> Handler:
        def hook(call: ApiCall, forward: Forward) -> Reply:
            mapping = call.params.get(parameter)
            if not isinstance(mapping, dict):
                return forward(call)
            stored = self._resolved(call, mapping.get("USERNAME"), by_sub=False)
            if stored is None:
                return forward(call)
            return forward(call.replace_params(**{parameter: {**mapping, "USERNAME": stored}}))

        return hook

    def create_user(self, call: ApiCall, forward: Forward) -> Reply:
        """AdminCreateUser and SignUp: refuse taken usernames and aliases; move forced aliases."""
        name = call.params.get("Username")
        if not isinstance(name, str) or not name:
            return forward(call)
        if call.params.get("MessageAction") == "RESEND":  # names an existing user
            return self.admin_user(call, forward)
        force = call.action == "AdminCreateUser" and call.params.get("ForceAliasCreation") is True
        moved: list[tuple[str, CognitoIdpUser]] = []
        with self.app.moto_lock:
            pool = pool_of_call(call)
            if pool is not None:
                refusal = username_taken(pool, name)
                if refusal is not None:
                    raise refusal
                moved = self._check_aliases(pool, flatten(call.params.get("UserAttributes")), None, force)
        reply = forward(call.replace_params(Username=stored_form(name)))
        if reply.ok and moved:
            with self.app.moto_lock:
                for attribute, holder in moved:
                    release_alias(holder, attribute)
        return reply

    def update_attributes(self, call: ApiCall, forward: Forward) -> Reply:
        """AdminUpdateUserAttributes: resolve the user, then refuse an alias another user holds."""
        name = call.params.get("Username")
        new = flatten(call.params.get("UserAttributes"))
        with self.app.moto_lock:
            pool = pool_of_call(call)
            stored = (
                resolve_username(pool, name, by_sub=True)
                if pool is not None and isinstance(name, str)
                else None
            )
            user = pool.users.get(stored) if pool is not None and stored else None
            if pool is not None and user is not None:
                self._check_updated_aliases(pool, user, new)
        return forward(call.replace_params(Username=stored) if stored else call)

    def _check_updated_aliases(
        self, pool: CognitoIdpUserPool, user: CognitoIdpUser, new: dict[str, str]
    ) -> None:
        """Only the aliases this update sets or verifies can newly collide with another user's."""
        if not (set(alias_attributes(pool)) | set(_VERIFIED_FLAG.values())) & set(new):
            return
        merged = {**user.attribute_lookup, **new}
        claimed = {
            attr: value
            for attr, value in claimed_aliases(pool, merged).items()
            if attr in new or _VERIFIED_FLAG.get(attr) in new
        }
        self._check_aliases(pool, claimed, user, force=False, already_claimed=True)

    def _check_aliases(
        self,
        pool: CognitoIdpUserPool,
        attributes: Mapping[str, str],
        user: CognitoIdpUser | None,
        force: bool,
        *,
        already_claimed: bool = False,
    ) -> list[tuple[str, CognitoIdpUser]]:
        """Raise AliasExistsException for a taken alias, or return the holders a forced create moves.

        ``ForceAliasCreation`` moves email and phone aliases only [S1]; a taken preferred_username is
        refused either way (UNVERIFIED: AWS documents uniqueness, not the force case).
        """
        claimed = dict(attributes) if already_claimed else claimed_aliases(pool, attributes)
        moved: list[tuple[str, CognitoIdpUser]] = []
        for attribute, holder in alias_holders(pool, claimed, exclude=user):
            if not force or attribute not in _VERIFIED_FLAG:
                raise alias_exists(attribute)
            moved.append((attribute, holder))
        return moved

    def list_users(self, call: ApiCall, forward: Forward) -> Reply:
        """``Filter='username = "ADA"'`` finds ``Ada`` in a case-insensitive pool (exact match only;
        a ``^=`` prefix filter keeps moto's case-sensitive comparison)."""
        text = call.params.get("Filter")
        match = _USERNAME_FILTER.match(text) if isinstance(text, str) else None
        if match is None:
            return forward(call)
        stored = None
        with self.app.moto_lock:
            pool = pool_of_call(call)
            if pool is not None and not is_case_sensitive(pool):
                folded = match.group(1).casefold()
                stored = next(
                    (u.username for u in pool.users.values() if u.username.casefold() == folded), None
                )
        if stored is None:
            return forward(call)
        return forward(call.replace_params(Filter=f'username = "{stored}"'))


def install(app: LocalCognitoApp) -> None:
    hooks = UsernameHooks(app)
    for action in ADMIN_USER_ACTIONS:
        app.on(action, hooks.admin_user, order=ORDER)
    for action in CLIENT_USER_ACTIONS:
        app.on(action, hooks.client_user, order=ORDER)
    for action, parameter in NESTED_USERNAME_ACTIONS:
        app.on(action, hooks.nested_user(parameter), order=ORDER)
    app.on("AdminCreateUser", hooks.create_user, order=ORDER)
    app.on("SignUp", hooks.create_user, order=ORDER)
    app.on("AdminUpdateUserAttributes", hooks.update_attributes, order=ORDER)
    app.on("ListUsers", hooks.list_users, order=ORDER)
