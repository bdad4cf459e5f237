"""Quotas (calls beyond a category's rate are throttled, calls within it are not) and injected faults.

Each test runs its own ``LocalCognito`` on port 0 with the option under test; moto's state is shared
by every server in the process, so pools are created through the fixture server, which has neither.
"""

from __future__ import annotations

import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError, ConnectionClosedError

from cognito_migrate.aws.quotas import QuotaCategory, Quotas
from cognito_migrate.aws.ratelimit import RateLimiter
from cognito_migrate.errors import ConfigError
from cognito_migrate.local import LocalCognito
from cognito_migrate.local.faults import FaultPlan
from cognito_migrate.local.serve import guards_from_flags

BIN = Path(sys.executable).parent
# UserPoolRead at 2 RPS: a bucket of 1 token (Quotas.burst_for) plus the server's one token of slack.
SLOW_POOL_READS = Quotas.from_overrides({"UserPoolRead": 2})


def one_attempt(local: LocalCognito, **config: Any) -> Any:
    """A client that does not retry, so every refusal surfaces."""
    return local.settings().overridden_by(max_attempts=1).client("cognito-idp", **config)


def count_throttled(calls: Iterator[Any] | list[Any]) -> tuple[int, int]:
    """(succeeded, throttled) for ``calls``; any other error fails the test."""
    ok = 0
    refusals: list[tuple[str, str]] = []
    for call in calls:
        try:
            call()
            ok += 1
        except ClientError as exc:
            refusals.append((exc.response["Error"]["Code"], exc.response["Error"]["Message"]))
    assert set(refusals) <= {("TooManyRequestsException", "Rate exceeded")}
    return ok, len(refusals)


@pytest.fixture
def slow_server() -> Iterator[LocalCognito]:
    with LocalCognito(quotas=SLOW_POOL_READS) as server:
        yield server


# ── quotas ───────────────────────────────────────────────────────────────────────────────────────────


def test_calls_beyond_a_category_rate_are_throttled() -> None:
    # One call per 2 s: ten calls in a tight loop get at most 2 + elapsed/2 through, however slow the
    # machine is.
    with LocalCognito(quotas=Quotas.from_overrides({"UserPoolRead": 0.5})) as server:
        idp = one_attempt(server)
        started = time.monotonic()
        ok, throttled = count_throttled([lambda: idp.list_user_pools(MaxResults=10)] * 10)
        elapsed = time.monotonic() - started

        assert 1 <= ok <= 2 + elapsed / 2
        assert throttled == 10 - ok
        assert server.quota_guard is not None
        assert server.quota_guard.throttled() == {"UserPoolRead": throttled}
        # Other categories have their own budget.
        pool_id = idp.create_user_pool(PoolName=f"quota-{uuid.uuid4().hex[:8]}")["UserPool"]["Id"]
        assert idp.list_users(UserPoolId=pool_id)["Users"] == []


def test_calls_within_the_rate_are_not_throttled(slow_server: LocalCognito) -> None:
    idp = one_attempt(slow_server)

    def spaced() -> Iterator[Any]:
        for _ in range(4):
            yield lambda: idp.list_user_pools(MaxResults=10)
            time.sleep(0.6)

    assert count_throttled(spaced()) == (4, 0)


def test_a_client_paced_by_our_rate_limiter_is_never_throttled(slow_server: LocalCognito) -> None:
    limiter = RateLimiter(SLOW_POOL_READS)  # the same table the server enforces
    idp = slow_server.settings().overridden_by(max_attempts=1).client("cognito-idp", rate_limiter=limiter)

    assert count_throttled([lambda: idp.list_user_pools(MaxResults=10)] * 6) == (6, 0)
    assert limiter.stats()["UserPoolRead"].calls == 6


def test_pool_resource_calls_are_limited_per_pool_and_operation(local_cognito: LocalCognito) -> None:
    setup = local_cognito.client("cognito-idp")
    busy, quiet = (setup.create_user_pool(PoolName=f"per-pool-{n}")["UserPool"]["Id"] for n in range(2))
    with LocalCognito(quotas=Quotas(per_pool_operation_rate=1.0)) as server:
        idp = one_attempt(server)
        groups = [lambda n=n: idp.create_group(UserPoolId=busy, GroupName=f"g{n}") for n in range(4)]
        ok, throttled = count_throttled(groups)
        assert throttled >= 1
        idp.create_group(UserPoolId=quiet, GroupName="g0")  # another pool has its own budget
    assert len(setup.list_groups(UserPoolId=busy)["Groups"]) == ok


def test_quota_flags() -> None:
    assert guards_from_flags(None, (), None, None) == (None, None)
    assert guards_from_flags("off", (), None, None) == (None, None)
    quotas, _ = guards_from_flags("aws-default", (), None, None)
    assert quotas == Quotas.aws_default()
    overridden, _ = guards_from_flags(None, ("UserCreation=5",), None, None)
    assert overridden is not None
    assert overridden.rate_for(QuotaCategory.UserCreation) == 5.0
    with pytest.raises(ConfigError, match="--quota needs quotas on"):
        guards_from_flags("off", ("UserCreation=5",), None, None)


# ── faults ───────────────────────────────────────────────────────────────────────────────────────────


@pytest.mark.parametrize(
    ("plan", "code", "status"),
    [
        (FaultPlan(throttle=1.0), "TooManyRequestsException", 400),
        (FaultPlan(server_error=1.0), "InternalErrorException", 500),
    ],
)
def test_injected_errors_surface_with_cognitos_codes(plan: FaultPlan, code: str, status: int) -> None:
    with LocalCognito(faults=plan) as server:
        with pytest.raises(ClientError) as failed:
            one_attempt(server).list_user_pools(MaxResults=10)
        assert failed.value.response["Error"]["Code"] == code
        assert failed.value.response["ResponseMetadata"]["HTTPStatusCode"] == status


def test_an_injected_drop_closes_the_connection(local_cognito: LocalCognito) -> None:
    pool_id = local_cognito.client("cognito-idp").create_user_pool(PoolName="drops")["UserPool"]["Id"]
    with LocalCognito(faults=FaultPlan(drop=1.0)) as server:
        with pytest.raises(ConnectionClosedError):
            one_attempt(server).admin_create_user(
                UserPoolId=pool_id, Username="ada", MessageAction="SUPPRESS"
            )
        assert server.fault_injector is not None
        assert server.fault_injector.counts() == {"throttle": 0, "server_error": 0, "drop": 1}
    # Decided before moto saw the call: nothing was applied.
    assert local_cognito.client("cognito-idp").list_users(UserPoolId=pool_id)["Users"] == []


def test_retrying_clients_survive_a_seeded_mix_of_faults(local_cognito: LocalCognito) -> None:
    pool_id = local_cognito.client("cognito-idp").create_user_pool(PoolName="faulty")["UserPool"]["Id"]
    # Seed 36 with these shares fails 4 of the attempts these 10 calls make: 1 throttle, 2 5xx, 1 drop.
    plan = FaultPlan(throttle=0.2, server_error=0.15, drop=0.15, seed=36)
    with LocalCognito(faults=plan) as server:
        idp = server.client("cognito-idp")  # standard retries, 8 attempts
        for n in range(10):
            idp.admin_create_user(UserPoolId=pool_id, Username=f"user{n}", MessageAction="SUPPRESS")
        assert server.fault_injector is not None
        assert server.fault_injector.counts() == {"throttle": 1, "server_error": 2, "drop": 1}
    users = local_cognito.client("cognito-idp").list_users(UserPoolId=pool_id)["Users"]
    assert sorted(user["Username"] for user in users) == [f"user{n}" for n in range(10)]


def test_after_success_applies_the_call_and_loses_the_answer(local_cognito: LocalCognito) -> None:
    clean = local_cognito.client("cognito-idp")
    pool_id = clean.create_user_pool(PoolName="lost-answers")["UserPool"]["Id"]
    lossy = LocalCognito(faults=FaultPlan(drop=1.0, after_success=True))
    with lossy as server, pytest.raises(ConnectionClosedError):
        one_attempt(server).admin_create_user(UserPoolId=pool_id, Username="ada", MessageAction="SUPPRESS")
    # The user exists although the client never heard so; its retry would meet this:
    assert clean.admin_get_user(UserPoolId=pool_id, Username="ada")["Username"] == "ada"
    with pytest.raises(ClientError) as retried:
        clean.admin_create_user(UserPoolId=pool_id, Username="ada", MessageAction="SUPPRESS")
    assert retried.value.response["Error"]["Code"] == "UsernameExistsException"


def test_fault_flags() -> None:
    _, plan = guards_from_flags(None, (), "throttle=0.1,5xx=0.05,drop=0.02", 7)
    assert plan == FaultPlan(throttle=0.1, server_error=0.05, drop=0.02, seed=7)
    assert FaultPlan.parse("drop=0.5,after-success").after_success
    for bad in ("throttle", "slow=0.1", "throttle=lots", "throttle=1.5", "throttle=0.6,5xx=0.6"):
        with pytest.raises(ConfigError):
            FaultPlan.parse(bad)
    done = subprocess.run(
        [str(BIN / "cognito-migrate"), "local", "serve", "--port", "0", "--faults", "slow=0.1"],
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert done.returncode == 2
    assert "--faults 'slow=0.1'" in done.stderr
