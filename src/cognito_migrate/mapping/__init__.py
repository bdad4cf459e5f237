"""Mapping: source fields → Cognito attributes (field, literal, template or hook, then transforms).

Build an ``AttributeMapper`` once from the plan file (``AttributeMapper.from_config(config)``) and call
``map(user)`` per user; it returns a ``MappedUser`` with the attributes and any ``MappingProblem``.
"""

from cognito_migrate.mapping.mapper import (
    DEFAULT_LEGACY_ID_ATTRIBUTE,
    AttributeMapper,
    MappedUser,
    MappingProblem,
)
from cognito_migrate.mapping.transforms import (
    TRANSFORM_NAMES,
    Transform,
    TransformError,
    boolean,
    compile_transform,
    date_in,
    e164,
    epoch_seconds,
    lower,
    strip,
    text_of,
    upper,
)

__all__ = [
    "DEFAULT_LEGACY_ID_ATTRIBUTE",
    "TRANSFORM_NAMES",
    "AttributeMapper",
    "MappedUser",
    "MappingProblem",
    "Transform",
    "TransformError",
    "boolean",
    "compile_transform",
    "date_in",
    "e164",
    "epoch_seconds",
    "lower",
    "strip",
    "text_of",
    "upper",
]
