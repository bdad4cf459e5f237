"""The wire protocol of cognito-idp (JSON 1.1 over HTTP POST), parsed and serialised in one place.

Extensions never see WSGI: they get an ``ApiCall`` (action, parameters, account, Region) and return a
``Reply``. Errors carry AWS's codes, the way botocore expects them (``__type`` and ``message``).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field, replace
from typing import Any

TARGET_PREFIX = "AWSCognitoIdentityProviderService."
_REGION_IN_CREDENTIAL = re.compile(r"Credential=[^/]+/\d{8}/([a-z0-9-]+)/")
_ACCESS_KEY = re.compile(r"Credential=([^/]+)/")
DEFAULT_REGION = "us-east-1"


class CognitoError(Exception):
    """An error answered the way Cognito answers it: HTTP status, error code, message."""

    def __init__(self, code: str, message: str, status: int = 400) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message
        self.status = status

    def reply(self) -> Reply:
        body = json.dumps({"__type": self.code, "message": self.message}).encode()
        return Reply(self.status, [("Content-Type", "application/x-amz-json-1.1"),
                                   ("x-amzn-ErrorType", self.code)], body)  # fmt: skip


def invalid_parameter(message: str) -> CognitoError:
    return CognitoError("InvalidParameterException", message)


@dataclass(frozen=True)
class ApiCall:
    """One cognito-idp request: ``params`` is the parsed JSON body; ``replace_params`` makes a copy
    with changed parameters (e.g. a username rewritten to the stored case) to forward."""

    action: str
    params: dict[str, Any]
    account: str
    region: str
    headers: dict[str, str] = field(default_factory=dict)

    def replace_params(self, **changes: Any) -> ApiCall:
        return replace(self, params={**self.params, **changes})

    def body(self) -> bytes:
        return json.dumps(self.params).encode()


@dataclass
class Reply:
    status: int
    headers: list[tuple[str, str]]
    body: bytes

    @classmethod
    def json(cls, payload: dict[str, Any], status: int = 200) -> Reply:
        return cls(status, [("Content-Type", "application/x-amz-json-1.1")],
                   json.dumps(payload, default=_json_default).encode())  # fmt: skip

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300

    def payload(self) -> dict[str, Any]:
        if not self.body:
            return {}
        loaded = json.loads(self.body)
        return loaded if isinstance(loaded, dict) else {}

    @property
    def error_code(self) -> str | None:
        return None if self.ok else str(self.payload().get("__type", "")).split("#")[-1] or None


def _json_default(value: Any) -> Any:
    from datetime import datetime

    if isinstance(value, datetime):
        return value.timestamp()  # what Cognito sends: epoch seconds
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")


def account_from_headers(headers: dict[str, str]) -> str:
    """moto derives the account from the access key; do the same so state lands where moto looks."""
    from moto.core.models import DEFAULT_ACCOUNT_ID
    from moto.iam.models import get_account_id_from

    match = _ACCESS_KEY.search(headers.get("authorization", ""))
    if not match:
        return str(DEFAULT_ACCOUNT_ID)
    return str(get_account_id_from(match.group(1)))


def region_from_headers(headers: dict[str, str]) -> str:
    match = _REGION_IN_CREDENTIAL.search(headers.get("authorization", ""))
    return match.group(1) if match else DEFAULT_REGION


class DropConnection(Exception):
    """Raised by a fault injector: the server closes the connection without answering."""


@dataclass(frozen=True)
class RawRequest:
    """A request that is not a cognito-idp API call (e.g. the PUT to an import job's upload URL)."""

    method: str
    path: str
    query: str
    headers: dict[str, str]
    body: bytes
