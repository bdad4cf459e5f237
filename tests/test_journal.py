"""The journal: user states survive crashes, bad changes are refused, and nothing leaks to other users."""

from __future__ import annotations

import os
import random
import signal
import sqlite3
import stat
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest

from cognito_migrate.errors import IllegalTransition, JournalError
from cognito_migrate.journal import (
    ALLOWED,
    MIGRATIONS,
    AddResult,
    Journal,
    PlannedUser,
    RunStatus,
    Transition,
    UserState,
    check_transition,
    default_journal_path,
)
from cognito_migrate.journal import schema as journal_schema

S = UserState
KILL_CHILD = Path(__file__).with_name("journal_kill_child.py")


@pytest.fixture
def path(tmp_path: Path) -> Path:
    return tmp_path / "migration.journal.sqlite"


@pytest.fixture
def journal(path: Path) -> Iterator[Journal]:
    with Journal.open(path) as opened:
        yield opened


def planned(*ids: str, strategy: str = "admin") -> list[PlannedUser]:
    return [PlannedUser(sid, f"user-{sid}", strategy) for sid in ids]


def walk(journal: Journal, run: int, source_id: str, *states: UserState) -> None:
    for state in states:
        journal.transition(run, [Transition(source_id, state)])


def mode(file: Path) -> int:
    return stat.S_IMODE(file.stat().st_mode)


def raw(path: Path) -> sqlite3.Connection:
    return sqlite3.connect(path, isolation_level=None)


# ---------------------------------------------------------------- state machine


def test_a_user_walks_to_migrated_and_its_history_is_in_order(journal: Journal) -> None:
    run = journal.start_run("apply")
    journal.add_users(run, planned("u1"))
    journal.mark_submitted(run, ["u1"])
    journal.transition(run, [Transition("u1", S.MIGRATED, cognito_sub="sub-1")])

    user = journal.get_user("u1")
    assert user is not None
    assert (user.state, user.cognito_sub, user.attempts, user.last_run_id) == (S.MIGRATED, "sub-1", 1, run)
    history = journal.history("u1")
    assert [(e.from_state, e.to_state) for e in history] == [
        (None, S.PLANNED),
        (S.PLANNED, S.SUBMITTED),
        (S.SUBMITTED, S.MIGRATED),
    ]
    assert all(e.run_id == run for e in history)
    assert [e.at for e in history] == sorted(e.at for e in history)


@pytest.mark.parametrize(
    ("path_to_state", "forbidden"),
    [
        ((S.SUBMITTED, S.MIGRATED), S.SUBMITTED),  # migrating a user twice
        ((), S.MIGRATED),  # claiming success without ever sending the user
        ((S.SUBMITTED, S.SKIPPED), S.SUBMITTED),  # sending a skipped user without re-planning it
        ((S.REJECTED,), S.SUBMITTED),  # sending a user the planner refused
    ],
)
def test_a_forbidden_change_names_the_user_and_rolls_back_its_whole_batch(
    journal: Journal, path_to_state: tuple[UserState, ...], forbidden: UserState
) -> None:
    run = journal.start_run("apply")
    journal.add_users(run, planned("ok-1", "bad", "ok-2"))
    walk(journal, run, "bad", *path_to_state)
    bad_before = journal.get_user("bad")
    assert bad_before is not None

    batch = [Transition("ok-1", S.SUBMITTED), Transition("bad", forbidden), Transition("ok-2", S.SUBMITTED)]
    with pytest.raises(IllegalTransition) as caught:
        journal.transition(run, batch)

    message = str(caught.value)
    assert "'bad'" in message
    assert bad_before.state.value in message
    assert forbidden.value in message
    # ok-1 came before the bad change in the same batch: it must not have moved either.
    assert {sid: u.state for sid in ("ok-1", "ok-2") if (u := journal.get_user(sid))} == {
        "ok-1": S.PLANNED,
        "ok-2": S.PLANNED,
    }
    assert journal.get_user("bad") == bad_before
    assert len(journal.history("ok-1")) == 1
    assert len(journal.history("bad")) == 1 + len(path_to_state)


def test_batches_before_the_forbidden_change_stay_committed(journal: Journal) -> None:
    run = journal.start_run("apply")
    journal.add_users(run, planned("a", "b", "c", "d"))
    changes = [Transition(sid, S.SUBMITTED) for sid in "ab"] + [
        Transition("c", S.SUBMITTED),
        Transition("d", S.MIGRATED),
    ]
    with pytest.raises(IllegalTransition, match="'d'"):
        journal.transition(run, changes, batch_size=2)
    assert {sid: journal.get_user(sid).state for sid in "abcd"} == {  # type: ignore[union-attr]
        "a": S.SUBMITTED,
        "b": S.SUBMITTED,
        "c": S.PLANNED,
        "d": S.PLANNED,
    }


def test_every_change_outside_the_table_is_refused() -> None:
    for old in [None, *UserState]:
        for new in UserState:
            if new in ALLOWED[old]:
                check_transition("u", old, new)
            else:
                with pytest.raises(IllegalTransition, match="'u'"):
                    check_transition("u", old, new)


def test_a_change_for_an_unknown_user_is_refused(journal: Journal) -> None:
    run = journal.start_run("apply")
    with pytest.raises(JournalError, match="'ghost' is not in the journal"):
        journal.mark_submitted(run, ["ghost"])


def test_a_plan_cannot_mark_users_submitted() -> None:
    with pytest.raises(ValueError, match="planned, rejected or skipped"):
        PlannedUser("u1", "ada", "admin", state=S.SUBMITTED)


def test_attempts_count_every_submission_and_reasons_are_kept_in_history(journal: Journal) -> None:
    run = journal.start_run("apply")
    journal.add_users(run, planned("u1"))
    journal.mark_submitted(run, ["u1"])
    journal.transition(run, [Transition("u1", S.FAILED, reason="TooManyRequestsException")])
    journal.mark_submitted(run, ["u1"])
    journal.mark_submitted(run, ["u1"])  # crash left it in doubt; re-attempted
    journal.transition(run, [Transition("u1", S.MIGRATED)])

    user = journal.get_user("u1")
    assert user is not None
    assert (user.state, user.attempts, user.reason) == (S.MIGRATED, 3, None)
    assert [e.reason for e in journal.history("u1") if e.to_state is S.FAILED] == ["TooManyRequestsException"]


def test_counts_cover_every_state(journal: Journal) -> None:
    run = journal.start_run("plan")
    journal.add_users(
        run, [*planned("a", "b", "c", "d"), PlannedUser("r", "r", None, S.REJECTED, "no email")]
    )
    journal.mark_submitted(run, ["a", "b", "c"])
    journal.transition(run, [Transition("a", S.MIGRATED), Transition("b", S.FAILED, reason="x")])

    assert journal.counts() == {
        S.PLANNED: 1,
        S.SUBMITTED: 1,
        S.MIGRATED: 1,
        S.SKIPPED: 0,
        S.FAILED: 1,
        S.REJECTED: 1,
        S.ROLLED_BACK: 0,
    }
    assert [u.source_id for u in journal.in_doubt()] == ["c"]


# ---------------------------------------------------------------- planning


def test_a_first_plan_with_an_id_twice_is_decided_as_one_user_at_a_time(journal: Journal) -> None:
    # A first plan skips looking users up until one is found journaled already: then it must still
    # decide the repeated id against its first decision, whether in the same batch or a later one.
    run = journal.start_run("plan")
    users = [
        *planned("a"),
        PlannedUser("a", "user-a", None, S.REJECTED, "duplicate id"),  # the same batch, nothing looked up
        *planned("b", "c", "d"),
        PlannedUser("b", "user-b", None, S.REJECTED, "duplicate id"),  # a later batch: its INSERT fails
        *planned("e"),
    ]

    assert journal.add_users(run, users, batch_size=2) == AddResult(added=5, updated=2)
    for source_id in ("a", "b"):
        assert [event.to_state for event in journal.history(source_id)] == [S.PLANNED, S.REJECTED]
    counts = journal.counts()
    assert (counts[S.PLANNED], counts[S.REJECTED]) == (3, 2)


def test_replanning_is_idempotent_and_keeps_users_past_planning(journal: Journal) -> None:
    run = journal.start_run("plan")
    first = [
        *planned("p1", "p2", "m1", "f1"),
        PlannedUser("r1", "user-r1", None, S.REJECTED, "username taken"),
    ]
    assert journal.add_users(run, first) == AddResult(added=5)
    journal.mark_submitted(run, ["m1", "f1"])
    journal.transition(run, [Transition("m1", S.MIGRATED), Transition("f1", S.FAILED, reason="x")])
    before = {u.source_id: u for u in journal.users()}

    # Same plan again: failed f1 is planned again, everything else untouched.
    assert journal.add_users(run, first) == AddResult(updated=1, unchanged=3, kept=1)
    assert journal.add_users(run, first) == AddResult(unchanged=4, kept=1)
    after = {u.source_id: u for u in journal.users()}
    assert after.keys() == before.keys()
    assert {sid: u for sid, u in after.items() if sid != "f1"} == {
        sid: u for sid, u in before.items() if sid != "f1"
    }
    assert (after["f1"].state, after["f1"].attempts) == (S.PLANNED, 1)

    # A changed plan: p1 now rejected, r1 fixed, p2 new strategy, m1 (migrated) cannot be re-decided.
    changed = [
        PlannedUser("p1", "user-p1", None, S.REJECTED, "invalid email"),
        PlannedUser("r1", "user-r1-renamed", "admin"),
        PlannedUser("p2", "user-p2", "csv-import"),
        PlannedUser("m1", "user-m1", None, S.REJECTED, "would be rejected now"),
    ]
    assert journal.add_users(run, changed) == AddResult(updated=3, kept=1)
    states = {u.source_id: (u.state, u.strategy, u.reason) for u in journal.users()}
    assert states["p1"] == (S.REJECTED, None, "invalid email")
    assert states["r1"] == (S.PLANNED, "admin", None)
    assert states["p2"] == (S.PLANNED, "csv-import", None)
    assert states["m1"] == (S.MIGRATED, "admin", None)
    # A new strategy is not a state change: no history event for p2.
    assert len(journal.history("p2")) == 1
    assert [e.to_state for e in journal.history("r1")] == [S.REJECTED, S.PLANNED]


def test_a_batch_of_new_users_is_all_or_nothing(journal: Journal) -> None:
    run = journal.start_run("plan")
    users = [*planned("u1", "u2", "u3", "u4"), PlannedUser("u5", None, "admin"), *planned("u6")]  # type: ignore[arg-type]
    with pytest.raises(JournalError):
        journal.add_users(run, users, batch_size=3)
    assert [u.source_id for u in journal.users()] == ["u1", "u2", "u3"]
    assert journal.history("u4") == []


def test_users_stream_in_pages_and_filter_by_state(journal: Journal) -> None:
    run = journal.start_run("plan")
    ids = [f"u{i:05d}" for i in range(2500)]
    result = journal.add_users(run, (PlannedUser(sid, sid, "admin") for sid in ids), batch_size=1000)
    assert result.added == 2500
    journal.mark_submitted(run, ids[::2])

    assert [u.source_id for u in journal.users(page_size=100)] == ids
    assert [u.source_id for u in journal.users(S.SUBMITTED, page_size=7)] == ids[::2]
    assert sum(1 for _ in journal.in_doubt()) == 1250

    # Settling users while iterating over them (the resume loop) visits each one exactly once.
    seen = []
    for user in journal.users(S.SUBMITTED, page_size=100):
        seen.append(user.source_id)
        journal.transition(run, [Transition(user.source_id, S.MIGRATED)])
    assert seen == ids[::2]
    assert journal.counts()[S.MIGRATED] == 1250


def test_an_unknown_run_is_refused(journal: Journal) -> None:
    with pytest.raises(JournalError, match="FOREIGN KEY"):
        journal.add_users(999, planned("u1"))
    assert journal.get_user("u1") is None
    with pytest.raises(JournalError, match="no run 999"):
        journal.get_run(999)


# ---------------------------------------------------------------- the file


def test_the_file_and_its_wal_are_private_whatever_the_umask(path: Path) -> None:
    old_umask = os.umask(0)
    try:
        with Journal.open(path) as journal:
            run = journal.start_run("plan")
            journal.add_users(run, planned("u1", "u2"))
            sidecars = [path.with_name(path.name + s) for s in ("-wal", "-shm")]
            assert all(p.exists() for p in sidecars)
            assert {p.name: mode(p) for p in [path, *sidecars]} == {p.name: 0o600 for p in [path, *sidecars]}
    finally:
        os.umask(old_umask)
    assert mode(path) == 0o600


def test_nothing_secret_is_stored(journal: Journal) -> None:
    columns = {
        row[1]
        for table in ("runs", "users", "user_events", "import_jobs")
        for row in journal._connection().execute(f"PRAGMA table_info({table})")
    }
    assert not {c for c in columns if "password" in c and c != "password_algorithm"}
    assert not {c for c in columns if "hash" in c or "secret" in c}


def test_reopening_shows_the_same_state(path: Path) -> None:
    with Journal.open(path) as journal:
        run = journal.start_run("apply", plan_checksum="sha256:abc")
        journal.add_users(run, planned("a", "b", "c"))
        journal.mark_submitted(run, ["a", "b"], import_job_id="import-1", lines={"a": 1, "b": 2})
        journal.transition(run, [Transition("a", S.MIGRATED, cognito_sub="sub-a")])
        journal.finish_run(run, RunStatus.PARTIAL, note="1 in doubt")
        before = (list(journal.users()), journal.counts(), journal.history("a"), journal.runs())

    with Journal.open(path) as reopened:
        assert (list(reopened.users()), reopened.counts(), reopened.history("a"), reopened.runs()) == before
        assert [u.source_id for u in reopened.in_doubt()] == ["b"]
        assert reopened.get_run(run).status is RunStatus.PARTIAL
        assert reopened.get_run(run).note == "1 in doubt"
        assert reopened.interrupted_runs() == []


def test_schema_is_current_after_open_and_reopening_changes_nothing(path: Path) -> None:
    with Journal.open(path):
        pass
    with raw(path) as conn:
        assert conn.execute("PRAGMA user_version").fetchone()[0] == len(MIGRATIONS)
        tables = conn.execute("SELECT sql FROM sqlite_master ORDER BY name").fetchall()
    with Journal.open(path), raw(path) as conn:
        assert conn.execute("PRAGMA user_version").fetchone()[0] == len(MIGRATIONS)
        assert conn.execute("SELECT sql FROM sqlite_master ORDER BY name").fetchall() == tables


def test_a_journal_from_a_newer_version_is_refused(path: Path) -> None:
    with Journal.open(path):
        pass
    newer = len(MIGRATIONS) + 1
    with raw(path) as conn:
        conn.execute(f"PRAGMA user_version = {newer}")
    with pytest.raises(
        JournalError, match=rf"newer cognito-migrate \(schema {newer}, this knows {len(MIGRATIONS)}\)"
    ):
        Journal.open(path)
    with raw(path) as conn:
        assert conn.execute("PRAGMA user_version").fetchone()[0] == newer


def test_an_older_journal_is_upgraded_step_by_step(path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with Journal.open(path) as journal:
        run = journal.start_run("plan")
        journal.add_users(run, planned("u1"))

    def add_note_column(conn: sqlite3.Connection) -> None:
        conn.execute("ALTER TABLE users ADD COLUMN note TEXT")

    monkeypatch.setattr(journal_schema, "MIGRATIONS", [*MIGRATIONS, add_note_column])
    with Journal.open(path) as upgraded:
        assert upgraded.get_user("u1") is not None
        columns = [row[1] for row in upgraded._connection().execute("PRAGMA table_info(users)")]
        assert "note" in columns
    with raw(path) as conn:
        assert conn.execute("PRAGMA user_version").fetchone()[0] == len(MIGRATIONS) + 1


def test_a_failing_upgrade_leaves_the_journal_at_its_old_version(
    path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with Journal.open(path):
        pass

    def half_done(conn: sqlite3.Connection) -> None:
        conn.execute("CREATE TABLE half (x)")
        raise sqlite3.OperationalError("disk on fire")

    monkeypatch.setattr(journal_schema, "MIGRATIONS", [*MIGRATIONS, half_done])
    with pytest.raises(JournalError, match="disk on fire"):
        Journal.open(path)
    with raw(path) as conn:
        assert conn.execute("PRAGMA user_version").fetchone()[0] == len(MIGRATIONS)
        assert conn.execute("SELECT name FROM sqlite_master WHERE name = 'half'").fetchall() == []


def test_a_file_that_is_not_a_journal_is_refused_by_name(tmp_path: Path) -> None:
    garbage = tmp_path / "notes.txt"
    garbage.write_bytes(b"this is not a database, just some text that is long enough" * 20)
    with pytest.raises(JournalError, match=r"notes\.txt.*not a database"):
        Journal.open(garbage)
    with pytest.raises(JournalError, match="no-such-dir"):
        Journal.open(tmp_path / "no-such-dir" / "j.sqlite")


def test_a_closed_journal_says_so(path: Path) -> None:
    journal = Journal.open(path)
    journal.close()
    journal.close()
    with pytest.raises(JournalError, match="closed"):
        journal.counts()


def test_default_path_sits_next_to_the_plan() -> None:
    assert default_journal_path(Path("/srv/mig/migration.toml")) == Path("/srv/mig/migration.journal.sqlite")


# ---------------------------------------------------------------- runs and import jobs


def test_a_run_whose_process_died_is_reported_interrupted(path: Path) -> None:
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    with Journal.open(path) as journal:
        orphan = journal.start_run("apply")
        alive = journal.start_run("apply")  # this process, still running
        journal._connection().execute("UPDATE runs SET pid = ? WHERE run_id = ?", (dead.pid, orphan))

    with Journal.open(path) as reopened:
        assert [r.run_id for r in reopened.interrupted_runs()] == [orphan]
        assert reopened.get_run(orphan).status is RunStatus.INTERRUPTED
        assert reopened.get_run(orphan).finished_at is not None
        assert reopened.get_run(alive).status is RunStatus.RUNNING
    with Journal.open(path) as again:
        assert again.interrupted_runs() == []  # reported once, by the open that found it


def test_import_jobs_and_their_lines_lead_back_to_users(journal: Journal) -> None:
    run = journal.start_run("apply")
    journal.add_users(run, planned("a", "b"))
    journal.record_import_job(run, "import-1", "eu-west-1_X", "cm-1", "BCRYPT", "batch-1.csv", 2)
    journal.mark_submitted(run, ["a", "b"], import_job_id="import-1", lines={"a": 2, "b": 3})
    journal.update_import_job("import-1", status="Succeeded", imported=1, failed=1, skipped=0)
    journal.transition(run, [Transition("a", S.MIGRATED), Transition("b", S.FAILED, reason="line 3 failed")])

    (job,) = journal.import_jobs(run)
    assert (job.status, job.imported, job.failed, job.user_count) == ("Succeeded", 1, 1, 2)
    assert journal.user_for_import_line("import-1", 3).source_id == "b"  # type: ignore[union-attr]
    assert journal.user_for_import_line("import-1", 9) is None

    # b is re-sent without an import job, then in a second job: the line moves with the job.
    journal.mark_submitted(run, ["b"])
    assert journal.user_for_import_line("import-1", 3).source_id == "b"  # type: ignore[union-attr]
    journal.transition(run, [Transition("b", S.FAILED)])
    journal.record_import_job(run, "import-2", "eu-west-1_X", "cm-2", None, "batch-2.csv", 1)
    journal.mark_submitted(run, ["b"], import_job_id="import-2")
    user_b = journal.get_user("b")
    assert user_b is not None
    assert (user_b.import_job_id, user_b.import_line, user_b.attempts) == ("import-2", None, 3)
    assert [j.job_id for j in journal.import_jobs()] == ["import-1", "import-2"]
    with pytest.raises(JournalError, match="no import job 'nope'"):
        journal.update_import_job("nope", status="Failed")


# ---------------------------------------------------------------- concurrency and crashes


def test_threads_recording_results_at_once_all_land(journal: Journal) -> None:
    run = journal.start_run("apply")
    per_thread = 150
    ids = [[f"t{t}-u{i}" for i in range(per_thread)] for t in range(8)]
    journal.add_users(run, (PlannedUser(sid, sid, "admin") for group in ids for sid in group))
    start = threading.Barrier(8)
    errors: list[BaseException] = []

    def worker(group: list[str]) -> None:
        try:
            start.wait()
            for sid in group:
                journal.mark_submitted(run, [sid])
                journal.transition(run, [Transition(sid, S.MIGRATED, cognito_sub=f"sub-{sid}")])
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(group,)) for group in ids]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    assert journal.counts()[S.MIGRATED] == 8 * per_thread
    assert all(u.attempts == 1 and u.cognito_sub == f"sub-{u.source_id}" for u in journal.users())


def assert_consistent(path: Path) -> Counter[str]:
    """What every crash must leave true; returns the number of users per batch id."""
    with raw(path) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        assert conn.execute("PRAGMA foreign_key_check").fetchall() == []
        states = {row[0] for row in conn.execute("SELECT DISTINCT state FROM users")}
        assert states <= set(UserState)
        # Each user's state is the to_state of its last event.
        mismatched = conn.execute(
            """
            SELECT u.source_id FROM users u
            LEFT JOIN user_events e ON e.id = (SELECT MAX(id) FROM user_events WHERE source_id = u.source_id)
            WHERE e.to_state IS NOT u.state
            """
        ).fetchall()
        assert mismatched == []
        # And the history is an unbroken chain: each event starts where the previous one ended.
        broken = conn.execute(
            """
            SELECT source_id FROM (
                SELECT source_id, from_state,
                       LAG(to_state) OVER (PARTITION BY source_id ORDER BY id) AS previous
                FROM user_events)
            WHERE from_state IS NOT previous
            """
        ).fetchall()
        assert broken == []
        ids = [row[0] for row in conn.execute("SELECT source_id FROM users")]
    return Counter(sid.rsplit("-u", 1)[0] for sid in ids)


def test_a_killed_process_never_leaves_a_user_without_a_state(path: Path) -> None:
    rng = random.Random(20240611)
    interrupted = 0
    for kill in range(10):
        with subprocess.Popen(
            [sys.executable, str(KILL_CHILD), str(path), f"k{kill}", "-1"], stdout=subprocess.PIPE, text=True
        ) as child:
            assert child.stdout is not None
            # Odd kills count from the spawn, so some land while the journal is being opened; even
            # ones wait until the run is recorded, so at least half surely interrupt a run mid-work.
            output = child.stdout.readline() if kill % 2 == 0 else ""
            time.sleep(rng.uniform(0.05, 0.6) if kill % 2 else rng.uniform(0.0, 0.4))
            child.send_signal(signal.SIGKILL)
            child.wait()  # reap it, or its pid would still look alive
            output += child.stdout.read()

        batch_sizes = assert_consistent(path)
        assert set(batch_sizes.values()) <= {50}, "a batch of users was half written"
        with Journal.open(path) as journal:
            runs = [r for r in journal.runs() if r.pid == child.pid]
            assert all(r.status is RunStatus.INTERRUPTED for r in runs)
            if output.startswith("started"):
                assert len(runs) == 1
                assert journal.interrupted_runs() == runs
                interrupted += 1
    assert interrupted >= 5, "every even kill lands after the run started"

    # A last child that is allowed to finish resumes everything the kills left behind.
    subprocess.run(
        [sys.executable, str(KILL_CHILD), str(path), "final", "1"], check=True, capture_output=True
    )
    batch_sizes = assert_consistent(path)
    with Journal.open(path) as journal:
        counts = journal.counts()
        assert counts[S.MIGRATED] == sum(batch_sizes.values()) > 50
        assert set(counts.values()) == {0, counts[S.MIGRATED]}
        # A user left in doubt by one kill is re-submitted by the next child, which may be killed
        # before settling it too: attempts count those re-submissions, at most one per run.
        runs = len(journal.runs())
        assert all(1 <= u.attempts <= runs for u in journal.users(S.MIGRATED))
        assert journal.runs()[-1].status is RunStatus.COMPLETED
