"""A first look at a source through the plan's mapping: who is there, who is left out and why.

It streams the source once and keeps only counts (and a few examples per reason), so it works on a
source of any size. The demo shows it; ``plan`` goes further and checks users against the pool.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from cognito_migrate.config.models import MigrationConfig
from cognito_migrate.sources.factory import open_source
from cognito_migrate.sources.records import LegacyUser

EXAMPLES_PER_REASON = 3


@dataclass
class SourceSurvey:
    description: str = ""
    users: int = 0
    hash_formats: Counter[str] = field(default_factory=Counter)
    issues: Counter[str] = field(default_factory=Counter)  # by IssueKind
    issue_examples: dict[str, list[str]] = field(default_factory=dict)
    groups: Counter[str] = field(default_factory=Counter)  # members per group
    disabled: int = 0
    mapping_problems: Counter[str] = field(default_factory=Counter)  # by attribute


def survey_source(config: MigrationConfig) -> SourceSurvey:
    from cognito_migrate.mapping import AttributeMapper

    mapper = AttributeMapper.from_config(config)
    result = SourceSurvey()
    with open_source(config) as source:
        result.description = source.describe()
        for record in source.records():
            if not isinstance(record, LegacyUser):
                result.issues[record.kind] += 1
                examples = result.issue_examples.setdefault(str(record.kind), [])
                if len(examples) < EXAMPLES_PER_REASON:
                    examples.append(
                        f"{record.username or record.source_id or record.location}: {record.reason}"
                    )
                continue
            result.users += 1
            result.hash_formats[record.password_hash.format if record.password_hash else "none"] += 1
            result.groups.update(record.groups)
            result.disabled += not record.enabled
            for problem in mapper.map(record).problems:
                result.mapping_problems[problem.attribute] += 1
    return result
