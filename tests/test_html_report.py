"""The HTML report: one self-contained page that escapes what users typed, and that a browser renders
with the counts, the reasons and the progress chart (headless Chromium takes the screenshot)."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from cognito_migrate.cli import main
from cognito_migrate.journal import Journal, UserState
from cognito_migrate.local import LocalCognito
from cognito_migrate.reports.html_report import STATE_COLOURS
from cognito_migrate.reports.svg_chart import PLOT_BACKGROUND
from test_status_cli import HOSTILE_EMAIL, migrated_portal

WINDOW = (1280, 1600)


@pytest.fixture(scope="module")
def report(local_cognito: LocalCognito, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """``status --report`` of a 60-user portal migration, its bad-email user's email being markup."""
    workdir = tmp_path_factory.mktemp("html")
    plan_file = migrated_portal(local_cognito, workdir, count=60, hostile=True)
    assert main(["status", "--plan", str(plan_file), "--report", str(workdir / "report")]) == 1
    return workdir / "report" / "report.html"


def test_the_page_is_self_contained_and_escapes_what_users_typed(report: Path) -> None:
    page = report.read_text(encoding="utf-8")
    # Nothing to fetch or run: no script, no external stylesheet, image or font.
    assert "<script" not in page
    assert not re.search(r"""(src|href)\s*=|url\(|@import""", page)
    assert re.findall(r"https?://[^\s\"'<]+", page) == ["http://www.w3.org/2000/svg"]  # a namespace
    # The rejected user's email is shown as text.
    assert "&lt;script&gt;alert(&quot;owned&quot;)&lt;/script&gt;@" in page
    assert HOSTILE_EMAIL not in page
    # What happened, by state and reason, and what the plan expected.
    assert re.search(r'class="label">failed</div><div class="n">1</div>', page)
    assert "email.invalid" in page
    assert "An account with the given email already exists" in page
    manifest = json.loads((report.parent.parent / "migration.plan" / "plan.json").read_text())
    estimated_calls = sum(manifest["estimate"]["calls"].values())
    # Beside it, the calls the apply run made, per quota category, as its rate limiter counted them.
    with Journal.open(report.parent.parent / "migration.journal.sqlite") as journal:
        made = journal.calls(["apply"])
    assert made["UserPoolResourceUpdate"] >= 2  # CreateUserImportJob and StartUserImportJob at least
    assert (
        f'<td class="key">Cognito API calls</td><td class="n">{estimated_calls:,}</td>'
        f'<td class="n">{sum(made.values()):,}</td>'
    ) in page
    for category, count in made.items():
        assert f"{category}</td>" in page
        assert f'<td class="n">{count:,}</td>' in page
    assert "$2b$" not in page  # no hash, even in an example


def _chromium() -> str:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        found = shutil.which(name)
        if found:
            return found
    pytest.skip("no Chromium on PATH (apt-get install chromium) to render the report")


def _close(pixel: Any, colour: str, tolerance: int = 12) -> bool:
    wanted = [int(colour[i : i + 2], 16) for i in (1, 3, 5)]
    return all(abs(p - w) <= tolerance for p, w in zip(pixel[:3], wanted, strict=True))


def test_chromium_renders_the_counts_and_the_progress_chart(report: Path, tmp_path: Path) -> None:
    shot = tmp_path / "report.png"
    done = subprocess.run(
        [_chromium(), "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
         "--hide-scrollbars", f"--user-data-dir={tmp_path / 'profile'}",
         f"--screenshot={shot}", f"--window-size={WINDOW[0]},{WINDOW[1]}", report.as_uri()],
        capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert shot.exists(), done.stderr[-2000:]
    image = Image.open(shot).convert("RGB")
    assert image.size == WINDOW
    pixels = image.load()
    assert pixels is not None

    # Not blank, not an error page: the page's paper colour, white sections and many other colours.
    colours = image.getcolors(maxcolors=1 << 20) or []
    assert len(colours) > 200
    assert sum(n for n, c in colours if _close(c, "#f5f7fa", 2)) > 0.05 * WINDOW[0] * WINDOW[1]
    # The state bar under the cards carries each state that has users in its colour.
    for state in (UserState.MIGRATED, UserState.REJECTED, UserState.SKIPPED, UserState.FAILED):
        assert any(_close(c, STATE_COLOURS[state], 6) for _, c in colours), state

    # The chart: its plot area, and inside it the migrated (green) and failed (red) series.
    plot = [
        (x, y)
        for y in range(0, WINDOW[1], 2)
        for x in range(0, WINDOW[0], 2)
        if _close(pixels[x, y], PLOT_BACKGROUND, 1)
    ]
    assert plot, "no chart plot area on the screenshot"
    left, right = min(x for x, _ in plot), max(x for x, _ in plot)
    top, bottom = min(y for _, y in plot), max(y for _, y in plot) + 12  # the 0 line at the bottom
    assert 700 < right - left < 1200  # the chart's plot area, not a speck nor the whole page
    assert 150 < bottom - top < 500
    area = image.crop((left, top, right, bottom))
    area_colours = area.getcolors(maxcolors=1 << 20) or []
    series = {
        str(state): sum(n for n, c in area_colours if _close(c, STATE_COLOURS[state]))
        for state in (UserState.MIGRATED, UserState.FAILED)
    }
    # Each line is 4 px wide and runs the chart's width: hundreds of pixels, not a legend dot.
    assert series["migrated"] > 1000, series
    assert series["failed"] > 1000, series
