"""The import jobs' CloudWatch Logs role, against the local server's real IAM and STS."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from typing import Any

import pytest

from cognito_migrate.aws.session import AwsSettings
from cognito_migrate.cleanup import remove_created_resources
from cognito_migrate.errors import ConfigError
from cognito_migrate.local import LocalCognito
from cognito_migrate.strategies.csv_import.logs_role import (
    LOG_ACTIONS,
    POLICY_NAME,
    LogsRole,
    LogsRoleError,
    RoleDocuments,
    assess_role,
    logs_policy,
    parse_role_arn,
    resolve_logs_role,
    role_name,
    trust_policy,
)

ACCOUNT = "123456789012"  # moto's account


@pytest.fixture(scope="module")
def module_settings(local_cognito: LocalCognito) -> AwsSettings:
    # A Region of this module's own: IAM is global and the local server is shared by the session.
    return local_cognito.settings().overridden_by(region=f"zz-{uuid.uuid4().hex[:10]}-1")


@pytest.fixture
def settings(module_settings: AwsSettings) -> Iterator[AwsSettings]:
    """Each test leaves no role of the tool's behind, so the next one starts afresh."""
    yield module_settings
    assert remove_created_resources(module_settings).failed == []


def iam(settings: AwsSettings) -> Any:
    return settings.client("iam")


def tool_roles_named(settings: AwsSettings, name: str) -> list[dict[str, Any]]:
    pages = iam(settings).get_paginator("list_roles").paginate(PathPrefix="/cognito-migrate/")
    return [role for page in pages for role in page["Roles"] if role["RoleName"] == name]


def fresh(settings: AwsSettings) -> LogsRole:
    return resolve_logs_role(settings, propagation_seconds=0)


def test_role_is_created_once_and_reused(settings: AwsSettings) -> None:
    region = settings.resolved_region()
    first = fresh(settings)
    assert first.created
    assert first.arn == f"arn:aws:iam::{ACCOUNT}:role/cognito-migrate/cognito-migrate-import-logs-{region}"

    again = fresh(settings)
    assert (again.arn, again.created, again.warnings) == (first.arn, False, ())
    assert len(tool_roles_named(settings, first.name)) == 1
    role = iam(settings).get_role(RoleName=first.name)["Role"]
    assert role["Path"] == "/cognito-migrate/"
    tags = {tag["Key"]: tag["Value"] for tag in role["Tags"]}
    assert tags == {
        "cognito-migrate:managed": "true",
        "cognito-migrate:purpose": "import-job-logs",
        "cognito-migrate:region": region,
    }


def test_role_policies_are_exactly_least_privilege(settings: AwsSettings) -> None:
    region = settings.resolved_region()
    role = fresh(settings)
    client = iam(settings)
    trust = client.get_role(RoleName=role.name)["Role"]["AssumeRolePolicyDocument"]
    assert trust["Statement"] == [
        {"Effect": "Allow", "Principal": {"Service": "cognito-idp.amazonaws.com"}, "Action": "sts:AssumeRole"}
    ]
    assert client.list_role_policies(RoleName=role.name)["PolicyNames"] == [POLICY_NAME]
    assert client.list_attached_role_policies(RoleName=role.name)["AttachedPolicies"] == []
    document = client.get_role_policy(RoleName=role.name, PolicyName=POLICY_NAME)["PolicyDocument"]
    [statement] = document["Statement"]
    assert statement["Effect"] == "Allow"
    assert "Condition" not in statement
    assert sorted(statement["Action"]) == [
        "logs:CreateLogGroup", "logs:CreateLogStream", "logs:DescribeLogStreams", "logs:PutLogEvents",
    ]  # fmt: skip
    assert statement["Resource"] == [f"arn:aws:logs:{region}:{ACCOUNT}:log-group:/aws/cognito/*"]


def test_a_role_someone_broke_is_reported_not_used(settings: AwsSettings) -> None:
    role = fresh(settings)
    client = iam(settings)
    narrowed = logs_policy(partition="aws", region=settings.resolved_region(), account_id=ACCOUNT)
    narrowed["Statement"][0]["Action"].remove("logs:PutLogEvents")
    client.put_role_policy(RoleName=role.name, PolicyName=POLICY_NAME, PolicyDocument=json.dumps(narrowed))
    with pytest.raises(LogsRoleError) as caught:
        fresh(settings)
    message = str(caught.value)
    assert f"IAM role {role.name} ({role.arn}) was changed" in message
    assert "do not allow logs:PutLogEvents" in message
    assert "cognito-migrate cleanup" in message
    assert "--role-arn" in message

    restored = logs_policy(partition="aws", region=settings.resolved_region(), account_id=ACCOUNT)
    client.put_role_policy(RoleName=role.name, PolicyName=POLICY_NAME, PolicyDocument=json.dumps(restored))
    lambda_only = trust_policy()
    lambda_only["Statement"][0]["Principal"] = {"Service": "lambda.amazonaws.com"}
    client.update_assume_role_policy(RoleName=role.name, PolicyDocument=json.dumps(lambda_only))
    with pytest.raises(LogsRoleError) as caught:
        fresh(settings)
    assert "its trust policy does not let cognito-idp.amazonaws.com assume it" in str(caught.value)


def test_a_harmless_change_is_used_with_a_warning(settings: AwsSettings) -> None:
    role = fresh(settings)
    extra = json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}],
        }
    )
    iam(settings).put_role_policy(RoleName=role.name, PolicyName="added-by-hand", PolicyDocument=extra)
    reused = fresh(settings)
    assert reused.arn == role.arn
    assert reused.warnings == ("it has inline policies cognito-migrate did not write: added-by-hand",)


def test_a_role_of_that_name_that_is_not_ours_is_refused(settings: AwsSettings) -> None:
    name = role_name(settings.resolved_region())
    created = iam(settings).create_role(RoleName=name, AssumeRolePolicyDocument=json.dumps(trust_policy()))
    arn = created["Role"]["Arn"]
    with pytest.raises(LogsRoleError) as caught:
        fresh(settings)
    assert "cognito-migrate did not create it" in str(caught.value)
    assert f"--role-arn {arn}" in str(caught.value)
    iam(settings).delete_role(RoleName=name)


def test_a_half_created_role_is_completed(settings: AwsSettings) -> None:
    role = fresh(settings)
    iam(settings).delete_role_policy(RoleName=role.name, PolicyName=POLICY_NAME)  # as if stopped half-way
    again = fresh(settings)
    assert again.warnings == (f"its permissions policy {POLICY_NAME} was missing and has been put back",)
    assert again.created  # so the caller waits for the new policy to reach Cognito
    assert iam(settings).list_role_policies(RoleName=role.name)["PolicyNames"] == [POLICY_NAME]
    assert (fresh(settings).warnings, fresh(settings).created) == ((), False)


@pytest.mark.parametrize(
    ("value", "says"),
    [
        ("CognitoImportLogs", "pass the role's ARN, not its name"),
        ("arn:aws:iam::123456789012:user/ada", "that is not a role"),
        ("arn:aws:iam::1234:role/Logs", "12-digit account"),
        ("arn:aws:iam::123456789012:role/", "expected an IAM role ARN"),
        ("arn:aws:s3:::bucket", "expected an IAM role ARN"),
    ],
)
def test_a_bad_role_arn_gets_a_clear_message(value: str, says: str) -> None:
    with pytest.raises(ConfigError) as caught:
        parse_role_arn(value)
    assert str(caught.value).startswith(f"--role-arn {value!r}")
    assert says in str(caught.value)


def test_a_role_of_ones_own_is_used_as_given_and_nothing_is_created(settings: AwsSettings) -> None:
    own = "arn:aws:iam::123456789012:role/service-role/CognitoImportLogs"
    assert parse_role_arn(f" {own} ") == own
    role = resolve_logs_role(settings, role_arn=own)
    assert (role.arn, role.name, role.supplied, role.created) == (own, "CognitoImportLogs", True, False)
    assert tool_roles_named(settings, role_name(settings.resolved_region())) == []


def test_a_new_role_waits_out_propagation_and_an_old_one_does_not() -> None:
    slept: list[float] = []
    new, old = LogsRole("arn", "n", created=True, usable_after=110.0), LogsRole("arn", "n")
    for role in (new, old):
        role.wait_until_usable(sleep=slept.append, clock=lambda: 100.0)
    assert slept == [10.0]


def test_assessment_follows_iam_matching() -> None:
    """The check reads policies as IAM does: a stream-only resource cannot create the log group."""
    where = {"partition": "aws", "region": "eu-west-1", "account_id": ACCOUNT}
    ours = logs_policy(**where)
    assert assess_role(RoleDocuments(trust_policy(), {POLICY_NAME: ours}), **where) == ([], [])

    stream_arns = "arn:aws:logs:eu-west-1:*:log-group:/aws/cognito/*:log-stream:*"
    streams_only = {"Statement": {"Effect": "Allow", "Action": "logs:*", "Resource": stream_arns}}
    problems, _ = assess_role(RoleDocuments(trust_policy(), {POLICY_NAME: streams_only}), **where)
    assert [p.split(" on ")[0] for p in problems] == [
        f"its permissions do not allow {action}" for action in LOG_ACTIONS if action != "logs:PutLogEvents"
    ]
    denied = {"Statement": [{"Effect": "Deny", "Action": "logs:Put*", "Resource": "*"}]}
    with_deny = RoleDocuments(trust_policy(), {POLICY_NAME: ours, "deny": denied})
    problems, warnings = assess_role(with_deny, **where)
    assert problems == [
        "its permissions do not allow logs:PutLogEvents on arn:aws:logs:eu-west-1:123456789012:log-group:"
        "/aws/cognito/userpools/POOL_ID/POOL_NAME:log-stream:JOB"
    ]
    assert warnings == ["it has inline policies cognito-migrate did not write: deny"]
