"""Printing results: a versioned JSON envelope for machines, plain lines for people."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import click

from cognito_migrate.results import CommandResult

# Bump when the envelope's shape changes; tests/test_cli.py pins it.
JSON_SCHEMA_VERSION = 1


def envelope(result: CommandResult) -> dict[str, Any]:
    return {
        "schema_version": JSON_SCHEMA_VERSION,
        "command": result.command,
        "outcome": str(result.outcome),
        "result": result.data,
    }


def emit(result: CommandResult, *, as_json: bool) -> None:
    if as_json:
        click.echo(json.dumps(envelope(result), default=_json_default, sort_keys=True))
    else:
        for line in result.lines:
            click.echo(line)


def error(message: str, *, as_json: bool, command: str | None = None) -> None:
    """Errors go to stderr for people; with --json they are an envelope on stdout as well."""
    if as_json:
        payload = {
            "schema_version": JSON_SCHEMA_VERSION,
            "command": command,
            "outcome": "error",
            "error": message,
        }
        click.echo(json.dumps(payload, sort_keys=True))
    click.echo(f"cognito-migrate: {message}", file=sys.stderr)


def _json_default(value: Any) -> Any:
    if isinstance(value, Path):
        return str(value)
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")
