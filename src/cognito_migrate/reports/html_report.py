"""The migration report as one self-contained HTML page: inline CSS, an inline SVG chart, no script.

It opens offline, from a mail attachment or a ticket, and fetches nothing. Every text that came from a
source or from Cognito (usernames, reasons, notes, job names) is escaped: a username like
``<script>`` is shown, never run. Nothing in it is a password or a hash; the journal has none.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from html import escape
from pathlib import Path

from cognito_migrate import __version__
from cognito_migrate.journal import UserState
from cognito_migrate.reports.journal_queries import ReasonGroup
from cognito_migrate.reports.report_facts import SETTLED, ReportFacts, run_seconds
from cognito_migrate.reports.svg_chart import Series, step_chart

REPORT_NAME = "report.html"

# One colour per state, used by the cards, the state bar and the chart alike.
STATE_COLOURS = {
    UserState.MIGRATED: "#1f8a4c",
    UserState.FAILED: "#d1352b",
    UserState.REJECTED: "#e08a00",
    UserState.SKIPPED: "#7a869a",
    UserState.PLANNED: "#3b6fd6",
    UserState.SUBMITTED: "#8e5bd6",
}
_OTHER_COLOUR = "#4a5568"


def state_colour(state: UserState) -> str:
    return STATE_COLOURS.get(state, _OTHER_COLOUR)


_STATE_HELP = {
    UserState.MIGRATED: "in the pool",
    UserState.FAILED: "Cognito refused; retry with apply --retry-failed",
    UserState.REJECTED: "refused by the plan's rules",
    UserState.SKIPPED: "left out on purpose",
    UserState.PLANNED: "waiting for apply (or first sign-in)",
    UserState.SUBMITTED: "sent, outcome not yet confirmed",
}

_CSS = """
:root { --ink: #1c2430; --muted: #5d6b7e; --line: #dde3ea; --paper: #f5f7fa; }
* { box-sizing: border-box; }
body { margin: 0; background: var(--paper); color: var(--ink);
       font: 15px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, "DejaVu Sans", sans-serif; }
main { max-width: 1180px; margin: 0 auto; padding: 28px 32px 48px; }
header h1 { margin: 0 0 4px; font-size: 26px; }
header p { margin: 0; color: var(--muted); }
section { background: #fff; border: 1px solid var(--line); border-radius: 10px; padding: 18px 22px;
          margin-top: 20px; }
h2 { font-size: 17px; margin: 0 0 12px; }
.cards { display: grid; grid-template-columns: repeat(auto-fit, minmax(130px, 1fr)); gap: 12px;
         margin-top: 20px; }
.card { background: #fff; border: 1px solid var(--line); border-top: 5px solid var(--c);
        border-radius: 10px; padding: 12px 14px; }
.card .n { font-size: 26px; font-weight: 700; }
.card .label { font-weight: 600; text-transform: capitalize; }
.card .help { color: var(--muted); font-size: 12px; line-height: 1.3; }
.bar { display: flex; height: 16px; border-radius: 8px; overflow: hidden; margin: 6px 0 4px;
       background: var(--line); }
.bar span { display: block; height: 100%; }
table { width: 100%; border-collapse: collapse; font-size: 14px; }
th, td { text-align: left; padding: 6px 10px; border-bottom: 1px solid var(--line); vertical-align: top; }
th { color: var(--muted); font-weight: 600; font-size: 12px; text-transform: uppercase; }
td.n, th.n { text-align: right; font-variant-numeric: tabular-nums; }
td.reason { word-break: break-word; }
td.key { white-space: nowrap; }
.eg { color: var(--muted); font-size: 13px; }
.dot { display: inline-block; width: 10px; height: 10px; border-radius: 50%; margin-right: 6px;
       background: var(--c); }
.legend { display: flex; gap: 18px; margin: 0 0 6px; color: var(--muted); }
.legend b { color: var(--ink); }
.chart text { font-size: 12px; fill: var(--muted); }
.chart .grid { stroke: var(--line); }
.chart .axis { stroke: #9aa6b5; }
.chart .caption { font-size: 12px; }
.two { display: grid; grid-template-columns: 1fr 1fr; gap: 20px; margin-top: 20px;
        align-items: start; }
.two section { margin-top: 0; }
.empty, .note { color: var(--muted); }
code { font-size: 13px; background: var(--paper); padding: 1px 4px; border-radius: 4px; }
footer { color: var(--muted); font-size: 12px; margin-top: 24px; }
@media (max-width: 820px) { .two { grid-template-columns: 1fr; } main { padding: 16px; } }
"""


def write_html_report(facts: ReportFacts, path: Path) -> Path:
    """Write the page to ``path`` (0600: it names users), replacing an earlier one in one step."""
    partial = path.with_name(path.name + ".partial")
    partial.unlink(missing_ok=True)
    fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(render_html(facts))
    os.replace(partial, path)
    return path


def render_html(facts: ReportFacts) -> str:
    pool = facts.plan.pool_id if facts.plan and facts.plan.pool_id else None
    title = f"Migration report{f' — pool {pool}' if pool else ''}"
    body = [
        "<header>",
        f"<h1>{escape(title)}</h1>",
        f"<p>{facts.total:,} users in journal <code>{escape(str(facts.journal))}</code>, "
        f"{len(facts.runs)} runs · generated {facts.generated_at:%Y-%m-%d %H:%M:%S} UTC</p>",
        "</header>",
        _cards(facts),
        _progress(facts),
        '<div class="two">',
        _strategies(facts),
        _estimate(facts),
        "</div>",
        _reasons(facts),
        _runs(facts),
        _jobs(facts),
        f"<footer>cognito-migrate {escape(__version__)}. This page holds usernames and ids, never a "
        "password or a hash. Every user, with its state and reason: <code>users.jsonl</code> and "
        "<code>users.csv</code> beside it.</footer>",
    ]
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{escape(title)}</title><style>{_CSS}</style></head>"
        f"<body><main>{''.join(body)}</main></body></html>\n"
    )


def _cards(facts: ReportFacts) -> str:
    total = max(facts.total, 1)
    cards = [
        f'<div class="card" style="--c:#1c2430"><div class="label">users</div>'
        f'<div class="n">{facts.total:,}</div><div class="help">in the journal</div></div>'
    ]
    segments = []
    # The six states of every migration always, any other (rolled_back) only once a user is in it.
    shown = [*STATE_COLOURS, *(s for s, n in facts.counts.items() if n and s not in STATE_COLOURS)]
    for state in shown:
        n, colour = facts.counts.get(state, 0), state_colour(state)
        help_text = escape(_STATE_HELP.get(state, ""))
        cards.append(
            f'<div class="card state-{state}" style="--c:{colour}"><div class="label">'
            f"{escape(str(state).replace('_', ' '))}</div>"
            f'<div class="n">{n:,}</div><div class="help">{help_text}</div></div>'
        )
        if n:
            width = f"{100 * n / total:.3f}%"
            segments.append(f'<span style="width:{width};background:{colour}" title="{state} {n:,}"></span>')
    return f'<div class="cards">{"".join(cards)}</div><div class="bar">{"".join(segments)}</div>'


def _progress(facts: ReportFacts) -> str:
    times = [point.at for point in facts.timeline]
    series = [
        Series(f"{state} (cumulative)", STATE_COLOURS[state], [p.totals[state] for p in facts.timeline])
        for state in SETTLED
    ]
    legend = "".join(
        f'<span><span class="dot" style="--c:{STATE_COLOURS[state]}"></span>{state} '
        f"<b>{(facts.timeline[-1].totals[state] if facts.timeline else 0):,}</b></span>"
        for state in SETTLED
    )
    return (
        "<section><h2>Progress over time</h2>"
        f'<div class="legend">{legend}<span>users reaching each state, cumulative</span></div>'
        f"{step_chart(times, series)}</section>"
    )


def _strategies(facts: ReportFacts) -> str:
    shown = [UserState.MIGRATED, UserState.FAILED, UserState.SKIPPED, UserState.PLANNED, UserState.REJECTED]
    rows = [
        [escape(strategy), *(f"{states.get(s, 0):,}" for s in shown), f"{sum(states.values()):,}"]
        for strategy, states in facts.strategies.items()
    ]
    head = ["strategy", *(str(s) for s in shown), "total"]
    return (
        "<section><h2>By strategy</h2>"
        + _table(head, rows, numeric_from=1)
        + '<p class="note">“-”: users the plan gave no strategy (rejected or skipped).</p></section>'
    )


def _estimate(facts: ReportFacts) -> str:
    plan = facts.plan
    if plan is None:
        problem = escape(facts.plan_problem or "")
        return f'<section><h2>Plan estimate</h2><p class="empty">{problem}</p></section>'
    migrated = {name: states.get(UserState.MIGRATED, 0) for name, states in facts.strategies.items()}
    rows = [
        [f"users by {escape(name)}", f"{planned:,}", f"{migrated.get(name, 0):,} migrated"]
        for name, planned in sorted(plan.strategies.items())
    ]
    # The plan estimates calls per operation; the runs count them per quota category: compared there.
    planned = _by_category(plan.calls)
    # Journals older than the calls table recorded none: then say so rather than show 0.
    happened = f"{sum(facts.calls.values()):,}" if facts.calls else "not recorded"
    rows += [["Cognito API calls", f"{sum(plan.calls.values()):,}", happened]]
    rows += [
        [
            f"&nbsp;&nbsp;{escape(category)}",
            f"{planned.get(category, 0):,}",
            f"{facts.calls.get(category, 0):,}",
        ]
        for category in sorted(planned.keys() | facts.calls.keys())
    ]
    rows += [
        ["users sent to Cognito", "", f"{sum(facts.attempts.values()):,}"],
        ["time sending (apply, sweep)", _duration(plan.minimum_seconds) + " at least",
         _duration(facts.sending_seconds)],
        ["import jobs", f"{plan.import_jobs:,}", f"{len(facts.import_jobs):,}"],
        ["monthly active users added", f"{plan.mau:,}", "—"],
    ]  # fmt: skip
    notes = "".join(f'<p class="note">{escape(note)}</p>' for note in plan.notes)
    return (
        "<section><h2>Plan estimate against what happened</h2>"
        + _table(["", "planned", "happened"], rows, numeric_from=1)
        + f'<p class="note">Saved plan <code>{escape(str(plan.plan_dir))}</code>'
        f"{', made ' + escape(plan.created_at) if plan.created_at else ''}.</p>{notes}</section>"
    )


def _by_category(calls_by_operation: dict[str, int]) -> dict[str, int]:
    from cognito_migrate.aws.quotas import category_for

    totals: dict[str, int] = {}
    for operation, calls in calls_by_operation.items():
        category = category_for(operation)
        name = category.value if category is not None else operation
        totals[name] = totals.get(name, 0) + calls
    return totals


def _reasons(facts: ReportFacts) -> str:
    if not facts.reasons:
        return (
            '<section><h2>Why users were not migrated</h2><p class="empty">'
            "Nobody: no user was rejected, failed or skipped.</p></section>"
        )
    rows = [
        [f'<span class="dot" style="--c:{state_colour(g.state)}"></span>{g.state}', _reason_cell(g),
         f"{g.users:,}", f"<code>{escape(g.example)}</code>"]
        for g in facts.reasons
    ]  # fmt: skip
    return (
        "<section><h2>Why users were not migrated</h2>"
        + _table(["state", "reason", "users", "example"], rows, numeric_from=2, numeric_to=3, wrap=1)
        + '<p class="note">Most common reasons first. One user\'s whole history: '
        "<code>cognito-migrate status --user SOURCE_ID</code>.</p></section>"
    )


def _reason_cell(group: ReasonGroup) -> str:
    # The group's name, and one whole reason when the name is only part of it.
    if group.example_reason in ("", group.reason):
        return escape(group.reason)
    return f'<b>{escape(group.reason)}</b><div class="eg">e.g. {escape(group.example_reason)}</div>'


def _runs(facts: ReportFacts) -> str:
    rows = []
    for run in facts.runs:
        seconds = run_seconds(run)
        rows.append([
            f"#{run.run_id}", escape(run.command), escape(str(run.status)),
            f"{run.started_at:%Y-%m-%d %H:%M:%S}", _duration(seconds) if seconds is not None else "",
            escape(run.note or ""),
        ])  # fmt: skip
    return (
        "<section><h2>Runs</h2>"
        + _table(
            ["run", "command", "status", "started (UTC)", "took", "note"], rows, numeric_from=4, numeric_to=4
        )
        + "</section>"
    )


def _jobs(facts: ReportFacts) -> str:
    if not facts.import_jobs:
        return ""
    rows = [
        [escape(job.job_id), escape(job.file_name or job.job_name), escape(job.password_algorithm or "none"),
         escape(job.status), *(f"{n:,}" if n is not None else "" for n in
                               (job.user_count, job.imported, job.skipped, job.failed))]
        for job in facts.import_jobs
    ]  # fmt: skip
    return (
        "<section><h2>Import jobs</h2>"
        + _table(
            ["job", "file", "hash", "status", "users", "imported", "skipped", "failed"], rows, numeric_from=4
        )
        + "</section>"
    )


def _table(
    head: Sequence[str],
    rows: Iterable[Sequence[str]],
    *,
    numeric_from: int,
    numeric_to: int | None = None,
    wrap: int | None = None,
) -> str:
    """A table of already-escaped cells; columns ``numeric_from``..``numeric_to`` are right-aligned,
    column ``wrap`` breaks long words (reasons quote long ids), the first column never wraps."""
    last = len(head) - 1 if numeric_to is None else numeric_to

    def cls(i: int) -> str:
        if numeric_from <= i <= last:
            return ' class="n"'
        if i == wrap:
            return ' class="reason"'
        return ' class="key"' if i == 0 else ""

    header = "".join(f"<th{cls(i)}>{escape(h)}</th>" for i, h in enumerate(head))
    body = "".join(
        "<tr>" + "".join(f"<td{cls(i)}>{c}</td>" for i, c in enumerate(row)) + "</tr>" for row in rows
    )
    return f"<table><thead><tr>{header}</tr></thead><tbody>{body}</tbody></table>"


def _duration(seconds: float) -> str:
    if seconds < 90:
        return f"{seconds:.1f} s"
    if seconds < 5400:
        return f"{seconds / 60:.0f} min"
    return f"{seconds / 3600:.1f} h"
