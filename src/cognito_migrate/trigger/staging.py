"""Writing just-in-time users to the staging table the migrate-user function reads (layout: ``layout``).

``create_staging_table`` makes the table (on-demand, server-side encryption with KMS);
``stage_users`` writes one user item and one item per alias with BatchWriteItem, 25 at a time,
resending what DynamoDB leaves unprocessed. ``staged_items`` makes the items, which ``sql_staging``
writes to a SQL database instead.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from cognito_migrate.aws.errors import map_cognito_errors
from cognito_migrate.errors import TransientError
from cognito_migrate.trigger import layout

BATCH_SIZE = 25  # BatchWriteItem's limit
MAX_ATTEMPTS = 8  # per batch, for unprocessed items
_BACKOFF_SECONDS = 0.05


@dataclass(frozen=True)
class StagedUser:
    """One legacy user for the trigger: ``aliases`` maps ``email`` / ``phone_number`` /
    ``preferred_username`` to the value the user may sign in with; ``attributes`` are the Cognito
    attributes to create the user with (verified flags as ``"true"`` / ``"false"``)."""

    username: str
    password_hash: str = field(repr=False)
    aliases: Mapping[str, str] = field(default_factory=dict)
    attributes: Mapping[str, str] = field(default_factory=dict)
    groups: tuple[str, ...] = ()


@dataclass
class StagingResult:
    users: int = 0
    # (username, alias attribute) whose value an earlier user of this call already claimed: not
    # written, since one alias value can lead to one user only.
    conflicting_aliases: list[tuple[str, str]] = field(default_factory=list)


def create_staging_table(dynamodb_client: Any, name: str) -> str:
    """Create the staging table and wait until it is active; its ARN."""
    with map_cognito_errors("CreateTable"):
        created = dynamodb_client.create_table(
            TableName=name,
            AttributeDefinitions=[{"AttributeName": layout.KEY, "AttributeType": "S"}],
            KeySchema=[{"AttributeName": layout.KEY, "KeyType": "HASH"}],
            BillingMode="PAY_PER_REQUEST",
            SSESpecification={"Enabled": True, "SSEType": "KMS"},
            Tags=[{"Key": "created-by", "Value": "cognito-migrate"}],
        )
        if created["TableDescription"].get("TableStatus") != "ACTIVE":
            dynamodb_client.get_waiter("table_exists").wait(
                TableName=name, WaiterConfig={"Delay": 1, "MaxAttempts": 60}
            )
    return str(created["TableDescription"]["TableArn"])


def stage_users(
    dynamodb_client: Any, table: str, users: Iterable[StagedUser], *, case_sensitive: bool = False
) -> StagingResult:
    """Write ``users`` (and their alias items) to ``table``; ``case_sensitive`` is the pool's rule."""
    result = StagingResult()
    batch: list[dict[str, Any]] = []
    for item in staged_items(users, case_sensitive, result):
        batch.append({"PutRequest": {"Item": item}})
        if len(batch) == BATCH_SIZE:
            _write(dynamodb_client, table, batch)
            batch = []
    if batch:
        _write(dynamodb_client, table, batch)
    return result


def staged_items(
    users: Iterable[StagedUser], case_sensitive: bool, result: StagingResult
) -> Iterator[dict[str, Any]]:
    """The user and alias items of ``users`` (``layout``, DynamoDB's typed JSON); counts go to ``result``."""
    seen: set[str] = set()
    for user in users:
        key = layout.user_key(user.username, case_sensitive)
        if key in seen:
            raise ValueError(f"user {user.username!r} is staged twice (usernames fold to the same key)")
        seen.add(key)
        aliases: dict[str, str] = {}
        alias_items = []
        for attribute, value in user.aliases.items():
            if attribute not in layout.ALIAS_ATTRIBUTES:
                allowed = ", ".join(layout.ALIAS_ATTRIBUTES)
                raise ValueError(f"{attribute} cannot be an alias (expected one of {allowed})")
            alias = layout.alias_key(attribute, value, case_sensitive)
            if alias in seen:
                result.conflicting_aliases.append((user.username, attribute))
                continue
            seen.add(alias)
            aliases[attribute] = value
            alias_items.append({layout.KEY: {"S": alias}, layout.USER_REF: {"S": key}})
        yield {
            layout.KEY: {"S": key},
            layout.USERNAME: {"S": user.username},
            layout.HASH: {"S": user.password_hash},
            layout.ATTRIBUTES: {"M": {name: {"S": value} for name, value in user.attributes.items()}},
            layout.ALIASES: {"M": {name: {"S": value} for name, value in aliases.items()}},
            layout.GROUPS: {"L": [{"S": group} for group in user.groups]},
        }
        yield from alias_items
        result.users += 1


def _write(dynamodb_client: Any, table: str, requests: list[dict[str, Any]]) -> None:
    pending: dict[str, list[dict[str, Any]]] = {table: requests}
    for attempt in range(MAX_ATTEMPTS):
        with map_cognito_errors("BatchWriteItem"):
            answer = dynamodb_client.batch_write_item(RequestItems=pending)
        pending = {name: items for name, items in (answer.get("UnprocessedItems") or {}).items() if items}
        if not pending:
            return
        time.sleep(_BACKOFF_SECONDS * 2**attempt)
    left = sum(len(items) for items in pending.values())
    raise TransientError(f"BatchWriteItem: {left} items still unprocessed after {MAX_ATTEMPTS} attempts")
