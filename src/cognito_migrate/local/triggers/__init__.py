"""Lambda triggers for the local Cognito: UserMigration and PostAuthentication.

A function created through the local Lambda API (``CreateFunction`` with a zip, a Python runtime and
a ``module.function`` handler) runs, when a trigger fires, in a separate Python process with
``AWS_ENDPOINT_URL`` pointing back at the local server (``runner.py``). For unit tests of handler
logic, a Python callable can stand in for a function name::

    register_python_function(local, "arn:aws:lambda:us-east-1:123456789012:function:migrate", handler)

Hooks: migrate-user at order 40 (InitiateAuth, AdminInitiateAuth, ForgotPassword), post-authentication
at order 45 (InitiateAuth, AdminInitiateAuth and the two RespondToAuthChallenge calls).
"""

from __future__ import annotations

from typing import Any

from cognito_migrate.local.app import LocalCognitoApp
from cognito_migrate.local.triggers import migration, post_auth
from cognito_migrate.local.triggers.functions import (
    COGNITO_TRIGGER_TIMEOUT_SECONDS,
    PythonFunction,
    register,
)

__all__ = [
    "COGNITO_TRIGGER_TIMEOUT_SECONDS",
    "PythonFunction",
    "install",
    "register_python_function",
    "welcome_messages",
]


def install(app: LocalCognitoApp) -> None:
    migration.install(app)
    post_auth.install(app)


def register_python_function(local_or_app: Any, function_name_or_arn: str, function: PythonFunction) -> None:
    """Answer invocations of ``function_name_or_arn`` with ``function(event, context)``, in-process.

    ``local_or_app`` is a started ``LocalCognito`` or its ``LocalCognitoApp``. The callable gets a
    copy of the event and must return it with ``response`` filled in, or raise to deny, as a handler
    would. It takes precedence over a function of that name created through the Lambda API.
    """
    register(_app_of(local_or_app), function_name_or_arn, function)


def welcome_messages(local_or_app: Any, pool_id: str) -> int:
    """How many welcome messages user migrations into ``pool_id`` would have sent (the function did
    not answer ``messageAction: SUPPRESS``). The local Cognito sends none; it counts them."""
    return migration.welcome_messages(_app_of(local_or_app), pool_id)


def _app_of(local_or_app: Any) -> LocalCognitoApp:
    app = local_or_app if isinstance(local_or_app, LocalCognitoApp) else getattr(local_or_app, "app", None)
    if not isinstance(app, LocalCognitoApp):
        raise TypeError("expected a started LocalCognito or its LocalCognitoApp")
    return app
