"""``local serve``: run the local Cognito in the foreground until Ctrl-C or SIGTERM."""

from __future__ import annotations

import logging
import signal
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING

from cognito_migrate.local.server import LocalCognito

if TYPE_CHECKING:
    from cognito_migrate.aws.quotas import Quotas
    from cognito_migrate.local.faults import FaultPlan


@dataclass(frozen=True)
class ServeInfo:
    endpoint_url: str
    region: str
    environment: dict[str, str]


def serve(
    host: str = "127.0.0.1",
    port: int = 4566,
    *,
    verbose: bool = False,
    on_ready: Callable[[ServeInfo], None] = lambda info: None,
    stop: threading.Event | None = None,
    quotas: Quotas | None = None,
    faults: FaultPlan | None = None,
    state_file: Path | None = None,
) -> None:
    """Serve until SIGINT/SIGTERM (or until ``stop`` is set, for callers that run this in a thread).

    With ``state_file``, the state is loaded before serving and written when the server stops,
    including on SIGINT/SIGTERM.
    """
    stop = stop or threading.Event()
    local = LocalCognito(host=host, port=port, quotas=quotas, faults=faults, state_file=state_file)
    with local:
        if verbose:
            logging.basicConfig(level=logging.INFO, format="%(message)s")
            logging.getLogger("werkzeug").setLevel(logging.INFO)
        if threading.current_thread() is threading.main_thread():
            # Before announcing: whoever reads the announcement may signal at once.
            _stop_on_signals(stop)
        on_ready(ServeInfo(local.endpoint_url, local.region, local.environment()))
        # Event.wait in short slices keeps the main thread responsive to signals on every platform.
        while not stop.wait(0.5):
            pass


def _stop_on_signals(stop: threading.Event) -> None:
    def handler(signum: int, frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, handler)
    signal.signal(signal.SIGINT, handler)


QUOTA_PRESETS = ("aws-default", "off")


def guards_from_flags(
    quotas: str | None, quota_flags: tuple[str, ...], faults: str | None, fault_seed: int | None
) -> tuple[Quotas | None, FaultPlan | None]:
    """``--quotas``/``--quota``/``--faults``/``--fault-seed`` as the objects ``serve`` takes.

    ``--quota CATEGORY=RPS`` alone turns quotas on (AWS's defaults with that override).
    """
    from cognito_migrate.aws.quotas import Quotas, parse_quota_flags
    from cognito_migrate.errors import ConfigError
    from cognito_migrate.local.faults import FaultPlan

    enforced: Quotas | None = None
    if quotas == "off" and quota_flags:
        raise ConfigError("--quota needs quotas on: drop --quotas off or use --quotas aws-default")
    if quotas == "aws-default" or quota_flags:
        enforced = Quotas.from_overrides(parse_quota_flags(quota_flags))
    if fault_seed is not None and faults is None:
        raise ConfigError("--fault-seed needs --faults, for example --faults throttle=0.1")
    plan = FaultPlan.parse(faults, seed=fault_seed) if faults is not None else None
    return enforced, plan
