"""``AttributeMapper``: a source user's fields → the Cognito attributes to write, per ``[attributes]``.

Each attribute has one origin (a source ``field``, a ``literal``, a ``template`` such as
``"{given} {family}"``, or a ``callable`` hook ``package.module:function`` that receives the whole
``LegacyUser``), then its ``transforms`` in order, then its ``default`` when the result is empty.
Values are text; empty results are left out. A value a transform cannot read does not stop anything:
``map()`` returns the attributes that worked and one ``MappingProblem`` per attribute that did not,
and the planner rejects that user with the problem as the reason::

    phone_number: e164:GB cannot read '020 7946 0958x' as a phone number in region GB

Everything is checked and compiled when the mapper is built (hooks imported, transform arguments and
templates parsed), so a mistake in the plan file is a ``ConfigError`` before any user is read, and
``map()`` — called once per user on million-user runs — only calls prepared closures.

The source id is kept in ``custom:legacy_id`` by default (``[strategy] legacy_id_attribute``), unless
``[attributes]`` maps that attribute itself. ``sub`` is Cognito's and never written.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final, Literal, NamedTuple

from cognito_migrate.config.models import CUSTOM_ATTRIBUTE, STANDARD_ATTRIBUTES, AttributeSpec
from cognito_migrate.errors import ConfigError
from cognito_migrate.mapping import origins
from cognito_migrate.mapping.origins import ValueFailure
from cognito_migrate.mapping.transforms import Transform, TransformError, compile_transform, text_of
from cognito_migrate.passwords.formats import HashFormat, detect_hash_format
from cognito_migrate.sources.records import LegacyUser

if TYPE_CHECKING:
    from cognito_migrate.config.models import MigrationConfig

DEFAULT_LEGACY_ID_ATTRIBUTE: Final = "custom:legacy_id"
# Source formats whose field names already are Cognito attribute names (the Firebase reader adds them).
COGNITO_SHAPED_FILE_FORMATS: Final = frozenset(
    {"cognito-csv", "cognito-list-users", "cognito-backup-restore", "cognito-backup", "firebase"}
)


@dataclass(frozen=True, slots=True)
class MappingProblem:
    """One attribute of one user that could not be mapped: which attribute, which rule, and why."""

    attribute: str
    rule: str  # the transform as written ("e164:GB"), or "field", "template", "callable pkg.mod:fn"
    message: str

    def __str__(self) -> str:
        return f"{self.attribute}: {self.rule} {self.message}"


class MappedUser(NamedTuple):
    """The attributes to write for one user, and the attributes that could not be mapped.

    A named tuple rather than a dataclass: one is built per user, and tuples are the cheapest to build.
    """

    attributes: dict[str, str]
    problems: tuple[MappingProblem, ...] = ()

    @property
    def ok(self) -> bool:
        return not self.problems


Producer = Callable[[LegacyUser], str | None]
FieldValue = Callable[[Any], str | None]  # one field's value → the attribute's (or None: left out)
_Steps = tuple[tuple[str, Transform], ...]


class AttributeMapper:
    """Maps ``LegacyUser`` records to Cognito attributes; build once, call ``map()`` per user.

    ``copy_cognito_fields`` also copies every field whose name is a Cognito attribute (standard or
    ``custom:``; never ``sub``) and that ``specs`` does not map: the identity mapping for sources that
    already speak Cognito (another pool, Cognito's CSV, the backup tools' JSON). ``from_config`` turns
    it on when ``[attributes]`` is empty and the source is Cognito-shaped;
    ``identity_for_cognito_fields()`` builds such a mapper directly. The legacy id is written after the
    copied fields, so it wins over a ``custom:legacy_id`` the source pool already had.
    """

    def __init__(
        self,
        specs: Mapping[str, AttributeSpec],
        *,
        legacy_id_attribute: str | Literal[False] = DEFAULT_LEGACY_ID_ATTRIBUTE,
        copy_cognito_fields: bool = False,
    ) -> None:
        if legacy_id_attribute is not False and not CUSTOM_ATTRIBUTE.match(legacy_id_attribute):
            raise ConfigError(
                f"[strategy] legacy_id_attribute = {legacy_id_attribute!r}: expected custom:NAME "
                "(NAME of 1 to 20 characters), or false"
            )
        # Three kinds, fastest first: literals are worked out here once; fields without transforms are
        # read inline by map(); everything else is a prepared closure.
        constants: dict[str, str] = {}
        plain_fields: list[tuple[str, str, str | None]] = []
        producers: list[tuple[str, Producer]] = []
        # The same attributes as value functions of one field each, for map_columns(); None when an
        # attribute needs more than one field's value (a template, a hook, the username fallback).
        by_field: list[tuple[str, str, FieldValue]] | None = []
        for name, spec in specs.items():
            if name == "sub":
                raise ConfigError("[attributes] sub: 'sub' is assigned by Cognito and cannot be migrated")
            steps = _compile_steps(name, spec.transforms)
            default = spec.default or None
            if spec.literal is not None:
                value = _constant(name, spec.literal, steps, default)
                if value:
                    constants[name] = value
                continue
            single_field = spec.field is not None and spec.field not in origins.FALLBACK_FIELDS
            if single_field and not steps:
                plain_fields.append((name, spec.field or "", default))
            else:
                producers.append((name, _producer(name, spec, steps, default)))
            if by_field is not None and single_field:
                by_field.append((name, spec.field or "", _field_value(name, steps, default)))
            else:
                by_field = None
        self._constants = constants
        self._plain_fields = tuple(plain_fields)
        self._producers = tuple(producers)
        # map() writes plain fields before producers: map_columns() keeps that order.
        plain_names = {name for name, _, _ in plain_fields}
        self._by_field = (
            None
            if by_field is None
            else tuple(sorted(by_field, key=lambda entry: entry[0] not in plain_names))
        )
        self._names = tuple(specs)
        self._legacy_id: str | None = (
            legacy_id_attribute
            if legacy_id_attribute is not False and legacy_id_attribute not in specs
            else None
        )
        self._copy_cognito_fields = copy_cognito_fields
        self._mapped = frozenset(specs)
        self._copyable: dict[str, bool] = {}

    @classmethod
    def from_config(
        cls, config: MigrationConfig, *, copy_cognito_fields: bool | None = None
    ) -> AttributeMapper:
        """The mapper a plan file describes. ``copy_cognito_fields=None`` decides from the config:
        on when ``[attributes]`` is empty and the source is another pool or a Cognito-format file
        (``format = "auto"`` files are looked at to tell)."""
        if copy_cognito_fields is None:
            source = config.source
            file_format = getattr(source, "format", None)
            if file_format == "auto":
                file_format = _detected_format(config)
            cognito_shaped = source.type == "cognito" or file_format in COGNITO_SHAPED_FILE_FORMATS
            copy_cognito_fields = cognito_shaped and not config.attributes
        return cls(
            config.attributes,
            legacy_id_attribute=config.strategy.legacy_id_attribute,
            copy_cognito_fields=copy_cognito_fields,
        )

    @classmethod
    def identity_for_cognito_fields(
        cls, *, legacy_id_attribute: str | Literal[False] = DEFAULT_LEGACY_ID_ATTRIBUTE
    ) -> AttributeMapper:
        """A mapper that copies fields named like Cognito attributes as they are (see the class doc)."""
        return cls({}, legacy_id_attribute=legacy_id_attribute, copy_cognito_fields=True)

    @property
    def attribute_names(self) -> tuple[str, ...]:
        """The attributes this mapper may write (without those ``copy_cognito_fields`` may add)."""
        return (*self._names, self._legacy_id) if self._legacy_id else self._names

    def map(self, user: LegacyUser) -> MappedUser:
        """The user's attributes, and a problem for each attribute whose value could not be read."""
        attributes = self._constants.copy()
        problems: list[MappingProblem] = []
        if self._copy_cognito_fields:
            self._copy(user, attributes, problems)
        fields = user.fields
        for name, field, default in self._plain_fields:
            value = fields.get(field)
            if type(value) is not str and value is not None:
                try:
                    value = text_of(value)
                except TransformError as exc:
                    problems.append(_problem(name, ValueFailure("field", exc), user))
                    continue
            if value:
                attributes[name] = value
            elif default:
                attributes[name] = default
        for name, produce in self._producers:
            try:
                value = produce(user)
            except ValueFailure as failure:
                problems.append(_problem(name, failure, user))
                continue
            if value:
                attributes[name] = value
        if self._legacy_id is not None:
            attributes[self._legacy_id] = user.source_id
        return MappedUser(attributes, tuple(problems) if problems else ())

    def map_columns(
        self, fields: Mapping[str, Sequence[Any]], source_ids: Sequence[str]
    ) -> list[tuple[str, Sequence[str | None]]] | None:
        """``map()`` for a batch of users at once, column by column: ``fields`` holds each source field's
        values (a field a user lacks: None), ``source_ids`` the users' ids. Returns every attribute
        ``map()`` could write, in ``map()``'s order, each as a column (None where ``map()`` leaves the
        attribute out); or None when this mapping has no column form, or some value could not be mapped
        (the per-record ``map()`` then says which, user by user). Values come from the same functions
        ``map()`` uses.
        """
        if self._by_field is None or self._copy_cognito_fields:
            return None
        count = len(source_ids)
        columns: list[tuple[str, Sequence[str | None]]] = [
            (name, [value] * count) for name, value in self._constants.items()
        ]
        absent: list[None] = [None] * count
        try:
            for name, field, value_of in self._by_field:
                column = fields.get(field)
                columns.append((name, absent if column is None else list(map(value_of, column))))
        except ValueFailure:
            return None
        if self._legacy_id is not None:
            columns.append((self._legacy_id, source_ids))
        return columns

    def _copy(self, user: LegacyUser, attributes: dict[str, str], problems: list[MappingProblem]) -> None:
        copyable = self._copyable
        for name, raw in user.fields.items():
            allowed = copyable.get(name)
            if allowed is None:  # decided once per field name, not once per user
                # `sub` is not in STANDARD_ATTRIBUTES, and cognito:username is no attribute.
                allowed = name not in self._mapped and (
                    name in STANDARD_ATTRIBUTES or CUSTOM_ATTRIBUTE.match(name) is not None
                )
                copyable[name] = allowed
            if not allowed:
                continue
            try:
                value = text_of(raw)
            except TransformError as exc:
                problems.append(_problem(name, ValueFailure("field", exc), user))
                continue
            if value:
                attributes[name] = value


def _detected_format(config: MigrationConfig) -> str | None:
    """The layout a ``format = "auto"`` file has (an export of another pool reads as ListUsers JSON)."""
    from cognito_migrate.config.models import FileSource
    from cognito_migrate.sources.files import detect_format

    source = config.source
    if not isinstance(source, FileSource):
        return None
    path = config.resolve(source.path)
    # A missing or unreadable file is reported when the source is opened, with the setting named.
    return detect_format(source, path) if path.is_file() else None


def _problem(attribute: str, failure: ValueFailure, user: LegacyUser) -> MappingProblem:
    if failure.error is None:
        return MappingProblem(attribute, failure.rule, failure.message or "failed")
    hide = _looks_like_a_password_hash(failure.error.value, user)
    return MappingProblem(attribute, failure.rule, failure.error.describe(hide_value=hide))


def _looks_like_a_password_hash(value: Any, user: LegacyUser) -> bool:
    """Never quote a password hash in a report, even when a mapping copies the hash column by mistake."""
    try:
        text = text_of(value).strip()
    except TransformError:
        return False
    stored = user.password_hash
    if stored is not None and stored.value.strip() == text:
        return True
    return detect_hash_format(text) is not HashFormat.UNKNOWN


# ── building one attribute ──────────────────────────────────────────────────────────────────────────


def _compile_steps(name: str, entries: Iterable[str]) -> _Steps:
    steps: list[tuple[str, Transform]] = []
    for entry in entries:
        try:
            steps.append((entry, compile_transform(entry)))
        except ValueError as exc:
            raise ConfigError(f"[attributes] {name}.transforms = {entry!r}: {exc}") from None
    return tuple(steps)


def _constant(name: str, literal: str, steps: _Steps, default: str | None) -> str | None:
    """A literal's final value, worked out once: a literal its own transforms reject is a config error."""
    value = literal
    for rule, transform in steps:
        if not value:
            break
        try:
            value = transform(value)
        except TransformError as exc:
            raise ConfigError(f"[attributes] {name}.literal = {literal!r}: {rule} {exc}") from None
    return value or default


def _field_value(name: str, steps: _Steps, default: str | None) -> FieldValue:
    """The attribute's value from its field's value: ``map()``'s rules for plain fields and for fields
    with transforms, as one function of the value (raises ``ValueFailure``)."""
    if not steps:

        def plain(value: Any) -> str | None:
            if type(value) is not str and value is not None:
                try:
                    value = text_of(value)
                except TransformError as exc:
                    raise ValueFailure("field", exc) from None
            return value or default

        return plain

    def transformed(value: Any) -> str | None:
        if value is None or value == "":
            return default
        for step, transform in steps:
            try:
                value = transform(value)
            except TransformError as exc:
                raise ValueFailure(step, exc) from None
            if not value:
                return default
        return value  # type: ignore[no-any-return]  # every transform returns text

    return transformed


def _producer(name: str, spec: AttributeSpec, steps: _Steps, default: str | None) -> Producer:
    if spec.field is not None:
        origin, rule = origins.field_getter(spec.field), "field"
    elif spec.template is not None:
        origin, rule = origins.template(name, spec.template), "template"
    elif spec.callable is not None:
        origin, rule = origins.hook(name, spec.callable), f"callable {spec.callable}"
    else:
        raise ConfigError(f"[attributes] {name}: give exactly one of field, literal, template or callable")

    if not steps:

        def produce_text(user: LegacyUser) -> str | None:
            value = origin(user)
            if type(value) is not str:
                if value is None:
                    return default
                try:
                    value = text_of(value)
                except TransformError as exc:
                    raise ValueFailure(rule, exc) from None
            return value or default

        return produce_text

    field = spec.field
    if field is not None and field not in origins.FALLBACK_FIELDS:
        # The common case (a field with transforms), with the field read inline: one call fewer per user.
        value_of = _field_value(name, steps, default)

        def produce_field(user: LegacyUser) -> str | None:
            return value_of(user.fields.get(field))

        return produce_field

    value_of = _field_value(name, steps, default)

    def produce(user: LegacyUser) -> str | None:
        return value_of(origin(user))

    return produce
