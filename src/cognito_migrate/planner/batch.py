"""Planning ordinary users a batch at a time: the per-record planner's decisions and bytes, faster.

For a million-row table the per-record path (``UserDecider``) spends more on glue than on rules: a
``LegacyUser``, a ``Candidate``, a ``UserPlan``, a ``Prepared`` and a report dict per user. This module
plans a fetched batch column by column instead, and only for what it can prove ordinary: every value
goes through the very functions the per-record path uses (the source's readers, the mapper's value
functions, the rules' own acceptance tests, ``cognito_import``, the strategy's decision table, the CSV
writer's cells), mapped over columns; a user any of them does not accept outright — a value needing
conversion, a rule that might find something, a duplicate, a user the strategy sends to the admin API or
the trigger — goes back to the per-record path, in source order. Batches hold users imported by CSV,
with their hash or RESET_REQUIRED. So every rejection and its message still come from one place,
and the two paths claim usernames in the same tables, in the same order.

A batch planner exists only when the whole plan has a column form (``BatchPlanner.create``): a source
with ``column_batches()`` (``sql``), a mapping of fields and literals, a pool that signs in by username
and has no users yet. Each batch also plans its first fast user through the per-record path and compares
everything it would write; a difference turns the batch planner off for the rest of the run (logged),
so a gap between the two paths costs speed, never a wrong plan.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import TypeVar

from cognito_migrate.config.models import StrategyConfig
from cognito_migrate.mapping import AttributeMapper
from cognito_migrate.passwords.importable import cognito_import_all
from cognito_migrate.planner.decide import UserDecider
from cognito_migrate.planner.decision import Verdict
from cognito_migrate.planner.profile import PoolProfile
from cognito_migrate.planner.rules import RuleSet
from cognito_migrate.planner.strategy import Decision, choose_for_format
from cognito_migrate.sources.records import LegacyUser, SourceRecord, UserColumns
from cognito_migrate.strategies.csv_import import ImportCsvWriter

log = logging.getLogger(__name__)

WriterFor = Callable[[str | None], ImportCsvWriter]
T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class FastRun:
    """Consecutive source users that all migrate by CSV import (with their hash, or RESET_REQUIRED), with
    what to write."""

    source_ids: Sequence[str]
    usernames: Sequence[str]
    attributes: Sequence[dict[str, str]]
    decisions: Sequence[Decision]
    groups: Sequence[tuple[str, ...]]
    enabled: Sequence[bool]
    rows: Sequence[str]  # each user's import CSV row, for the writer of its algorithm
    locations: Sequence[str]

    def slice(self, start: int, stop: int) -> FastRun:
        """Users ``start`` to ``stop`` (list slices: copied at C speed)."""
        part = slice(start, stop)
        return FastRun(
            self.source_ids[part], self.usernames[part], self.attributes[part], self.decisions[part],
            self.groups[part], self.enabled[part], self.rows[part], self.locations[part],
        )  # fmt: skip


class BatchPlanner:
    """Splits each batch into fast runs and records for the per-record path; see the module doc."""

    def __init__(
        self,
        rules: RuleSet,
        mapper: AttributeMapper,
        strategy: StrategyConfig,
        writer_for: WriterFor,
        reference: UserDecider,
    ) -> None:
        self._rules = rules
        self._mapper = mapper
        self._strategy = strategy
        self._writer_for = writer_for
        self._reference = reference  # the per-record path, with uniqueness of its own, for the self-check
        self.enabled = True

    @classmethod
    def create(
        cls,
        source: object,
        profile: PoolProfile,
        rules: RuleSet,
        make_rules: Callable[[], RuleSet],
        mapper: AttributeMapper,
        strategy: StrategyConfig,
        writer_for: WriterFor,
    ) -> BatchPlanner | None:
        """A batch planner for this plan, or None when some part of it has no column form."""
        if not hasattr(source, "column_batches") or strategy.username_policy:
            return None
        if mapper.map_columns({}, []) is None or rules.accepts_batch([], [], []) is None:
            return None
        reference = UserDecider(profile, make_rules(), mapper, strategy)
        return cls(rules, mapper, strategy, writer_for, reference)

    def split(self, batch: UserColumns) -> Iterator[FastRun | SourceRecord]:
        """The batch's users in source order: runs of fast users, and records for the per-record path."""
        count = len(batch.ordinary)
        found = self._fast_users(batch) if self.enabled else None
        if found is None:
            for index in range(count):
                yield batch.record(index)
            return
        position_of, fast = found
        index = 0
        probed = False
        while index < count:
            if position_of[index] < 0:
                yield batch.record(index)
                index += 1
                continue
            end = index
            while end < count and position_of[end] >= 0:
                end += 1
            # Consecutive fast users sit at consecutive positions of the fast columns.
            run = fast.slice(position_of[index], position_of[end - 1] + 1)
            if not probed:
                probed = True
                if not self._agrees(batch.record(index), run):
                    self.enabled = False
                    log.warning(
                        "batch planning disagreed with the per-record planner on user %s; "
                        "planning the rest record by record",
                        run.source_ids[0],
                    )
                    for position in range(index, count):
                        yield batch.record(position)
                    return
            if self._rules.claim_all(run.source_ids, run.usernames, run.attributes):
                yield run
            else:  # a duplicate somewhere in the run: the per-record path finds and explains it
                for position in range(index, end):
                    yield batch.record(position)
            index = end

    def _fast_users(self, batch: UserColumns) -> tuple[list[int], FastRun] | None:
        """The batch's surely ordinary users as columns (a ``FastRun`` that is not yet a run: only its
        positions marked in the list are fast), and for each batch position its position there, or -1."""
        count = len(batch.ordinary)
        keep = [index for index, ordinary in enumerate(batch.ordinary) if ordinary]

        def pick(column: Sequence[T]) -> list[T]:
            return list(column) if len(keep) == count else [column[index] for index in keep]

        source_ids = pick(batch.source_ids)
        usernames = pick(batch.usernames)
        fields = {name: pick(column) for name, column in batch.fields.items()}
        columns = self._mapper.map_columns(fields, source_ids)
        if columns is None:
            return None
        names = [name for name, _ in columns]
        values = list(zip(*(column for _, column in columns), strict=True)) or [()] * len(keep)
        if any(None in column for _, column in columns):
            attributes = [
                {name: value for name, value in zip(names, row, strict=True) if value} for row in values
            ]
        else:
            attributes = [dict(zip(names, row, strict=True)) for row in values]
        accepted = self._rules.accepts_batch(usernames, columns, attributes)
        if accepted is None:
            return None

        method, without_hash = self._strategy.method, self._strategy.without_hash
        enabled = pick(batch.enabled)
        hashes = pick(batch.password_hashes)
        imported = iter(cognito_import_all([value for value in hashes if value is not None]))
        no_hash: tuple[None, None] = (None, None)
        classified = [no_hash if value is None else next(imported) for value in hashes]
        importable = [found for _, found in classified]
        decisions = [
            choose_for_format(fmt, flag, method=method, without_hash=without_hash, importable=found)
            for (fmt, found), flag in zip(classified, enabled, strict=True)
        ]
        rows: list[str | None] = [None] * len(keep)
        # Users imported with their hash, or RESET_REQUIRED (algorithm None); admin and jit users write
        # other files, and are left to the per-record path.
        for algorithm in {decision.algorithm for decision in decisions if decision.strategy == "csv-import"}:
            # The strategy table imports with an algorithm only an Importable hash, and without one
            # only RESET_REQUIRED users: the strategy and algorithm say it all.
            mine = [
                position
                for position, decision in enumerate(decisions)
                if decision.strategy == "csv-import" and decision.algorithm == algorithm
            ]
            made = self._writer_for(algorithm).rows_of(
                [usernames[position] for position in mine],
                [(name, [column[position] for position in mine]) for name, column in columns],
                [importable[position].value for position in mine] if algorithm else None,  # type: ignore[union-attr]
            )
            for position, row in zip(mine, made, strict=True):
                rows[position] = row
        position_of = [-1] * count
        for position, index in enumerate(keep):
            if accepted[position] and rows[position] is not None:
                position_of[index] = position
        fast = FastRun(source_ids, usernames, attributes, decisions, pick(batch.groups), enabled,
                       rows, pick(batch.locations))  # type: ignore[arg-type]  # fmt: skip
        return position_of, fast

    def _agrees(self, record: SourceRecord, run: FastRun) -> bool:
        """Whether the per-record path plans ``run``'s first user exactly as the run does."""
        if not isinstance(record, LegacyUser):
            return False
        plan, prepared = self._reference.decide(record)
        decision = run.decisions[0]
        if prepared is None or plan.decision is not Verdict.MIGRATE:
            return False
        expected = (plan.source_id, plan.username, plan.strategy, plan.password, plan.algorithm, plan.reasons,
                    plan.groups, plan.enabled, plan.location, list(prepared.attributes.items()))  # fmt: skip
        got = (run.source_ids[0], run.usernames[0], decision.strategy, decision.password, decision.algorithm,
               [decision.reason], run.groups[0], run.enabled[0], run.locations[0],
               list(run.attributes[0].items()))  # fmt: skip
        if expected != got:
            return False
        row = self._writer_for(plan.algorithm).row(
            prepared.username, prepared.attributes, mfa_enabled=prepared.mfa_enabled,
            password_hash=prepared.password_hash,
        )  # fmt: skip
        return row == run.rows[0]
