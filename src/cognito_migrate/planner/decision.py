"""One user's plan: what will happen to them and why. This is a line of the per-user report."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

import orjson


class Verdict(StrEnum):
    MIGRATE = "migrate"
    REJECT = "reject"  # the user cannot be migrated as they are: the reasons say what to fix
    SKIP = "skip"  # left out on purpose: a selection rule, or already in the pool with on_existing=skip


# The journal state each verdict enters as.
STATE_FOR = {Verdict.MIGRATE: "planned", Verdict.REJECT: "rejected", Verdict.SKIP: "skipped"}


@dataclass(slots=True)
class UserPlan:
    source_id: str
    username: str
    decision: Verdict
    reasons: list[str] = field(default_factory=list)
    strategy: str | None = None  # csv-import | admin | jit
    password: str | None = None  # hash | reset-required | temporary | permanent | jit
    algorithm: str | None = None  # the import job's PasswordHashingAlgorithm
    location: str = ""
    groups: tuple[str, ...] = ()
    enabled: bool = True
    import_file: str | None = None
    import_line: int | None = None

    @property
    def state(self) -> str:
        return STATE_FOR[self.decision]

    def as_report_line(self) -> dict[str, Any]:
        """The JSON Lines object (the documented contract: keys are only ever added)."""
        return report_line(
            self.source_id, self.username, self.decision, self.strategy, self.password, self.algorithm,
            self.reasons, self.groups, self.enabled, self.import_file, self.import_line, self.location,
        )  # fmt: skip


def report_line(
    source_id: str,
    username: str,
    decision: Verdict,
    strategy: str | None,
    password: str | None,
    algorithm: str | None,
    reasons: list[str],
    groups: tuple[str, ...],
    enabled: bool,
    import_file: str | None,
    import_line: int | None,
    location: str,
) -> dict[str, Any]:
    """One user's report object, in its documented key order (shared by the per-record and batch paths)."""
    return {
        "source_id": source_id,
        "username": username,
        "decision": str(decision),
        "strategy": strategy,
        "password": password,
        "algorithm": algorithm,
        "state": STATE_FOR[decision],
        "reasons": reasons,
        "groups": list(groups),
        "enabled": enabled,
        "import_file": import_file,
        "import_line": import_line,
        "location": location,
    }


def fingerprint_line(
    source_id: str,
    username: str,
    attributes: dict[str, str],
    strategy: str | None,
    password: str | None,
    algorithm: str | None,
    groups: tuple[str, ...],
    enabled: bool,
) -> bytes:
    """What apply would send for one user (id, name, attributes, password handling, groups), as the
    bytes the saved plan's source fingerprint hashes."""
    return orjson.dumps(
        (source_id, username, attributes, strategy, password, algorithm, groups, enabled),
        option=orjson.OPT_SORT_KEYS | orjson.OPT_APPEND_NEWLINE,
    )
