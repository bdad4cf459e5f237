"""Child process for the journal kill test: does journal work until it is SIGKILLed.

Usage: ``python journal_kill_child.py JOURNAL TAG MAX_BATCHES``

It first settles what an earlier (killed) child left behind, as a resuming ``apply`` would: users in
doubt are re-attempted, planned ones submitted, both then migrated. Then it adds batches of ``BATCH``
users with ids ``{TAG}-b{batch}-u{i}`` and walks each batch planned → submitted → migrated, until
killed or ``MAX_BATCHES`` (negative = forever) is reached. Stdout gets "started <run_id>" once the run
is recorded.
"""

from __future__ import annotations

import itertools
import sys

from cognito_migrate.journal import Journal, PlannedUser, RunStatus, Transition, UserState

BATCH = 50
SETTLE_BATCH = 7  # settle in small transactions so kills land between commits


def _migrate(journal: Journal, run: int, ids: list[str]) -> None:
    journal.mark_submitted(run, ids, batch_size=BATCH)
    journal.transition(
        run,
        (Transition(sid, UserState.MIGRATED, cognito_sub=f"sub-{sid}") for sid in ids),
        batch_size=SETTLE_BATCH,
    )


def main(path: str, tag: str, max_batches: int) -> None:
    with Journal.open(path) as journal:
        run = journal.start_run("kill-test")
        print(f"started {run}", flush=True)
        _migrate(journal, run, [user.source_id for user in journal.in_doubt()])
        _migrate(journal, run, [user.source_id for user in journal.users(UserState.PLANNED)])
        batches = itertools.count() if max_batches < 0 else range(max_batches)
        for batch in batches:
            ids = [f"{tag}-b{batch}-u{i}" for i in range(BATCH)]
            journal.add_users(
                run, (PlannedUser(sid, f"user-{sid}", "admin") for sid in ids), batch_size=BATCH
            )
            _migrate(journal, run, ids)
        journal.finish_run(run, RunStatus.COMPLETED)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], int(sys.argv[3]))
