"""What the migrate-user handler costs besides hashing, and what its cold start imports cost.

Warm path: ``MigrateUser`` (the handler with its settings and client given) answers N
``UserMigration_Authentication`` events for a user staged with a bcrypt cost-4 hash, in-process, with
a dict-backed stand-in for the DynamoDB client (the bench measures the handler, not a network). The
same N passwords then go through ``bcrypt.checkpw`` alone. Rounds alternate the two and the fastest
round of each counts. Prints ms per call for both, their difference and ratio, and the overhead
measured directly: the handler again with ``bcrypt.checkpw`` replaced by ``lambda *_: True`` (the
difference of two noisy ~1.7 ms figures is smaller than their noise). Cost 4 is the cheapest
bcrypt, so the ratio is the worst case; at the cost-10 to 12 hashes real user tables hold, checkpw
is 64 to 256 times slower and the overhead vanishes.

Cold start: the function's zip is built for this machine (``trigger.build``; wheels from the index
the first time, then from ``~/.cache/cognito-migrate/wheels``) and unpacked, and fresh
``python -I -S`` processes with only that directory added time ``import
cognito_migrate.trigger.handler`` and the first-use imports of bcrypt, argon2 and libpass's
sha512_crypt (median of ``--starts``).

Run: ``.venv/bin/python bench/trigger_overhead.py [--calls 1000] [--rounds 5] [--starts 7]``.
"""

from __future__ import annotations

import argparse
import platform
import statistics
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path
from typing import Any

import bcrypt

from cognito_migrate.trigger import layout
from cognito_migrate.trigger.build import build_function_zip
from cognito_migrate.trigger.handler import AUTHENTICATION, MigrateUser, Settings

PASSWORD = "Legacy-pass1!"  # noqa: S105 - a made-up test password


class FakeTable:
    """``get_item`` over a dict, answering as boto3's DynamoDB client does."""

    def __init__(self, items: dict[str, dict[str, Any]]) -> None:
        self.items = items

    def get_item(self, TableName: str, Key: dict[str, dict[str, str]]) -> dict[str, Any]:
        item = self.items.get(Key[layout.KEY]["S"])
        return {"Item": item} if item is not None else {}


def staged_item(username: str, stored_hash: str) -> dict[str, Any]:
    return {
        layout.KEY: {"S": layout.user_key(username, False)},
        layout.USERNAME: {"S": username},
        layout.HASH: {"S": stored_hash},
        layout.ATTRIBUTES: {
            "M": {"email": {"S": f"{username}@example.com"}, "email_verified": {"S": "true"}}
        },
        layout.ALIASES: {"M": {"email": {"S": f"{username}@example.com"}}},
        layout.GROUPS: {"L": [{"S": "staff"}]},
    }


def time_handler(handler: MigrateUser, calls: int) -> float:
    started = time.perf_counter()
    for _ in range(calls):
        event = {"triggerSource": AUTHENTICATION, "userName": "alice", "request": {"password": PASSWORD}}
        answer = handler(event)
        assert answer["response"]["finalUserStatus"] == "CONFIRMED"
    return time.perf_counter() - started


def time_checkpw(stored_hash: bytes, calls: int) -> float:
    password = PASSWORD.encode()
    started = time.perf_counter()
    for _ in range(calls):
        assert bcrypt.checkpw(password, stored_hash)
    return time.perf_counter() - started


_IMPORT = """
import sys, time
sys.path.insert(0, sys.argv[1])
started = time.perf_counter()
import cognito_migrate.trigger.handler
handler = time.perf_counter() - started
times = [handler]
for statement in (
    "import bcrypt", "from argon2 import PasswordHasher", "from passlib.hash import sha512_crypt"
):
    started = time.perf_counter()
    exec(statement)
    times.append(time.perf_counter() - started)
print(" ".join(str(t) for t in times))
"""
_IMPORT_NAMES = ("cognito_migrate.trigger.handler", "bcrypt (first use)", "argon2", "libpass sha512_crypt")


def cold_imports(starts: int) -> tuple[list[float], list[float], int]:
    """Median import times without ``.pyc`` files (as on Lambda: the zip has none and /var/task is
    read-only, so every cold start compiles) and with them (written by a first run here)."""
    architecture = {"aarch64": "arm64"}.get(platform.machine(), platform.machine())
    with tempfile.TemporaryDirectory() as tmp:
        built = build_function_zip(
            Path(tmp) / "function.zip", runtime=f"python3.{sys.version_info.minor}", architecture=architecture
        )
        unpacked = Path(tmp) / "unpacked"
        with zipfile.ZipFile(built.path) as archive:
            archive.extractall(unpacked)
        medians = []
        for flags in (["-B"], []):  # -B first: nothing is written, so each run compiles
            runs = []
            for _ in range(starts):
                done = subprocess.run(
                    [sys.executable, "-I", "-S", *flags, "-c", _IMPORT, str(unpacked)],
                    capture_output=True,
                    text=True,
                    check=True,
                )
                runs.append([float(value) for value in done.stdout.split()])
            medians.append([statistics.median(column) for column in zip(*runs, strict=True)])
    return medians[0], medians[1], built.size


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--calls", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--starts", type=int, default=7)
    args = parser.parse_args()

    stored = bcrypt.hashpw(PASSWORD.encode(), bcrypt.gensalt(4))
    table = FakeTable({layout.user_key("alice", False): staged_item("alice", stored.decode())})
    handler = MigrateUser(Settings(table="staging"), table)
    time_handler(handler, 20)  # warm-up: first-use imports, caches
    time_checkpw(stored, 20)
    handler_best = checkpw_best = float("inf")
    for _ in range(args.rounds):
        handler_best = min(handler_best, time_handler(handler, args.calls))
        checkpw_best = min(checkpw_best, time_checkpw(stored, args.calls))
    # The handler's own work measured directly: checkpw made free, everything else as in a real call.
    real_checkpw = bcrypt.checkpw
    bcrypt.checkpw = lambda password, hashed: True
    try:
        stubbed_best = min(time_handler(handler, args.calls) for _ in range(args.rounds))
    finally:
        bcrypt.checkpw = real_checkpw
    per_handler = handler_best / args.calls * 1000
    per_checkpw = checkpw_best / args.calls * 1000
    print(f"warm path, bcrypt cost 4, {args.calls:,} calls, best of {args.rounds} rounds")
    print(f"  handler (fake DynamoDB)   {per_handler:8.4f} ms/call")
    print(f"  bcrypt.checkpw alone      {per_checkpw:8.4f} ms/call")
    per_stubbed = stubbed_best / args.calls * 1000
    print(f"  overhead (difference)     {per_handler - per_checkpw:8.4f} ms/call")
    print(f"  handler, checkpw stubbed  {per_stubbed:8.4f} ms/call (overhead, direct)")
    print(f"  handler ÷ checkpw         {per_handler / per_checkpw:8.3f} (noise can put it under 1)")
    print(f"  (checkpw + direct) ÷ checkpw {(per_checkpw + per_stubbed) / per_checkpw:5.3f}")

    compiling, cached, size = cold_imports(args.starts)
    print(f"cold start from the unpacked zip ({size / 1024:,.0f} KiB), python -I -S, median of {args.starts}")
    print(f"  {'':<41} {'no .pyc':>8}   {'.pyc':>8}")
    for name, slow, fast in zip(_IMPORT_NAMES, compiling, cached, strict=True):
        print(f"  import {name:<34} {slow * 1000:8.2f}   {fast * 1000:8.2f} ms")


if __name__ == "__main__":
    main()
