"""Quota table and the user's overrides (``[target.quotas]`` in the plan, ``--quota NAME=RPS``)."""

from __future__ import annotations

import pytest

from cognito_migrate.aws.quotas import (
    DEFAULT_RATES,
    FIXED,
    OPERATION_CATEGORY,
    PER_POOL_OPERATION_RATE,
    QuotaCategory,
    Quotas,
    category_for,
    parse_quota_flags,
)
from cognito_migrate.errors import ConfigError

C = QuotaCategory

# The facts file's table (cognito-facts.md section 2): category → (RPS, operations this tool uses).
FACTS_TABLE = {
    C.UserCreation: (50, ["AdminCreateUser"]),
    C.UserAccountRecovery: (30, ["AdminSetUserPassword", "ForgotPassword"]),
    C.UserUpdate: (
        25,
        ["AdminUpdateUserAttributes", "AdminAddUserToGroup", "AdminDisableUser", "AdminDeleteUser"],
    ),
    C.UserRead: (120, ["AdminGetUser"]),
    C.UserList: (30, ["ListUsers", "ListUsersInGroup"]),
    C.UserResourceRead: (50, ["AdminListGroupsForUser"]),
    C.UserPoolRead: (15, ["DescribeUserPool", "ListUserPools"]),
    C.UserPoolUpdate: (15, ["CreateUserPool", "UpdateUserPool"]),
    C.UserPoolResourceRead: (
        20,
        ["GetCSVHeader", "DescribeUserImportJob", "ListUserImportJobs", "ListGroups"],
    ),
    C.UserPoolResourceUpdate: (
        15,
        ["CreateUserImportJob", "StartUserImportJob", "StopUserImportJob", "CreateGroup"],
    ),
    C.UserAuthentication: (120, ["InitiateAuth", "AdminInitiateAuth"]),
}

# Every operation the tool may send must be paced by some category.
OPERATIONS_THE_TOOL_USES = [
    "AdminCreateUser",
    "AdminSetUserPassword",
    "ForgotPassword",
    "AdminResetUserPassword",
    "ConfirmForgotPassword",
    "AdminUpdateUserAttributes",
    "AdminAddUserToGroup",
    "AdminRemoveUserFromGroup",
    "AdminDisableUser",
    "AdminEnableUser",
    "AdminDeleteUser",
    "AdminDeleteUserAttributes",
    "AdminUserGlobalSignOut",
    "AdminGetUser",
    "ListUsers",
    "ListUsersInGroup",
    "AdminListGroupsForUser",
    "DescribeUserPool",
    "ListUserPools",
    "DescribeUserPoolClient",
    "ListUserPoolClients",
    "CreateUserPool",
    "UpdateUserPool",
    "DeleteUserPool",
    "AddCustomAttributes",
    "CreateUserPoolClient",
    "UpdateUserPoolClient",
    "DeleteUserPoolClient",
    "GetCSVHeader",
    "DescribeUserImportJob",
    "ListUserImportJobs",
    "ListGroups",
    "GetGroup",
    "CreateUserImportJob",
    "StartUserImportJob",
    "StopUserImportJob",
    "CreateGroup",
    "UpdateGroup",
    "DeleteGroup",
    "InitiateAuth",
    "AdminInitiateAuth",
    "RespondToAuthChallenge",
    "AdminRespondToAuthChallenge",
]


@pytest.mark.parametrize(("category", "row"), FACTS_TABLE.items(), ids=str)
def test_defaults_and_operations_match_the_facts_table(
    category: QuotaCategory, row: tuple[int, list[str]]
) -> None:
    rate, operations = row
    assert DEFAULT_RATES[category] == rate
    assert Quotas.aws_default().rate_for(category) == rate
    for operation in operations:
        assert category_for(operation) is category, operation


def test_every_operation_the_tool_sends_is_paced() -> None:
    unpaced = [op for op in OPERATIONS_THE_TOOL_USES if Quotas.category_for(op) is None]
    assert unpaced == []
    assert set(OPERATION_CATEGORY.values()) <= set(DEFAULT_RATES)
    assert set(DEFAULT_RATES) == set(QuotaCategory)


def test_category_values_are_aws_names() -> None:
    assert QuotaCategory.UserCreation == "UserCreation"
    assert str(QuotaCategory.UserPoolResourceUpdate) == "UserPoolResourceUpdate"
    assert category_for("NotAnOperation") is None


def test_fixed_categories_include_the_ones_the_facts_file_names() -> None:
    assert {C.UserAccountRecovery, C.UserUpdate, C.UserList} <= FIXED
    assert C.UserCreation not in FIXED
    assert C.UserRead not in FIXED


def test_burst_is_a_fifth_of_a_second_of_tokens_and_at_least_one() -> None:
    quotas = Quotas.aws_default()
    assert quotas.burst_for(quotas.rate_for(C.UserCreation)) == pytest.approx(10)
    assert quotas.burst_for(PER_POOL_OPERATION_RATE) == 1
    assert quotas.burst_for(1) == 1
    assert Quotas(burst_seconds=1.0).burst_for(50) == 50


def test_overrides_are_case_insensitive_and_keep_other_defaults() -> None:
    quotas = Quotas.from_overrides({"usercreation": 100, "USERREAD": 60.5, " UserList ": 10})
    assert quotas.rate_for(C.UserCreation) == 100.0
    assert quotas.rate_for(C.UserRead) == 60.5
    assert quotas.rate_for(C.UserList) == 10.0
    assert quotas.rate_for(C.UserUpdate) == 25.0
    assert quotas.warnings == ()


def test_unknown_category_names_the_key_and_suggests_the_closest() -> None:
    with pytest.raises(ConfigError) as info:
        Quotas.from_overrides({"UserCreate": 10})
    message = str(info.value)
    assert "'UserCreate'" in message
    assert "did you mean 'UserCreation'?" in message

    with pytest.raises(ConfigError, match=r"did you mean 'UserPoolResourceRead'\?"):
        Quotas.from_overrides({"userpoolresourcereed": 10})


@pytest.mark.parametrize("value", [0, -5, -0.5, "100", "fast", True, None, float("nan"), float("inf")])
def test_bad_rates_name_the_key_and_the_value(value: object) -> None:
    with pytest.raises(ConfigError) as info:
        Quotas.from_overrides({"UserCreation": value})  # type: ignore[dict-item]
    message = str(info.value)
    assert "'UserCreation'" in message
    assert repr(value) in message
    assert "expected a number of requests per second greater than 0" in message


def test_the_same_category_twice_is_an_error() -> None:
    with pytest.raises(ConfigError, match="already set"):
        Quotas.from_overrides({"UserCreation": 10, "usercreation": 20})


def test_raising_a_fixed_category_warns_but_is_allowed() -> None:
    quotas = Quotas.from_overrides({"UserUpdate": 50, "UserCreation": 500, "UserList": 10})
    assert quotas.rate_for(C.UserUpdate) == 50
    assert len(quotas.warnings) == 1
    (warning,) = quotas.warnings
    assert "UserUpdate" in warning
    assert "25" in warning
    assert "throttle" in warning


def test_quota_flags_parse_to_overrides() -> None:
    assert parse_quota_flags(["UserCreation=100", " UserRead = 60.5 "]) == {
        "UserCreation": 100.0,
        "UserRead": 60.5,
    }
    with pytest.raises(ConfigError, match="expected CATEGORY=RPS"):
        parse_quota_flags(["UserCreation"])
    with pytest.raises(ConfigError, match=r"'fast' is not a number"):
        parse_quota_flags(["UserCreation=fast"])
    with pytest.raises(ConfigError, match="greater than 0"):
        Quotas.from_overrides(parse_quota_flags(["UserCreation=0"]))


def test_constructor_rejects_nonsense() -> None:
    with pytest.raises(ConfigError, match="burst_seconds"):
        Quotas(burst_seconds=0)
    with pytest.raises(ConfigError, match="per_pool_operation_rate"):
        Quotas(per_pool_operation_rate=-1)


def test_plan_file_quotas_reach_the_limiter_and_unknown_names_are_refused_at_load() -> None:
    from cognito_migrate.aws import rate_limiter_for_target
    from cognito_migrate.config import parse_plan_text
    from cognito_migrate.config.examples import example_text

    text = example_text("csv").replace("# UserCreation = 50", "UserCreation = 40")
    config = parse_plan_text(text)
    limiter = rate_limiter_for_target(config.target, {"UserRead": 60})
    assert limiter.quotas.rate_for(QuotaCategory.UserCreation) == 40
    assert limiter.quotas.rate_for(QuotaCategory.UserRead) == 60

    with pytest.raises(ConfigError) as caught:
        parse_plan_text(text.replace("UserCreation = 40", "UserCreaton = 40"))
    assert "[target] quotas.UserCreaton: unknown quota category; did you mean 'UserCreation'?" in str(
        caught.value
    )
