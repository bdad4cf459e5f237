"""``RuleSet``: every rule for one target pool, compiled once, applied to each user in a fixed order.

    rules = RuleSet(profile, username_policy=r"[a-z][a-z0-9_]*", existing=existing_users)
    for candidate in candidates:
        findings = rules.check(candidate)                 # [] = passes every rule
        already = rules.existing_username(candidate)      # the pool has this user: apply on_existing
        blocking = [f for f in findings if f.blocks(strategy)]  # once the strategy is chosen

Order of the findings (stable, so reports diff cleanly): username shape, alias format, sign-in format,
username policy; then per attribute in the candidate's order: unknown, too long, type, constraint,
email/phone/birthdate/updated_at format; then required attributes, MFA, the auto-verified
(import-only) rule, duplicates within the source, values another pool user holds.

Strategy: ``check`` does not take one. Most findings stop a user whatever the strategy; the few that
stop only one (the auto-verified rule stops CSV import, not admin creation) say so in
``Finding.only_for``, and ``Finding.blocks(strategy)`` answers for the strategy the planner picks.
So the rules run once per user, before the strategy is chosen, and the choice can use their answer.

Updates: ``check(candidate, updating=True)`` is for a user the pool already has and the planner will
update (``on_existing = "update"``). Rules about creating a user (username shape and policy, required
attributes, MFA, auto-verified) are skipped — the pool user exists as it is — and writing an
immutable attribute becomes a finding.

Cost: everything is compiled in the constructor (which checks apply to this pool, one check per schema
attribute, the policy pattern); ``check`` then runs only dictionary lookups, C-speed acceptance tests
(compiled patterns, set membership) and, for values that fail them, the Python that explains why.
Measured for a typical user (five attributes, an email alias, one required attribute, no existing
users): about as long as a raw ``sqlite3`` → ``csv.writer`` copy of one row (0.9–1.2×, measured side
by side); each question to a real ``ExistingUsers`` adds its own lookup time (up to three per user).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

from cognito_migrate.planner.profile import PoolProfile
from cognito_migrate.planner.rules.attributes import AttributeRules
from cognito_migrate.planner.rules.candidate import Candidate
from cognito_migrate.planner.rules.findings import Finding
from cognito_migrate.planner.rules.pool import auto_verified_alike, auto_verified_check, mfa_check
from cognito_migrate.planner.rules.uniqueness import ExistingUsersLike, PoolUniqueness, SourceUniqueness
from cognito_migrate.planner.rules.username import (
    UsernameCheck,
    UsernamePolicy,
    alias_format_check,
    sign_in_format_check,
    username_shape,
    usernames_shaped,
)

_SIGN_IN_KINDS = ("email", "phone_number")


class RuleSet:
    """The rules for one pool. Stateful only in what it remembers for in-source uniqueness: check the
    users of one plan, in source order, with one ``RuleSet``; the first claimant of a value wins."""

    def __init__(
        self,
        profile: PoolProfile,
        *,
        username_policy: str | None = None,
        grandfathered: Iterable[str] = (),
        existing: ExistingUsersLike | None = None,
        legacy_id_attribute: str | None = "custom:legacy_id",
    ) -> None:
        self.profile = profile
        username_checks: list[UsernameCheck | None] = [
            username_shape,
            alias_format_check(profile.alias_attributes),
            sign_in_format_check(profile.username_attributes),
            UsernamePolicy(username_policy, grandfathered, profile.fold) if username_policy else None,
        ]
        self._username_checks = tuple(check for check in username_checks if check is not None)
        self._attributes = AttributeRules(profile)
        self._sign_in = tuple(name for name in profile.username_attributes if name in _SIGN_IN_KINDS)
        self._mfa = mfa_check(profile.mfa_configuration)
        self._auto_verified = auto_verified_check(profile.auto_verified_attributes)
        self._source = SourceUniqueness(profile)
        self._pool = None if existing is None else PoolUniqueness(profile, existing, legacy_id_attribute)
        # existing_username() for the candidate asked last: the planner and check() both need it.
        self._last: tuple[Candidate | None, str | None] = (None, None)

    @property
    def immutable_attributes(self) -> frozenset[str]:
        """Attributes an update of an existing user cannot write (so the planner can leave them out)."""
        return self._attributes.immutable

    def check(self, candidate: Candidate, *, updating: bool = False) -> list[Finding]:
        """Every rule ``candidate`` breaks, in the module's fixed order; ``[]`` when it passes.

        Records the candidate's unique values (first claimant wins), so call it once per user.
        """
        findings: list[Finding] = []
        attributes = candidate.attributes
        if updating:
            findings.extend(self._attributes(attributes, creating=False))
            findings.extend(self._attributes.immutable_written(attributes))
        else:
            username = candidate.username
            for username_check in self._username_checks:
                finding = username_check(username)
                if finding is not None:
                    findings.append(finding)
            present = self._signed_in_with(username) if self._sign_in else None
            found = self._attributes(attributes, present=present)
            if found:
                findings.extend(found)
            if self._mfa is not None:
                finding = self._mfa(candidate.mfa_enabled)
                if finding is not None:
                    findings.append(finding)
            finding = self._auto_verified(attributes)
            if finding is not None:
                findings.append(finding)
        found = self._source.claim(candidate)
        if found:
            findings.extend(found)
        if self._pool is not None:
            found = self._pool.taken(candidate, self.existing_username(candidate))
            if found:
                findings.extend(found)
        return findings

    def accepts_batch(
        self,
        usernames: Sequence[str],
        columns: Sequence[tuple[str, Sequence[str | None]]],
        attributes: Sequence[Mapping[str, str]],
        *,
        mfa_enabled: bool | None = None,
    ) -> list[bool] | None:
        """For users to be created (not updated), one per position: True when ``check()`` would surely
        find nothing but duplicates (claim those with ``claim_all``), False when only ``check()`` can
        tell. ``columns`` holds the users' attributes by name, ``attributes`` the same per user.

        Uses only the acceptance tests ``check()`` itself starts with, so a True never hides a finding.
        None when this pool's rules have no batch form (it signs in by email or phone, or already has
        users the candidates might be).
        """
        if self._sign_in or (self._pool is not None and not self._pool.pool_is_empty):
            return None
        if self._mfa is not None and self._mfa(mfa_enabled) is not None:
            return [False] * len(usernames)
        accepted = [True] * len(usernames)
        for username_check in self._username_checks:
            if username_check is username_shape and usernames_shaped(usernames):
                continue
            accepted = [
                ok and found is None
                for ok, found in zip(accepted, map(username_check, usernames), strict=True)
            ]
        by_name = dict(columns)
        for name, values in columns:
            passes = self._attributes.accepts_column(name, values)
            if False in passes:
                accepted = [ok and passed for ok, passed in zip(accepted, passes, strict=True)]
        for name in self._attributes.required:
            present = by_name.get(name)
            if present is None or None in present:
                accepted = [
                    ok and bool(user.get(name)) for ok, user in zip(accepted, attributes, strict=True)
                ]
        auto_verified = self._auto_verified
        if attributes and auto_verified_alike(by_name, len(attributes)):
            return accepted if auto_verified(attributes[0]) is None else [False] * len(accepted)
        return [ok and auto_verified(user) is None for ok, user in zip(accepted, attributes, strict=True)]

    def claim_all(
        self, source_ids: Sequence[str], usernames: Sequence[str], attributes: Sequence[Mapping[str, str]]
    ) -> bool:
        """Record a run of accepted users' unique values, as ``check()`` does one by one; False (and
        nothing recorded) when any of them would be a duplicate: then ``check()`` them one by one."""
        return self._source.claim_all(source_ids, usernames, attributes)

    def existing_username(self, candidate: Candidate) -> str | None:
        """The pool username of ``candidate`` if the pool already has this user (same legacy id in the
        legacy id attribute, or same username), else ``None``. Not a rejection: the planner applies
        ``on_existing``. Always ``None`` without ``existing``."""
        if self._pool is None:
            return None
        last, name = self._last
        if last is candidate:
            return name
        name = self._pool.existing_username(candidate)
        self._last = (candidate, name)
        return name

    def _signed_in_with(self, username: str) -> str | None:
        """The attribute the username supplies in pools that sign in by email/phone, else ``None``."""
        kind = "email" if "@" in username else "phone_number"
        return kind if kind in self._sign_in else None
