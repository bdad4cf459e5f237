"""The plan's journal writer process: rows arrive in order, survive the planner's errors, report its own."""

from __future__ import annotations

from pathlib import Path

import pytest

from cognito_migrate.errors import JournalError
from cognito_migrate.journal import AddResult, Journal, UserState
from cognito_migrate.journal.background import BackgroundPlanRows


def rows(first: int, count: int) -> list[tuple[str, str, str | None, UserState, str | None]]:
    return [
        (str(i), f"user{i}", "csv-import", UserState.PLANNED, "kept") for i in range(first, first + count)
    ]


def test_every_row_sent_is_journaled_in_order(tmp_path: Path) -> None:
    path = tmp_path / "j.sqlite"
    with Journal.open(path) as journal:
        run = journal.start_run("plan")
    with BackgroundPlanRows(path, run) as writer:
        for first in range(0, 12_000, 1000):
            writer.put(rows(first, 1000))
        writer.put([("11999", "renamed", None, UserState.REJECTED, "duplicate id: decided again")])

    assert writer.result == AddResult(added=12_000, updated=1)
    assert writer.peak_kib is not None
    with Journal.open(path) as journal:
        first, last = journal.get_user("0"), journal.get_user("11999")
        assert first is not None
        assert first.state is UserState.PLANNED
        assert last is not None
        assert (last.username, last.state) == ("renamed", UserState.REJECTED)
        assert [event.to_state for event in journal.history("11999")] == [
            UserState.PLANNED,
            UserState.REJECTED,
        ]


def test_rows_sent_before_the_planner_fails_are_kept(tmp_path: Path) -> None:
    path = tmp_path / "j.sqlite"
    with Journal.open(path) as journal:
        run = journal.start_run("plan")

    def plan_that_breaks() -> None:
        with BackgroundPlanRows(path, run) as writer:
            writer.put(rows(0, 500))
            raise RuntimeError("source broke")

    with pytest.raises(RuntimeError, match="source broke"):
        plan_that_breaks()

    with Journal.open(path) as journal:
        kept = journal.get_user("499")
        assert kept is not None
        assert kept.state is UserState.PLANNED


def test_the_writers_error_reaches_the_planner(tmp_path: Path) -> None:
    path = tmp_path / "j.sqlite"
    Journal.open(path).close()

    def plan_into_a_missing_run() -> None:
        with BackgroundPlanRows(path, 999) as writer:
            for first in range(0, 200_000, 5000):  # more than a pipe holds: must not hang
                writer.put(rows(first, 5000))

    with pytest.raises(JournalError, match=r"journal writer failed: .*FOREIGN KEY constraint failed"):
        plan_into_a_missing_run()


def test_without_a_python_to_start_the_rows_are_written_in_process(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("sys.frozen", True, raising=False)  # as in a frozen build
    path = tmp_path / "j.sqlite"
    with Journal.open(path) as journal:
        run = journal.start_run("plan")
    with BackgroundPlanRows(path, run) as writer:
        writer.put(rows(0, 7000))
        writer.put(rows(6999, 2))

    assert writer.result == AddResult(added=7001, unchanged=1)
    assert writer.peak_kib is None  # no writer process
