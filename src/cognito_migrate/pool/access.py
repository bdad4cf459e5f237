"""One paced cognito-idp client for the ``pool`` commands, and calls whose errors say what to do.

The commands name a pool, not a plan file: the Region comes from ``--region``, else from the pool id
(``eu-west-1_AbC123``), as for a ``[source]`` pool. Every call goes through the account's rate limiter
at AWS's default quotas and through ``map_cognito_errors``; a missing pool becomes a usage error
(exit 2) that names it.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from cognito_migrate.aws.errors import map_cognito_errors
from cognito_migrate.aws.session import AwsSettings
from cognito_migrate.errors import ConfigError, TerminalError


@dataclass(frozen=True)
class AwsOptions:
    """The global ``--profile``, ``--region`` and ``--endpoint-url`` of the command line."""

    profile: str | None = None
    region: str | None = None
    endpoint_url: str | None = None


def pool_client(pool_id: str, aws: AwsOptions) -> Any:
    """A cognito-idp client for ``pool_id``'s Region, paced at AWS's default request-rate quotas."""
    from cognito_migrate.aws.ratelimit import RateLimiter
    from cognito_migrate.sources.cognito_pool import region_of_pool

    settings = AwsSettings(profile=aws.profile, region=aws.region or region_of_pool(pool_id),
                           endpoint_url=aws.endpoint_url)  # fmt: skip
    return settings.client("cognito-idp", rate_limiter=RateLimiter())


def call(idp: Any, operation: str, **params: Any) -> dict[str, Any]:
    """``idp.<operation>(**params)`` with Cognito's errors mapped; a missing pool → ``ConfigError``."""
    from botocore import xform_name

    method = getattr(idp, xform_name(operation))
    try:
        with map_cognito_errors(operation):
            response: dict[str, Any] = method(**params)
    except TerminalError as exc:
        pool_id = params.get("UserPoolId")
        # Cognito's text names the pool ("User pool … does not exist."); other missing things pass.
        if exc.code == "ResourceNotFoundException" and pool_id and str(pool_id) in str(exc):
            raise ConfigError(f"no user pool {pool_id} in this account and Region") from exc
        raise
    return response


def pages(idp: Any, operation: str, items: str, **params: Any) -> Iterator[dict[str, Any]]:
    """Every item of a ``NextToken``-paged list call (ListGroups, ListUserPoolClients, …)."""
    token: str | None = None
    while True:
        response = call(idp, operation, **params, **({"NextToken": token} if token else {}))
        yield from response.get(items) or []
        token = response.get("NextToken")
        if not token:
            return
