"""The demo's sample portal selects the same users whatever the time of day it is built at."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

import pytest

from cognito_migrate.config.models import JupyterHubSource
from cognito_migrate.demo.sample_hub import write_sample_hub
from cognito_migrate.sources import LegacyUser
from cognito_migrate.sources.jupyterhub import JupyterHubDatabase


@pytest.mark.parametrize("hour", [0, 1, 9, 23])
def test_the_portal_rules_select_the_same_sample_users_at_any_hour(tmp_path: Path, hour: int) -> None:
    # The rules compare calendar dates (SQLite's date()): a sample built relative to "now" used to move
    # an abandoned account into the selection when planned just after midnight.
    now = datetime(2026, 11, 21) + timedelta(hours=hour, minutes=30)
    hub = write_sample_hub(tmp_path / "hub.sqlite", now=now)
    source = JupyterHubDatabase(
        JupyterHubSource(type="jupyterhub", database=str(hub)), base_dir=tmp_path, now=now
    )
    try:
        selected = {r.username for r in source.records() if isinstance(r, LegacyUser)}
    finally:
        source.close()
    assert len(selected) == 18
    assert {"ada", "hopper13", "lost-hash", "newbie"} <= selected
    assert not {"drive-by", "old.timer", "no2fa", "pending"} & selected
