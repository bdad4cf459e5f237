"""How closely the rate limiter holds a configured quota: achieved rate ÷ configured rate, in one run.

(a) in-process: N threads call ``RateLimiter.acquire("AdminCreateUser")`` (UserCreation) for a while;
(b) through boto3: N threads call AdminGetUser (UserRead) against a local Cognito on 127.0.0.1 through
    a client paced by the limiter, after measuring how fast the same client goes unpaced.

For each it prints the achieved ÷ configured ratio next to its ceiling (the initial burst adds
``burst / (rate·seconds)``), and the most calls seen in any 1-second sliding window of actual send times
next to ``rate + burst``. Run: ``.venv/bin/python bench/ratelimit_rate.py [--rate 50] [--seconds 5]``.
"""

from __future__ import annotations

import argparse
import bisect
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from cognito_migrate.aws.quotas import QuotaCategory, Quotas
from cognito_migrate.aws.ratelimit import RateLimiter
from cognito_migrate.local import LocalCognito


@dataclass
class Result:
    scenario: str
    configured: float
    burst: float
    seconds: float
    sends: list[float]

    @property
    def achieved(self) -> float:
        return len(self.sends) / self.seconds

    def max_window(self, width: float = 1.0) -> int:
        times = sorted(self.sends)
        return max((bisect.bisect_right(times, t + width) - i for i, t in enumerate(times)), default=0)


def run_threads(threads: int, seconds: float, call: Callable[[], None]) -> tuple[float, list[float]]:
    """Run ``call`` in a loop on ``threads`` threads until ``seconds`` pass; return the start time and
    the moment each call came back."""
    done: list[float] = []
    barrier = threading.Barrier(threads + 1)
    deadline = [0.0]

    def worker() -> None:
        barrier.wait()
        while time.monotonic() < deadline[0]:
            call()
            done.append(time.monotonic())

    pool = [threading.Thread(target=worker, daemon=True) for _ in range(threads)]
    for thread in pool:
        thread.start()
    started = time.monotonic()
    deadline[0] = started + seconds
    barrier.wait()
    for thread in pool:
        thread.join()
    return started, done


def within(times: list[float], started: float, seconds: float) -> list[float]:
    # A call let through after the deadline belongs to no window we measure.
    return [t for t in times if started <= t <= started + seconds]


def in_process(rate: float, threads: int, seconds: float) -> Result:
    quotas = Quotas.from_overrides({"UserCreation": rate})
    limiter = RateLimiter(quotas)
    # ``acquire`` returns when the caller may send, so the return times are the send times.
    started, sends = run_threads(threads, seconds, lambda: limiter.acquire("AdminCreateUser"))
    scenario = f"in-process UserCreation, {threads} threads"
    return Result(scenario, rate, quotas.burst_for(rate), seconds, within(sends, started, seconds))


def through_boto3(rate: float, threads: int, seconds: float, users: int) -> tuple[Result, float]:
    with LocalCognito() as local:  # binds 127.0.0.1 only
        setup = local.client("cognito-idp")
        pool_id = setup.create_user_pool(PoolName="bench-ratelimit")["UserPool"]["Id"]
        names = [f"bench-user-{n}" for n in range(users)]
        for name in names:
            setup.admin_create_user(UserPoolId=pool_id, Username=name, MessageAction="SUPPRESS")

        def get_user(idp: Any, counter: list[int]) -> Callable[[], None]:
            def call() -> None:
                counter[0] += 1
                idp.admin_get_user(UserPoolId=pool_id, Username=names[counter[0] % users])

            return call

        # How fast this machine serves AdminGetUser with no pacing: the ceiling for the paced run.
        unpaced = local.settings().client("cognito-idp", max_pool_connections=threads)
        probe = min(2.0, seconds)
        started, done = run_threads(threads, probe, get_user(unpaced, [0]))
        capacity = len(within(done, started, probe)) / probe

        quotas = Quotas.from_overrides({QuotaCategory.UserRead.value: rate})
        limiter = RateLimiter(quotas)
        paced = local.settings().client("cognito-idp", rate_limiter=limiter, max_pool_connections=threads)
        # Registered last on the limiter's own event, so it runs after the limiter let the attempt
        # through: these are the times the requests went on the wire. (A handler on the more specific
        # "before-send.cognito-idp.AdminGetUser" would run *before* the limiter.)
        sent: list[float] = []

        def record(event_name: str = "", **_: Any) -> None:
            if event_name.endswith(".AdminGetUser"):
                sent.append(time.monotonic())

        paced.meta.events.register_last("before-send.cognito-idp", record)
        started, _ = run_threads(threads, seconds, get_user(paced, [0]))
        assert limiter.stats()["UserRead"].calls == len(sent)
        sends = within(sent, started, seconds)
    scenario = f"boto3 → local AdminGetUser, {threads} threads"
    return Result(scenario, rate, quotas.burst_for(rate), seconds, sends), capacity


def print_table(results: Sequence[Result]) -> None:
    header = ("scenario", "configured", "achieved", "ratio", "ceiling", "max 1-s window", "rate+burst")
    rows = [
        (
            r.scenario,
            f"{r.configured:.1f}/s",
            f"{r.achieved:.1f}/s",
            f"{r.achieved / r.configured:.3f}",
            f"{(r.configured * r.seconds + r.burst) / (r.configured * r.seconds):.3f}",
            str(r.max_window()),
            f"{r.configured + r.burst:g}",
        )
        for r in results
    ]
    widths = [max(len(str(row[i])) for row in [header, *rows]) for i in range(len(header))]
    for row in [header, *rows]:
        print("  ".join(str(cell).ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip())


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rate", type=float, default=50.0, help="UserCreation RPS for (a) (default 50)")
    parser.add_argument("--read-rate", type=float, default=100.0, help="UserRead RPS for (b) (default 100)")
    parser.add_argument("--seconds", type=float, default=5.0, help="length of each paced run (default 5)")
    parser.add_argument("--threads", type=int, default=8, help="worker threads (default 8)")
    parser.add_argument("--users", type=int, default=5, help="users created for (b) (default 5)")
    args = parser.parse_args()

    started = time.monotonic()
    results = [in_process(args.rate, args.threads, args.seconds)]
    boto_result, capacity = through_boto3(args.read_rate, args.threads, args.seconds, args.users)
    results.append(boto_result)
    print_table(results)
    ratio = capacity / args.read_rate
    print(f"\nunpaced AdminGetUser on this machine: {capacity:.0f}/s ({ratio:.1f}× the UserRead rate above)")
    print(f"total run time {time.monotonic() - started:.1f} s")


if __name__ == "__main__":
    main()
