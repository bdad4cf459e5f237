"""``export_pool``: a pool's groups, users and memberships, streamed from Cognito into one destination.

The pool is read by the ``cognito`` source's reader (``sources/cognito_pool.py``): ListGroups, then
ListUsersInGroup into a username → groups map, then ListUsers page by page, every call paced under
the account's quotas (``--quota`` overrides them). Each user is written as its page arrives; besides
the membership map, the only thing held is one S3 part (or the file's write buffer).
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Sequence
from contextlib import closing
from dataclasses import dataclass, field
from typing import Any

from cognito_migrate.aws.errors import map_cognito_errors
from cognito_migrate.aws.quotas import Quotas, parse_quota_flags
from cognito_migrate.aws.ratelimit import RateLimiter
from cognito_migrate.aws.session import AwsSettings
from cognito_migrate.config.models import POOL_ID, CognitoSource
from cognito_migrate.errors import ConfigError
from cognito_migrate.export.destinations import DEFAULT_PART_SIZE, Destination, Written, open_destination
from cognito_migrate.export.formats import (
    CognitoImportCsvWriter,
    ExportFormat,
    ExportWriter,
    FlatCsvWriter,
    JsonLinesWriter,
)
from cognito_migrate.planner.pool_reader import STANDARD_ATTRIBUTES, describe_pool
from cognito_migrate.results import CommandResult, Outcome
from cognito_migrate.sources.cognito_pool import CognitoPoolSource, region_of_pool
from cognito_migrate.strategies.csv_import.csvfile import MAX_FILE_BYTES, MAX_USERS_PER_FILE, RowRejected

DEFAULT_SUFFIX = {"jsonl": ".jsonl", "csv": ".csv", "cognito-csv": ".import.csv"}
SHOWN_SKIPPED = 10  # users named in the summary when some could not be written
PROGRESS_EVERY = 10.0  # seconds between two progress lines: a million users take some ten minutes


@dataclass
class ExportCounts:
    users: int = 0
    groups: int = 0
    memberships: int = 0
    mfa_unknown: int = 0
    skipped: list[dict[str, str]] = field(default_factory=list)  # username, reason


def default_out(pool_id: str, format: ExportFormat) -> str:
    """``us-east-1_AbC123.jsonl`` in the current folder (``.import.csv`` for Cognito's CSV)."""
    return pool_id + DEFAULT_SUFFIX[format]


def export_pool(
    pool_id: str,
    *,
    format: ExportFormat = "jsonl",
    out: str | None = None,
    include_groups: bool = True,
    read_mfa: bool = False,
    kms_key_id: str | None = None,
    quota_flags: Sequence[str] = (),
    settings: AwsSettings | None = None,
    profile: str | None = None,
    region: str | None = None,
    endpoint_url: str | None = None,
    part_size: int = DEFAULT_PART_SIZE,
    say: Callable[[str], None] | None = None,
) -> CommandResult:
    """Export pool ``pool_id`` to ``out`` (a path, ``-`` or ``s3://bucket/key``; default
    ``default_out``). ``read_mfa``: one AdminGetUser per user of an OPTIONAL-MFA pool, to know its MFA.
    ``part_size`` is the S3 part size (tests make it small); ``say`` gets a progress line now and
    then (the CLI prints them on stderr)."""
    started = time.monotonic()
    if not POOL_ID.match(pool_id):
        raise ConfigError(f"--pool-id {pool_id!r}: expected a user pool id like us-east-1_AbCdEf123")
    settings = settings or AwsSettings(
        profile=profile, region=region or region_of_pool(pool_id), endpoint_url=endpoint_url
    )
    limiter = RateLimiter(Quotas.from_overrides(parse_quota_flags(quota_flags)))
    idp = settings.client("cognito-idp", rate_limiter=limiter)
    try:
        pool = describe_pool(idp, pool_id, setting="--pool-id", region=settings.resolved_region())
        writer = _writer_for(format, idp, pool, include_groups=include_groups)
    finally:
        idp.close()
    source = CognitoPoolSource(
        CognitoSource(
            type="cognito",
            pool_id=pool_id,
            region=settings.region,
            profile=settings.profile,
            endpoint_url=settings.endpoint_url,
            # An import CSV has no place for groups: do not spend ListUsersInGroup calls on them.
            include_groups=include_groups and writer.writes_memberships,
            read_mfa_settings=read_mfa,
        ),
        settings=settings,
        limiter=limiter,
        read_mfa_settings=read_mfa,
    )
    out = out or default_out(pool_id, format)
    destination = open_destination(out, settings, content_type=writer.content_type, kms_key_id=kms_key_id,
                                   part_size=part_size)  # fmt: skip
    written = Written()
    counts = ExportCounts()
    progress = _Progress(say, int(pool.get("EstimatedNumberOfUsers") or 0))
    try:
        with closing(source):
            _stream(source, writer, destination, written, counts, progress)
        destination.commit()
    except BaseException:
        _discard(destination)
        raise
    return _summary(pool_id, format, writer, destination, written, counts, time.monotonic() - started)


def _stream(
    source: CognitoPoolSource,
    writer: ExportWriter,
    destination: Destination,
    written: Written,
    counts: ExportCounts,
    progress: _Progress,
) -> None:
    def send(data: bytes) -> None:
        if data:
            destination.write(data)
            written.add(data)

    send(writer.start())
    for group in source.group_definitions():
        counts.groups += 1
        send(writer.group(group))
    if counts.groups and source.config.include_groups:
        progress.say(f"reading the members of {counts.groups:,} groups, then the users")
    for found in source.pool_users():
        progress.user_done(counts.users + len(counts.skipped))
        try:
            data = writer.user(found)
        except RowRejected as exc:
            counts.skipped.append({"username": found.username, "reason": f"{exc.rule}: {exc}"})
            continue
        send(data)
        counts.users += 1
        counts.memberships += len(found.groups)
        counts.mfa_unknown += found.mfa_enabled is None


class _Progress:
    """A line every ``PROGRESS_EVERY`` seconds: users so far, their rate, and the pool's estimate."""

    def __init__(self, say: Callable[[str], None] | None, estimated: int) -> None:
        self._say = say
        self._estimated = estimated
        self._started = time.monotonic()
        self._next = self._started + PROGRESS_EVERY

    def say(self, line: str) -> None:
        if self._say is not None:
            self._say(line)

    def user_done(self, users: int) -> None:
        now = time.monotonic()
        if self._say is None or now < self._next:
            return
        self._next = now + PROGRESS_EVERY
        of = f" of about {self._estimated:,}" if self._estimated else ""
        self._say(f"  {users:,} users{of} exported, {users / (now - self._started):.0f} users/s")


def _discard(destination: Destination) -> None:
    """Take back what was written; a failure here must not hide the error that got us here."""
    try:
        destination.discard()
    except Exception as exc:  # reported, then the original error goes on
        print(
            f"cognito-migrate: could not remove the incomplete export at {destination.description}: {exc}",
            file=sys.stderr,
        )


def _writer_for(
    format: ExportFormat, idp: Any, pool: dict[str, Any], *, include_groups: bool
) -> ExportWriter:
    if format == "jsonl":
        return JsonLinesWriter(with_groups=include_groups)
    if format == "csv":
        # Every standard attribute (the local Cognito lists only those given at creation) and the
        # pool's own, in DescribeUserPool's order after the standard ones.
        names = dict.fromkeys(STANDARD_ATTRIBUTES)
        names.update(dict.fromkeys(str(raw["Name"]) for raw in pool.get("SchemaAttributes") or ()))
        return FlatCsvWriter(list(names), with_groups=include_groups)
    with map_cognito_errors("GetCSVHeader"):
        header = idp.get_csv_header(UserPoolId=pool["Id"])["CSVHeader"]
    return CognitoImportCsvWriter(header, mfa_configuration=str(pool.get("MfaConfiguration") or "OFF"))


def _summary(
    pool_id: str,
    format: ExportFormat,
    writer: ExportWriter,
    destination: Destination,
    written: Written,
    counts: ExportCounts,
    seconds: float,
) -> CommandResult:
    sha256 = written.digest.hexdigest()
    data: dict[str, Any] = {
        "pool_id": pool_id,
        "format": format,
        "destination": destination.description,
        "users": counts.users,
        "groups": counts.groups,
        "memberships": counts.memberships,
        "group_definitions_written": writer.writes_groups and counts.groups > 0,
        "memberships_written": writer.writes_memberships,
        "mfa_unknown": counts.mfa_unknown,
        "skipped": counts.skipped,
        "bytes": written.size,
        "sha256": sha256,
        "seconds": round(seconds, 3),
    }
    memberships = f"{counts.memberships:,} memberships" if writer.writes_memberships else "no memberships"
    lines = [
        f"Exported {counts.users:,} users, {counts.groups:,} groups and {memberships} of pool {pool_id} "
        f"to {destination.description} ({format}, {written.size:,} bytes, sha256 {sha256}) "
        f"in {seconds:.1f} s."
    ]
    lines += _notes(format, writer, written, counts)
    outcome = Outcome.OK
    if counts.skipped:
        outcome = Outcome.PARTIAL
        lines.append(f"{len(counts.skipped):,} users could not be written in this format:")
        lines += [f"  {skip['username']}: {skip['reason']}" for skip in counts.skipped[:SHOWN_SKIPPED]]
        if len(counts.skipped) > SHOWN_SKIPPED:
            lines.append(f"  … and {len(counts.skipped) - SHOWN_SKIPPED:,} more (see --json)")
    return CommandResult("export", outcome, data, lines)


def _notes(format: ExportFormat, writer: ExportWriter, written: Written, counts: ExportCounts) -> list[str]:
    """What this format leaves out, so nobody takes the file for more than it is."""
    notes: list[str] = []
    if format == "csv" and counts.groups:
        notes.append("The groups' descriptions, precedence and role ARNs are kept only by --format jsonl.")
    if format == "cognito-csv":
        notes.append(
            "A Cognito import CSV holds no passwords, status, disabled flag or groups: imported users "
            "reset their password, and groups and disabled users must be set again."
        )
        if counts.users > MAX_USERS_PER_FILE or written.size > MAX_FILE_BYTES:
            notes.append(
                f"An import job takes at most {MAX_USERS_PER_FILE:,} users and {MAX_FILE_BYTES:,} bytes "
                "per file: split this one before importing it."
            )
    unlisted: set[str] = getattr(writer, "unlisted", set())
    if unlisted:
        notes.append(
            f"Not in the CSV (attributes the pool's schema does not list): {', '.join(sorted(unlisted))}."
        )
    if counts.mfa_unknown:
        notes.append(
            f"MFA is unknown for {counts.mfa_unknown:,} users of this OPTIONAL-MFA pool; --read-mfa reads "
            "it (one AdminGetUser call per user)."
        )
    return notes
