"""Reading the items of a big JSON document one at a time, without holding the document.

ListUsers output (``{"Users": [...]}``, several pages one after another when a user pasted them
together) and the backup tools' JSON arrays can hold millions of users. The standard library only
decodes whole values, so this reader walks the outer structure itself (``[``, ``,``, ``{``, keys) and
hands each inner value to ``json.JSONDecoder.raw_decode`` over a buffer that holds only the current
value and the next chunk of the file.

A value that does not decode is reported with its line, and reading resumes at the next line that
starts at the same indentation with the same opening character: that is where the next item starts
both in the AWS CLI's indented output and in JSONStream's ``[\\n{…}\\n,\\n{…}\\n]`` that the backup
tools write. On one long line (minified JSON) there is no such place, and the rest is reported lost.
"""

from __future__ import annotations

import json
import re
from collections.abc import Generator
from dataclasses import dataclass
from typing import Any, TextIO

from cognito_migrate.sources.formats.text import BOM, first_undecodable

CHUNK_CHARS = 1 << 16
# A Cognito user is a few kilobytes (attribute values are at most 2,048 characters). A value still not
# complete after this many characters is taken to be broken rather than read to the end of the file.
MAX_VALUE_CHARS = 8 << 20
_NOT_WHITESPACE = re.compile(r"[^ \t\n\r]")


class JsonSyntaxError(Exception):
    """The document is not valid JSON at ``line``."""

    def __init__(self, message: str, line: int) -> None:
        super().__init__(message)
        self.line = line


@dataclass(frozen=True, slots=True)
class Decoded:
    """One decoded value, where it started, and the first line inside it with undecodable bytes."""

    value: Any
    line: int
    column: int
    undecodable_line: int | None = None


class JsonStream:
    """A cursor over JSON text read from ``handle`` in chunks; tracks line and column for messages."""

    def __init__(
        self, handle: TextIO, *, chunk_chars: int = CHUNK_CHARS, max_value_chars: int = MAX_VALUE_CHARS
    ) -> None:
        self._handle = handle
        self._chunk_chars = chunk_chars
        self._max_value_chars = max_value_chars
        self._decoder = json.JSONDecoder()
        self._buf = ""
        self._pos = 0  # index into _buf
        self._base = 0  # file offset (in characters) of _buf[0]
        self._line_start = 0  # file offset of the current line's first character
        self._eof = False
        self._started = False
        self._blank_before = True  # only whitespace so far on the current line
        self.line = 1

    @property
    def column(self) -> int:
        return self._base + self._pos - self._line_start

    def _fill(self) -> bool:
        """Read the next chunk, dropping what was consumed; False at the end of the file."""
        if self._eof:
            return False
        chunk = self._handle.read(self._chunk_chars)
        if not self._started:
            self._started = True
            if chunk.startswith(BOM):
                chunk = chunk[1:]
        if not chunk:
            self._eof = True
            return False
        self._base += self._pos
        self._buf = self._buf[self._pos :] + chunk
        self._pos = 0
        return True

    def _advance(self, end: int) -> None:
        newline = self._buf.rfind("\n", self._pos, end)
        if newline >= 0:
            self.line += self._buf.count("\n", self._pos, end)
            self._line_start = self._base + newline + 1
            self._blank_before = _NOT_WHITESPACE.search(self._buf, newline + 1, end) is None
        elif self._blank_before:
            self._blank_before = _NOT_WHITESPACE.search(self._buf, self._pos, end) is None
        self._pos = end

    def at_line_start(self) -> bool:
        """Whether nothing but whitespace comes before the current position on its line."""
        return self._blank_before

    def peek(self) -> str | None:
        """The next character that is not whitespace, without taking it; None at the end."""
        while True:
            found = _NOT_WHITESPACE.search(self._buf, self._pos)
            if found:
                self._advance(found.start())
                return self._buf[self._pos]
            self._advance(len(self._buf))
            if not self._fill():
                return None

    def take(self, expected: str) -> str:
        """Take the next character, which must be one of ``expected``."""
        char = self.peek()
        if char is None or char not in expected:
            wanted = " or ".join(repr(c) for c in expected)
            found = "the end of the file" if char is None else repr(char)
            raise JsonSyntaxError(f"expected {wanted}, found {found}", self.line)
        self._advance(self._pos + 1)
        return char

    def value(self) -> Decoded:
        """Decode the next whole value."""
        if self.peek() is None:
            raise JsonSyntaxError("unexpected end of the file", self.line)
        line, column = self.line, self.column
        while True:
            try:
                value, end = self._decoder.raw_decode(self._buf, self._pos)
            except json.JSONDecodeError as exc:
                if self._grow():
                    continue
                raise JsonSyntaxError(exc.msg, line + self._buf.count("\n", self._pos, exc.pos)) from None
            # A number (or true/false/null) ending exactly at the buffer's end may go on in the next chunk.
            if end == len(self._buf) and self._grow():
                continue
            break
        bad = first_undecodable(self._buf, self._pos, end)
        bad_line = None if bad is None else line + self._buf.count("\n", self._pos, bad)
        self._advance(end)
        return Decoded(value, line, column, bad_line)

    def _grow(self) -> bool:
        if len(self._buf) - self._pos > self._max_value_chars:
            return False
        return self._fill()

    def resume_at_line_starting(self, indent: int, char: str) -> bool:
        """After a broken value: move to the next line that starts with ``indent`` spaces then ``char``.
        False (and at the end of the file) when there is none."""
        target = "\n" + " " * indent + char
        while True:
            found = self._buf.find(target, self._pos)
            if found >= 0:
                self._advance(found + len(target) - 1)
                return True
            self._advance(max(self._pos, len(self._buf) - len(target) + 1))
            if not self._fill():
                self._advance(len(self._buf))
                return False


def array_items(stream: JsonStream) -> Generator[Decoded | JsonSyntaxError, None, None]:
    """The items of the array whose ``[`` was just taken, one at a time. A broken item that starts its
    own line comes out as its ``JsonSyntaxError`` and reading resumes at the next item (see the module
    doc); one that shares its line with others (compact JSON) raises, for the enclosing document to
    resume at its own level (the next line of JSON Lines)."""
    if stream.peek() == "]":
        stream.take("]")
        return
    indent: int | None = None
    while True:
        stream.peek()
        own_line = stream.at_line_start()
        column = stream.column if indent is None else indent
        try:
            item = stream.value()
            indent = item.column if indent is None else indent
            yield item
            if stream.take(",]") == "]":
                return
        except JsonSyntaxError as exc:
            if not own_line:
                raise
            yield exc
            if not stream.resume_at_line_starting(column, "{"):
                return


USERS_KEY = "Users"


def user_objects(
    stream: JsonStream, users_key: str = USERS_KEY
) -> Generator[Decoded | JsonSyntaxError, None, None]:
    """Every user object in Cognito-shaped JSON, whatever holds them: a top-level array (the backup
    tools), ``{"Users": [...]}`` documents one after another (ListUsers pages, the AWS CLI), or one
    object per line (JSON Lines of users, or of whole pages). Other top-level values come out as they
    are, for the caller to report. ``users_key`` is the list's key (Firebase exports say ``users``)."""
    while (char := stream.peek()) is not None:
        if char == "[":
            column = stream.column
            stream.take("[")
            try:
                yield from array_items(stream)
            except JsonSyntaxError as exc:  # a broken item in a compact array: nowhere to resume inside
                yield exc
                if not stream.resume_at_line_starting(column, "{"):
                    return
        elif char == "{":
            yield from _document(stream, users_key)
        else:
            column = stream.column
            try:
                yield stream.value()
            except JsonSyntaxError as exc:
                yield exc
                if not stream.resume_at_line_starting(column, "{"):
                    return


def _document(stream: JsonStream, users_key: str) -> Generator[Decoded | JsonSyntaxError, None, None]:
    """One top-level object: a page whose ``Users`` are streamed, or a user (yielded whole)."""
    line, column = stream.line, stream.column
    members: dict[str, Any] = {}
    bad_line: int | None = None
    streamed_users = False
    try:
        stream.take("{")
        if stream.peek() == "}":
            stream.take("}")
        else:
            while True:
                key = stream.value()
                if not isinstance(key.value, str):
                    raise JsonSyntaxError("expected a quoted key", key.line)
                stream.take(":")
                if key.value == users_key and stream.peek() == "[":
                    stream.take("[")
                    yield from array_items(stream)
                    streamed_users = True
                else:
                    member = stream.value()
                    members[key.value] = member.value
                    bad_line = bad_line or key.undecodable_line or member.undecodable_line
                if stream.take(",}") == "}":
                    break
    except JsonSyntaxError as exc:
        yield exc
        stream.resume_at_line_starting(column, "{")
        return
    if streamed_users:
        return
    if users_key in members:
        yield JsonSyntaxError(f"{users_key!r} is not a list of users", line)
        return
    yield Decoded(members, line, column, bad_line)
