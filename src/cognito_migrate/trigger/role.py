"""The migrate-user function's execution role: least privilege for what this deployment reads.

``cognito-migrate-trigger-<pool-id>`` under ``/cognito-migrate/``, tagged as the tool's with the pool
(``cognito-migrate cleanup`` finds the function through it). Trust: ``lambda.amazonaws.com``. One inline
policy, rewritten on every deploy from ``RoleAccess``:

- logs for the function's own log group;
- ``dynamodb:GetItem`` and ``dynamodb:UpdateItem`` on the staging table, when staging is DynamoDB;
- ``secretsmanager:GetSecretValue`` on the function's own secret, when it has one (SQL staging URL,
  Firebase signer key: ``secret``);
- the EC2 network-interface actions Lambda needs to run in the VPC, when subnets are given (AWS
  documents them on ``*``: the interfaces do not exist before the function creates them);
- ``cognito-idp:AdminAddUserToGroup`` on this pool.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from cognito_migrate.aws.errors import map_cognito_errors
from cognito_migrate.cleanup import (
    MANAGED_TAG,
    POOL_TAG,
    TOOL_IAM_PATH,
    TRIGGER_PURPOSE,
    AccountScope,
    CreatedResource,
    ToolRoles,
    create_tool_role,
    is_tool_managed,
    tool_tags,
)
from cognito_migrate.errors import ConfigError, RemoteError

LAMBDA_PRINCIPAL = "lambda.amazonaws.com"
POLICY_NAME = "migrate-user-trigger"
# AWSLambdaVPCAccessExecutionRole's actions, inline so the role holds one reviewed policy.
VPC_ACTIONS = (
    "ec2:CreateNetworkInterface",
    "ec2:DescribeNetworkInterfaces",
    "ec2:DescribeSubnets",
    "ec2:DeleteNetworkInterface",
    "ec2:AssignPrivateIpAddresses",
    "ec2:UnassignPrivateIpAddresses",
)


@dataclass(frozen=True)
class RoleAccess:
    """What the function reads: the DynamoDB staging table, its secret, a VPC."""

    function: str
    pool_arn: str
    table_arn: str | None = None
    secret_arn: str | None = None
    in_vpc: bool = False


def execution_role_trust() -> dict[str, Any]:
    return {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Principal": {"Service": LAMBDA_PRINCIPAL}, "Action": "sts:AssumeRole"}
        ],
    }


def execution_role_policy(scope: AccountScope, access: RoleAccess) -> dict[str, Any]:
    """The role's one inline policy (see the module's docstring).

    No KMS permission: the table and the secret are encrypted with AWS-managed keys, which DynamoDB
    and Secrets Manager use on the caller's behalf. A customer-managed key would need ``kms:Decrypt``.
    """
    account = f"{scope.partition}:logs:{scope.region}:{scope.account_id}"
    group = f"arn:{account}:log-group:/aws/lambda/{access.function}"
    statements: list[dict[str, Any]] = [
        {"Effect": "Allow", "Action": ["logs:CreateLogGroup"], "Resource": [group, f"{group}:*"]},
        {
            "Effect": "Allow",
            "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
            "Resource": [f"{group}:log-stream:*"],
        },
    ]
    if access.table_arn:
        statements.append(
            {
                "Effect": "Allow",
                "Action": ["dynamodb:GetItem", "dynamodb:UpdateItem"],
                "Resource": [access.table_arn],
            }
        )
    if access.secret_arn:
        statements.append(
            {"Effect": "Allow", "Action": ["secretsmanager:GetSecretValue"], "Resource": [access.secret_arn]}
        )
    if access.in_vpc:
        statements.append({"Effect": "Allow", "Action": list(VPC_ACTIONS), "Resource": ["*"]})
    statements.append(
        {"Effect": "Allow", "Action": ["cognito-idp:AdminAddUserToGroup"], "Resource": [access.pool_arn]}
    )
    return {"Version": "2012-10-17", "Statement": statements}


def ensure_role(scope: AccountScope, pool_id: str, name: str, access: RoleAccess) -> tuple[str, bool]:
    """The execution role's ARN, created if missing; its policy is (re)written either way."""
    iam = scope.client("iam")
    created = False
    try:
        with map_cognito_errors("GetRole"):
            role = iam.get_role(RoleName=name)["Role"]
    except RemoteError as exc:
        if exc.code != "NoSuchEntity":
            raise
        role = create_tool_role(
            iam,
            name,
            trust=execution_role_trust(),
            description=(
                f"cognito-migrate: runs the migrate-user trigger of user pool {pool_id}. "
                "Remove with `cognito-migrate trigger remove` or `cognito-migrate cleanup`."
            ),
            # The pool tag lets cleanup find the function through this role (IAM is global).
            tags=[
                *tool_tags(purpose=TRIGGER_PURPOSE, region=scope.region),
                {"Key": POOL_TAG, "Value": pool_id},
            ],
        )
        created = True
    else:
        with map_cognito_errors("ListRoleTags"):
            tags = iam.list_role_tags(RoleName=name)["Tags"]
        if role.get("Path") != TOOL_IAM_PATH or not is_tool_managed(tags):
            raise ConfigError(
                f"an IAM role named {name} exists ({role['Arn']}) but cognito-migrate did not create it "
                f"(not under {TOOL_IAM_PATH} with tag {MANAGED_TAG}=true); rename or delete it"
            )
        if not any(tag["Key"] == POOL_TAG for tag in tags):
            with map_cognito_errors("TagRole"):
                iam.tag_role(RoleName=name, Tags=[{"Key": POOL_TAG, "Value": pool_id}])
    document = execution_role_policy(scope, access)
    with map_cognito_errors("PutRolePolicy"):
        iam.put_role_policy(RoleName=name, PolicyName=POLICY_NAME, PolicyDocument=json.dumps(document))
    return str(role["Arn"]), created


def delete_role(scope: AccountScope, name: str) -> bool:
    """Delete the role if the tool created it; whether it was deleted."""
    iam = scope.client("iam")
    try:
        with map_cognito_errors("GetRole"):
            role = iam.get_role(RoleName=name)["Role"]
        with map_cognito_errors("ListRoleTags"):
            tags = iam.list_role_tags(RoleName=name)["Tags"]
    except RemoteError as exc:
        if exc.code == "NoSuchEntity":
            return False
        raise
    if role.get("Path") != TOOL_IAM_PATH or not is_tool_managed(tags):
        return False  # not ours: never delete it
    ToolRoles().delete(scope, CreatedResource(ToolRoles.kind, name, str(role["Arn"]), scope.region))
    return True
