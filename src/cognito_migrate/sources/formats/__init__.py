"""One reader per user-file layout; ``sources.files`` picks one and wraps it as a ``Source``.

- ``plain_csv``: CSV with a header row; ``plain``: JSON Lines (or a JSON array) of objects.
- ``cognito_csv``: Cognito's import CSV.
- ``cognito_json``: ListUsers JSON and the cognito-backup-restore / cognito-backup files.
- ``text`` (line decoding that survives bad bytes) and ``json_stream`` (big JSON documents read item by
  item) serve them all.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Protocol

from cognito_migrate.sources.records import SourceRecord


class FileReader(Protocol):
    """A reader checked when opened (header, first record) whose ``records()`` streams the file."""

    def records(self) -> Iterator[SourceRecord]: ...
