"""Pacing: the token bucket's guarantee, per-pool budgets, and the hook inside real boto3 clients.

No assertion here depends on how fast the machine is: the window property is checked on the grant
times the bucket hands out (a property of the algorithm), and fake clocks make the rest exact.
"""

from __future__ import annotations

import http.server
import itertools
import threading
import time
from collections.abc import Iterator, Sequence

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cognito_migrate.aws.quotas import QuotaCategory, Quotas
from cognito_migrate.aws.ratelimit import CategoryStats, RateLimiter, TokenBucket, _pool_id_of
from cognito_migrate.aws.session import AwsSettings, StaticCredentials
from cognito_migrate.local import LocalCognito

EPSILON = 1e-6


class FakeClock:
    """A clock that only moves when someone sleeps on it (or the test sets it)."""

    def __init__(self, now: float = 0.0) -> None:
        self.now = now
        self.sleeps: list[float] = []
        self._lock = threading.Lock()

    def __call__(self) -> float:
        with self._lock:
            return self.now

    def sleep(self, seconds: float) -> None:
        with self._lock:
            self.sleeps.append(seconds)
            self.now += seconds


def window_violations(grants: Sequence[float], rate: float, burst: float) -> list[tuple[int, int]]:
    """Pairs i<j of sorted grant times where more than ``burst + rate·(t_j − t_i)`` grants fell."""
    times = sorted(grants)
    return [
        (i, j)
        for i, j in itertools.combinations(range(len(times)), 2)
        if j - i + 1 > burst + rate * (times[j] - times[i]) + EPSILON
    ]


def test_eight_threads_on_one_bucket_never_exceed_burst_plus_rate() -> None:
    rate, burst, threads, per_thread = 200.0, 5.0, 8, 50
    bucket = TokenBucket(rate, burst)
    grants: list[float] = []
    late: list[float] = []
    barrier = threading.Barrier(threads)

    def worker() -> None:
        barrier.wait()
        for _ in range(per_thread):
            grant = bucket.acquire()
            grants.append(grant)
            # Never let through before the grant time (1 ms for clock granularity).
            late.append(time.monotonic() - grant)

    pool = [threading.Thread(target=worker) for _ in range(threads)]
    for thread in pool:
        thread.start()
    for thread in pool:
        thread.join(timeout=60)
    assert len(grants) == threads * per_thread
    assert window_violations(grants, rate, burst) == []
    assert min(late) > -1e-3


def test_fake_clock_bucket_is_exact() -> None:
    clock = FakeClock()
    bucket = TokenBucket(10, 3, clock=clock, sleep=clock.sleep)
    # A full bucket lets three through at once, then one every 0.1 s.
    assert [bucket.acquire() for _ in range(5)] == pytest.approx([0, 0, 0, 0.1, 0.2])
    assert clock.sleeps == pytest.approx([0.1, 0.1])
    assert not bucket.try_acquire()
    # Idle for a long time: the bucket refills to its burst, not beyond.
    clock.now = 100.0
    assert [bucket.try_acquire() for _ in range(4)] == [True, True, True, False]
    assert bucket.acquire() == pytest.approx(100.1)


def test_bucket_rejects_impossible_settings() -> None:
    with pytest.raises(ValueError, match="rate > 0"):
        TokenBucket(0)
    with pytest.raises(ValueError, match="burst >= 1"):
        TokenBucket(10, 0.5)


@settings(max_examples=200, deadline=None)
@given(
    rate=st.floats(min_value=0.5, max_value=500),
    burst=st.floats(min_value=1, max_value=20),
    gaps=st.lists(st.floats(min_value=0, max_value=2), min_size=1, max_size=60),
)
def test_any_arrival_pattern_keeps_the_window_and_wastes_no_capacity(
    rate: float, burst: float, gaps: list[float]
) -> None:
    # Callers arrive at the given times and each waits on its own: the clock does not move on sleep.
    clock = FakeClock()
    bucket = TokenBucket(rate, burst, clock=clock, sleep=lambda _: None)
    arrivals = list(itertools.accumulate(gaps))
    grants = []
    for arrival in arrivals:
        clock.now = arrival
        grants.append(bucket.acquire())

    assert window_violations(grants, rate, burst) == []
    assert all(g >= a for g, a in zip(grants, arrivals, strict=True))
    assert grants == sorted(grants)  # first come, first served
    # Nobody waits needlessly: a delayed grant closes a window that is exactly full.
    for k, (grant, arrival) in enumerate(zip(grants, arrivals, strict=True)):
        if grant > arrival + EPSILON:
            assert any(k - i + 1 >= burst + rate * (grant - grants[i]) - EPSILON for i in range(k)), (
                k,
                grants[: k + 1],
            )


def test_unknown_operations_are_not_paced_or_counted() -> None:
    clock = FakeClock()
    limiter = RateLimiter(Quotas.aws_default(), clock=clock, sleep=clock.sleep)
    for _ in range(1000):
        limiter.acquire("SomethingNew")
    assert clock.sleeps == []
    assert limiter.stats() == {}


def test_stats_count_calls_and_waiting_per_category() -> None:
    clock = FakeClock()
    limiter = RateLimiter(Quotas.from_overrides({"UserCreation": 10}), clock=clock, sleep=clock.sleep)
    for _ in range(4):  # burst of 2 (0.2 s at 10/s), then 0.1 s apart
        limiter.acquire("AdminCreateUser")
    limiter.acquire("AdminGetUser")
    stats = limiter.stats()
    assert stats["UserCreation"].calls == 4
    assert stats["UserCreation"].waited_seconds == pytest.approx(0.2)
    assert stats["UserRead"] == CategoryStats(calls=1, waited_seconds=0.0)


def _group_grants(
    limiter: RateLimiter, clock: FakeClock, pools: list[str], rounds: int
) -> dict[str, list[float]]:
    grants: dict[str, list[float]] = {pool: [] for pool in pools}
    for _ in range(rounds):
        for pool in pools:
            limiter.acquire("CreateGroup", pool)
            grants[pool].append(clock.now)
    return grants


def test_each_pool_has_its_own_five_per_second_for_create_group() -> None:
    clock = FakeClock()
    limiter = RateLimiter(Quotas.aws_default(), clock=clock, sleep=clock.sleep)
    grants = _group_grants(limiter, clock, ["pool-a", "pool-b"], rounds=20)
    for times in grants.values():
        assert window_violations(times, 5.0, 1.0) == []
    everything = grants["pool-a"] + grants["pool-b"]
    assert window_violations(everything, 15.0, 3.0) == []
    # Two pools together get twice one pool's budget: 40 groups in about 4 s, not 8.
    assert max(everything) == pytest.approx(19 / 5)


def test_many_pools_share_the_category_budget() -> None:
    clock = FakeClock()
    limiter = RateLimiter(Quotas.aws_default(), clock=clock, sleep=clock.sleep)
    pools = [f"pool-{n}" for n in range(6)]  # 6 × 5/s would be 30/s; the category allows 15/s
    grants = _group_grants(limiter, clock, pools, rounds=10)
    everything = [t for times in grants.values() for t in times]
    assert window_violations(everything, 15.0, 3.0) == []
    for times in grants.values():
        assert window_violations(times, 5.0, 1.0) == []
    assert max(everything) >= (60 - 3) / 15 - EPSILON


def test_per_pool_budget_does_not_apply_to_account_level_categories() -> None:
    clock = FakeClock()
    limiter = RateLimiter(Quotas.aws_default(), clock=clock, sleep=clock.sleep)
    for _ in range(10):  # UserCreation: 50/s, burst 10, no per-pool limit
        limiter.acquire("AdminCreateUser", "pool-a")
    assert clock.sleeps == []


class _Request:
    def __init__(self, body: object) -> None:
        self.body = body


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (b'{"UserPoolId": "us-east-1_abc", "GroupName": "g"}', "us-east-1_abc"),
        ('{"UserPoolId": "us-east-1_abc"}', "us-east-1_abc"),
        (b'{"GroupName": "g"}', None),
        (b'{"UserPoolId": 7}', None),
        (b"[1, 2]", None),
        (b"not json", None),
        (b"\xff\xfe", None),
        (b"", None),
        (None, None),
    ],
)
def test_pool_id_is_read_from_the_json_body_and_garbage_is_ignored(
    body: object, expected: str | None
) -> None:
    assert _pool_id_of(_Request(body)) == expected
    assert _pool_id_of(object()) is None


# --- through real boto3 --------------------------------------------------------------------------------


def test_boto3_calls_are_counted_under_their_category_and_still_succeed(local_cognito: LocalCognito) -> None:
    limiter = RateLimiter(Quotas.from_overrides({"UserPoolRead": 20}))
    idp = local_cognito.settings().client("cognito-idp", rate_limiter=limiter)
    pool_id = idp.create_user_pool(PoolName="ratelimit-counted")["UserPool"]["Id"]
    for _ in range(15):
        assert idp.describe_user_pool(UserPoolId=pool_id)["UserPool"]["Id"] == pool_id
        assert "UserPools" in idp.list_user_pools(MaxResults=60)
    stats = limiter.stats()
    assert stats["UserPoolRead"].calls == 30
    assert stats["UserPoolUpdate"].calls == 1


def test_boto3_per_pool_pacing_reads_the_pool_id(local_cognito: LocalCognito) -> None:
    clock = FakeClock()
    limiter = RateLimiter(Quotas.aws_default(), clock=clock, sleep=clock.sleep)
    idp = local_cognito.settings().client("cognito-idp", rate_limiter=limiter)
    pool_a, pool_b = (idp.create_user_pool(PoolName=f"ratelimit-{n}")["UserPool"]["Id"] for n in "ab")
    clock.sleeps.clear()
    for n in range(3):
        idp.create_group(UserPoolId=pool_a, GroupName=f"g{n}")
    # Pool A's CreateGroup is held to 5/s: two waits of 0.2 s on the (fake) clock.
    assert clock.sleeps == pytest.approx([0.2, 0.2])
    idp.create_group(UserPoolId=pool_b, GroupName="g0")  # pool B has its own budget: no wait
    assert clock.sleeps == pytest.approx([0.2, 0.2])
    assert limiter.stats()["UserPoolResourceUpdate"].calls == 4
    assert len(idp.list_groups(UserPoolId=pool_a)["Groups"]) == 3


class _AlwaysFailing(http.server.BaseHTTPRequestHandler):
    """Answers every request with a retryable 500 and counts the attempts."""

    attempts = 0

    def do_POST(self) -> None:
        type(self).attempts += 1
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        body = b'{"__type":"InternalErrorException","message":"try again"}'
        self.send_response(500)
        self.send_header("Content-Type", "application/x-amz-json-1.1")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def failing_endpoint() -> Iterator[str]:
    _AlwaysFailing.attempts = 0
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _AlwaysFailing)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


def test_every_http_attempt_spends_quota_retries_included(failing_endpoint: str) -> None:
    limiter = RateLimiter(Quotas.aws_default())
    aws = AwsSettings(
        region="us-east-1",
        endpoint_url=failing_endpoint,
        credentials=StaticCredentials("testing", "testing"),
        max_attempts=3,
    )
    idp = aws.client("cognito-idp", rate_limiter=limiter)
    with pytest.raises(idp.exceptions.InternalErrorException):
        idp.describe_user_pool(UserPoolId="us-east-1_missing")
    # The server saw the first attempt and the retries; the limiter paced each one of them.
    assert _AlwaysFailing.attempts > 1
    assert limiter.stats()["UserPoolRead"].calls == _AlwaysFailing.attempts
    assert set(limiter.stats()) == {QuotaCategory.UserPoolRead.value}
