"""UpdateUserPool keeps what only CreateUserPool sets, as Cognito does (hook order 60).

moto rebuilds a pool's settings from its defaults plus the UpdateUserPool parameters, so an update
drops ``AliasAttributes``, ``UsernameAttributes`` and ``UsernameConfiguration``, which UpdateUserPool
cannot even name and Cognito never changes after creation. It also stores ``PoolName`` as an unknown
setting instead of renaming the pool. The hook carries the create-only settings over into the call
and applies ``PoolName`` itself. Every setting UpdateUserPool does name still resets to its default
when left out, as in Cognito.

Like Cognito, it refuses the deprecated ``AdminCreateUserConfig.UnusedAccountValidityDays`` next to
``PasswordPolicy.TemporaryPasswordValidityDays`` (reported by Terraform, Pulumi and ACK users), although
DescribeUserPool returns both: a tool that copies DescribeUserPool blindly fails here as it would in AWS.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from cognito_migrate.local.backends import user_pool
from cognito_migrate.local.wire import ApiCall, Reply, invalid_parameter

if TYPE_CHECKING:
    from cognito_migrate.local.app import Forward, LocalCognitoApp

ORDER = 60  # after validation and the import-job refusal, just before moto
CREATE_ONLY = ("AliasAttributes", "UsernameAttributes", "UsernameConfiguration")
DEPRECATED_DAYS = (
    "Please use TemporaryPasswordValidityDays in PasswordPolicy instead of UnusedAccountValidityDays"
)


def install(app: LocalCognitoApp) -> None:
    def keep_create_only_settings(call: ApiCall, forward: Forward) -> Reply:
        pool_id = call.params.get("UserPoolId")
        if not isinstance(pool_id, str):
            return forward(call)
        admin = call.params.get("AdminCreateUserConfig") or {}
        password = (call.params.get("Policies") or {}).get("PasswordPolicy") or {}
        if "UnusedAccountValidityDays" in admin and "TemporaryPasswordValidityDays" in password:
            raise invalid_parameter(DEPRECATED_DAYS)
        with app.moto_lock:
            config = user_pool(call.account, call.region, pool_id).extended_config
            kept = {name: config[name] for name in CREATE_ONLY if name in config}
        params = {key: value for key, value in call.params.items() if key not in CREATE_ONLY}
        name = params.pop("PoolName", None)
        reply = forward(ApiCall(call.action, params | kept, call.account, call.region, call.headers))
        if reply.status == 200 and isinstance(name, str) and name:
            with app.moto_lock:
                user_pool(call.account, call.region, pool_id).name = name
        return reply

    app.on("UpdateUserPool", keep_create_only_settings, order=ORDER)
