"""An UpdateUserPool request that changes only the Lambda triggers of a pool.

UpdateUserPool resets every setting it is not given to Cognito's default, other triggers included
(cognito-facts §3). ``update_request`` therefore rebuilds the request from DescribeUserPool: every
parameter of botocore's UpdateUserPool input shape that DescribeUserPool returned is copied, filtered
member by member against that shape so that read-only fields (``Arn``, ``SchemaAttributes``,
``SmsConfigurationFailure``, …) are dropped at every depth. The shape, not a hand-written list, decides:
a setting AWS adds later is copied as soon as botocore knows it.

One exception: ``AdminCreateUserConfig.UnusedAccountValidityDays`` is deprecated and Cognito rejects
an update that carries it ("Please use TemporaryPasswordValidityDays in PasswordPolicy instead of
UnusedAccountValidityDays"), although DescribeUserPool still returns it. It is dropped, its value
moved to ``Policies.PasswordPolicy.TemporaryPasswordValidityDays`` when that is missing.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from functools import cache
from typing import Any

# What DescribeUserPool answers with, next to the parameter that sets it.
_DESCRIBED_AS = {"PoolName": "Name", "UserPoolId": "Id"}
# Compared to tell whether an update changed something besides the triggers; these change by themselves.
_VOLATILE = frozenset({"LastModifiedDate", "EstimatedNumberOfUsers", "Status"})


@cache
def _update_shape() -> Any:
    import botocore.session

    model = botocore.session.get_session().get_service_model("cognito-idp")
    return model.operation_model("UpdateUserPool").input_shape


def update_request(pool: Mapping[str, Any], *, lambda_config: Mapping[str, Any]) -> dict[str, Any]:
    """UpdateUserPool's parameters that keep every setting of ``pool`` (DescribeUserPool's
    ``UserPool``) except the triggers, which become ``lambda_config``."""
    request: dict[str, Any] = {}
    for name, member in _update_shape().members.items():
        described = pool.get(_DESCRIBED_AS.get(name, name))
        if described is not None:
            request[name] = _filtered(described, member)
    request["LambdaConfig"] = _filtered(dict(lambda_config), _update_shape().members["LambdaConfig"])
    admin = request.get("AdminCreateUserConfig")
    if isinstance(admin, dict) and "UnusedAccountValidityDays" in admin:
        days = admin.pop("UnusedAccountValidityDays")
        password = request.setdefault("Policies", {}).setdefault("PasswordPolicy", {})
        password.setdefault("TemporaryPasswordValidityDays", days)
    return request


def _filtered(value: Any, shape: Any) -> Any:
    kind = shape.type_name
    if kind == "structure" and isinstance(value, Mapping):
        members = shape.members
        return {key: _filtered(item, members[key]) for key, item in value.items() if key in members}
    if kind == "list" and isinstance(value, list):
        return [_filtered(item, shape.member) for item in value]
    if kind == "map" and isinstance(value, Mapping):
        return {key: _filtered(item, shape.value) for key, item in value.items()}
    return copy.deepcopy(value)


def without_triggers(pool: Mapping[str, Any]) -> dict[str, Any]:
    """``pool`` minus its ``LambdaConfig`` and the fields that change by themselves, to compare."""
    return {key: value for key, value in pool.items() if key not in _VOLATILE | {"LambdaConfig"}}


def changed_settings(before: Mapping[str, Any], after: Mapping[str, Any]) -> list[str]:
    """Names of the top-level settings that differ between two DescribeUserPool answers, triggers and
    self-changing fields aside."""
    first, second = without_triggers(before), without_triggers(after)
    return sorted(key for key in first.keys() | second.keys() if first.get(key) != second.get(key))
