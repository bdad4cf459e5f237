"""The CLI's exit codes, one per outcome, as documented in the README."""

from __future__ import annotations

from enum import IntEnum

from cognito_migrate.results import Outcome


class ExitCode(IntEnum):
    OK = 0  # all done
    PARTIAL = 1  # finished with rejected or failed users (or differences, for verify)
    USAGE = 2  # bad usage or configuration
    INTERRUPTED = 3  # interrupted; the run is resumable


FOR_OUTCOME = {
    Outcome.OK: ExitCode.OK,
    Outcome.PARTIAL: ExitCode.PARTIAL,
    Outcome.ERROR: ExitCode.PARTIAL,
    Outcome.INTERRUPTED: ExitCode.INTERRUPTED,
}
