"""The IAM role Cognito assumes to write an import job's results to CloudWatch Logs.

One least-privilege role per account and Region, found or created once and reused by every job (the
console makes a new role per job and never deletes it). ``resolve_logs_role`` is the entry point:

>>> role = resolve_logs_role(settings)                            # doctest: +SKIP
>>> role.wait_until_usable()      # a new role takes a few seconds to be assumable
>>> idp.create_user_import_job(..., CloudWatchLogsRoleArn=role.arn)

A role of the user's own (``--role-arn``) is only checked for shape: the user may lack ``iam:GetRole``,
which is a good reason to bring one's own role.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import partial
from typing import Any, Literal

from cognito_migrate.aws.errors import map_cognito_errors
from cognito_migrate.aws.session import AwsSettings
from cognito_migrate.cleanup import (
    MANAGED_TAG,
    TOOL_IAM_PATH,
    AccountScope,
    create_tool_role,
    is_tool_managed,
    tool_tags,
)
from cognito_migrate.errors import ConfigError, RemoteError

SERVICE_PRINCIPAL = "cognito-idp.amazonaws.com"
ROLE_NAME_PREFIX = "cognito-migrate-import-logs-"
POLICY_NAME = "cognito-import-job-logs"
PURPOSE = "import-job-logs"
LOG_ACTIONS = (
    "logs:CreateLogGroup",
    "logs:CreateLogStream",
    "logs:DescribeLogStreams",
    "logs:PutLogEvents",
)
# IAM is eventually consistent: a role created a moment ago may not be assumable by Cognito yet, and a job
# started then fails ("The Amazon CloudWatch Logs role cannot be assumed"). AWS gives no figure; ~10 s is
# what is commonly observed. UNVERIFIED: one constant, easy to change.
PROPAGATION_SECONDS = 10.0

_ROLE_ARN = re.compile(r"arn:aws[a-z-]*:iam::\d{12}:role/(?:[\x21-\x7e]*/)?[\w+=,.@-]{1,64}", re.ASCII)
_REGION = re.compile(r"[a-z0-9-]{1,36}")  # keeps the role name within IAM's 64 characters


class LogsRoleError(ConfigError):
    """The tool's role exists but cannot be used as it is; the message says what to do."""


@dataclass(frozen=True)
class LogsRole:
    """The role to pass as ``CloudWatchLogsRoleArn``.

    ``created``: this call created the role (or completed a half-created one), so IAM may need a few
    seconds before Cognito can use it; ``usable_after`` is that ``time.monotonic()`` instant (else 0).
    ``warnings`` name changes someone made to the tool's role that do not stop Cognito from logging:
    show them to the user.
    """

    arn: str
    name: str
    created: bool = False
    supplied: bool = False
    warnings: tuple[str, ...] = ()
    usable_after: float = 0.0

    def wait_until_usable(
        self,
        *,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        """Sleep out the rest of a new role's propagation time; returns at once for an older role."""
        remaining = self.usable_after - clock()
        if remaining > 0:
            sleep(remaining)


def role_name(region: str) -> str:
    if not _REGION.fullmatch(region):
        raise ConfigError(f"--region {region!r}: expected an AWS Region such as eu-west-1")
    return ROLE_NAME_PREFIX + region


def log_groups_arn(*, partition: str, region: str, account_id: str) -> str:
    return f"arn:{partition}:logs:{region}:{account_id}:log-group:/aws/cognito/*"


def trust_policy() -> dict[str, Any]:
    """Only Cognito user pools may assume the role.

    No ``aws:SourceAccount`` / ``aws:SourceArn`` condition: AWS documents the plain service principal for
    this role and does not say that Cognito sends those keys when it assumes it for an import job; if it
    did not, a condition would fail every job. Add one here once that is confirmed.
    """
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"Service": SERVICE_PRINCIPAL},
                "Action": "sts:AssumeRole",
            }
        ],
    }


def logs_policy(*, partition: str, region: str, account_id: str) -> dict[str, Any]:
    """The four log actions on Cognito's log groups of this account and Region, and nothing else.

    One resource covers the log streams too: PutLogEvents is authorised against the stream's ARN
    (``…:log-group:/aws/cognito/userpools/ID/NAME:log-stream:JOB/NAME``), and IAM's ``*`` matches any
    characters, ``:`` included, so ``log-group:/aws/cognito/*`` already matches it; listing
    ``…:log-stream:*`` as well would grant nothing more. This is the policy AWS documents for the role.
    """
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Action": list(LOG_ACTIONS),
                "Resource": [log_groups_arn(partition=partition, region=region, account_id=account_id)],
            }
        ],
    }


def parse_role_arn(value: str) -> str:
    """Check the shape of a user's ``--role-arn``; raise ``ConfigError`` saying what was expected."""
    value = value.strip()
    if _ROLE_ARN.fullmatch(value):
        return value
    example = "arn:aws:iam::111122223333:role/CognitoImportLogs"
    if not value.startswith("arn:"):
        hint = f"; pass the role's ARN, not its name, e.g. {example}"
    elif ":iam::" in value and ":role/" not in value:
        hint = f": that is not a role; expected a role ARN such as {example}"
    else:
        hint = f": expected an IAM role ARN such as {example} (12-digit account, then role/NAME)"
    raise ConfigError(f"--role-arn {value!r}{hint}")


def resolve_logs_role(
    settings: AwsSettings,
    *,
    role_arn: str | None = None,
    propagation_seconds: float = PROPAGATION_SECONDS,
) -> LogsRole:
    """The role for this account and Region's import jobs: ``role_arn`` if given, else the tool's own."""
    if role_arn is not None:
        arn = parse_role_arn(role_arn)
        return LogsRole(arn=arn, name=arn.rsplit("/", 1)[1], supplied=True)
    return ensure_logs_role(AccountScope.of(settings), propagation_seconds=propagation_seconds)


def ensure_logs_role(scope: AccountScope, *, propagation_seconds: float = PROPAGATION_SECONDS) -> LogsRole:
    """Find the tool's role for ``scope``'s Region, or create it; check a found role is still usable.

    Raises ``LogsRoleError`` when a role of that name is not the tool's, or was changed so that Cognito
    could no longer assume it or write logs with it.
    """
    iam = scope.client("iam")
    name = role_name(scope.region)
    role = _get_role(iam, name)
    if role is None:
        role = _create_role(iam, scope, name)
        if role is not None:
            # Not read back: IAM may not show the new policy yet; we know exactly what we wrote.
            return LogsRole(
                role["Arn"], name, created=True, usable_after=time.monotonic() + propagation_seconds
            )
        role = _get_role(iam, name)  # someone else created it in between
        if role is None:
            raise LogsRoleError(f"IAM role {name} was created and deleted while cognito-migrate looked at it")
    return _reuse(iam, scope, role, propagation_seconds)


def _get_role(iam: Any, name: str) -> dict[str, Any] | None:
    try:
        with map_cognito_errors("GetRole"):
            return dict(iam.get_role(RoleName=name)["Role"])
    except RemoteError as exc:
        if exc.code == "NoSuchEntity":
            return None
        raise


def _create_role(iam: Any, scope: AccountScope, name: str) -> dict[str, Any] | None:
    """Create the role and its policy; ``None`` when a role of that name appeared meanwhile."""
    try:
        role = create_tool_role(
            iam,
            name,
            trust=trust_policy(),
            description=(
                f"cognito-migrate: lets Cognito user import jobs in {scope.region} write their results "
                "to CloudWatch Logs. Remove with `cognito-migrate cleanup`."
            ),
            tags=tool_tags(purpose=PURPOSE, region=scope.region),
        )
    except RemoteError as exc:
        if exc.code == "EntityAlreadyExists":
            return None
        raise
    _put_policy(iam, scope, name)
    return dict(role)


def _put_policy(iam: Any, scope: AccountScope, name: str) -> None:
    document = logs_policy(partition=scope.partition, region=scope.region, account_id=scope.account_id)
    with map_cognito_errors("PutRolePolicy"):
        iam.put_role_policy(RoleName=name, PolicyName=POLICY_NAME, PolicyDocument=json.dumps(document))


def _reuse(iam: Any, scope: AccountScope, role: dict[str, Any], propagation_seconds: float) -> LogsRole:
    name, arn = role["RoleName"], role["Arn"]
    tags = role.get("Tags")
    if tags is None:
        with map_cognito_errors("ListRoleTags"):
            tags = iam.list_role_tags(RoleName=name)["Tags"]
    if role.get("Path") != TOOL_IAM_PATH or not is_tool_managed(tags):
        raise LogsRoleError(
            f"an IAM role named {name} already exists ({arn}) but cognito-migrate did not create it "
            f"(it is not under path {TOOL_IAM_PATH} with tag {MANAGED_TAG}=true). To use it, pass "
            f"--role-arn {arn}; otherwise rename or delete it."
        )
    where = {"partition": scope.partition, "region": scope.region, "account_id": scope.account_id}
    notes: list[str] = []
    inline = _inline_policies(iam, name)
    completed = POLICY_NAME not in inline
    if completed:  # a run stopped between CreateRole and PutRolePolicy
        _put_policy(iam, scope, name)
        inline[POLICY_NAME] = logs_policy(**where)
        notes.append(f"its permissions policy {POLICY_NAME} was missing and has been put back")
    found = RoleDocuments(
        trust=_document(role["AssumeRolePolicyDocument"]),
        inline=inline,
        attached=_attached_policies(iam, name),
        boundary=(role.get("PermissionsBoundary") or {}).get("PermissionsBoundaryArn"),
    )
    problems, warnings = assess_role(found, **where)
    if problems:
        listing = "\n".join(f"  - {problem}" for problem in problems)
        raise LogsRoleError(
            f"IAM role {name} ({arn}) was changed since cognito-migrate created it, and Cognito could "
            f"not write import job results with it:\n{listing}\n"
            "Restore it, remove it with `cognito-migrate cleanup` so that the next run creates it "
            "afresh, or pass --role-arn with a role of your own."
        )
    # A policy put just now propagates like a new role does.
    usable_after = time.monotonic() + propagation_seconds if completed else 0.0
    return LogsRole(arn, name, created=completed, warnings=tuple(notes + warnings), usable_after=usable_after)


def _inline_policies(iam: Any, name: str) -> dict[str, dict[str, Any]]:
    policies: dict[str, dict[str, Any]] = {}
    with map_cognito_errors("ListRolePolicies"):
        names = [n for page in iam.get_paginator("list_role_policies").paginate(RoleName=name)
                 for n in page["PolicyNames"]]  # fmt: skip
    for policy in names:
        with map_cognito_errors("GetRolePolicy"):
            document = iam.get_role_policy(RoleName=name, PolicyName=policy)["PolicyDocument"]
        policies[policy] = _document(document)
    return policies


def _attached_policies(iam: Any, name: str) -> dict[str, dict[str, Any]]:
    """Attached managed policies by ARN, each with its default version's document."""
    policies: dict[str, dict[str, Any]] = {}
    with map_cognito_errors("ListAttachedRolePolicies"):
        arns = [p["PolicyArn"] for page in iam.get_paginator("list_attached_role_policies").paginate(
            RoleName=name) for p in page["AttachedPolicies"]]  # fmt: skip
    for arn in arns:
        with map_cognito_errors("GetPolicy"):
            version = iam.get_policy(PolicyArn=arn)["Policy"]["DefaultVersionId"]
        with map_cognito_errors("GetPolicyVersion"):
            document = iam.get_policy_version(PolicyArn=arn, VersionId=version)["PolicyVersion"]["Document"]
        policies[arn] = _document(document)
    return policies


def _document(value: Any) -> dict[str, Any]:
    # boto3 decodes IAM's URL-encoded policy documents into dicts; tolerate a string all the same.
    if isinstance(value, str):
        from urllib.parse import unquote

        return dict(json.loads(unquote(value)))
    return dict(value)


# ── Checking a role someone may have changed ─────────────────────────────────────────────────────────


@dataclass(frozen=True)
class RoleDocuments:
    """What a role holds: its trust policy, inline and attached policy documents, boundary ARN."""

    trust: dict[str, Any]
    inline: dict[str, dict[str, Any]] = field(default_factory=dict)
    attached: dict[str, dict[str, Any]] = field(default_factory=dict)
    boundary: str | None = None


Decision = Literal["allowed", "conditional", "denied", "missing"]


def assess_role(
    found: RoleDocuments, *, partition: str, region: str, account_id: str
) -> tuple[list[str], list[str]]:
    """``(problems, warnings)``: problems stop Cognito from logging; warnings are other changes.

    A simplified IAM evaluation, enough for the tool's own role: Allow/Deny with Action/NotAction and
    Resource/NotResource wildcards. Conditions are not evaluated, only reported.
    """
    problems: list[str] = []
    warnings: list[str] = []
    trust = _decide(_statements(found.trust), _trusts_cognito)
    if trust in ("denied", "missing"):
        problems.append(f"its trust policy does not let {SERVICE_PRINCIPAL} assume it (sts:AssumeRole)")
    elif trust == "conditional":
        warnings.append(f"its trust policy lets {SERVICE_PRINCIPAL} assume it only under conditions")
    statements = [s for doc in [*found.inline.values(), *found.attached.values()] for s in _statements(doc)]
    group = f"arn:{partition}:logs:{region}:{account_id}:log-group:/aws/cognito/userpools/POOL_ID/POOL_NAME"
    # What each action is authorised against (the Service Authorization Reference's resource types).
    probes = {action: group for action in LOG_ACTIONS} | {"logs:PutLogEvents": f"{group}:log-stream:JOB"}
    for action, resource in probes.items():
        decision = _decide(statements, partial(_grants, action=action, resource=resource))
        if decision in ("denied", "missing"):
            problems.append(f"its permissions do not allow {action} on {resource}")
        elif decision == "conditional":
            warnings.append(f"its permissions allow {action} only under conditions")
    if _canonical(found.trust) != _canonical(trust_policy()):
        warnings.append("its trust policy differs from the one cognito-migrate wrote")
    expected = logs_policy(partition=partition, region=region, account_id=account_id)
    if POLICY_NAME in found.inline and _canonical(found.inline[POLICY_NAME]) != _canonical(expected):
        warnings.append(f"its permissions policy {POLICY_NAME} differs from the one cognito-migrate wrote")
    extra = sorted(set(found.inline) - {POLICY_NAME})
    if extra:
        warnings.append(f"it has inline policies cognito-migrate did not write: {', '.join(extra)}")
    if found.attached:
        warnings.append(f"it has managed policies attached: {', '.join(sorted(found.attached))}")
    if found.boundary:
        warnings.append(
            f"it has a permissions boundary ({found.boundary}); check that it allows {', '.join(LOG_ACTIONS)}"
        )
    return problems, warnings


def _decide(statements: Iterable[dict[str, Any]], applies: Callable[[dict[str, Any]], bool]) -> Decision:
    relevant = [s for s in statements if applies(s)]
    denies = [s for s in relevant if s.get("Effect") == "Deny"]
    allows = [s for s in relevant if s.get("Effect") == "Allow"]
    if any(not s.get("Condition") for s in denies):
        return "denied"
    if any(not s.get("Condition") for s in allows):
        return "conditional" if denies else "allowed"
    return "conditional" if allows else "missing"


def _trusts_cognito(statement: dict[str, Any]) -> bool:
    principal = statement.get("Principal")
    if principal == "*" or (isinstance(principal, dict) and principal.get("AWS") == "*"):
        names = True
    else:
        names = isinstance(principal, dict) and SERVICE_PRINCIPAL in _strings(principal.get("Service"))
    return names and _matches_any(statement, "Action", "NotAction", "sts:AssumeRole", ignore_case=True)


def _grants(statement: dict[str, Any], action: str, resource: str) -> bool:
    return _matches_any(statement, "Action", "NotAction", action, ignore_case=True) and _matches_any(
        statement, "Resource", "NotResource", resource, ignore_case=False
    )


def _matches_any(statement: dict[str, Any], key: str, not_key: str, value: str, *, ignore_case: bool) -> bool:
    if key in statement:
        return any(_wildcard(p, value, ignore_case) for p in _strings(statement[key]))
    if not_key in statement:
        return not any(_wildcard(p, value, ignore_case) for p in _strings(statement[not_key]))
    return False


def _wildcard(pattern: str, value: str, ignore_case: bool) -> bool:
    """IAM's matching: ``*`` is any run of characters (``:`` and ``/`` included), ``?`` one character."""
    regex = "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern)
    return re.fullmatch(regex, value, re.IGNORECASE | re.DOTALL if ignore_case else re.DOTALL) is not None


def _statements(document: dict[str, Any]) -> list[dict[str, Any]]:
    statements = document.get("Statement", [])
    return [statements] if isinstance(statements, dict) else list(statements)


def _strings(value: Any) -> list[str]:
    if value is None:
        return []
    return [value] if isinstance(value, str) else [str(v) for v in value]


def _canonical(document: dict[str, Any]) -> Any:
    """A policy with single values as lists and lists sorted, so equal policies compare equal."""

    def normal(value: Any) -> Any:
        if isinstance(value, dict):
            return {key: normal(item) for key, item in sorted(value.items())}
        if isinstance(value, list | tuple):
            return sorted((normal(item) for item in value), key=lambda item: json.dumps(item, sort_keys=True))
        return [value] if isinstance(value, str) else value

    return normal({**document, "Statement": _statements(document)})
