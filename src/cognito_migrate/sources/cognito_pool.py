"""Another user pool as a source (on AWS, or the local Cognito).

Users come from ListUsers, 60 per page (Cognito's maximum), yielded as each page arrives. ListUsers
returns no groups, so with ``include_groups`` the pool's groups are listed first (ListGroups) and their
members read with ListUsersInGroup into a map of username → group names; each user takes its entry
out of the map as it streams past. That map is the one thing held in memory: one entry per user who is
in a group (about 200 bytes each: some 200 MB for a million members). The alternative,
AdminListGroupsForUser per user, holds nothing but costs one call per user at 50 RPS instead of one
call per 60 members at 30 RPS: a million users would take 5.5 hours instead of 10 minutes.

Every call goes through the rate limiter, so ListUsers and ListUsersInGroup (both UserList, 30 RPS,
shared by the whole account) stay under the quota the live application also needs.

MFA: ListUsers has only the legacy ``MFAOptions``, not ``UserMFASettingList``. The pool's
``MfaConfiguration`` settles most pools at no cost (OFF → no user has MFA, ON → every user has it). In
OPTIONAL pools a user's TOTP/SMS settings need AdminGetUser (UserRead, 120 RPS, one call per user:
2.3 hours for a million users where ListUsers takes 10 minutes), so that is done only with
``read_mfa_settings=True``; otherwise such a user's ``mfa_enabled`` is None (unknown) unless
``MFAOptions`` shows SMS MFA.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from cognito_migrate.aws.errors import map_cognito_errors
from cognito_migrate.aws.quotas import Quotas
from cognito_migrate.aws.ratelimit import RateLimiter
from cognito_migrate.aws.session import AwsSettings
from cognito_migrate.config.models import CognitoSource
from cognito_migrate.errors import ConfigError, TerminalError
from cognito_migrate.sources.formats.cognito_json import user_from_cognito
from cognito_migrate.sources.records import GroupDefinition, SourceRecord

PAGE_SIZE = 60  # ListUsers, ListUsersInGroup and ListGroups accept at most 60


@dataclass(frozen=True, slots=True)
class PoolUser:
    """One ListUsers ``UserType`` as botocore returns it, with what ListUsers leaves out."""

    user: Mapping[str, Any]
    username: str
    groups: tuple[str, ...]
    mfa_enabled: bool | None  # None: unknown (an OPTIONAL pool read without read_mfa_settings)


def region_of_pool(pool_id: str) -> str:
    """A pool id starts with its Region (``eu-west-1_AbC123``)."""
    return pool_id.split("_", 1)[0]


class CognitoPoolSource:
    """Users, groups and memberships of the ``[source]`` pool."""

    def __init__(
        self,
        config: CognitoSource,
        *,
        settings: AwsSettings | None = None,
        limiter: RateLimiter | None = None,
        read_mfa_settings: bool = False,
    ) -> None:
        self.config = config
        self.settings = settings or AwsSettings(
            profile=config.profile,
            region=config.region or region_of_pool(config.pool_id),
            endpoint_url=config.endpoint_url,
        )
        self.limiter = limiter if limiter is not None else RateLimiter(Quotas.aws_default())
        self.read_mfa_settings = read_mfa_settings
        self._client: Any = None
        self._pool: dict[str, Any] | None = None
        self._groups: list[GroupDefinition] | None = None

    def describe(self) -> str:
        region = self.settings.region or self.config.region or region_of_pool(self.config.pool_id)
        return f"user pool {self.config.pool_id} ({region})"

    # ── calls ────────────────────────────────────────────────────────────────────────────────────────

    def _idp(self) -> Any:
        if self._client is None:
            self._client = self.settings.client("cognito-idp", rate_limiter=self.limiter)
        return self._client

    def _call(self, operation: str, **params: Any) -> dict[str, Any]:
        method = getattr(self._idp(), _snake(operation))
        with map_cognito_errors(operation):
            response: dict[str, Any] = method(UserPoolId=self.config.pool_id, **params)
        return response

    def _describe_pool(self) -> dict[str, Any]:
        """The pool (once): proves it exists before anything is streamed, and gives its MFA setting."""
        if self._pool is None:
            try:
                self._pool = self._call("DescribeUserPool")["UserPool"]
            except TerminalError as exc:
                if exc.code != "ResourceNotFoundException":
                    raise
                raise ConfigError(
                    f"[source] pool_id {self.config.pool_id!r}: no such user pool in {self.describe()}"
                ) from exc
        return self._pool

    # ── groups ───────────────────────────────────────────────────────────────────────────────────────

    def group_definitions(self) -> list[GroupDefinition]:
        """The pool's groups with description, precedence and role ARN (none without include_groups)."""
        if not self.config.include_groups:
            return []
        if self._groups is None:
            self._describe_pool()
            groups: list[GroupDefinition] = []
            token: str | None = None
            while True:
                page = self._call("ListGroups", Limit=PAGE_SIZE, **({"NextToken": token} if token else {}))
                groups.extend(
                    GroupDefinition(
                        name=group["GroupName"],
                        description=group.get("Description") or None,
                        precedence=group.get("Precedence"),
                        role_arn=group.get("RoleArn") or None,
                    )
                    for group in page.get("Groups", [])
                )
                token = page.get("NextToken")
                if not token:
                    break
            self._groups = groups
        return list(self._groups)

    def _memberships(self) -> dict[str, list[str]]:
        """username → the names of its groups, in the order ListGroups gave the groups."""
        members: dict[str, list[str]] = {}
        for group in self.group_definitions():
            token: str | None = None
            while True:
                params: dict[str, Any] = {"GroupName": group.name, "Limit": PAGE_SIZE}
                if token:
                    params["NextToken"] = token
                page = self._call("ListUsersInGroup", **params)
                for user in page.get("Users", []):
                    # One list per member; the group name strings are shared, not copied.
                    members.setdefault(user["Username"], []).append(group.name)
                token = page.get("NextToken")
                if not token:
                    break
        return members

    # ── users ────────────────────────────────────────────────────────────────────────────────────────

    def records(self) -> Iterator[SourceRecord]:
        for found in self.pool_users():
            yield user_from_cognito(
                found.user,
                where=f"user pool {self.config.pool_id}, user {found.username}",
                groups=found.groups,
                mfa_enabled=found.mfa_enabled,
            )

    def pool_users(self) -> Iterator[PoolUser]:
        """Every user as ListUsers gives it, with its groups and MFA, one page at a time (``export``
        writes these as they are; ``records`` turns them into source records)."""
        pool = self._describe_pool()
        pool_mfa = {"OFF": False, "ON": True}.get(pool.get("MfaConfiguration") or "OFF")
        memberships = self._memberships() if self.config.include_groups else {}
        for user in self._users():
            username = user.get("Username", "")
            yield PoolUser(
                user,
                username,
                # pop: the map shrinks as the stream goes, and a member who left the pool costs nothing.
                tuple(memberships.pop(username, ())),
                pool_mfa if pool_mfa is not None else self._user_mfa(user),
            )

    def _users(self) -> Iterator[dict[str, Any]]:
        token: str | None = None
        while True:
            params: dict[str, Any] = {"Limit": PAGE_SIZE}
            if token:
                params["PaginationToken"] = token
            page = self._call("ListUsers", **params)
            yield from page.get("Users", [])
            token = page.get("PaginationToken")
            if not token:
                return

    def _user_mfa(self, user: dict[str, Any]) -> bool | None:
        """MFA in an OPTIONAL pool: MFAOptions when it shows SMS MFA, else AdminGetUser if allowed."""
        if user.get("MFAOptions"):
            return True
        if not self.read_mfa_settings:
            return None
        found = self._call("AdminGetUser", Username=user["Username"])
        return bool(found.get("UserMFASettingList") or found.get("MFAOptions"))

    def close(self) -> None:
        if self._client is not None:
            self._client.close()
            self._client = None


def _snake(operation: str) -> str:
    """botocore's method name for an operation: ``ListUsersInGroup`` → ``list_users_in_group``."""
    return "".join(f"_{c.lower()}" if c.isupper() else c for c in operation).lstrip("_")
