"""Cognito's rules that moto gets wrong: usernames and aliases (hook order 10), request validation
(order 20), UpdateUserPool keeping create-only settings (order 60), and the password policy as a pure
function (``passwords.policy_violations``)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from cognito_migrate.local.rules import pool_update, usernames, validation

if TYPE_CHECKING:
    from cognito_migrate.local.app import LocalCognitoApp


def install(app: LocalCognitoApp) -> None:
    usernames.install(app)
    validation.install(app)
    pool_update.install(app)
