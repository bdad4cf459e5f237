"""The local Cognito's WSGI application: moto's server with hooks where moto falls short.

Every cognito-idp call passes a chain before moto sees it::

    guards (faults, quotas)  →  hooks for its action, by order  →  moto (under one lock)

A hook is ``handler(call, forward) -> Reply``: it may check or rewrite the call and ``forward`` it,
look at moto's reply and change what follows (a post-authentication trigger), or answer by itself (an
action moto lacks, such as CreateUserImportJob). Extensions register hooks, guards and raw routes in
their ``install(app)``; ``local/extensions.py`` lists them. Other services go to moto untouched.
"""

from __future__ import annotations

import io
import json
import logging
import socket
import threading
from collections.abc import Callable, Iterable
from typing import Any

from cognito_migrate.local.wire import (
    TARGET_PREFIX,
    ApiCall,
    CognitoError,
    DropConnection,
    RawRequest,
    Reply,
    account_from_headers,
    region_from_headers,
)

Forward = Callable[[ApiCall], Reply]
Handler = Callable[[ApiCall, Forward], Reply]
RouteHandler = Callable[[RawRequest], Reply]
StartResponse = Callable[..., Any]

log = logging.getLogger(__name__)


class LocalCognitoApp:
    """Routes requests to extensions and to moto. One instance per running local Cognito."""

    def __init__(self, moto_app: Callable[[dict[str, Any], StartResponse], Iterable[bytes]]) -> None:
        self._moto = moto_app
        self._hooks: dict[str, list[tuple[int, Handler]]] = {}
        self._guards: list[tuple[int, Handler]] = []
        self._routes: list[tuple[str, RouteHandler]] = []
        # moto's backends are plain dicts and lists, not safe under concurrent writes: every moto call,
        # from a request or from an extension's own thread, holds this lock. Never hold it while
        # waiting on something slow (a trigger's process), or the whole server stalls.
        self.moto_lock = threading.RLock()
        # Extension state, by extension name; persisted with moto's state by `local serve --state`.
        self.state: dict[str, Any] = {}
        self.endpoint_url = ""  # set by LocalCognito once the port is known

    # ── registration ────────────────────────────────────────────────────────────────────────────

    def on(self, action: str, handler: Handler, *, order: int = 50) -> None:
        """Run ``handler`` for every ``action`` call; lower ``order`` runs first (further from moto)."""
        self._hooks.setdefault(action, []).append((order, handler))
        self._hooks[action].sort(key=lambda item: item[0])

    def guard(self, handler: Handler, *, order: int = 50) -> None:
        """Run ``handler`` for every cognito-idp call that arrives over HTTP (quotas, faults)."""
        self._guards.append((order, handler))
        self._guards.sort(key=lambda item: item[0])

    def route(self, path_prefix: str, handler: RouteHandler) -> None:
        """Answer non-API requests whose path starts with ``path_prefix``."""
        self._routes.append((path_prefix, handler))

    # ── dispatch ────────────────────────────────────────────────────────────────────────────────

    def dispatch(self, call: ApiCall) -> Reply:
        """Run a call through its hooks and moto, without guards: for extensions' internal calls."""
        return self._chain([handler for _, handler in self._hooks.get(call.action, [])])(call)

    def _dispatch_from_client(self, call: ApiCall) -> Reply:
        handlers = [handler for _, handler in self._guards]
        handlers += [handler for _, handler in self._hooks.get(call.action, [])]
        return self._chain(handlers)(call)

    def _chain(self, handlers: list[Handler]) -> Forward:
        def step(index: int) -> Forward:
            if index == len(handlers):
                return self.forward_to_moto

            def forward(call: ApiCall) -> Reply:
                try:
                    return handlers[index](call, step(index + 1))
                except CognitoError as exc:
                    return exc.reply()

            return forward

        return step(0)

    def forward_to_moto(self, call: ApiCall) -> Reply:
        body = call.body()
        environ = {
            "REQUEST_METHOD": "POST",
            "PATH_INFO": "/",
            "QUERY_STRING": "",
            "SERVER_NAME": "127.0.0.1",
            "SERVER_PORT": "80",
            "SERVER_PROTOCOL": "HTTP/1.1",
            "wsgi.url_scheme": "http",
            "wsgi.input": io.BytesIO(body),
            "wsgi.errors": io.StringIO(),
            "wsgi.multithread": True,
            "wsgi.multiprocess": False,
            "wsgi.run_once": False,
            "wsgi.version": (1, 0),
            "CONTENT_TYPE": "application/x-amz-json-1.1",
            "CONTENT_LENGTH": str(len(body)),
            "HTTP_HOST": "cognito-idp.amazonaws.com",
            "HTTP_X_AMZ_TARGET": TARGET_PREFIX + call.action,
            "HTTP_AUTHORIZATION": call.headers.get("authorization", ""),
        }
        with self.moto_lock:
            return _call_wsgi(self._moto, environ)

    # ── WSGI ────────────────────────────────────────────────────────────────────────────────────

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        headers = _headers_of(environ)
        target = headers.get("x-amz-target", "")
        path = environ.get("PATH_INFO", "")
        try:
            if target.startswith(TARGET_PREFIX):
                call = ApiCall(
                    action=target.removeprefix(TARGET_PREFIX),
                    params=_json_body(environ),
                    account=account_from_headers(headers),
                    region=region_from_headers(headers),
                    headers=headers,
                )
                reply = self._dispatch_from_client(call)
            else:
                for prefix, handler in self._routes:
                    if path.startswith(prefix):
                        body = _read_body(environ)
                        request = RawRequest(environ["REQUEST_METHOD"], path,
                                             environ.get("QUERY_STRING", ""), headers, body)  # fmt: skip
                        reply = handler(request)
                        break
                else:
                    return self._moto(environ, start_response)
        except CognitoError as exc:
            reply = exc.reply()
        except DropConnection:
            _drop(environ)
            # werkzeug treats this as a client that went away and logs nothing; returning an empty
            # body instead makes it print a "write() before start_response" traceback per drop.
            raise ConnectionAbortedError("connection dropped on purpose") from None
        start_response(f"{reply.status} {_REASONS.get(reply.status, 'Status')}",
                       [*reply.headers, ("Content-Length", str(len(reply.body)))])  # fmt: skip
        return [reply.body]


_REASONS = {200: "OK", 400: "Bad Request", 403: "Forbidden", 404: "Not Found", 500: "Internal Server Error",
            503: "Service Unavailable"}  # fmt: skip


def _headers_of(environ: dict[str, Any]) -> dict[str, str]:
    headers = {
        key[5:].replace("_", "-").lower(): str(value)
        for key, value in environ.items()
        if key.startswith("HTTP_")
    }
    if environ.get("CONTENT_TYPE"):
        headers["content-type"] = str(environ["CONTENT_TYPE"])
    return headers


def _read_body(environ: dict[str, Any]) -> bytes:
    length = int(environ.get("CONTENT_LENGTH") or 0)
    return environ["wsgi.input"].read(length) if length else b""


def _json_body(environ: dict[str, Any]) -> dict[str, Any]:
    raw = _read_body(environ)
    try:
        loaded = json.loads(raw or b"{}")
    except ValueError as exc:
        raise CognitoError("SerializationException", "the request body is not valid JSON") from exc
    if not isinstance(loaded, dict):
        raise CognitoError("SerializationException", "the request body must be a JSON object")
    return loaded


def _call_wsgi(app: Callable[..., Iterable[bytes]], environ: dict[str, Any]) -> Reply:
    captured: dict[str, Any] = {}

    def start_response(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> None:
        captured["status"] = int(status.split(" ", 1)[0])
        captured["headers"] = [(k, v) for k, v in headers if k.lower() != "content-length"]

    chunks = app(environ, start_response)
    try:
        body = b"".join(chunks)
    finally:
        close = getattr(chunks, "close", None)
        if close is not None:
            close()
    return Reply(captured["status"], captured["headers"], body)


def _drop(environ: dict[str, Any]) -> None:
    sock = environ.get("werkzeug.socket")
    if sock is not None:
        try:
            sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            log.debug("socket already closed")
