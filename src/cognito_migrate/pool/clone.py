"""``pool clone``: a new user pool from an existing pool's configuration, with the changes the old pool
could not take (sign-in attributes, case sensitivity, required and custom attributes).

Reads the source (DescribeUserPool, GetUserPoolMfaConfig when MFA is on, then each kind of
``pool.resources``: groups, resource servers, identity providers, app clients), plans the clone
(``clone_plan``), then creates the pool, sets its MFA and re-creates the resources. Groups and
resource servers are always copied; identity providers and app clients on request, since both need
work outside Cognito afterwards (the provider's redirect URIs, the applications' client ids). A client
that had a secret gets a new one; no secret is ever printed, only the new client ids.

Users are not copied (migrate them with a ``cognito`` source), nor is the hosted-UI domain (domains are
unique): both are listed under "not copied", with anything else left behind, so nothing is lost
silently. Once the pool exists, a failing group or client does not undo it: the result is ``partial``,
names the new pool and lists what failed, to finish by hand or delete the pool and run again.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from cognito_migrate.errors import ConfigError, RemoteError
from cognito_migrate.pool.access import AwsOptions, call, pages, pool_client
from cognito_migrate.pool.clone_plan import CloneChanges, ClonePlan, plan_clone
from cognito_migrate.pool.resources import (
    APP_CLIENTS,
    GROUPS,
    IDENTITY_PROVIDERS,
    KINDS,
    RESOURCE_SERVERS,
    ResourceKind,
    create_request,
    dropped_references,
)
from cognito_migrate.results import CommandResult, Outcome

_FLAG = {APP_CLIENTS: "--with-clients", IDENTITY_PROVIDERS: "--with-identity-providers"}
_DATA_KEY = {GROUPS: "groups", RESOURCE_SERVERS: "resource_servers", IDENTITY_PROVIDERS: "identity_providers"}


def _idp_warning(pool_id: str) -> str:
    return (
        "identity providers are copied: register the new pool's domain (…/oauth2/idpresponse; SAML: "
        f"entity urn:amazon:cognito:sp:{pool_id}) with each provider before users sign in through it"
    )


@dataclass
class Copy:
    """One resource of the source and, once created, its id in the clone (app clients)."""

    kind: ResourceKind
    described: dict[str, Any]
    new_id: str | None = None
    failed: str | None = None

    @property
    def name(self) -> str:
        return str(self.described.get(self.kind.name_key))

    def client_data(self) -> dict[str, Any]:
        return {"name": self.name, "source_client_id": self.described.get("ClientId"),
                "client_id": self.new_id, "new_secret": bool(self.described.get("ClientSecret"))}  # fmt: skip


@dataclass
class SourcePool:
    """The source's resources to copy, what is not copied, and what changes in the copies."""

    copies: list[Copy] = field(default_factory=list)
    not_copied: list[str] = field(default_factory=list)
    changes: list[str] = field(default_factory=list)


def clone_pool(
    source_pool_id: str,
    changes: CloneChanges,
    *,
    with_clients: bool = False,
    with_identity_providers: bool = False,
    dry_run: bool = False,
    aws: AwsOptions | None = None,
) -> CommandResult:
    """Create the clone of ``source_pool_id`` (or, with ``dry_run``, only say what would be created)."""
    idp = pool_client(source_pool_id, aws or AwsOptions())
    pool = call(idp, "DescribeUserPool", UserPoolId=source_pool_id)["UserPool"]
    mfa = None
    if pool.get("MfaConfiguration", "OFF") != "OFF":
        mfa = call(idp, "GetUserPoolMfaConfig", UserPoolId=source_pool_id)
    plan = plan_clone(pool, changes, mfa_config=mfa)  # refuses impossible changes before reading more
    wanted = {APP_CLIENTS: with_clients, IDENTITY_PROVIDERS: with_identity_providers}
    source = read_resources(idp, pool, copy={kind: wanted.get(kind, True) for kind in KINDS},
                            dropped=plan.dropped_attributes)  # fmt: skip
    plan.changes += source.changes
    with_providers = any(copy.kind is IDENTITY_PROVIDERS for copy in source.copies)
    if dry_run:
        plan.warnings += [_idp_warning("<new pool id>")] if with_providers else []
        return _result(source_pool_id, None, plan, source, failures=[])
    new_pool_id = str(call(idp, "CreateUserPool", **plan.request)["UserPool"]["Id"])
    plan.warnings += [_idp_warning(new_pool_id)] if with_providers else []
    return _result(source_pool_id, new_pool_id, plan, source, failures=_fill(idp, new_pool_id, plan, source))


def read_resources(
    idp: Any, pool: Mapping[str, Any], *, copy: Mapping[ResourceKind, bool], dropped: frozenset[str]
) -> SourcePool:
    """Every resource of ``pool`` of the kinds to ``copy``, described in full; the others, and what
    cannot be copied at all, as "not copied" lines. ``dropped``: custom attributes the clone lacks."""
    pool_id = str(pool["Id"])
    source = SourcePool(not_copied=_not_copyable(pool))
    for kind in KINDS:
        listed = list(pages(idp, kind.list_operation, kind.items, UserPoolId=pool_id, **kind.page))
        if not copy[kind]:
            if listed:
                names = ", ".join(str(item.get(kind.name_key)) for item in listed)
                source.not_copied.append(
                    f"{len(listed)} {kind.label}(s) ({names}): pass {_FLAG[kind]} to copy"
                )
            continue
        for item in listed:
            described = _described(idp, pool_id, kind, item)
            try:
                create_request(kind, described, pool_id)  # refuses what cannot be copied, before creating
            except ConfigError as exc:
                source.not_copied.append(f"{kind.label} {item.get(kind.name_key)}: {exc}")
                continue
            if lost := dropped_references(kind, described, dropped):
                source.changes.append(
                    f"{kind.label} {item.get(kind.name_key)} no longer names {', '.join(lost)}"
                )
            source.copies.append(Copy(kind, described))
    return source


def _described(idp: Any, pool_id: str, kind: ResourceKind, item: dict[str, Any]) -> dict[str, Any]:
    if kind.describe is None:
        return item
    operation, key, answer = kind.describe
    described: dict[str, Any] = call(idp, operation, UserPoolId=pool_id, **{key: item[key]})[answer]
    return described


def _not_copyable(pool: Mapping[str, Any]) -> list[str]:
    pool_id = str(pool["Id"])
    lines = [f"users ({pool.get('EstimatedNumberOfUsers', '?')} estimated): migrate them with a [source] "
             f'of type "cognito" and pool_id {pool_id!r}']  # fmt: skip
    for key, what in (("Domain", "domain"), ("CustomDomain", "custom domain")):
        if pool.get(key):
            lines.append(f"{what} {pool[key]}: domains are unique; create one for the new pool "
                         "(aws cognito-idp create-user-pool-domain)")  # fmt: skip
    return lines


def _fill(idp: Any, pool_id: str, plan: ClonePlan, source: SourcePool) -> list[str]:
    """MFA and the resources of the new pool, in ``KINDS`` order; what failed, one line each."""
    failures: list[str] = []
    if plan.mfa is not None:
        try:
            call(idp, "SetUserPoolMfaConfig", **plan.mfa, UserPoolId=pool_id)
        except RemoteError as exc:
            failures.append(f"MFA settings: {exc}")
    for copy in source.copies:
        try:
            request = create_request(copy.kind, copy.described, pool_id, dropped=plan.dropped_attributes)
            created = call(idp, copy.kind.create_operation, **request)
        except RemoteError as exc:
            copy.failed = str(exc)
            failures.append(f"{copy.kind.label} {copy.name}: {exc}")
            continue
        if copy.kind is APP_CLIENTS:
            copy.new_id = str(created["UserPoolClient"]["ClientId"])
    return failures


def _result(
    source_pool_id: str, new_pool_id: str | None, plan: ClonePlan, source: SourcePool, *, failures: list[str]
) -> CommandResult:
    dry_run = new_pool_id is None
    names = {kind: [copy.name for copy in source.copies if copy.kind is kind] for kind in KINDS}
    clients = [copy for copy in source.copies if copy.kind is APP_CLIENTS]
    data: dict[str, Any] = {
        "source_pool_id": source_pool_id,
        "pool_id": new_pool_id,
        "pool_name": plan.request["PoolName"],
        "dry_run": dry_run,
        "changes": plan.changes,
        "copied_settings": plan.copied,
        **{key: names[kind] for kind, key in _DATA_KEY.items()},
        "clients": [copy.client_data() for copy in clients],
        "not_copied": source.not_copied,
        "warnings": plan.warnings,
        "failures": failures,
    }
    name = plan.request["PoolName"]
    if dry_run:
        data["request"] = plan.request
        lines = [f"Would create {name!r} from {source_pool_id} (dry run: nothing created)."]
    else:
        lines = [f"Created user pool {new_pool_id} ({name}) from {source_pool_id}."]
    lines += _section("Changed", plan.changes)
    copied = [", ".join(plan.copied)] if plan.copied else []
    copied += [f"{len(names[kind])} {kind.label}(s): {', '.join(names[kind])}"
               for kind in KINDS if names[kind] and kind is not APP_CLIENTS]  # fmt: skip
    lines += _section("Copied", copied)
    lines += _section("App clients", [_client_line(copy, dry_run) for copy in clients])
    lines += _section("Not copied", source.not_copied)
    lines += _section("Check", plan.warnings)
    lines += _section("Failed", failures)
    return CommandResult("pool clone", Outcome.PARTIAL if failures else Outcome.OK, data, lines)


def _client_line(copy: Copy, dry_run: bool) -> str:
    old_id, secret = copy.described.get("ClientId"), bool(copy.described.get("ClientSecret"))
    if dry_run:
        return f"{copy.name} ({old_id}) would be copied" + (", with a new secret" if secret else "")
    new = copy.new_id or "not created"
    return f"{copy.name}: {old_id} → {new}" + (
        "; new secret: describe-user-pool-client shows it" if secret else ""
    )


def _section(title: str, items: list[str]) -> list[str]:
    return [f"{title}:", *(f"  - {item}" for item in items)] if items else []
