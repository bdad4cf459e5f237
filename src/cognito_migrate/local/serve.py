"""``local serve``: run the local Cognito in the foreground until Ctrl-C or SIGTERM."""

from __future__ import annotations

import logging
import signal
import threading
from collections.abc import Callable
from dataclasses import dataclass
from types import FrameType

from cognito_migrate.local.server import LocalCognito


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
) -> None:
    """Serve until SIGINT/SIGTERM (or until ``stop`` is set, for callers that run this in a thread)."""
    stop = stop or threading.Event()
    with LocalCognito(host=host, port=port) as local:
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
