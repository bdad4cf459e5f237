"""Sources: where users come from. Each yields ``LegacyUser`` and ``SourceIssue`` records as a stream.

>>> from cognito_migrate.sources import open_source             # doctest: +SKIP
>>> with open_source(config) as source:
...     for record in source.records():
...         ...
"""

from __future__ import annotations

from cognito_migrate.sources.factory import open_source
from cognito_migrate.sources.records import (
    GroupDefinition,
    IssueKind,
    LegacyUser,
    PasswordHash,
    Source,
    SourceIssue,
    SourceRecord,
    as_text,
)

__all__ = [
    "GroupDefinition",
    "IssueKind",
    "LegacyUser",
    "PasswordHash",
    "Source",
    "SourceIssue",
    "SourceRecord",
    "as_text",
    "open_source",
]
