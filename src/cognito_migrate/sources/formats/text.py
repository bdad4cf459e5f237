"""Reading a user file as text, line by line, so that one bad line is reported and the rest is read.

A file opened with ``errors="strict"`` stops at the first byte sequence that is not valid in its
encoding, and ``errors="replace"`` hides the damage behind U+FFFD, which is also a legitimate
character. Instead, every undecodable byte becomes a lone surrogate (U+DC00 + the byte, like Python's
``surrogateescape`` but for any byte and any codec). No decoder produces lone surrogates from valid
input, so a line that contains one is exactly a line with bad bytes: the reader reports it, naming
``file:line``, and goes on with the next.
"""

from __future__ import annotations

import codecs
import re
from collections.abc import Iterator
from pathlib import Path
from typing import TextIO

from cognito_migrate.errors import ConfigError

UNDECODABLE_ERRORS = "cognito_migrate.undecodable"
_UNDECODABLE = re.compile("[\ud800-\udfff]")
BOM = "\ufeff"


def _mark_undecodable(exc: UnicodeError) -> tuple[str, int]:
    if not isinstance(exc, UnicodeDecodeError):
        raise exc
    bad = exc.object[exc.start : exc.end]
    return "".join(chr(0xDC00 + byte) for byte in bad), exc.end


codecs.register_error(UNDECODABLE_ERRORS, _mark_undecodable)


def check_encoding(encoding: str) -> None:
    """ConfigError naming ``[source] encoding`` for a codec Python does not know."""
    try:
        codecs.lookup(encoding)
    except LookupError:
        raise ConfigError(
            f"[source] encoding {encoding!r}: unknown text encoding; use a name such as utf-8, "
            "utf-16, latin-1 or cp1252"
        ) from None


def open_text(path: Path, encoding: str) -> TextIO:
    """``path`` as text whose undecodable bytes are marked (see the module doc). Lines end at ``\\n``
    only, so line numbers are the ones an editor shows; a ``\\r`` before it stays on the line."""
    return open(path, encoding=encoding, errors=UNDECODABLE_ERRORS, newline="\n")


def has_undecodable(text: str, start: int = 0, end: int | None = None) -> bool:
    return _UNDECODABLE.search(text, start, len(text) if end is None else end) is not None


def first_undecodable(text: str, start: int = 0, end: int | None = None) -> int | None:
    """The index of the first undecodable character in ``text[start:end]``, or None."""
    found = _UNDECODABLE.search(text, start, len(text) if end is None else end)
    return found.start() if found else None


def undecodable_reason(encoding: str) -> str:
    # Never quote the line: it may hold a password hash or personal data.
    return f"the line has bytes that are not valid {encoding} text; fix or re-encode it"


def numbered_lines(handle: TextIO) -> Iterator[tuple[int, str]]:
    """(line number, line with its ``\\n`` or ``\\r\\n`` ending removed); a leading BOM is dropped."""
    for number, line in enumerate(handle, 1):
        if number == 1:
            line = line.removeprefix(BOM)
        yield number, strip_line_ending(line)


def strip_line_ending(line: str) -> str:
    line = line.removesuffix("\n")
    return line.removesuffix("\r")


def location(path: Path, line: int) -> str:
    return f"{path.name}:{line}"


def checked_header(path: Path, columns: tuple[str, ...]) -> tuple[str, ...]:
    """A header row's column names, refusing repeats: a repeated column would hide one of its values."""
    repeated = sorted({name for name in columns if columns.count(name) > 1})
    if repeated:
        raise ConfigError(f"[source] path {str(path)!r}: the header repeats columns {', '.join(repeated)}")
    return columns


def empty_file(path: Path) -> ConfigError:
    return ConfigError(f"[source] path {str(path)!r}: the file is empty; expected a header row")
