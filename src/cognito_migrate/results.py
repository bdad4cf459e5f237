"""What every public command function returns: an outcome, data for ``--json``, lines for people."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any


class Outcome(StrEnum):
    OK = "ok"  # everything asked for was done
    PARTIAL = "partial"  # finished, but some users were rejected or failed
    ERROR = "error"  # could not do what was asked
    INTERRUPTED = "interrupted"  # stopped part-way; running the command again resumes


@dataclass
class CommandResult:
    command: str
    outcome: Outcome = Outcome.OK
    data: dict[str, Any] = field(default_factory=dict)
    lines: list[str] = field(default_factory=list)
