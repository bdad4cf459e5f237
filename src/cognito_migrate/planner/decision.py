"""One user's plan: what will happen to them and why. This is a line of the per-user report."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any


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
        return {
            "source_id": self.source_id,
            "username": self.username,
            "decision": str(self.decision),
            "strategy": self.strategy,
            "password": self.password,
            "algorithm": self.algorithm,
            "state": self.state,
            "reasons": self.reasons,
            "groups": list(self.groups),
            "enabled": self.enabled,
            "import_file": self.import_file,
            "import_line": self.import_line,
            "location": self.location,
        }
