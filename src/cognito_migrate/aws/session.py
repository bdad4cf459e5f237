"""AWS access in one place: profile, Region, endpoint, credentials, retry mode.

Precedence follows the AWS CLI: a command-line flag beats the plan file's ``[target]`` section, which
beats the usual ``AWS_*`` variables and ``~/.aws/config`` (boto3 reads those itself, including
``AWS_ENDPOINT_URL``).
"""

from __future__ import annotations

import os
import threading
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any, Literal, Protocol

from cognito_migrate.errors import ConfigError

if TYPE_CHECKING:
    import boto3

    from cognito_migrate.config.models import TargetConfig

RetryMode = Literal["standard", "adaptive"]

# Enough attempts to ride out a burst of throttling at Cognito's quotas without hiding a real outage.
DEFAULT_MAX_ATTEMPTS = 8


class AttachesToClient(Protocol):
    """Something that hooks itself into a botocore client's events (the rate limiter does)."""

    def attach(self, client: Any) -> None: ...


@dataclass(frozen=True)
class StaticCredentials:
    access_key_id: str
    secret_access_key: str = field(repr=False)
    session_token: str | None = field(default=None, repr=False)


@dataclass(frozen=True)
class AwsSettings:
    """Where and how to reach AWS. Every field left ``None`` falls back to boto3's own resolution."""

    profile: str | None = None
    region: str | None = None
    endpoint_url: str | None = None
    credentials: StaticCredentials | None = None
    retry_mode: RetryMode = "standard"
    max_attempts: int = DEFAULT_MAX_ATTEMPTS
    connect_timeout: float = 10.0
    read_timeout: float = 60.0
    _session: list[boto3.Session] = field(default_factory=list, repr=False, compare=False)
    _lock: threading.RLock = field(default_factory=threading.RLock, repr=False, compare=False)

    def overridden_by(self, **overrides: Any) -> AwsSettings:
        """A copy where every override that is not ``None`` wins (command-line flags over the plan)."""
        changes = {key: value for key, value in overrides.items() if value is not None}
        return replace(self, _session=[], _lock=threading.RLock(), **changes)

    def session(self) -> boto3.Session:
        # boto3 sessions are not safe to share while creating clients; build one per settings object
        # under a lock and hand out clients, which are thread-safe.
        with self._lock:
            if not self._session:
                import boto3
                import botocore.exceptions

                creds = self.credentials
                try:
                    self._session.append(
                        boto3.Session(
                            profile_name=self.profile,
                            region_name=self.region,
                            aws_access_key_id=creds.access_key_id if creds else None,
                            aws_secret_access_key=creds.secret_access_key if creds else None,
                            aws_session_token=creds.session_token if creds else None,
                        )
                    )
                except botocore.exceptions.ProfileNotFound as exc:
                    raise ConfigError(
                        f"--profile {self.profile!r}: no such profile in the AWS config files"
                    ) from exc
            return self._session[0]

    def resolved_region(self) -> str:
        # botocore reads AWS_DEFAULT_REGION only; the newer SDKs and most CI systems set AWS_REGION.
        region = self.session().region_name or os.environ.get("AWS_REGION")
        if not region:
            raise ConfigError(
                "no AWS Region: pass --region, set region in [target] of the plan file, "
                "or set AWS_REGION or AWS_DEFAULT_REGION"
            )
        return region

    def client(
        self,
        service: str,
        *,
        rate_limiter: AttachesToClient | None = None,
        max_pool_connections: int = 10,
    ) -> Any:
        """A boto3 client with ``standard``/``adaptive`` retries (``legacy`` does not reliably retry
        Cognito's ``TooManyRequestsException``), optionally paced by ``rate_limiter``."""
        from botocore.config import Config

        config = Config(
            retries={"mode": self.retry_mode, "total_max_attempts": self.max_attempts},
            connect_timeout=self.connect_timeout,
            read_timeout=self.read_timeout,
            max_pool_connections=max_pool_connections,
            user_agent_extra="cognito-migrate",
        )
        region = self.resolved_region()
        with self._lock:
            client = self.session().client(
                service,  # type: ignore[call-overload]
                region_name=region,
                endpoint_url=self.endpoint_url,
                config=config,
            )
        if rate_limiter is not None:
            rate_limiter.attach(client)
        return client


def settings_for_target(
    target: TargetConfig,
    *,
    profile: str | None = None,
    region: str | None = None,
    endpoint_url: str | None = None,
) -> AwsSettings:
    """Settings for the plan's ``[target]``, with command-line flags (when given) taking precedence."""
    from_plan = AwsSettings(
        profile=target.profile,
        region=target.region,
        endpoint_url=target.endpoint_url,
        retry_mode=target.retry_mode,
        max_attempts=target.max_attempts,
    )
    return from_plan.overridden_by(profile=profile, region=region, endpoint_url=endpoint_url)
