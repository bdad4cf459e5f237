"""The post-authentication trigger: invoked after a sign-in succeeds, before the tokens reach the caller.

The hook (order 45, the last before moto) forwards the call and, when moto answered with an
``AuthenticationResult``, invokes ``LambdaConfig.PostAuthentication`` outside moto's lock: the
function may call the local Cognito itself (AdminAddUserToGroup through boto3 and
``AWS_ENDPOINT_URL``). An error it raises turns the sign-in into ``UserLambdaValidationException``;
the tokens moto issued are never sent.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from cognito_migrate.local.app import Forward, LocalCognitoApp
from cognito_migrate.local.backends import alias_attributes, find_user, pool_for_client, user_pool
from cognito_migrate.local.triggers import events
from cognito_migrate.local.triggers.functions import Trigger, invoke
from cognito_migrate.local.wire import ApiCall, CognitoError, Reply

HOOK_ORDER = 45
TRIGGER = "PostAuthentication"
# Sign-ins that prove a password. Refresh-token flows issue tokens without authenticating anew and
# do not invoke this trigger.
_PASSWORD_FLOWS = frozenset({"USER_PASSWORD_AUTH", "ADMIN_USER_PASSWORD_AUTH", "ADMIN_NO_SRP_AUTH"})
_ACTIONS = ("InitiateAuth", "AdminInitiateAuth", "RespondToAuthChallenge", "AdminRespondToAuthChallenge")


@dataclass(frozen=True)
class _Target:
    pool_id: str
    client_id: str
    function: str
    username: str
    attributes: dict[str, str]


class PostAuthentication:
    def __init__(self, app: LocalCognitoApp) -> None:
        self.app = app

    def install(self) -> None:
        for action in _ACTIONS:
            self.app.on(action, self.on_sign_in, order=HOOK_ORDER)

    def on_sign_in(self, call: ApiCall, forward: Forward) -> Reply:
        reply = forward(call)
        if not reply.ok or "AuthenticationResult" not in reply.payload():
            return reply
        name = _signed_in_name(call)
        if name is None:
            return reply
        target = self._target(call, name)
        if target is None:
            return reply
        event = events.post_authentication_event(
            region=call.region,
            pool_id=target.pool_id,
            client_id=target.client_id,
            user_name=target.username,
            user_attributes=target.attributes,
        )
        invoke(self.app, Trigger(TRIGGER, target.function, call), event)  # raises to deny
        return reply

    def _target(self, call: ApiCall, name: str) -> _Target | None:
        client_id = str(call.params.get("ClientId") or "")
        with self.app.moto_lock:
            try:
                if call.action.startswith("Admin"):
                    pool = user_pool(call.account, call.region, str(call.params.get("UserPoolId") or ""))
                else:
                    pool = pool_for_client(call.account, call.region, client_id)
            except CognitoError:
                return None
            function = (pool.extended_config.get("LambdaConfig") or {}).get("PostAuthentication")
            user = find_user(pool, name) if function else None
            if user is None:
                return None
            attributes = _event_attributes(dict(user.attribute_lookup), user.status, alias_attributes(pool))
            return _Target(pool.id, client_id, str(function), str(user.username), attributes)


def _signed_in_name(call: ApiCall) -> str | None:
    if call.action.endswith("InitiateAuth"):
        if call.params.get("AuthFlow") not in _PASSWORD_FLOWS:
            return None
        name = (call.params.get("AuthParameters") or {}).get("USERNAME")
    else:
        name = (call.params.get("ChallengeResponses") or {}).get("USERNAME")
    return name if isinstance(name, str) and name else None


def _event_attributes(attributes: dict[str, str], status: Any, aliases: list[str]) -> dict[str, str]:
    """The user's attributes as trigger events show them: with ``sub``, ``cognito:user_status`` and,
    for a verified email or phone alias, ``cognito:email_alias`` / ``cognito:phone_number_alias``."""
    attributes["cognito:user_status"] = str(getattr(status, "value", status))
    for attribute, value in events.alias_values(aliases, attributes).items():
        if attribute in ("email", "phone_number"):
            attributes[f"cognito:{attribute}_alias"] = value
    return attributes


def install(app: LocalCognitoApp) -> None:
    PostAuthentication(app).install()
