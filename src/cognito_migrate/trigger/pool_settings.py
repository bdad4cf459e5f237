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
def _input_shape(operation: str) -> Any:
    import botocore.session

    model = botocore.session.get_session().get_service_model("cognito-idp")
    return model.operation_model(operation).input_shape


def _update_shape() -> Any:
    return _input_shape("UpdateUserPool")


def copied_parameters(
    operation: str, described: Mapping[str, Any], *, described_as: Mapping[str, str] | None = None
) -> dict[str, Any]:
    """The parameters of ``operation`` (a cognito-idp operation name) that ``described`` (a Describe…
    or Get… answer) holds, filtered member by member against the operation's input shape.
    ``described_as`` names the described field of a parameter when the two names differ."""
    renamed = described_as or {}
    request: dict[str, Any] = {}
    for name, member in _input_shape(operation).members.items():
        value = described.get(renamed.get(name, name))
        if value is not None:
            request[name] = _filtered(value, member)
    return request


def pool_settings_request(operation: str, pool: Mapping[str, Any]) -> dict[str, Any]:
    """``operation``'s (UpdateUserPool's or CreateUserPool's) parameters that keep every setting of
    ``pool`` (DescribeUserPool's ``UserPool``), the deprecated validity days moved as described above."""
    request = copied_parameters(operation, pool, described_as=_DESCRIBED_AS)
    admin = request.get("AdminCreateUserConfig")
    if isinstance(admin, dict) and "UnusedAccountValidityDays" in admin:
        days = admin.pop("UnusedAccountValidityDays")
        password = request.setdefault("Policies", {}).setdefault("PasswordPolicy", {})
        password.setdefault("TemporaryPasswordValidityDays", days)
    return request


def update_request(pool: Mapping[str, Any], *, lambda_config: Mapping[str, Any]) -> dict[str, Any]:
    """UpdateUserPool's parameters that keep every setting of ``pool`` (DescribeUserPool's
    ``UserPool``) except the triggers, which become ``lambda_config``."""
    request = pool_settings_request("UpdateUserPool", pool)
    request["LambdaConfig"] = _filtered(dict(lambda_config), _update_shape().members["LambdaConfig"])
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
    # The deprecated UnusedAccountValidityDays, which UpdateUserPool moves into the password policy, is
    # the same setting in either place: compared where the update puts it.
    for described, view in ((before, first), (after, second)):
        moved = pool_settings_request("UpdateUserPool", described)
        for key in ("AdminCreateUserConfig", "Policies"):
            if key in moved:
                view[key] = moved[key]
    return sorted(key for key in first.keys() | second.keys() if first.get(key) != second.get(key))
