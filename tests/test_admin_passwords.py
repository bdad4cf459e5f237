"""Generated passwords fit any Cognito policy; the credentials file is private, durable and append-only."""

from __future__ import annotations

import csv
import os
import stat
import threading
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cognito_migrate.errors import ConfigError
from cognito_migrate.local.rules.passwords import SYMBOLS as COGNITO_SYMBOLS
from cognito_migrate.local.rules.passwords import policy_violations
from cognito_migrate.planner.profile import PasswordPolicy
from cognito_migrate.strategies.admin import HEADER, CredentialsFile, generate_password, read_credentials

policies = st.builds(
    PasswordPolicy,
    minimum_length=st.integers(6, 99),
    require_uppercase=st.booleans(),
    require_lowercase=st.booleans(),
    require_numbers=st.booleans(),
    require_symbols=st.booleans(),
    password_history_size=st.integers(0, 24),
)


@given(policies)
def test_a_generated_password_satisfies_the_policy_it_was_made_for(policy: PasswordPolicy) -> None:
    password = generate_password(policy)
    rules = {
        "MinimumLength": policy.minimum_length,
        "RequireUppercase": policy.require_uppercase,
        "RequireLowercase": policy.require_lowercase,
        "RequireNumbers": policy.require_numbers,
        "RequireSymbols": policy.require_symbols,
    }
    assert policy_violations(password, rules) == []
    assert len(password) == max(policy.minimum_length, 20)
    assert set(password) <= set(COGNITO_SYMBOLS) | set(
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
    )


def test_generated_passwords_do_not_repeat() -> None:
    assert len({generate_password(PasswordPolicy()) for _ in range(1000)}) == 1000


def test_a_new_file_is_private_with_the_header(tmp_path: Path) -> None:
    path = tmp_path / "credentials.csv"
    old_umask = os.umask(0o022)  # a typical umask must not widen it
    try:
        with CredentialsFile(path) as credentials:
            credentials.record("42", "ada", "temporary", 'Pa,ss"word-1')
    finally:
        os.umask(old_umask)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    rows = list(csv.reader(path.open(newline="")))
    assert rows == [list(HEADER), ["42", "ada", "temporary", 'Pa,ss"word-1']]


def test_an_existing_file_is_appended_to_and_the_last_line_wins(tmp_path: Path) -> None:
    path = tmp_path / "credentials.csv"
    with CredentialsFile(path) as credentials:
        credentials.record("1", "ada", "temporary", "First-Pass-1")
        credentials.record("2", "bob", "permanent", "Bobs-Pass-22")
    with CredentialsFile(path) as credentials:
        credentials.record("1", "ada", "temporary", "Second-Pass-1")
    recorded = read_credentials(path)
    assert {key: (c.username, c.kind, c.password) for key, c in recorded.items()} == {
        "1": ("ada", "temporary", "Second-Pass-1"),
        "2": ("bob", "permanent", "Bobs-Pass-22"),
    }
    assert path.read_text().count("source_id,") == 1  # one header
    assert "Second-Pass-1" not in repr(recorded["1"])


@pytest.mark.parametrize(
    ("prepare", "message"),
    [
        (lambda p: (p.write_text("source_id,username,password_kind,password\n"), p.chmod(0o644)),
         "readable by others"),
        (lambda p: (p.write_text("name,email\nada,ada@example.com\n"), p.chmod(0o600)),
         "not a cognito-migrate credentials file"),
        (lambda p: p.symlink_to(p.parent / "elsewhere.csv"), "cannot append"),
        (lambda p: p.mkdir(), "cannot append"),
    ],
    ids=["world-readable", "another-csv", "symlink", "directory"],
)  # fmt: skip
def test_a_file_that_is_not_private_or_not_ours_is_refused(
    tmp_path: Path, prepare: object, message: str
) -> None:
    path = tmp_path / "credentials.csv"
    prepare(path)  # type: ignore[operator]
    with pytest.raises(ConfigError, match=message):
        CredentialsFile(path)
    assert not (tmp_path / "elsewhere.csv").exists()


def test_an_empty_file_left_by_a_crash_gets_its_header(tmp_path: Path) -> None:
    path = tmp_path / "credentials.csv"
    path.touch(mode=0o600)
    with CredentialsFile(path) as credentials:
        credentials.record("1", "ada", "temporary", "First-Pass-1")
    assert read_credentials(path)["1"].password == "First-Pass-1"


def test_many_threads_record_without_losing_or_mixing_lines(tmp_path: Path) -> None:
    path = tmp_path / "credentials.csv"
    with CredentialsFile(path) as credentials:

        def worker(start: int) -> None:
            for n in range(start, start + 100):
                credentials.record(str(n), f"user{n}", "temporary", f"Pass-{n}-Word")

        threads = [threading.Thread(target=worker, args=(k * 100,)) for k in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    recorded = read_credentials(path)
    assert len(recorded) == 800
    assert all(recorded[str(n)].password == f"Pass-{n}-Word" for n in range(800))


def test_recording_after_close_is_a_config_error_not_a_silent_loss(tmp_path: Path) -> None:
    credentials = CredentialsFile(tmp_path / "credentials.csv")
    credentials.close()
    with pytest.raises(ConfigError, match="cannot write a password"):
        credentials.record("1", "ada", "temporary", "First-Pass-1")
