"""Deciding one user: reject (with every reason), skip (with the reason), or migrate by which strategy.

Pure: given the pool profile, the rules, the mapping and the strategy settings, the same record always
gets the same decision. The only state is the rules' memory of usernames and emails seen earlier in
the source (for duplicates), which is why records must be decided in source order, once each.
"""

from __future__ import annotations

from dataclasses import dataclass

from cognito_migrate.config.models import StrategyConfig
from cognito_migrate.mapping import AttributeMapper
from cognito_migrate.passwords.importable import Importable, cognito_import
from cognito_migrate.planner.decision import UserPlan, Verdict
from cognito_migrate.planner.profile import PoolProfile
from cognito_migrate.planner.rules import Candidate, RuleSet
from cognito_migrate.planner.strategy import choose_strategy
from cognito_migrate.sources.records import IssueKind, LegacyUser, SourceIssue, SourceRecord


@dataclass(frozen=True, slots=True)
class Prepared:
    """What a strategy needs to write a migrated user (never a clear password)."""

    username: str
    attributes: dict[str, str]
    mfa_enabled: bool | None
    password_hash: str | None  # the import-ready hash, only for csv-import with a hash
    legacy_hash: str | None = None  # the hash as stored, only for jit: the trigger verifies it


class UserDecider:
    def __init__(
        self, profile: PoolProfile, rules: RuleSet, mapper: AttributeMapper, strategy: StrategyConfig
    ) -> None:
        self.profile = profile
        self.rules = rules
        self.mapper = mapper
        self.strategy = strategy
        # In pools where people sign in with an email or phone, that value is the username Cognito gets.
        self._username_attribute = profile.username_attributes[0] if profile.username_attributes else None

    def decide(self, record: SourceRecord) -> tuple[UserPlan, Prepared | None]:
        if isinstance(record, SourceIssue):
            return self._issue(record), None
        return self._user(record)

    def _issue(self, issue: SourceIssue) -> UserPlan:
        verdict = Verdict.SKIP if issue.kind is IssueKind.EXCLUDED else Verdict.REJECT
        return UserPlan(
            source_id=issue.source_id or f"{issue.kind}:{issue.location}",
            username=issue.username or "",
            decision=verdict,
            reasons=[f"source.{issue.kind}: {issue.reason}"],
            location=issue.location,
        )

    def _user(self, user: LegacyUser) -> tuple[UserPlan, Prepared | None]:
        plan = UserPlan(
            source_id=user.source_id,
            username=user.username,
            decision=Verdict.REJECT,
            location=user.location,
            groups=user.groups,
            enabled=user.enabled,
        )
        mapped = self.mapper.map(user)
        if mapped.problems:
            plan.reasons = [f"mapping.{p.rule}: {p}" for p in mapped.problems]
            return plan, None
        attributes = mapped.attributes
        username = user.username
        if self._username_attribute is not None:
            username = attributes.get(self._username_attribute, "")
            plan.username = username
        candidate = Candidate(user.source_id, username, attributes, user.mfa_enabled)

        existing = self.rules.existing_username(candidate)
        updating = existing is not None and self.strategy.on_existing == "update"
        findings = self.rules.check(candidate, updating=updating)
        hard = [f for f in findings if f.only_for is None]
        if hard:
            plan.reasons = [f"{f.rule}: {f.message}" for f in hard]
            return plan, None
        if existing is not None:
            plan = self._existing(plan, existing)
            if plan.decision is Verdict.MIGRATE:  # on_existing = update: apply needs what to write
                return plan, Prepared(existing, attributes, user.mfa_enabled, None)
            return plan, None

        importable = cognito_import(user.password_hash) if user.password_hash is not None else None
        decision = choose_strategy(
            user,
            method=self.strategy.method,
            without_hash=self.strategy.without_hash,
            importable=importable,
        )
        blocking = [f for f in findings if f.blocks(decision.strategy)]
        if blocking:
            plan.reasons = [f"{f.rule}: {f.message} ({decision.strategy} requires it)" for f in blocking]
            return plan, None
        plan.decision = Verdict.MIGRATE
        plan.strategy = decision.strategy
        plan.password = decision.password
        plan.algorithm = decision.algorithm
        plan.reasons = [decision.reason]
        hash_value = importable.value if isinstance(importable, Importable) and decision.algorithm else None
        legacy = user.password_hash.value if decision.strategy == "jit" and user.password_hash else None
        return plan, Prepared(username, attributes, user.mfa_enabled, hash_value, legacy)

    def _existing(self, plan: UserPlan, existing: str) -> UserPlan:
        where = f"already in the pool as {existing!r}"
        if self.strategy.on_existing == "skip":
            plan.decision = Verdict.SKIP
            plan.reasons = [f"pool.exists: {where}; on_existing = skip"]
        elif self.strategy.on_existing == "fail":
            plan.reasons = [f"pool.exists: {where}; on_existing = fail"]
        else:
            plan.decision = Verdict.MIGRATE
            plan.strategy = "admin"
            plan.reasons = [f"pool.exists: {where}; on_existing = update: its attributes will be updated"]
        return plan
