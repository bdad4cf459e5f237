"""Values as legacy databases store them, read the same way whichever database holds them.

Sources select columns without SQLAlchemy types, so each value arrives as the driver returns it
(SQLite: text and integers; PostgreSQL: booleans, arrays, ``datetime``; MySQL: ``TINYINT`` and bytes).
A value that cannot be read raises ``ValueError`` with a message for people; the source turns it into a
``SourceIssue`` for that row alone, so one bad row never stops the rest.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping
from datetime import UTC, date, datetime, time
from decimal import Decimal
from typing import Any

from cognito_migrate.passwords.formats import detect_hash_format
from cognito_migrate.sources.records import PasswordHash, build_password_hash

_TRUE = frozenset({"1", "t", "true", "y", "yes", "on"})
_FALSE = frozenset({"0", "f", "false", "n", "no", "off"})


def truth(value: Any) -> bool:
    """A boolean column's value: booleans, 0/1, and t/f, true/false, yes/no, on/off in any case."""
    if isinstance(value, bool):
        return value
    if isinstance(value, int | Decimal) and value in (0, 1):
        return value == 1
    if isinstance(value, bytes | bytearray | memoryview):
        # MySQL's BIT(1) arrives as one byte.
        raw = bytes(value)
        if raw in (b"\x00", b"\x01"):
            return raw == b"\x01"
        value = raw.decode("utf-8", errors="replace")
    if isinstance(value, str):
        word = value.strip().lower()
        if word in _TRUE:
            return True
        if word in _FALSE:
            return False
    raise ValueError(f"{_show(value)} is not true or false (expected 1/0, t/f, true/false, yes/no)")


def group_names(value: Any) -> tuple[str, ...]:
    """Group names from comma-separated text, a JSON array, or a database array; empty means none."""
    if value is None:
        return ()
    if isinstance(value, bytes | bytearray | memoryview):
        value = bytes(value).decode("utf-8")
    if isinstance(value, str):
        text = value.strip()
        if not text.startswith("["):
            # The common case, read per row of large tables: "staff, gpu" → names stripped, blanks
            # dropped, each name once, as the loop below would give, only faster.
            return tuple(dict.fromkeys(filter(None, [name.strip() for name in text.split(",")])))
        try:
            value = json.loads(text)
        except json.JSONDecodeError as exc:
            raise ValueError(f"{_show(value)} looks like a JSON array but is not one ({exc.msg})") from exc
    if not isinstance(value, list | tuple):
        raise ValueError(f"{_show(value)} is not a list of group names")
    names: dict[str, None] = {}  # an ordered set: a name listed twice is one membership
    for item in value:
        if item is None:
            continue
        if isinstance(item, dict | list):
            raise ValueError(f"{_show(value)} holds {_show(item)} where a group name was expected")
        name = str(item).strip()
        if name:
            names[name] = None
    return tuple(names)


def password_hash(value: Any) -> PasswordHash | None:
    """A stored hash as text with its detected format; bytes (NativeAuthenticator's) are ASCII text.

    Bytes that are not text (a raw digest in a BLOB) are kept as hex: no known format, but the planner
    still sees that the user had a password.
    """
    if value is None:
        return None
    if type(value) is str:  # the common case first: one check instead of three
        text = value.strip()
        return build_password_hash(text, detect_hash_format(text)) if text else None
    if isinstance(value, bytes | bytearray | memoryview):
        raw = bytes(value)
        try:
            text = raw.decode("ascii")
        except UnicodeDecodeError:
            text = raw.hex()
    else:
        text = str(value)
    text = text.strip()
    return build_password_hash(text, detect_hash_format(text)) if text else None


def timestamp(value: Any) -> datetime | None:
    """A stored moment as a naive UTC ``datetime`` (JupyterHub's convention), from a driver's
    ``datetime`` or SQLite's text ("2026-01-02 03:04:05.678901")."""
    if value is None:
        return None
    if isinstance(value, datetime):
        moment = value
    elif isinstance(value, date):
        moment = datetime.combine(value, time())
    elif isinstance(value, str) and value.strip():
        try:
            moment = datetime.fromisoformat(value.strip())
        except ValueError:
            raise ValueError(f"{_show(value)} is not a date and time") from None
    else:
        raise ValueError(f"{_show(value)} is not a date and time")
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC).replace(tzinfo=None)
    return moment


def field_value(value: Any) -> Any:
    """A column's value for ``LegacyUser.fields``: text, numbers, booleans, None, or JSON-like lists and
    objects; dates as ISO 8601 text, decimals and UUIDs as text, binary as UTF-8 text (else hex)."""
    if value is None or isinstance(value, str | bool | int | float):
        return value
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    if isinstance(value, Decimal | uuid.UUID):
        return str(value)
    if isinstance(value, bytes | bytearray | memoryview):
        raw = bytes(value)
        try:
            return raw.decode("utf-8")
        except UnicodeDecodeError:
            return raw.hex()
    if isinstance(value, list | tuple):
        return [field_value(item) for item in value]
    if isinstance(value, Mapping):
        return {str(key): field_value(item) for key, item in value.items()}
    return str(value)


def _show(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:59] + "…"


__all__ = ["field_value", "group_names", "password_hash", "timestamp", "truth"]
