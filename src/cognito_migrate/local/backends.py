"""Reaching moto's state from extensions, and finding users the way Cognito does.

Callers hold ``app.moto_lock`` while they read or change what these return.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from cognito_migrate.local.wire import CognitoError

if TYPE_CHECKING:
    from moto.cognitoidp.models import CognitoIdpBackend, CognitoIdpUser, CognitoIdpUserPool


def cognito_backend(account: str, region: str) -> CognitoIdpBackend:
    from moto.cognitoidp.models import cognitoidp_backends

    return cognitoidp_backends[account][region]


def logs_backend(account: str, region: str) -> Any:
    from moto.logs.models import logs_backends

    return logs_backends[account][region]


def lambda_backend(account: str, region: str) -> Any:
    from moto.awslambda.models import lambda_backends

    return lambda_backends[account][region]


def user_pool(account: str, region: str, pool_id: str) -> CognitoIdpUserPool:
    """The pool, or Cognito's ResourceNotFoundException."""
    pool = cognito_backend(account, region).user_pools.get(pool_id)
    if pool is None:
        raise CognitoError("ResourceNotFoundException", f"User pool {pool_id} does not exist.")
    return pool


def pool_for_client(account: str, region: str, client_id: str) -> CognitoIdpUserPool:
    for pool in cognito_backend(account, region).user_pools.values():
        if client_id in pool.clients:
            return pool
    raise CognitoError("ResourceNotFoundException", f"User pool client {client_id} does not exist.")


def is_case_sensitive(pool: CognitoIdpUserPool) -> bool:
    # Cognito's default for pools created through the API without UsernameConfiguration is
    # case-sensitive; the console creates case-insensitive pools.
    config = pool.extended_config.get("UsernameConfiguration") or {}
    return bool(config.get("CaseSensitive", True))


def alias_attributes(pool: CognitoIdpUserPool) -> list[str]:
    return list(pool.extended_config.get("AliasAttributes") or [])


def username_attributes(pool: CognitoIdpUserPool) -> list[str]:
    return list(pool.extended_config.get("UsernameAttributes") or [])


def find_user(pool: CognitoIdpUserPool, name: str, *, by_alias: bool = True) -> CognitoIdpUser | None:
    """The user someone means by ``name``, as Cognito resolves it at sign-in.

    The username itself (ignoring case in case-insensitive pools); then, for pools with
    ``UsernameAttributes``, the email or phone number; then, for pools with ``AliasAttributes``, a
    *verified* email or phone number, or a preferred_username, that equals ``name``.
    """
    user = pool.users.get(name)
    if user is not None:
        return user
    folded = None if is_case_sensitive(pool) else name.casefold()
    if folded is not None:
        for candidate in pool.users.values():
            if candidate.username.casefold() == folded:
                return candidate
    lookups: list[tuple[str, str | None]] = [(attr, None) for attr in username_attributes(pool)]
    if by_alias:
        lookups += [(attr, _VERIFIED_FLAG.get(attr)) for attr in alias_attributes(pool)]
    for attribute, verified_flag in lookups:
        for candidate in pool.users.values():
            value = candidate.attribute_lookup.get(attribute)
            if value is None or not _same(value, name, attribute, folded is not None):
                continue
            if verified_flag and candidate.attribute_lookup.get(verified_flag) != "true":
                continue
            return candidate
    return None


_VERIFIED_FLAG = {"email": "email_verified", "phone_number": "phone_number_verified"}


def _same(value: str, name: str, attribute: str, ignore_case: bool) -> bool:
    # Email addresses compare without case at sign-in; preferred_username follows the pool's rule.
    if attribute == "email" or ignore_case:
        return value.casefold() == name.casefold()
    return value == name
