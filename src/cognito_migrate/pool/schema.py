"""A new pool's ``Schema`` from an existing pool's ``SchemaAttributes``, with the changes asked for.

Cognito never changes a pool's schema after creation except to add custom attributes: a required
attribute stays required, an optional one can never become required. A clone is the only way to get a
different schema, so this module copies what the source has and applies ``--require``, ``--optional``,
``--add-custom`` and ``--drop-custom`` on top (dropping and adding one name redefines an attribute),
refusing what Cognito would refuse, with a message that names the option.

What is copied:

- every custom attribute (``custom:x`` and developer-only ``dev:custom:x``), its type, mutability and
  constraints. CreateUserPool takes the bare name (``x``) and adds the prefix itself: passing
  ``custom:x`` would create ``custom:custom:x``.
- the standard attributes whose settings differ from Cognito's defaults (required, or immutable). The
  others exist in every pool anyway; AWS lists all of them in DescribeUserPool, the local Cognito only
  those given at creation, so copying the defaults would add nothing but noise. Attributes Cognito
  manages itself (``sub``, ``identities``) are never copied.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from cognito_migrate.errors import ConfigError
from cognito_migrate.planner.pool_reader import STANDARD_ATTRIBUTES

CUSTOM_PREFIX = "custom:"
DEVELOPER_PREFIX = "dev:custom:"
DATA_TYPES = ("String", "Number", "DateTime", "Boolean")
# Cognito's limit on a custom attribute's name (CreateUserPool's SchemaAttributeType.Name: 1–20 here,
# since the prefix is added by Cognito) and on how many a pool may have.
CUSTOM_NAME_MAX = 20
CUSTOM_ATTRIBUTES_MAX = 50
_CUSTOM_NAME = re.compile(r"[\w.\-]+")
_CONSTRAINTS = {
    "String": ("StringAttributeConstraints", "MinLength", "MaxLength"),
    "Number": ("NumberAttributeConstraints", "MinValue", "MaxValue"),
}
_SPEC_HELP = (
    "expected NAME:TYPE[:MIN:MAX][:mutable], e.g. legacy_id:String:1:64 or score:Number:0:100:mutable"
)


@dataclass(frozen=True)
class ClonedSchema:
    """CreateUserPool's ``Schema``, one line per change made to what the source had, and the source's
    custom attributes left out (described names), which app clients must stop naming."""

    attributes: list[dict[str, Any]]
    changes: list[str]
    dropped: frozenset[str] = frozenset()


def parse_custom_attribute(spec: str) -> dict[str, Any]:
    """One ``--add-custom`` value as a ``SchemaAttributeType``: ``NAME:TYPE[:MIN:MAX][:mutable]``.

    Without ``:mutable`` the attribute is immutable (set at creation, never changed), which suits an
    identifier carried over from the old system; ``:immutable`` says so explicitly.
    """
    parts = spec.removeprefix(CUSTOM_PREFIX).split(":")
    if len(parts) < 2:
        raise ConfigError(f"--add-custom {spec!r}: {_SPEC_HELP}")
    name, data_type, rest = parts[0], parts[1], parts[2:]
    if not _CUSTOM_NAME.fullmatch(name) or len(name) > CUSTOM_NAME_MAX:
        raise ConfigError(
            f"--add-custom {spec!r}: the name must be 1–{CUSTOM_NAME_MAX} letters, digits, '_', '.' or '-'"
        )
    matched_type = next((known for known in DATA_TYPES if known.lower() == data_type.lower()), None)
    if matched_type is None:
        raise ConfigError(f"--add-custom {spec!r}: type {data_type!r} is not one of {', '.join(DATA_TYPES)}")
    mutable = False
    if rest and rest[-1].lower() in ("mutable", "immutable"):
        mutable = rest.pop().lower() == "mutable"
    attribute: dict[str, Any] = {"Name": name, "AttributeDataType": matched_type, "Mutable": mutable}
    if rest:
        attribute.update(_constraints(spec, matched_type, rest))
    return attribute


def _constraints(spec: str, data_type: str, bounds: list[str]) -> dict[str, Any]:
    if len(bounds) != 2:
        raise ConfigError(f"--add-custom {spec!r}: {_SPEC_HELP}")
    if data_type not in _CONSTRAINTS:
        raise ConfigError(f"--add-custom {spec!r}: a {data_type} attribute takes no MIN:MAX")
    key, low_name, high_name = _CONSTRAINTS[data_type]
    try:
        low, high = (int(bound) if bound else None for bound in bounds)
    except ValueError:
        raise ConfigError(f"--add-custom {spec!r}: MIN and MAX must be whole numbers") from None
    if low is not None and high is not None and low > high:
        raise ConfigError(f"--add-custom {spec!r}: MIN {low} is greater than MAX {high}")
    if data_type == "String" and any(bound is not None and bound < 0 for bound in (low, high)):
        raise ConfigError(f"--add-custom {spec!r}: a String's lengths cannot be negative")
    # The API takes constraints as decimal strings.
    limits = {name: str(bound) for name, bound in ((low_name, low), (high_name, high)) if bound is not None}
    return {key: limits} if limits else {}


def bare_name(described_name: str) -> str:
    """``custom:x`` or ``dev:custom:x`` → ``x``, as CreateUserPool wants a custom attribute named."""
    return described_name.removeprefix(DEVELOPER_PREFIX).removeprefix(CUSTOM_PREFIX)


def is_custom(described_name: str) -> bool:
    return described_name.startswith((CUSTOM_PREFIX, DEVELOPER_PREFIX))


@dataclass(frozen=True)
class SchemaChanges:
    """``--require`` and ``--optional`` (standard attribute names), ``--add-custom`` (specs) and
    ``--drop-custom`` (custom attribute names, with or without ``custom:``)."""

    require: tuple[str, ...] = ()
    optional: tuple[str, ...] = ()
    add_custom: tuple[str, ...] = ()
    drop_custom: tuple[str, ...] = ()


def clone_schema(described: Sequence[Mapping[str, Any]], changes: SchemaChanges) -> ClonedSchema:
    """The source's ``SchemaAttributes`` as CreateUserPool's ``Schema``, with ``changes`` applied."""
    by_name = {str(attribute["Name"]): attribute for attribute in described}
    required = _standard_names("--require", changes.require)
    optional = _standard_names("--optional", changes.optional)
    if both := sorted(required & optional):
        raise ConfigError(f"--require and --optional both name {', '.join(both)}")
    dropped = _dropped(changes.drop_custom, by_name)
    attributes: list[dict[str, Any]] = []
    lines = [f"custom attribute {name} dropped" for name in sorted(dropped)]
    for name, attribute in by_name.items():
        if is_custom(name):
            if name not in dropped:
                attributes.append(_copied(attribute, name=bare_name(name)))
            continue
        copied, change = _standard(name, attribute, required, optional)
        attributes += [copied] if copied else []
        lines += [change] if change else []
    for name in sorted(required - by_name.keys()):
        copied, change = _standard(name, {"Name": name}, required, optional)
        attributes += [copied] if copied else []
        lines += [change] if change else []
    added = [parse_custom_attribute(spec) for spec in changes.add_custom]
    _check_added(changes.add_custom, added, set(by_name) - dropped)
    attributes += added
    lines += [
        f"new custom attribute {CUSTOM_PREFIX}{attribute['Name']} ({_describe(attribute)})"
        for attribute in added
    ]
    customs = sum(1 for name in by_name if is_custom(name) and name not in dropped) + len(added)
    if customs > CUSTOM_ATTRIBUTES_MAX:
        raise ConfigError(
            f"the clone would have {customs} custom attributes; Cognito allows {CUSTOM_ATTRIBUTES_MAX}"
        )
    # Dropped and added again (redefined): the clone has it, so clients may keep naming it.
    redefined = {CUSTOM_PREFIX + attribute["Name"] for attribute in added}
    return ClonedSchema(attributes, lines, dropped=frozenset(dropped - redefined))


def _standard(
    name: str, attribute: Mapping[str, Any], required: set[str], optional: set[str]
) -> tuple[dict[str, Any] | None, str | None]:
    """A standard attribute as the clone's Schema lists it (``None``: not at all), and the change."""
    default = STANDARD_ATTRIBUTES.get(name)
    # Cognito makes sub, and attributes of its own such as identities, in every pool and refuses them in
    # a Schema.
    if default is None or name == "sub":
        return None, None
    was_required = bool(attribute.get("Required", default.required))
    now_required = (was_required or name in required) and name not in optional
    mutable = bool(attribute.get("Mutable", default.mutable))
    change = None
    if now_required != was_required:
        change = f"{name} is {_required(now_required)} (was {_required(was_required)})"
    if (now_required, mutable) == (default.required, default.mutable):
        return None, change  # at Cognito's defaults: every pool has it so, no need to list it
    copied = _copied(attribute, name=name) if "AttributeDataType" in attribute else {
        "Name": name, "AttributeDataType": default.data_type, "Mutable": mutable}  # fmt: skip
    copied["Required"] = now_required
    return copied, change


def _required(required: bool) -> str:
    return "required" if required else "optional"


def _check_added(specs: Sequence[str], added: Sequence[Mapping[str, Any]], existing: set[str]) -> None:
    seen: set[str] = set()
    for spec, attribute in zip(specs, added, strict=True):
        name = attribute["Name"]
        prefixed = CUSTOM_PREFIX + name
        if prefixed in existing or DEVELOPER_PREFIX + name in existing:
            raise ConfigError(
                f"--add-custom {spec!r}: the source pool already has {prefixed} (to redefine it, "
                f"--drop-custom {name} as well)"
            )
        if name in seen:
            raise ConfigError(f"--add-custom {spec!r}: {prefixed} is given twice")
        seen.add(name)


def _dropped(names: Iterable[str], by_name: Mapping[str, Any]) -> set[str]:
    """The described names (``custom:x``, ``dev:custom:x``) of the ``--drop-custom`` attributes."""
    dropped = set()
    for name in names:
        bare = bare_name(name)
        found = [known for known in (CUSTOM_PREFIX + bare, DEVELOPER_PREFIX + bare) if known in by_name]
        if not found:
            raise ConfigError(f"--drop-custom {name}: the source pool has no custom attribute {bare}")
        dropped.update(found)
    return dropped


def _standard_names(option: str, names: Iterable[str]) -> set[str]:
    checked = set()
    for name in names:
        if is_custom(name):
            raise ConfigError(f"{option} {name}: a custom attribute is always optional in Cognito")
        if name not in STANDARD_ATTRIBUTES:
            known = ", ".join(sorted(STANDARD_ATTRIBUTES))
            raise ConfigError(f"{option} {name}: not a standard attribute (one of {known})")
        if name == "sub":
            raise ConfigError(f"{option} sub: Cognito always requires sub")
        checked.add(name)
    return checked


def _copied(attribute: Mapping[str, Any], *, name: str) -> dict[str, Any]:
    """One described attribute as CreateUserPool takes it: no empty constraint blocks, which the local
    Cognito reports for attributes created without any."""
    from cognito_migrate.trigger.pool_settings import copied_parameters

    # SchemaAttributeType is a structure inside CreateUserPool; filter against it through the operation.
    filtered = copied_parameters("CreateUserPool", {"Schema": [dict(attribute)]})["Schema"][0]
    copied: dict[str, Any] = {key: value for key, value in filtered.items() if value != {}}
    copied["Name"] = name
    return copied


def _describe(attribute: Mapping[str, Any]) -> str:
    parts = [str(attribute["AttributeDataType"]), "mutable" if attribute.get("Mutable") else "immutable"]
    for key in ("StringAttributeConstraints", "NumberAttributeConstraints"):
        limits = attribute.get(key) or {}
        if limits:
            parts.append(" ".join(f"{limit}={value}" for limit, value in limits.items()))
    return ", ".join(parts)
