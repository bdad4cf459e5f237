"""``Journal.add_users`` decides a batch at once: it must decide exactly as one user at a time would."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cognito_migrate.journal import AddResult, Journal, PlannedUser, Transition, UserState

S = UserState
IDS = ["a", "b", "c", "d", "e"]

plans = st.lists(
    st.builds(
        PlannedUser,
        source_id=st.sampled_from(IDS),
        username=st.sampled_from(["ann", "bob"]),
        strategy=st.sampled_from([None, "admin", "csv-import"]),
        state=st.sampled_from([S.PLANNED, S.REJECTED]),
        reason=st.sampled_from([None, "email: missing", "username: taken"]),
    ),
    max_size=12,
)


def journal_rows(path: Path) -> tuple[list[tuple[object, ...]], list[tuple[object, ...]]]:
    """Users and their histories, without the times and event ids that differ from run to run."""
    with sqlite3.connect(path) as conn:
        users = conn.execute(
            "SELECT source_id, username, strategy, state, reason, attempts, last_run_id FROM users"
            " ORDER BY source_id"
        ).fetchall()
        events = conn.execute(
            "SELECT source_id, run_id, from_state, to_state, reason FROM user_events ORDER BY source_id, id"
        ).fetchall()
    return users, events


@settings(max_examples=60, deadline=None)
@given(first=plans, second=plans, batch_size=st.integers(2, 8))
def test_a_batch_decides_as_one_user_at_a_time_would(
    tmp_path_factory: pytest.TempPathFactory,
    first: list[PlannedUser],
    second: list[PlannedUser],
    batch_size: int,
) -> None:
    # Ids listed twice in one batch are decided against the batch's own earlier decision, and users
    # moved on by apply (submitted, migrated) are kept, whatever the batch size.
    folder = tmp_path_factory.mktemp("batches")
    results = {}
    for size in (1, batch_size):
        path = folder / f"size-{size}.sqlite"
        with Journal.open(path) as journal:
            run = journal.start_run("plan")
            added = journal.add_users(run, first, batch_size=size)
            planned = [u.source_id for u in journal.users(S.PLANNED)]
            journal.mark_submitted(run, planned[:2])
            journal.transition(run, [Transition(sid, S.MIGRATED) for sid in planned[1:2]])
            replanned = journal.add_users(run, second, batch_size=size)
        results[size] = (added, replanned, journal_rows(path))
    assert results[batch_size] == results[1]
    users, events = results[1][2]
    for source_id, _, _, state, *_ in users:
        history = [(before, after) for sid, _, before, after, _ in events if sid == source_id]
        # Each event starts where the one before it ended, and the last one ends in the user's state.
        assert [before for before, _ in history] == [None] + [after for _, after in history[:-1]]
        assert history[-1][1] == state
    assert results[1][0].total == len(first)
    assert results[1][1].total == len(second)


def test_batches_larger_than_one_lookup_or_insert_statement(tmp_path: Path) -> None:
    ids = [f"u{i:05d}" for i in range(2500)]
    with Journal.open(tmp_path / "big.sqlite") as journal:
        run = journal.start_run("plan")
        users = [PlannedUser(sid, sid, "admin") for sid in ids]
        assert journal.add_users(run, users, batch_size=2500) == AddResult(added=2500)
        changed = [PlannedUser(sid, sid, "csv-import") if sid.endswith("7") else user
                   for sid, user in zip(ids, users, strict=True)]  # fmt: skip
        assert journal.add_users(run, changed, batch_size=2500) == AddResult(updated=250, unchanged=2250)
        assert [u.source_id for u in journal.users()] == ids
        assert journal.get_user("u00017").strategy == "csv-import"  # type: ignore[union-attr]
        assert len(journal.history("u00017")) == 1  # a new strategy alone is not a state change
