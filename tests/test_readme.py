"""The README's promises that a fresh machine relies on."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def setup_commands() -> list[str]:
    text = (ROOT / "README.md").read_text()
    block = text.split("```sh\n", 1)[1].split("```", 1)[0]
    return [line for line in block.splitlines() if line.strip()]


def test_readme_starts_with_exactly_two_setup_commands() -> None:
    commands = setup_commands()
    assert len(commands) == 2
    assert commands[0].endswith("cognito-migrate demo")
    assert "pytest" in commands[1]
    assert (ROOT / "README.md").read_text().index("```sh") < 40  # right at the top


def test_ci_runs_the_readmes_test_command_word_for_word() -> None:
    assert setup_commands()[1] in (ROOT / ".ci" / "run").read_text().splitlines()
