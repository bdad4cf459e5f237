"""Read ``migration.toml`` into a ``MigrationConfig``; every error names the file, line, key and value.

Example message::

    migration.toml:14: [target] max_attempts = 0: expected attempts per call, from 1 to 20
"""

from __future__ import annotations

import difflib
import hashlib
import re
import tomllib
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

from cognito_migrate.config.models import (
    CognitoSource,
    FileSource,
    JupyterHubSource,
    MigrationConfig,
    SqlSource,
    TargetConfig,
)
from cognito_migrate.errors import ConfigError

_SOURCE_BY_TYPE: dict[str, type[BaseModel]] = {
    "jupyterhub": JupyterHubSource,
    "sql": SqlSource,
    "csv": FileSource,
    "jsonl": FileSource,
    "cognito": CognitoSource,
}
_SECTIONS: dict[str, type[BaseModel] | None] = {
    "source": None,  # chosen by its `type`
    "target": TargetConfig,
    "attributes": None,
    "strategy": MigrationConfig.model_fields["strategy"].annotation,  # type: ignore[dict-item]
    "trigger": MigrationConfig.model_fields["trigger"].annotation,  # type: ignore[dict-item]
}


def load_plan_file(path: str | Path) -> MigrationConfig:
    """Load and validate a plan file. Raises ``ConfigError`` listing every problem found."""
    path = Path(path)
    try:
        data = path.read_bytes()
    except FileNotFoundError as exc:
        raise ConfigError(
            f"{path}: no such plan file; `cognito-migrate init` writes a commented one"
        ) from exc
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read the plan file: {exc.strerror}") from exc
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{path}: the plan file is not UTF-8 text (byte {exc.start})") from exc
    config = parse_plan_text(text, name=str(path))
    return config.model_copy(update={"path": path.resolve(), "checksum": hashlib.sha256(data).hexdigest()})


def parse_plan_text(text: str, *, name: str = "migration.toml") -> MigrationConfig:
    """Validate the text of a plan file; ``name`` is used in messages."""
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{name}: not valid TOML: {exc}") from exc
    try:
        return MigrationConfig.model_validate(raw)
    except ValidationError as exc:
        problems = [_describe_error(error, raw, text, name) for error in exc.errors()]
        if len(problems) == 1:
            raise ConfigError(problems[0]) from None
        listing = "\n".join(f"  - {problem}" for problem in problems)
        raise ConfigError(f"{name}: {len(problems)} problems\n{listing}") from None


def _describe_error(error: Any, raw: dict[str, Any], text: str, name: str) -> str:
    loc = [str(part) for part in error["loc"]]
    key_error = "[key]" in loc  # pydantic's mark for a bad dictionary key rather than a bad value
    loc = [part for part in loc if part != "[key]"]
    kind = error["type"]
    section, keys = (loc[0], loc[1:]) if loc else ("", [])
    model = _section_model(section, raw)
    if section == "source" and keys and keys[0] in _SOURCE_BY_TYPE:
        keys = keys[1:]  # pydantic puts the chosen union member in the path; users never wrote it
    where = _where(name, text, section, keys)
    key = f"[{section}] {'.'.join(keys)}".rstrip() if section else "the file"

    if kind == "missing":
        expected = _field_description(model, keys)
        if not keys:
            return f"{where}: the [{section}] section is missing"
        return f"{where}: {key} is missing" + (f": expected {expected}" if expected else "")
    if kind == "extra_forbidden":
        known = list(model.model_fields) if model else []
        hint = difflib.get_close_matches(keys[-1] if keys else section, known, n=1)
        suggestion = f"; did you mean {hint[0]!r}?" if hint else f"; known keys: {', '.join(known)}"
        return f"{where}: {key} is not a known key{suggestion}"
    if kind in {"union_tag_invalid", "union_tag_not_found"}:
        tags = sorted(_SOURCE_BY_TYPE)
        given = error.get("ctx", {}).get("tag")
        if given is None:
            return f"{where}: [source] type is missing: expected one of {', '.join(tags)}"
        hint = difflib.get_close_matches(str(given), tags, n=1)
        return f"{where}: [source] type = {given!r}: expected one of {', '.join(tags)}" + (
            f"; did you mean {hint[0]!r}?" if hint else ""
        )

    message = str(error["msg"]).removeprefix("Value error, ")
    value = error.get("input")
    shown = "" if key_error or isinstance(value, dict) else f" = {_show(value)}"
    expected = _field_description(model, keys)
    if expected and not key_error and "expected" not in message:
        message = f"expected {expected} ({message[0].lower()}{message[1:]})"
    return f"{where}: {key}{shown}: {message}"


def _section_model(section: str, raw: dict[str, Any]) -> type[BaseModel] | None:
    if section == "source":
        source = raw.get("source")
        kind = source.get("type") if isinstance(source, dict) else None
        return _SOURCE_BY_TYPE.get(str(kind))
    return _SECTIONS.get(section)


def _field_description(model: type[BaseModel] | None, keys: Sequence[str]) -> str | None:
    if model is None or not keys:
        return None
    field = model.model_fields.get(keys[0])
    return field.description if field else None


def _show(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _where(name: str, text: str, section: str, keys: Sequence[str]) -> str:
    line = _line_of(text, [section, *keys]) if section else None
    return f"{name}:{line}" if line else name


_HEADER = re.compile(r"^\[+\s*([^\]]+?)\s*\]+")
_KEY = re.compile(r'^("[^"]+"|[\w:.-]+)\s*=')


def _line_of(text: str, path: Sequence[str]) -> int | None:
    """The line that sets the longest prefix of ``path`` (a table header counts for its own path).

    A best effort for messages: TOML parsers report no positions for valid documents.
    """
    best: tuple[int, int] | None = None  # (matched length, line)
    table: list[str] = []
    for number, line in enumerate(text.splitlines(), start=1):
        stripped = line.strip()
        header = _HEADER.match(stripped)
        if header:
            table = [part.strip().strip('"') for part in header.group(1).split(".")]
            candidate = table
        else:
            key = _KEY.match(stripped)
            if not key:
                continue
            candidate = [*table, key.group(1).strip('"')]
        matched = 0
        for mine, wanted in zip(candidate, path, strict=False):
            if mine != wanted:
                break
            matched += 1
        if matched == len(candidate) and matched and (best is None or matched > best[0]):
            best = (matched, number)
    return best[1] if best else None
