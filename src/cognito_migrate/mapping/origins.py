"""Where an attribute's value comes from: a source field, a template over fields, or a Python hook.

Each builder checks its configuration once (a bad template or an unimportable hook is a
``ConfigError`` naming the attribute) and returns a function of the ``LegacyUser``. At map time a
value that cannot be used raises ``ValueFailure``, which the mapper turns into a problem for that user.
"""

from __future__ import annotations

import importlib
import re
import string
from collections.abc import Callable
from typing import Any, Final

from cognito_migrate.errors import ConfigError
from cognito_migrate.mapping.transforms import TransformError, shown, text_of
from cognito_migrate.sources.records import LegacyUser

Origin = Callable[[LegacyUser], Any]

# Field names that fall back to the record's own attribute when the source has no field of that name,
# so that ``preferred_username = "username"`` works on every source.
FALLBACK_FIELDS: Final = frozenset({"username", "source_id"})
_ABSENT: Final = object()


class ValueFailure(Exception):
    """One attribute of one user could not be produced: the rule, and the transform error or a message."""

    def __init__(self, rule: str, error: TransformError | None = None, message: str | None = None) -> None:
        super().__init__(rule)
        self.rule = rule
        self.error = error
        self.message = message


def field_getter(field: str) -> Origin:
    """A source field's value as the source gave it (None when absent)."""
    if field in FALLBACK_FIELDS:

        def get_with_fallback(user: LegacyUser) -> Any:
            value = user.fields.get(field, _ABSENT)
            return getattr(user, field) if value is _ABSENT else value

        return get_with_fallback

    def get(user: LegacyUser) -> Any:
        return user.fields.get(field)

    return get


# ── templates ───────────────────────────────────────────────────────────────────────────────────────

# Python's format-spec mini-language without nested fields: fill/align, sign, width, grouping, precision,
# type. Enough for "{id:>08}" or "{score:.1f}", and nothing that evaluates anything.
_SIMPLE_SPEC = re.compile(r"(?:[^{}]?[<>^=])?[+\- ]?z?#?0?\d*[,_]?(?:\.\d+)?[bcdeEfFgGnosxX%]?")


def template(attribute: str, text: str) -> Origin:
    """A ``str.format``-style template over the record's fields, limited to plain ``{field}`` with an
    optional simple format spec: no attribute access, indexing, conversions or positional fields.

    A missing or empty field makes the whole attribute missing (then ``default`` applies), never the
    text "None": ``"{given} {family}"`` for a user without a family name gives no ``name`` at all.
    """
    where = f"[attributes] {attribute}.template = {text!r}"
    try:
        parsed = list(string.Formatter().parse(text))
    except ValueError as exc:
        raise ConfigError(f"{where}: {exc} (write {{{{ and }}}} for literal braces)") from None
    # Re-written with positional placeholders, so rendering is one str.format call over the values.
    pattern: list[str] = []
    names: list[str] = []
    specs: list[str] = []
    for literal, field, spec, conversion in parsed:
        pattern.append(literal.replace("{", "{{").replace("}", "}}"))
        if field is None:
            continue
        if not field or field.isdigit():
            raise ConfigError(f"{where}: every placeholder needs a field name, like {{email}}")
        if "." in field or "[" in field:
            raise ConfigError(f"{where}: {{{field}}} uses attribute access or indexing; use a callable hook")
        if conversion is not None:
            raise ConfigError(f"{where}: {{{field}!{conversion}}}: conversions are not supported")
        if spec and not _SIMPLE_SPEC.fullmatch(spec):
            raise ConfigError(f"{where}: {{{field}:{spec}}}: only a simple format spec is allowed")
        pattern.append(f"{{{len(names)}{':' + spec if spec else ''}}}")
        names.append(field)
        specs.append(spec or "")
    compiled = "".join(pattern)
    parts = tuple(zip(names, specs, strict=True))

    def render(user: LegacyUser) -> str | None:
        fields = user.fields
        values: list[Any] = []
        for name, spec in parts:
            value = fields.get(name)
            if type(value) is not str:
                if value is None:
                    if name not in FALLBACK_FIELDS or name in fields:
                        return None
                    value = getattr(user, name)
                elif not spec:
                    try:
                        value = text_of(value)
                    except TransformError as exc:
                        raise ValueFailure("template", exc) from None
            if value == "":
                return None
            values.append(value)
        try:
            return compiled.format(*values)
        except (ValueError, TypeError):
            # Only a format spec can fail; find the value it could not format, for the message.
            for value, (_, spec) in zip(values, parts, strict=True):
                try:
                    format(value, spec)
                except (ValueError, TypeError):
                    error = TransformError(value, f"with the format {spec!r}")
                    raise ValueFailure("template", error) from None
            raise

    return render


# ── callable hooks ──────────────────────────────────────────────────────────────────────────────────


def hook(attribute: str, path: str) -> Origin:
    """Import ``package.module:function`` once; each call gets the whole ``LegacyUser`` and must return
    text or None. An exception or another return type is a problem for that user, not the end of the run.
    """
    module_name, _, qualname = path.partition(":")
    where = f"[attributes] {attribute}.callable = {path!r}"
    try:
        target: Any = importlib.import_module(module_name)
        for part in qualname.split("."):
            target = getattr(target, part)
    except (ImportError, AttributeError) as exc:
        raise ConfigError(f"{where}: cannot import it: {exc}") from exc
    except Exception as exc:  # the hook's module failed while importing: still the configuration's fault
        raise ConfigError(f"{where}: importing it raised {type(exc).__name__}: {exc}") from exc
    if not callable(target):
        raise ConfigError(f"{where}: {qualname} is a {type(target).__name__}, not a function")
    rule = f"callable {path}"
    function: Callable[[LegacyUser], Any] = target

    def call(user: LegacyUser) -> Any:
        try:
            result = function(user)
        except Exception as exc:
            raise ValueFailure(rule, message=f"raised {type(exc).__name__}: {_short(str(exc))}") from None
        if result is None or isinstance(result, str):
            return result
        raise ValueFailure(rule, message=f"returned {shown(result)}; expected text or None")

    return call


def _short(text: str, limit: int = 200) -> str:
    return text if len(text) <= limit else text[: limit - 3] + "..."
