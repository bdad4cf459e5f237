"""The local Cognito in a process of its own, as Cognito is to a real run: its memory and its work are
not the measured client's."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from cognito_migrate.aws.session import AwsSettings, StaticCredentials


@dataclass
class LocalProcess:
    endpoint_url: str
    region: str

    def settings(self) -> AwsSettings:
        return AwsSettings(region=self.region, endpoint_url=self.endpoint_url,
                           credentials=StaticCredentials("testing", "testing"))  # fmt: skip


@contextmanager
def local_cognito_process(*, quotas: str | None = None) -> Iterator[LocalProcess]:
    """``cognito-migrate local serve`` (with ``--quotas`` when given) on a free port, until the block ends."""
    command = [sys.executable, "-c", "from cognito_migrate.cli import run; run()", "--json", "local", "serve",
               "--port", "0"]  # fmt: skip
    server = subprocess.Popen(
        [*command, *(["--quotas", quotas] if quotas else [])], stdout=subprocess.PIPE, text=True
    )
    try:
        assert server.stdout is not None
        info = json.loads(server.stdout.readline())
        yield LocalProcess(info["endpoint_url"], info["region"])
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=30)
