"""Transforms: small pure functions that turn one source value into the text Cognito expects.

A transform takes the value as the source gave it (text, a number, a bool, a date, bytes) or as the
previous transform left it (text), and returns text; an empty result means "no value". A value it
cannot read raises ``TransformError``; the mapper turns that into a problem for that one user, so one
bad phone number never stops a run.

``compile_transform("e164:GB")`` builds the function for one entry of an attribute's ``transforms``
list. Arguments are checked then, once, so that nothing is parsed, compiled or imported per record.

==================  ================================================================================
``strip``           surrounding whitespace removed
``lower``/``upper`` case changed
``boolean``         true/false/1/0/yes/no/t/f/y/n (any case), Python bools, 0 and 1 → ``true``/``false``
``e164[:REGION]``   a phone number → ``+442079460958``; without REGION it must start with + and the
                    country code, with one (``e164:GB``) national numbers are read as that country's
``date[:FORMAT]``   a date → ``YYYY-MM-DD``; FORMAT is a ``strptime`` format (``date:%d.%m.%Y``);
                    without one: date and datetime objects, ISO 8601 text, and ``mm/dd/yyyy``
``epoch-seconds``   a datetime, a date, ISO 8601 text or a number → whole seconds since 1970, as text
                    (naive times are taken as UTC)
==================  ================================================================================
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

Transform = Callable[[Any], str]


class TransformError(ValueError):
    """A value one transform cannot read. ``reason`` completes "cannot read <value> …"."""

    def __init__(self, value: Any, reason: str) -> None:
        super().__init__(f"cannot read {shown(value)} {reason}")
        self.value = value
        self.reason = reason

    def describe(self, *, hide_value: bool = False) -> str:
        """The message, with the value replaced by a placeholder when it must not be shown."""
        return f"cannot read {'a hidden value' if hide_value else shown(self.value)} {self.reason}"


def shown(value: Any, limit: int = 40) -> str:
    """A value as messages quote it: its repr, shortened. Reports hold personal data already (they are
    written 0600); the mapper hides values that look like password hashes."""
    text = repr(value)
    if len(text) <= limit:
        return text
    quote = text[-1] if text[-1] in "'\"" else ""
    return text[: limit - 3 - len(quote)] + "..." + quote


def text_of(value: Any) -> str:
    """Source values as text: bytes as UTF-8, bools as Cognito's ``true``/``false``, None as ``""``."""
    if type(value) is str:
        return value
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, bytes | bytearray | memoryview):
        try:
            return bytes(value).decode("utf-8")
        except UnicodeDecodeError as exc:
            raise TransformError(bytes(value)[:12], f"as UTF-8 text (invalid byte at {exc.start})") from None
    return str(value)


# ── text ────────────────────────────────────────────────────────────────────────────────────────────
# The `type(...) is str` tests skip a call on the common path: these run per user, per attribute.


def strip(value: Any) -> str:
    return value.strip() if type(value) is str else text_of(value).strip()


def lower(value: Any) -> str:
    return value.lower() if type(value) is str else text_of(value).lower()


def upper(value: Any) -> str:
    return value.upper() if type(value) is str else text_of(value).upper()


# ── boolean ─────────────────────────────────────────────────────────────────────────────────────────

_TRUE = frozenset({"true", "1", "yes", "t", "y"})
_FALSE = frozenset({"false", "0", "no", "f", "n"})


def boolean(value: Any) -> str:
    """Cognito's API form of a boolean; anything ambiguous is an error rather than a guess."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int) and value in (0, 1):
        return "true" if value else "false"
    if isinstance(value, str | bytes | bytearray | memoryview):
        text = text_of(value).strip().lower()
        if text in _TRUE:
            return "true"
        if text in _FALSE:
            return "false"
    raise TransformError(value, "as a boolean (expected true/false, yes/no, 1/0, t/f or y/n)")


# ── e164 ────────────────────────────────────────────────────────────────────────────────────────────


def e164(region: str | None = None) -> Transform:
    """Phone numbers in E.164 form, read with Google's libphonenumber rules (not a regular expression).

    A number with an extension is an error: E.164 has no place for one, and dropping it silently would
    change the number.
    """
    import phonenumbers  # once, when the mapping is built; it is a large import the CLI's --help skips

    if region is not None:
        region = region.upper()
        if region not in phonenumbers.SUPPORTED_REGIONS:
            raise ValueError(f"unknown region {region!r}; expected a two-letter country code such as GB")
        where = f"as a phone number in region {region}"
    else:
        where = "as an international phone number (+ and the country code; or give a region: e164:GB)"
    parse = phonenumbers.parse
    is_valid = phonenumbers.is_valid_number
    format_number = phonenumbers.format_number
    e164_format = phonenumbers.PhoneNumberFormat.E164
    parse_error = phonenumbers.NumberParseException

    def to_e164(value: Any) -> str:
        text = text_of(value).strip()
        try:
            number = parse(text, region)
        except parse_error:
            raise TransformError(value, where) from None
        if not is_valid(number):
            raise TransformError(value, f"{where}: not a valid number")
        if number.extension:
            raise TransformError(value, f"{where}: E.164 has no room for the extension")
        return str(format_number(number, e164_format))

    return to_e164


# ── date ────────────────────────────────────────────────────────────────────────────────────────────

_US_DATE = re.compile(r"(\d{1,2})/(\d{1,2})/(\d{4})")  # Cognito's import CSV writes birthdate so
_ISO_EXPECTED = "as a date (expected YYYY-MM-DD, ISO 8601 date and time, or mm/dd/yyyy)"


def _any_date(value: Any) -> str:
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    text = text_of(value).strip()
    us = _US_DATE.fullmatch(text)
    try:
        if us:
            return date(int(us.group(3)), int(us.group(1)), int(us.group(2))).isoformat()
        if len(text) <= 10:
            return date.fromisoformat(text).isoformat()
        # The date as written: "2020-01-01T23:30-05:00" is a birthdate of 1 January, whatever UTC says.
        return datetime.fromisoformat(text).date().isoformat()
    except ValueError:
        raise TransformError(value, _ISO_EXPECTED) from None


def date_in(fmt: str | None = None) -> Transform:
    """Dates in Cognito's API form, ``YYYY-MM-DD`` (the CSV writer turns it into mm/dd/yyyy)."""
    if fmt is None:
        return _any_date
    probe = datetime(2001, 2, 3)
    try:
        round_trip = datetime.strptime(probe.strftime(fmt), fmt).date()
    except ValueError as exc:
        raise ValueError(f"not a usable strptime format ({exc})") from None
    if round_trip != probe.date():
        raise ValueError("the format must hold a day, a month and a year, e.g. %d.%m.%Y")
    reason = f"as a date in the format {fmt}"
    strptime = datetime.strptime

    def parse(value: Any) -> str:
        if isinstance(value, datetime):
            return value.date().isoformat()
        if isinstance(value, date):
            return value.isoformat()
        try:
            return strptime(text_of(value).strip(), fmt).date().isoformat()
        except ValueError:
            raise TransformError(value, reason) from None

    return parse


# ── epoch-seconds ───────────────────────────────────────────────────────────────────────────────────

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_SECOND = timedelta(seconds=1)
_LATEST = 253402300799  # 9999-12-31T23:59:59Z; a larger "seconds" value is nearly always milliseconds
_EARLIEST = -62135596800  # 0001-01-01T00:00:00Z
_NUMBER = re.compile(r"[+-]?\d+(?:\.\d*)?")
_TIME_EXPECTED = "as a time (expected a datetime, ISO 8601 text or seconds since 1970)"


def epoch_seconds(value: Any) -> str:
    """Whole seconds since 1970-01-01 UTC, as Cognito's ``updated_at`` holds them."""
    if isinstance(value, bool):
        raise TransformError(value, _TIME_EXPECTED)
    if isinstance(value, datetime):
        seconds = _seconds_of(value)
    elif isinstance(value, date):
        seconds = _seconds_of(datetime(value.year, value.month, value.day))
    elif isinstance(value, int):
        seconds = value
    elif isinstance(value, float | Decimal):
        if not math.isfinite(value):
            raise TransformError(value, _TIME_EXPECTED)
        seconds = math.floor(value)
    else:
        text = text_of(value).strip()
        try:
            if _NUMBER.fullmatch(text):
                seconds = math.floor(Decimal(text))
            else:
                seconds = _seconds_of(datetime.fromisoformat(text))
        except (ValueError, InvalidOperation):
            raise TransformError(value, _TIME_EXPECTED) from None
    if not _EARLIEST <= seconds <= _LATEST:
        raise TransformError(value, "as seconds since 1970: past the year 9999 (milliseconds, perhaps?)")
    return str(seconds)


def _seconds_of(moment: datetime) -> int:
    aware = moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)
    return (aware - _EPOCH) // _SECOND


# ── compiling a config entry ────────────────────────────────────────────────────────────────────────

_WITHOUT_ARGUMENT: dict[str, Transform] = {
    "strip": strip,
    "lower": lower,
    "upper": upper,
    "boolean": boolean,
    "epoch-seconds": epoch_seconds,
}
_WITH_ARGUMENT: dict[str, Callable[[str | None], Transform]] = {"e164": e164, "date": date_in}
TRANSFORM_NAMES = frozenset(_WITHOUT_ARGUMENT) | frozenset(_WITH_ARGUMENT)


def compile_transform(spec: str) -> Transform:
    """The function for one ``transforms`` entry such as ``"lower"`` or ``"e164:GB"``.

    Raises ``ValueError`` naming what is wrong with the entry (the mapper adds the attribute's name).
    """
    name, colon, argument = spec.partition(":")
    if name in _WITHOUT_ARGUMENT:
        if colon:
            raise ValueError(f"{name} takes no argument")
        return _WITHOUT_ARGUMENT[name]
    if name in _WITH_ARGUMENT:
        if colon and not argument:
            raise ValueError(f"nothing after '{name}:'; leave the colon out for the default")
        return _WITH_ARGUMENT[name](argument if colon else None)
    raise ValueError(f"unknown transform {name!r}; expected one of {', '.join(sorted(TRANSFORM_NAMES))}")
