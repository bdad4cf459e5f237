"""The admin API calls of one user's migration, each behind ``map_cognito_errors``.

Responses are reduced to ``PoolUser`` so the runner never reads botocore shapes. Pacing is not done
here: the rate limiter attached to ``idp`` spends a token of the call's quota category per HTTP attempt.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from cognito_migrate.aws.errors import map_cognito_errors
from cognito_migrate.errors import RemoteError, TerminalError

FORCE_CHANGE_PASSWORD = "FORCE_CHANGE_PASSWORD"  # noqa: S105 - a user status, not a password


@dataclass(frozen=True, slots=True)
class PoolUser:
    """A user as Cognito has it. ``username`` is the stored name (a UUID in email/phone-username pools)."""

    username: str
    status: str
    enabled: bool
    attributes: dict[str, str] = field(default_factory=dict)

    @property
    def sub(self) -> str | None:
        return self.attributes.get("sub")

    @classmethod
    def from_response(cls, user: Mapping[str, Any], attributes_key: str) -> PoolUser:
        return cls(
            username=str(user.get("Username", "")),
            status=str(user.get("UserStatus", "")),
            enabled=bool(user.get("Enabled", True)),
            attributes={a["Name"]: a.get("Value", "") for a in user.get(attributes_key) or ()},
        )


def was_retried(exc: RemoteError) -> bool:
    """Whether botocore sent the call more than once before this error: an earlier attempt may then
    have been applied with its answer lost (a dropped connection, a 5xx after the work was done)."""
    response = getattr(exc.__cause__, "response", None) or {}
    return int(response.get("ResponseMetadata", {}).get("RetryAttempts", 0) or 0) > 0


class AdminCalls:
    def __init__(self, idp: Any, pool_id: str) -> None:
        self.idp = idp
        self.pool_id = pool_id

    def get_user(self, username: str) -> PoolUser | None:
        """The user, or ``None`` when the pool has no such user."""
        try:
            with map_cognito_errors("AdminGetUser"):
                response = self.idp.admin_get_user(UserPoolId=self.pool_id, Username=username)
        except TerminalError as exc:
            if exc.code == "UserNotFoundException":
                return None
            raise
        return PoolUser.from_response(response, "UserAttributes")

    def create_user(
        self,
        username: str,
        attributes: Mapping[str, str],
        *,
        temporary_password: str | None,
        invite_by: list[str] | None,
    ) -> PoolUser:
        """AdminCreateUser. ``invite_by`` (``["EMAIL"]``, ``["SMS"]`` or ``[]`` for Cognito's default)
        sends Cognito's invitation; ``None`` suppresses it. Without ``temporary_password`` Cognito
        makes one up (and sends it only with an invitation)."""
        params: dict[str, Any] = {
            "UserPoolId": self.pool_id,
            "Username": username,
            "UserAttributes": [{"Name": name, "Value": value} for name, value in attributes.items()],
        }
        if invite_by is None:
            params["MessageAction"] = "SUPPRESS"
        elif invite_by:
            params["DesiredDeliveryMediums"] = invite_by
        if temporary_password is not None:
            params["TemporaryPassword"] = temporary_password
        with map_cognito_errors("AdminCreateUser"):
            response = self.idp.admin_create_user(**params)
        return PoolUser.from_response(response.get("User") or {}, "Attributes")

    def set_password(self, username: str, password: str, *, permanent: bool) -> None:
        with map_cognito_errors("AdminSetUserPassword"):
            self.idp.admin_set_user_password(
                UserPoolId=self.pool_id, Username=username, Password=password, Permanent=permanent
            )

    def update_attributes(self, username: str, attributes: Mapping[str, str]) -> None:
        with map_cognito_errors("AdminUpdateUserAttributes"):
            self.idp.admin_update_user_attributes(
                UserPoolId=self.pool_id,
                Username=username,
                UserAttributes=[{"Name": name, "Value": value} for name, value in attributes.items()],
            )
