"""Generated passwords, and the one file they are written to.

``generate_password(policy)`` draws from ``secrets`` and always holds an upper- and lower-case letter, a
digit and a symbol, so it satisfies every Cognito password policy whatever its ``Require*`` flags; its
length is the policy's minimum or ``DEFAULT_LENGTH``, whichever is longer (never over 256).

``CredentialsFile`` is the credentials file a user asked for with ``--credentials FILE``: a CSV created
0600 (refused if it exists readable by others), header ``source_id,username,password_kind,password``.
A password is written, flushed and fsynced *before* the call that sets it in Cognito, so a crash never
leaves a live password that no file holds. A user may appear more than once (a resumed run sets a fresh
temporary password): **the last line for a user is the valid one**; ``read_credentials`` reads it so.

    with CredentialsFile(Path("credentials.csv")) as credentials:
        credentials.record("42", "ada", "temporary", generate_password(policy))
"""

from __future__ import annotations

import csv
import os
import secrets
import stat
import string
import threading
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import Literal

from cognito_migrate.errors import ConfigError
from cognito_migrate.planner.profile import PasswordPolicy

MAX_PASSWORD_LENGTH = 256  # Cognito's limit (cognito-facts.md §4)
DEFAULT_LENGTH = 20  # ~123 bits from this alphabet
# A subset of Cognito's symbols (cognito-facts.md §4) that needs no quoting in a CSV field or a shell
# argument, so a password copied out of the file reaches the user intact.
SYMBOLS = "!#%+-.:=@_~"
_CLASSES = (string.ascii_uppercase, string.ascii_lowercase, string.digits, SYMBOLS)
_ALPHABET = "".join(_CLASSES)

HEADER = ("source_id", "username", "password_kind", "password")
PasswordKind = Literal["temporary", "permanent"]


def generate_password(policy: PasswordPolicy | None = None, *, length: int = DEFAULT_LENGTH) -> str:
    """A random password that ``policy`` accepts (every character class, at least its minimum length).

    ``password_history_size`` needs nothing here: a fresh random password never repeats an old one.
    """
    minimum = policy.minimum_length if policy is not None else 0
    size = min(MAX_PASSWORD_LENGTH, max(minimum, length, len(_CLASSES)))
    chars = [secrets.choice(chars) for chars in _CLASSES]
    chars += [secrets.choice(_ALPHABET) for _ in range(size - len(chars))]
    secrets.SystemRandom().shuffle(chars)
    return "".join(chars)


@dataclass(frozen=True, slots=True)
class Credential:
    source_id: str
    username: str
    kind: str
    password: str = field(repr=False)


class CredentialsFile:
    """Append-only CSV of generated passwords; thread-safe; every ``record`` is on disk when it returns.

    Concurrent ``record`` calls share fsyncs (group commit): each waits until an fsync that began
    after its own line was flushed has finished, so many workers cost far fewer than one fsync each.
    """

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        fd, new = _open_private(self.path)
        self._file = os.fdopen(fd, "w", encoding="utf-8", newline="")
        self._writer = csv.writer(self._file, lineterminator="\n")
        self._write_lock = threading.Lock()
        self._sync_lock = threading.Lock()
        self._written = 0
        self._synced = 0
        if new:
            self._writer.writerow(HEADER)
            self._file.flush()
            os.fsync(self._file.fileno())

    def record(self, source_id: str, username: str, kind: PasswordKind, password: str) -> None:
        """Append one line and make it durable before returning (``ConfigError`` if the disk refuses:
        a password that cannot be recorded must not be set)."""
        try:
            with self._write_lock:
                self._writer.writerow((source_id, username, kind, password))
                self._file.flush()
                self._written += 1
                mine = self._written
            with self._sync_lock:
                if self._synced >= mine:
                    return  # another thread's fsync, begun after our flush, covered our line
                with self._write_lock:
                    covered = self._written
                os.fsync(self._file.fileno())
                self._synced = covered
        except (OSError, ValueError) as exc:  # ValueError: written after close()
            raise ConfigError(f"--credentials {self.path}: cannot write a password: {exc}") from exc

    def close(self) -> None:
        with self._write_lock:
            if not self._file.closed:
                self._file.flush()
                os.fsync(self._file.fileno())
                self._file.close()

    def __enter__(self) -> CredentialsFile:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"CredentialsFile({str(self.path)!r})"


def read_credentials(path: Path) -> dict[str, Credential]:
    """Each user's valid credential: the last line recorded for its ``source_id``."""
    with Path(path).open(encoding="utf-8", newline="") as handle:
        rows = csv.reader(handle)
        if tuple(next(rows, ())) != HEADER:
            raise ConfigError(f"{path}: not a cognito-migrate credentials file (header {','.join(HEADER)})")
        return {row[0]: Credential(*row[:4]) for row in rows if len(row) >= len(HEADER)}


def _open_private(path: Path) -> tuple[int, bool]:
    """An fd for appending to ``path``, created 0600 when new (True) or reused when private (False)."""
    flags = os.O_WRONLY | os.O_APPEND | getattr(os, "O_NOFOLLOW", 0)
    try:
        return os.open(path, flags | os.O_CREAT | os.O_EXCL, 0o600), True
    except FileExistsError:
        pass
    except OSError as exc:
        raise ConfigError(f"--credentials {path}: cannot create it: {exc.strerror}") from exc
    try:
        fd = os.open(path, flags)
    except OSError as exc:  # a symlink (O_NOFOLLOW) or no permission
        raise ConfigError(f"--credentials {path}: cannot append to it: {exc.strerror}") from exc
    info = os.fstat(fd)
    problem = None
    if not stat.S_ISREG(info.st_mode):
        problem = "is not a regular file"
    elif info.st_mode & 0o077:
        problem = f"is readable by others (mode {stat.S_IMODE(info.st_mode):o}); chmod 600 it first"
    elif info.st_size and not _has_header(path):
        problem = "is not a cognito-migrate credentials file"
    if problem:
        os.close(fd)
        raise ConfigError(f"--credentials {path}: {problem}")
    return fd, info.st_size == 0  # empty: created by a run that died before its header


def _has_header(path: Path) -> bool:
    with path.open(encoding="utf-8", newline="") as handle:
        return tuple(next(csv.reader(handle), ())) == HEADER


def read_clear_passwords(path: Path) -> dict[str, str]:
    """``--passwords FILE``: clear passwords from a trusted source, a CSV with ``source_id`` and
    ``password`` columns, for the plan's permanent-password users (set with ``Permanent=True``).

    Refused unless only its owner can read it, like an SSH key: it is as secret as the credentials
    file. The passwords never leave this dict except in the AdminSetUserPassword call.
    """
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
    except OSError as exc:
        raise ConfigError(f"--passwords {path}: cannot read it: {exc.strerror}") from exc
    info = os.fstat(fd)
    if info.st_mode & 0o077:
        os.close(fd)
        raise ConfigError(
            f"--passwords {path}: readable by others (mode {stat.S_IMODE(info.st_mode):o}); "
            "chmod 600 it first"
        )
    with os.fdopen(fd, encoding="utf-8", newline="") as handle:
        rows = csv.DictReader(handle)
        missing = {"source_id", "password"} - set(rows.fieldnames or ())
        if missing:
            raise ConfigError(f"--passwords {path}: no {' or '.join(sorted(missing))} column in its header")
        passwords: dict[str, str] = {}
        for number, row in enumerate(rows, start=2):
            if not row["source_id"] or not row["password"]:
                raise ConfigError(f"--passwords {path}:{number}: empty source_id or password")
            passwords[row["source_id"]] = row["password"]
    return passwords
