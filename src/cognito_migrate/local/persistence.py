"""``local serve --state FILE``: the local Cognito's state kept across restarts.

What is kept: moto's state for cognito-idp (pools, users with their passwords, groups and memberships,
clients), IAM (the import-job roles), CloudWatch Logs (import-job logs), Lambda (trigger functions) and
DynamoDB (staging tables), plus ``app.state`` (the extensions' own state, e.g. import jobs).

How: moto's backends are plain Python objects, so they are pickled, with three adjustments:

- back-references from one service to another (a Lambda function points at the Logs backend) are saved
  as *names* and resolved to the live backends on load, so nothing is duplicated;
- objects pickle cannot handle are rebuilt: a user pool's signing key (joserfc ``RSAKey``, saved as its
  JWK), locks (a fresh lock), weak-value dicts and defaultdicts with a lambda factory;
- loading *merges* into the live backends (a pool from the file joins the pools already there; one
  that is already there stays as it is), because moto's state is per process: a server started in a
  process that already serves pools must not wipe them. A fresh ``local serve`` process starts empty,
  so there merging is restoring.

**A pickle file is code**: loading one runs whatever it says. The file is written 0600 and loading
refuses a file that is not ours, that other users could have written, or that an unknown format
version or another moto version wrote. Keep the state file private; never load one you were sent.
"""

from __future__ import annotations

import collections
import io
import json
import logging
import os
import pickle
import stat
import tempfile
import threading
import weakref
from collections.abc import Callable, Iterator, Mapping, MutableMapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

from cognito_migrate.errors import ConfigError

if TYPE_CHECKING:
    from cognito_migrate.local.app import LocalCognitoApp

log = logging.getLogger(__name__)

MAGIC = b"cognito-migrate local state\n"
FORMAT_VERSION = 1

# moto service names (as ``moto.backends.get_backend`` knows them) whose state is kept.
SERVICES = ("cognito-idp", "iam", "logs", "lambda", "dynamodb")
# Attributes rebuilt by moto itself and large: never saved.
_SKIP_ATTRIBUTES = {"iam": frozenset({"aws_managed_policies"})}


def _backends_of(service: str) -> Any:
    """moto's BackendDict for a service name (``get_backend`` is typed for literal names only)."""
    from moto.backends import get_backend

    return cast("Callable[[str], Any]", get_backend)(service)


def _moto_version() -> str:
    import moto

    return str(moto.__version__)


# ── saving ────────────────────────────────────────────────────────────────────────────────────────────


def _backend_registry() -> tuple[dict[int, tuple[str, ...]], list[Any]]:
    """Every live moto backend object by ``id()``, with the name it can be found again by."""
    from moto.core.base_backend import BackendDict

    names: dict[int, tuple[str, ...]] = {}
    keep_alive: list[Any] = []
    instances: list[Any] = getattr(BackendDict, "_instances", [])  # moto's registry of used services
    for backends in list(instances):
        service = str(backends.service_name)
        names[id(backends)] = ("services", service)
        keep_alive.append(backends)
        for account, per_account in list(backends.items()):
            names[id(per_account)] = ("account", service, account)
            for region, backend in list(dict.items(per_account)):
                names[id(backend)] = ("backend", service, account, region)
    return names, keep_alive


_KEYS: dict[str, Any] = {}


def _rsa_key(jwk_dict: dict[str, Any]) -> Any:
    """A pool's signing key from its JWK. Building an RSA private key is slow (~0.1 s) and moto gives
    every pool the same bundled key, so equal keys are built once and shared."""
    from joserfc import jwk

    cache_key = json.dumps(jwk_dict, sort_keys=True)
    key = _KEYS.get(cache_key)
    if key is None:
        key = _KEYS[cache_key] = jwk.RSAKey.import_key(jwk_dict)
    return key


def _weak_values(items: dict[Any, Any]) -> weakref.WeakValueDictionary[Any, Any]:
    return weakref.WeakValueDictionary(items)


def _defaultdict(factory: Callable[[], Any] | None, items: dict[Any, Any]) -> dict[Any, Any]:
    return collections.defaultdict(factory, items)


_LOCK_TYPES = (type(threading.Lock()), type(threading.RLock()))


def _picklable_factory(factory: Any) -> Callable[[], Any] | None:
    """A factory pickle can name: the original, or the type of what it makes (``lambda: {}`` → dict)."""
    if factory is None:
        return None
    try:
        pickle.dumps(factory)
        return factory  # type: ignore[no-any-return]
    except (pickle.PicklingError, AttributeError, TypeError):
        made = type(factory())
        if made in (dict, list, set, collections.OrderedDict):
            return made
        raise


class _StatePickler(pickle.Pickler):
    def __init__(self, file: io.BytesIO, registry: dict[int, tuple[str, ...]]) -> None:
        super().__init__(file, protocol=pickle.HIGHEST_PROTOCOL)
        self._registry = registry

    def persistent_id(self, obj: Any) -> Any:
        return self._registry.get(id(obj))

    def reducer_override(self, obj: Any) -> Any:
        kind = type(obj)
        if kind in _LOCK_TYPES:
            return kind, ()  # a fresh, unlocked lock of the same kind
        if kind.__name__ == "RSAKey" and kind.__module__.startswith("joserfc"):
            return _rsa_key, (obj.as_dict(private=True),)
        if isinstance(obj, weakref.WeakValueDictionary):
            return _weak_values, (dict(obj),)
        if kind is collections.defaultdict:
            return _defaultdict, (_picklable_factory(obj.default_factory), dict(obj))
        return NotImplemented


def _collect_backends() -> dict[str, dict[str, dict[str, dict[str, Any]]]]:
    """{service: {account: {region: attributes}}} for the kept services' live backends."""
    collected: dict[str, dict[str, dict[str, dict[str, Any]]]] = {}
    for service in SERVICES:
        skip = _SKIP_ATTRIBUTES.get(service, frozenset())
        backends = _backends_of(service)
        for account, per_account in list(backends.items()):
            for region, backend in list(dict.items(per_account)):
                attributes = {k: v for k, v in vars(backend).items() if k not in skip}
                collected.setdefault(service, {}).setdefault(account, {})[region] = attributes
    return collected


def _picklable_app_state(state: Mapping[str, Any], registry: dict[int, tuple[str, ...]]) -> dict[str, Any]:
    """The extensions' state entries that pickle; any other is left out with a warning."""
    kept: dict[str, Any] = {}
    for key, value in state.items():
        try:
            _StatePickler(io.BytesIO(), registry).dump(value)
        except Exception as exc:  # any failure means "cannot be kept"; the warning names it
            log.warning("local state: extension state %r is not saved (%s: %s)", key, type(exc).__name__, exc)
            continue
        kept[key] = value
    return kept


def dump_state(app: LocalCognitoApp) -> bytes:
    """The whole state as bytes in this module's file format."""
    with app.moto_lock:
        registry, _alive = _backend_registry()
        payload = {"backends": _collect_backends(), "app_state": _picklable_app_state(app.state, registry)}
        buffer = io.BytesIO()
        _StatePickler(buffer, registry).dump(payload)
    header = json.dumps({"format": FORMAT_VERSION, "moto": _moto_version()}).encode() + b"\n"
    return MAGIC + header + buffer.getvalue()


def save_state(app: LocalCognitoApp, path: Path) -> None:
    """Write the state to ``path`` atomically (temp file + rename), readable only by its owner."""
    data = dump_state(app)
    path = Path(path)
    fd, temp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent or Path("."))
    try:
        os.fchmod(fd, 0o600)  # mkstemp already makes it 0600; say so explicitly, it holds passwords
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temp_name, path)
    except BaseException:
        Path(temp_name).unlink(missing_ok=True)
        raise


# ── loading ───────────────────────────────────────────────────────────────────────────────────────────


class _StateUnpickler(pickle.Unpickler):
    def persistent_load(self, pid: Any) -> Any:
        kind, service, *rest = pid
        backends = _backends_of(service)
        if kind == "services":
            return backends
        if kind == "account":
            return backends[rest[0]]
        if kind == "backend":
            return backends[rest[0]][rest[1]]
        raise pickle.UnpicklingError(f"unknown reference in state file: {kind!r}")


def _check_file(path: Path) -> None:
    """Refuse a file other users could have written: loading a pickle runs code."""
    info = path.stat()
    if hasattr(os, "getuid") and info.st_uid != os.getuid():
        raise ConfigError(f"--state {path}: the file belongs to another user; refusing to load it")
    if info.st_mode & (stat.S_IWGRP | stat.S_IWOTH):
        raise ConfigError(
            f"--state {path}: other users can write this file; refusing to load it "
            f"(run `chmod 600 {path}` if you trust its content)"
        )


def read_state(path: Path) -> dict[str, Any]:
    """The payload of a state file this tool wrote, or ConfigError saying why it cannot be used."""
    path = Path(path)
    _check_file(path)
    data = path.read_bytes()
    if not data.startswith(MAGIC):
        raise ConfigError(f"--state {path}: not a cognito-migrate local state file")
    header_line, _, body = data[len(MAGIC) :].partition(b"\n")
    try:
        header = json.loads(header_line)
    except ValueError:
        raise ConfigError(f"--state {path}: the file's header is damaged") from None
    if not isinstance(header, dict):
        raise ConfigError(f"--state {path}: the file's header is damaged")
    version = header.get("format")
    if version != FORMAT_VERSION:
        raise ConfigError(
            f"--state {path}: state format version {version!r} is not supported (this cognito-migrate "
            f"reads version {FORMAT_VERSION}); start without --state or with a new file"
        )
    if header.get("moto") != _moto_version():
        # moto's objects are saved as they are; another moto version may read them wrongly.
        raise ConfigError(
            f"--state {path}: written with moto {header.get('moto')}, this install has moto "
            f"{_moto_version()}; start with a new state file"
        )
    try:
        payload = _StateUnpickler(io.BytesIO(body)).load()
    except Exception as exc:
        raise ConfigError(f"--state {path}: the state cannot be read ({type(exc).__name__}: {exc})") from exc
    if not isinstance(payload, dict):
        raise ConfigError(f"--state {path}: unexpected content")
    return payload


def _is_empty(value: Any) -> bool:
    return value is None or (isinstance(value, list | tuple | set | dict | MutableMapping) and not value)


def _merge_object(live: Any, saved: Mapping[str, Any], depth: int = 0) -> None:
    """Merge saved attributes into a live object: saved map entries are added where the live map has
    no such key (a live pool wins over its saved copy: extensions may hold references to it), empty
    live values are replaced, containers such as moto's LambdaStorage are merged the same way one
    level down, and anything else already set (names, Regions) stays."""
    from moto.core.common_models import BaseModel

    for name, value in saved.items():
        current = getattr(live, name, None)
        if _is_empty(current):
            setattr(live, name, value)
        elif isinstance(current, MutableMapping) and isinstance(value, Mapping):
            for key, item in value.items():
                if key not in current:
                    current[key] = item
        elif (
            depth == 0
            and type(current) is type(value)
            and hasattr(value, "__dict__")
            and not isinstance(value, BaseModel)
        ):
            _merge_object(current, vars(value), depth + 1)


def _iter_saved(backends: Mapping[str, Any]) -> Iterator[tuple[str, str, str, Mapping[str, Any]]]:
    for service, accounts in backends.items():
        for account, regions in accounts.items():
            for region, attributes in regions.items():
                yield service, account, region, attributes


def check_state_path(path: Path) -> None:
    """Fail at start, not at stop, when the state file could not be written."""
    parent = Path(path).parent
    if not parent.is_dir():
        raise ConfigError(f"--state {path}: the directory {parent} does not exist")
    if Path(path).is_dir():
        raise ConfigError(f"--state {path}: is a directory; give a file name")


def load_state(app: LocalCognitoApp, path: Path) -> None:
    """Merge a state file into the live backends and ``app.state``."""
    payload = read_state(path)
    with app.moto_lock:
        for service, account, region, attributes in _iter_saved(payload.get("backends", {})):
            _merge_object(_backends_of(service)[account][region], attributes)
        for key, value in payload.get("app_state", {}).items():
            _restore_extension_state(app.state, key, value)


def _restore_extension_state(state: dict[str, Any], key: str, value: Any) -> None:
    """Put a saved extension state back, *in place* when the extension already made its own object
    (it may hold a reference to it since ``install``): dicts are updated, objects get the saved
    attributes; anything else is replaced."""
    current = state.get(key)
    if isinstance(current, dict) and isinstance(value, dict):
        current.update(value)
    elif current is not None and type(current) is type(value) and hasattr(current, "__dict__"):
        vars(current).update(vars(value))
    else:
        state[key] = value
