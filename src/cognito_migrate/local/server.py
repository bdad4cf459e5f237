"""Run moto's server in a thread on a loopback address.

moto's own ``ThreadedMotoServer`` binds 0.0.0.0 by default and prints to stdout; this wrapper always
binds loopback, stays quiet, picks a free port when asked for port 0, and keeps the WSGI application in
one place so later layers (import jobs, triggers, quotas, faults) can wrap it.
"""

from __future__ import annotations

import ipaddress
import logging
import socket
import threading
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any

from cognito_migrate.errors import ConfigError

if TYPE_CHECKING:
    from werkzeug.serving import BaseWSGIServer

    from cognito_migrate.aws.quotas import Quotas
    from cognito_migrate.aws.session import AwsSettings
    from cognito_migrate.local.app import LocalCognitoApp
    from cognito_migrate.local.faults import FaultInjector, FaultPlan
    from cognito_migrate.local.throttling import QuotaGuard

# moto accepts any credentials; these make it obvious in a log that nothing real was used.
DUMMY_ACCESS_KEY_ID = "testing"
DUMMY_SECRET_ACCESS_KEY = "testing"  # noqa: S105 - a well-known dummy value, not a secret
LOCAL_REGION = "us-east-1"
LOCAL_ACCOUNT_ID = "123456789012"  # moto's default account

# Services the tool touches: users and pools, the import-job role, job logs, the pre-signed upload,
# the migrate-user function and its staging table.
SERVICES = ("cognito-idp", "iam", "logs", "s3", "lambda", "dynamodb", "sts")


def _require_loopback(host: str) -> None:
    """Refuse to listen anywhere but loopback: the local Cognito accepts any credentials."""
    if host == "localhost":
        return
    try:
        address = ipaddress.ip_address(host)
    except ValueError as exc:
        raise ConfigError(f"--host {host!r}: expected a loopback address such as 127.0.0.1") from exc
    if not address.is_loopback:
        raise ConfigError(
            f"--host {host}: the local Cognito accepts any credentials, so it only listens on loopback "
            "(127.0.0.0/8 or ::1)"
        )


def _quiet_moto() -> None:
    # Werkzeug logs one line per request; moto warns about things a rehearsal does not care about.
    for name in ("werkzeug", "moto", "botocore.credentials"):
        logging.getLogger(name).setLevel(logging.ERROR)


@dataclass
class LocalCognito:
    """A moto server on loopback. Use as a context manager or call ``start()`` / ``stop()``.

    >>> with LocalCognito() as local:                      # doctest: +SKIP
    ...     idp = local.client("cognito-idp")
    ...     idp.create_user_pool(PoolName="rehearsal")

    ``quotas`` enforces Cognito's request rates (``Quotas.aws_default()``), ``faults`` injects
    throttles, 5xx answers and dropped connections (``FaultPlan(throttle=0.1, seed=7)``), and
    ``state_file`` is loaded on start (merged into this process's moto state) and written on stop.
    """

    host: str = "127.0.0.1"
    port: int = 0
    quotas: Quotas | None = None
    faults: FaultPlan | None = None
    state_file: Path | None = None
    app: LocalCognitoApp | None = field(default=None, init=False, repr=False)
    quota_guard: QuotaGuard | None = field(default=None, init=False, repr=False)
    fault_injector: FaultInjector | None = field(default=None, init=False, repr=False)
    _server: BaseWSGIServer | None = field(default=None, init=False, repr=False)
    _thread: threading.Thread | None = field(default=None, init=False, repr=False)

    def start(self) -> LocalCognito:
        if self._server is not None:
            return self
        _require_loopback(self.host)
        _quiet_moto()
        from moto.moto_server.werkzeug_app import (
            DomainDispatcherApplication,
            MotoRequestHandler,
            create_backend_app,
        )
        from werkzeug.serving import make_server

        from cognito_migrate.local.app import LocalCognitoApp
        from cognito_migrate.local.extensions import install_all

        self.app = LocalCognitoApp(DomainDispatcherApplication(create_backend_app))
        install_all(self.app)
        self._install_guards(self.app)
        if self.state_file is not None:
            from cognito_migrate.local.persistence import check_state_path, load_state

            check_state_path(Path(self.state_file))
            if Path(self.state_file).exists():
                load_state(self.app, Path(self.state_file))
        self._check_port_free()
        try:
            self._server = make_server(
                self.host, self.port, self.app, threaded=True, request_handler=MotoRequestHandler
            )
        except (OSError, SystemExit) as exc:  # werkzeug exits on a busy port after printing why
            raise ConfigError(f"cannot listen on {self.host}:{self.port}") from exc
        self.port = int(self._server.server_address[1])
        self.app.endpoint_url = self.endpoint_url
        self._thread = threading.Thread(
            target=self._server.serve_forever, name=f"local-cognito:{self.port}", daemon=True
        )
        self._thread.start()
        return self

    def _install_guards(self, app: LocalCognitoApp) -> None:
        if self.faults is not None:
            from cognito_migrate.local import faults

            self.fault_injector = faults.install(app, self.faults)
        if self.quotas is not None:
            from cognito_migrate.local import throttling

            self.quota_guard = throttling.install(app, self.quotas)

    def save_state(self) -> None:
        """Write the state file now (``stop()`` does it too); a no-op without ``state_file``."""
        if self.state_file is not None and self.app is not None:
            from cognito_migrate.local.persistence import save_state

            save_state(self.app, Path(self.state_file))

    def _check_port_free(self) -> None:
        """Fail with our own message: werkzeug answers a busy port by printing and exiting."""
        if self.port == 0:
            return
        family = socket.AF_INET6 if ":" in self.host else socket.AF_INET
        with socket.socket(family, socket.SOCK_STREAM) as probe:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as werkzeug does
            try:
                probe.bind((self.host, self.port))
            except OSError as exc:
                raise ConfigError(
                    f"cannot listen on {self.host}:{self.port}: {exc.strerror}; "
                    "choose another --port (0 picks a free one)"
                ) from exc

    def stop(self) -> None:
        if self._server is None:
            return
        self._server.shutdown()
        self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=10)
        self._server = None
        self._thread = None
        self.save_state()

    def reset(self) -> None:
        """Forget every pool, user, role and object: the state of a fresh server."""
        from moto.moto_api._internal.models import moto_api_backend

        moto_api_backend.reset()

    @property
    def endpoint_url(self) -> str:
        if self._server is None:
            raise RuntimeError("the local Cognito is not running; call start() first")
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    @property
    def region(self) -> str:
        return LOCAL_REGION

    def environment(self) -> dict[str, str]:
        """The variables that point the AWS CLI and SDKs at this server."""
        return {
            "AWS_ENDPOINT_URL": self.endpoint_url,
            "AWS_ACCESS_KEY_ID": DUMMY_ACCESS_KEY_ID,
            "AWS_SECRET_ACCESS_KEY": DUMMY_SECRET_ACCESS_KEY,
            "AWS_DEFAULT_REGION": LOCAL_REGION,
            "AWS_REGION": LOCAL_REGION,
        }

    def client(self, service: str, **config: Any) -> Any:
        """A boto3 client for ``service`` aimed at this server, with dummy credentials."""
        return self.settings().client(service, **config)

    def settings(self) -> AwsSettings:
        """AWS settings that reach this server whatever the caller's environment says."""
        from cognito_migrate.aws.session import AwsSettings, StaticCredentials

        return AwsSettings(
            region=LOCAL_REGION,
            endpoint_url=self.endpoint_url,
            credentials=StaticCredentials(DUMMY_ACCESS_KEY_ID, DUMMY_SECRET_ACCESS_KEY),
        )

    def __enter__(self) -> LocalCognito:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
