"""Injected faults (guard order 10): throttles, 5xx answers and dropped connections, on purpose.

A migration must survive what a real Cognito does on a bad day. With
``LocalCognito(faults=FaultPlan(throttle=0.1, server_error=0.05, drop=0.02, seed=7))`` or
``local serve --faults throttle=0.1,5xx=0.05,drop=0.02 --fault-seed 7``, that share of cognito-idp calls
is answered ``TooManyRequestsException`` (HTTP 400), ``InternalErrorException`` (HTTP 500), or not at
all (the connection is closed).

By default the fault is decided *before* the call reaches moto, so a faulty call never half-applies.
``after_success=True`` makes 5xx answers and dropped connections happen *after* moto applied the call
(the nastier case: the user exists but the client never heard so, and its retry meets
UsernameExistsException). Throttles are always decided first, as Cognito throttles before working.

The dice are a seeded ``random.Random``: with sequential calls the same seed injects the same faults.
"""

from __future__ import annotations

import random
import threading
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, NoReturn

from cognito_migrate.errors import ConfigError
from cognito_migrate.local.throttling import rate_exceeded
from cognito_migrate.local.wire import ApiCall, CognitoError, DropConnection, Reply

if TYPE_CHECKING:
    from cognito_migrate.local.app import Forward, LocalCognitoApp

ORDER = 10

THROTTLE = "throttle"
SERVER_ERROR = "server_error"
DROP = "drop"
KINDS = (THROTTLE, SERVER_ERROR, DROP)

# Names accepted by ``--faults``; "5xx" is what users type for server errors.
_FLAG_NAMES = {"throttle": THROTTLE, "5xx": SERVER_ERROR, "server_error": SERVER_ERROR, "drop": DROP}
_AFTER_SUCCESS_FLAGS = frozenset({"after_success", "after-success"})


def internal_error() -> CognitoError:
    # AWS's code and status; the message text is UNVERIFIED.
    return CognitoError("InternalErrorException", "Internal server error.", status=500)


@dataclass(frozen=True)
class FaultPlan:
    """Shares (0–1) of cognito-idp calls to fail, by kind; together at most 1."""

    throttle: float = 0.0
    server_error: float = 0.0
    drop: float = 0.0
    seed: int | None = None
    after_success: bool = False

    def __post_init__(self) -> None:
        for kind in KINDS:
            share = getattr(self, kind)
            if isinstance(share, bool) or not isinstance(share, int | float) or not 0.0 <= share <= 1.0:
                raise ConfigError(f"fault share {kind}={share!r}: expected a number from 0 to 1")
        if self.throttle + self.server_error + self.drop > 1.0 + 1e-9:
            raise ConfigError("fault shares add up to more than 1")

    @classmethod
    def parse(cls, text: str, *, seed: int | None = None) -> FaultPlan:
        """``"throttle=0.1,5xx=0.05,drop=0.02[,after-success]"`` as a plan.

        >>> FaultPlan.parse("5xx=0.5,after-success", seed=1)
        FaultPlan(throttle=0.0, server_error=0.5, drop=0.0, seed=1, after_success=True)
        """
        shares: dict[str, float] = {}
        after_success = False
        for item in (part.strip() for part in text.split(",")):
            if not item:
                continue
            if item.lower() in _AFTER_SUCCESS_FLAGS:
                after_success = True
                continue
            name, sep, value = item.partition("=")
            kind = _FLAG_NAMES.get(name.strip().lower())
            if not sep or kind is None:
                raise ConfigError(
                    f"--faults {item!r}: expected KIND=SHARE with KIND one of throttle, 5xx, drop "
                    "(and optionally after-success), for example throttle=0.1,5xx=0.05"
                )
            try:
                shares[kind] = float(value)
            except ValueError:
                message = f"--faults {item!r}: {value.strip()!r} is not a number from 0 to 1"
                raise ConfigError(message) from None
        return cls(**shares, seed=seed, after_success=after_success)


@dataclass
class FaultInjector:
    """The guard that rolls the dice for every cognito-idp call and counts what it injected."""

    plan: FaultPlan
    _random: random.Random = field(init=False, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, init=False, repr=False)
    _counts: dict[str, int] = field(default_factory=lambda: dict.fromkeys(KINDS, 0), init=False)

    def __post_init__(self) -> None:
        self._random = random.Random(self.plan.seed)  # noqa: S311 - test dice, not cryptography

    def _roll(self) -> str | None:
        with self._lock:
            roll = self._random.random()
        bound = 0.0
        for kind in KINDS:
            bound += getattr(self.plan, kind)
            if roll < bound:
                return kind
        return None

    def _inject(self, kind: str) -> NoReturn:
        with self._lock:
            self._counts[kind] += 1
        if kind == THROTTLE:
            raise rate_exceeded()
        if kind == SERVER_ERROR:
            raise internal_error()
        raise DropConnection()

    def counts(self) -> dict[str, int]:
        """Faults injected so far, by kind (``throttle``, ``server_error``, ``drop``)."""
        with self._lock:
            return dict(self._counts)

    def __call__(self, call: ApiCall, forward: Forward) -> Reply:
        kind = self._roll()
        if kind is None:
            return forward(call)
        if kind == THROTTLE or not self.plan.after_success:
            self._inject(kind)
        reply = forward(call)
        if not reply.ok:
            return reply  # nothing was applied: losing this answer would be an ordinary fault
        self._inject(kind)


def install(app: LocalCognitoApp, plan: FaultPlan) -> FaultInjector:
    """Inject ``plan``'s faults into every cognito-idp call that reaches ``app`` over HTTP."""
    injector = FaultInjector(plan)
    app.guard(injector, order=ORDER)
    return injector
