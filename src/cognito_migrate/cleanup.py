"""What the tool creates in an AWS account, how it marks it, and ``cleanup``, which removes it.

Everything the tool creates is marked twice, so cleanup never touches a resource of the user's:
IAM roles live under the path ``/cognito-migrate/`` *and* carry the tag ``cognito-migrate:managed``;
a migrate-user trigger's Lambda function carries the tag and is found through its role; its secret
carries the tag and a name under ``cognito-migrate/``.
The Region it was made for is a tag too, so cleanup in one Region leaves another Region's roles alone.

Each kind of resource is a ``ResourceKind`` with ``find`` and ``delete``; ``RESOURCE_KINDS`` lists them in
deletion order (the trigger's Lambda function goes before the role it runs as).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from cognito_migrate.aws.errors import map_cognito_errors
from cognito_migrate.aws.session import AwsSettings
from cognito_migrate.errors import RemoteError
from cognito_migrate.results import CommandResult, Outcome

TOOL_IAM_PATH = "/cognito-migrate/"
MANAGED_TAG = "cognito-migrate:managed"
PURPOSE_TAG = "cognito-migrate:purpose"
REGION_TAG = "cognito-migrate:region"
POOL_TAG = "cognito-migrate:user-pool"  # on a trigger's function and role: the pool it serves
TRIGGER_PURPOSE = "migrate-user-trigger"  # PURPOSE_TAG of a trigger's execution role


def tool_tags(*, purpose: str, region: str) -> list[dict[str, str]]:
    """The tags every resource the tool creates carries (IAM's ``[{"Key", "Value"}]`` form)."""
    return [
        {"Key": MANAGED_TAG, "Value": "true"},
        {"Key": PURPOSE_TAG, "Value": purpose},
        {"Key": REGION_TAG, "Value": region},
    ]


def is_tool_managed(tags: Iterable[dict[str, str]]) -> bool:
    return any(tag.get("Key") == MANAGED_TAG and tag.get("Value") == "true" for tag in tags)


def create_tool_role(
    iam: Any, name: str, *, trust: dict[str, Any], description: str, tags: list[dict[str, str]]
) -> dict[str, Any]:
    """Create an IAM role under the tool's path with ``tags`` (``tool_tags`` and more). Tagged at
    creation, so a run that stops before the role's policy is put still leaves a role that cleanup
    recognises and that the next run completes. Errors come back mapped (``EntityAlreadyExists``)."""
    with map_cognito_errors("CreateRole"):
        role = iam.create_role(
            RoleName=name,
            Path=TOOL_IAM_PATH,
            AssumeRolePolicyDocument=json.dumps(trust),
            Description=description,
            Tags=tags,
        )["Role"]
    return dict(role)


@dataclass(frozen=True)
class AccountScope:
    """The account and Region a command works in, with lazily made clients."""

    settings: AwsSettings
    account_id: str
    partition: str
    region: str
    caller_arn: str
    _clients: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)

    @classmethod
    def of(cls, settings: AwsSettings) -> AccountScope:
        """The caller's account and partition, from STS GetCallerIdentity (works for any credentials)."""
        region = settings.resolved_region()
        sts = settings.client("sts")
        with map_cognito_errors("GetCallerIdentity"):
            identity = sts.get_caller_identity()
        arn = str(identity["Arn"])
        scope = cls(settings, str(identity["Account"]), arn.split(":")[1], region, arn)
        scope._clients["sts"] = sts
        return scope

    def client(self, service: str) -> Any:
        if service not in self._clients:
            self._clients[service] = self.settings.client(service)
        return self._clients[service]


@dataclass(frozen=True)
class CreatedResource:
    """One thing the tool created. ``details`` names what goes with it (a role's policies)."""

    kind: str
    name: str
    arn: str
    region: str
    details: tuple[str, ...] = ()

    def describe(self) -> str:
        extra = f", with {', '.join(self.details)}" if self.details else ""
        return f"{self.kind} {self.name} ({self.arn}){extra}"

    def as_json(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "name": self.name,
            "arn": self.arn,
            "region": self.region,
            "details": list(self.details),
        }


class ResourceKind(Protocol):
    """A kind of resource the tool creates: how to find every one of them, and how to delete one."""

    kind: str

    def find(self, scope: AccountScope) -> Iterable[CreatedResource]: ...

    def delete(self, scope: AccountScope, resource: CreatedResource) -> None: ...


class ToolRoles:
    """IAM roles under ``/cognito-migrate/`` tagged as the tool's, with their policies."""

    kind = "IAM role"

    def find(self, scope: AccountScope) -> Iterator[CreatedResource]:
        iam = scope.client("iam")
        with map_cognito_errors("ListRoles"):
            pages = list(iam.get_paginator("list_roles").paginate(PathPrefix=TOOL_IAM_PATH))
        for role in (role for page in pages for role in page["Roles"]):
            name = role["RoleName"]
            # ListRoles does not return tags in real IAM; the tag, not the path alone, makes a role ours.
            with map_cognito_errors("ListRoleTags"):
                tags = iam.list_role_tags(RoleName=name)["Tags"]
            if role.get("Path") != TOOL_IAM_PATH or not is_tool_managed(tags):
                continue
            region = next((tag["Value"] for tag in tags if tag["Key"] == REGION_TAG), "")
            inline, attached = _role_policies(iam, name)
            details = tuple(
                [f"inline policy {policy}" for policy in inline]
                + [f"attached policy {arn} (detached only: it is not the tool's)" for arn in attached]
            )
            yield CreatedResource(self.kind, name, role["Arn"], region, details)

    def delete(self, scope: AccountScope, resource: CreatedResource) -> None:
        iam = scope.client("iam")
        # IAM refuses to delete a role that still has policies (DeleteConflict); a policy someone attached
        # is theirs, so it is only detached.
        try:
            inline, attached = _role_policies(iam, resource.name)
            for arn in attached:
                with map_cognito_errors("DetachRolePolicy"):
                    iam.detach_role_policy(RoleName=resource.name, PolicyArn=arn)
            for policy in inline:
                with map_cognito_errors("DeleteRolePolicy"):
                    iam.delete_role_policy(RoleName=resource.name, PolicyName=policy)
            with map_cognito_errors("DeleteRole"):
                iam.delete_role(RoleName=resource.name)
        except RemoteError as exc:
            if exc.code != "NoSuchEntity":  # already gone (another cleanup ran): that is what was asked
                raise


def _role_policies(iam: Any, role_name: str) -> tuple[list[str], list[str]]:
    """A role's inline policy names and attached managed policy ARNs."""
    with map_cognito_errors("ListRolePolicies"):
        inline = [
            name
            for page in iam.get_paginator("list_role_policies").paginate(RoleName=role_name)
            for name in page["PolicyNames"]
        ]
    with map_cognito_errors("ListAttachedRolePolicies"):
        attached = [
            policy["PolicyArn"]
            for page in iam.get_paginator("list_attached_role_policies").paginate(RoleName=role_name)
            for policy in page["AttachedPolicies"]
        ]
    return inline, attached


class ToolFunctions:
    """Migrate-user Lambda functions (``trigger deploy``) of this Region, found through their roles.

    Every such function runs as a tool role tagged with its purpose, Region and user pool; the role
    names the function (``trigger.deploy.function_name``), which must carry the tool's tag too. Found
    this way, cleanup needs no ListFunctions over the whole account and no Lambda call at all where
    the tool deployed no trigger. A function whose role someone deleted by hand is not found.
    Deleting one first detaches it from its user pool (its UserMigration and PostAuthentication
    triggers only, every other setting kept) and removes Cognito's permission; the role itself is
    left to ``ToolRoles``.
    """

    kind = "Lambda function"

    def find(self, scope: AccountScope) -> Iterator[CreatedResource]:
        from cognito_migrate.trigger.deploy import function_name

        iam = scope.client("iam")
        with map_cognito_errors("ListRoles"):
            pages = list(iam.get_paginator("list_roles").paginate(PathPrefix=TOOL_IAM_PATH))
        pools: list[str] = []
        for role in (role for page in pages for role in page["Roles"]):
            with map_cognito_errors("ListRoleTags"):
                tags = {
                    tag["Key"]: tag["Value"] for tag in iam.list_role_tags(RoleName=role["RoleName"])["Tags"]
                }
            if (
                tags.get(MANAGED_TAG) == "true"
                and tags.get(PURPOSE_TAG) == TRIGGER_PURPOSE
                and tags.get(REGION_TAG) == scope.region
                and tags.get(POOL_TAG)
            ):
                pools.append(tags[POOL_TAG])
        for pool in pools:
            try:
                with map_cognito_errors("GetFunction"):
                    function = scope.client("lambda").get_function(FunctionName=function_name(pool))
            except RemoteError as exc:
                if exc.code == "ResourceNotFoundException":
                    continue
                raise
            tags = function.get("Tags") or {}
            if tags.get(MANAGED_TAG) != "true" or tags.get(POOL_TAG) != pool:
                continue
            config = function["Configuration"]
            details = (f"migrate-user trigger of user pool {pool}, detached first",)
            yield CreatedResource(
                self.kind, config["FunctionName"], config["FunctionArn"], scope.region, details
            )

    def delete(self, scope: AccountScope, resource: CreatedResource) -> None:
        from cognito_migrate.trigger.deploy import function_name, remove_trigger

        lam = scope.client("lambda")
        with map_cognito_errors("ListTags"):
            pool = (lam.list_tags(Resource=resource.arn).get("Tags") or {}).get(POOL_TAG, "")
        if pool and function_name(pool) == resource.name:
            remove_trigger(scope, pool, delete_function=True, delete_role=False)
            return
        try:
            with map_cognito_errors("DeleteFunction"):
                lam.delete_function(FunctionName=resource.name)
        except RemoteError as exc:
            if exc.code != "ResourceNotFoundException":
                raise


class ToolSecrets:
    """The trigger's Secrets Manager secrets (``cognito-migrate/<pool-id>/trigger``: a SQL staging URL, a
    Firebase signer key) of this Region, tagged as the tool's. ``trigger remove --delete-function`` deletes
    one with its function; this finds any left behind (a deploy that stopped after making the secret)."""

    kind = "Secrets Manager secret"

    def find(self, scope: AccountScope) -> Iterator[CreatedResource]:
        client = scope.client("secretsmanager")
        filters = [
            {"Key": "tag-key", "Values": [MANAGED_TAG]},
            {"Key": "name", "Values": ["cognito-migrate/"]},
        ]
        with map_cognito_errors("ListSecrets"):
            pages = list(client.get_paginator("list_secrets").paginate(Filters=filters))
        for secret in (secret for page in pages for secret in page["SecretList"]):
            if is_tool_managed(secret.get("Tags") or []) and secret["Name"].startswith("cognito-migrate/"):
                details = ("deleted without a recovery window: it holds a key or a database password",)
                yield CreatedResource(self.kind, secret["Name"], secret["ARN"], scope.region, details)

    def delete(self, scope: AccountScope, resource: CreatedResource) -> None:
        try:
            with map_cognito_errors("DeleteSecret"):
                scope.client("secretsmanager").delete_secret(
                    SecretId=resource.arn, ForceDeleteWithoutRecovery=True
                )
        except RemoteError as exc:
            if exc.code != "ResourceNotFoundException":
                raise


# Deletion order: what uses a role must go before the role.
RESOURCE_KINDS: tuple[ResourceKind, ...] = (ToolFunctions(), ToolSecrets(), ToolRoles())


@dataclass
class CleanupReport:
    account_id: str
    region: str
    dry_run: bool
    found: list[CreatedResource] = field(default_factory=list)
    removed: list[CreatedResource] = field(default_factory=list)
    failed: list[tuple[CreatedResource, str]] = field(default_factory=list)
    elsewhere: list[CreatedResource] = field(default_factory=list)  # other Regions: left alone


def remove_created_resources(
    settings: AwsSettings, *, dry_run: bool = False, kinds: Iterable[ResourceKind] = RESOURCE_KINDS
) -> CleanupReport:
    """Find what the tool created in this account and Region and delete it (unless ``dry_run``).

    A resource that cannot be deleted is reported in ``failed`` and the rest are still removed.
    """
    scope = AccountScope.of(settings)
    report = CleanupReport(scope.account_id, scope.region, dry_run)
    for kind in kinds:
        for resource in kind.find(scope):
            if resource.region and resource.region != scope.region:
                report.elsewhere.append(resource)
                continue
            report.found.append(resource)
            if dry_run:
                continue
            try:
                kind.delete(scope, resource)
            except RemoteError as exc:
                report.failed.append((resource, str(exc)))
            else:
                report.removed.append(resource)
    return report


def cleanup_command(
    *,
    plan_file: Path | None = None,
    dry_run: bool = False,
    profile: str | None = None,
    region: str | None = None,
    endpoint_url: str | None = None,
) -> CommandResult:
    """``cognito-migrate cleanup``: the plan file's ``[target]`` (if given) under the command-line flags."""
    if plan_file is not None:
        from cognito_migrate.aws.session import settings_for_target
        from cognito_migrate.config import load_plan_file

        target = load_plan_file(plan_file).target
        settings = settings_for_target(target, profile=profile, region=region, endpoint_url=endpoint_url)
    else:
        settings = AwsSettings(profile=profile, region=region, endpoint_url=endpoint_url)
    return cleanup_result(remove_created_resources(settings, dry_run=dry_run))


def cleanup_result(report: CleanupReport) -> CommandResult:
    where = f"account {report.account_id}, Region {report.region}"
    lines: list[str] = []
    if not report.found:
        lines.append(f"Nothing to remove: cognito-migrate has created nothing in {where}.")
    elif report.dry_run:
        lines.append(f"Would remove from {where} (dry run: nothing was changed):")
        lines += [f"  - {resource.describe()}" for resource in report.found]
    else:
        if report.removed:
            lines.append(f"Removed from {where}:")
            lines += [f"  - {resource.describe()}" for resource in report.removed]
        if report.failed:
            lines.append(f"Could not remove {len(report.failed)} (run cleanup again once fixed):")
            lines += [f"  - {resource.describe()}: {error}" for resource, error in report.failed]
    for resource in report.elsewhere:
        lines.append(
            f"Left alone: {resource.kind} {resource.name} belongs to Region {resource.region}; "
            f"run cleanup with --region {resource.region} to remove it."
        )
    data = {
        "account_id": report.account_id,
        "region": report.region,
        "dry_run": report.dry_run,
        "found": [resource.as_json() for resource in report.found],
        "removed": [resource.as_json() for resource in report.removed],
        "failed": [{**resource.as_json(), "error": error} for resource, error in report.failed],
        "other_regions": [resource.as_json() for resource in report.elsewhere],
    }
    outcome = Outcome.PARTIAL if report.failed else Outcome.OK
    return CommandResult("cleanup", outcome, data, lines)
