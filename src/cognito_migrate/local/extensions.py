"""The extensions that make moto behave like Cognito, installed into every local Cognito.

Each module's ``install(app)`` registers its hooks, guards and routes on the ``LocalCognitoApp``.
"""

from __future__ import annotations

from collections.abc import Callable

from cognito_migrate.local import importjobs, rules, triggers
from cognito_migrate.local.app import LocalCognitoApp

EXTENSIONS: list[Callable[[LocalCognitoApp], None]] = [
    importjobs.install,
    rules.install,
    triggers.install,
]


def install_all(app: LocalCognitoApp) -> None:
    for install in EXTENSIONS:
        install(app)
