"""Uniqueness: the one stateful rule. Within the source the first user to claim a username, email,
phone number or preferred_username keeps it; users already in the pool are recognised, not refused.

What must be unique, and how values are compared (cognito-facts §1, §2; [D6]):
- usernames, compared per the pool's case rule (``PoolProfile.fold``);
- in pools that sign in by email/phone (``username_attributes``), the username *is* that email/phone:
  it is compared as an email (without case) or a phone number, in the same table as the attribute;
- the email where email is a username attribute, or an alias *and verified* (AWS: an email or phone
  number "only functions as an alias if it's verified", and only a verified alias must be unique);
  likewise phone_number; preferred_username where it is an alias (no verification involved), per the
  pool's case rule.
Emails are compared without case everywhere (UNVERIFIED, ``EMAIL_FOLD``: the local part is
case-sensitive in RFC 5321, but Cognito treats ``Ada@`` and ``ada@`` as one sign-in).

Memory: one dict entry per unique value, the folded value → the first claimant's source id, the
source id object shared between tables. Measured with tracemalloc over 200,000 users (ids such as
``'123456'``, usernames such as ``'user123456'``, CPython 3.11): 152 bytes a user for the username
table (key string, source id string, dict slot), 110 more for each further table (an email alias:
262 bytes a user, 262 MB for a million). A case-sensitive pool's username table keeps the username
string the candidate held (no copy); a case-insensitive one keeps the folded copy instead. Keeping
64-bit hashes as keys and integer ids would save about a third, at the price of a tiny chance of a
false duplicate; exact strings were preferred.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Final, Protocol

from cognito_migrate.planner.profile import PoolProfile
from cognito_migrate.planner.rules.candidate import Candidate
from cognito_migrate.planner.rules.findings import (
    EMAIL_DUPLICATE_IN_SOURCE,
    EMAIL_TAKEN_IN_POOL,
    PHONE_DUPLICATE_IN_SOURCE,
    PHONE_TAKEN_IN_POOL,
    PREFERRED_USERNAME_DUPLICATE_IN_SOURCE,
    PREFERRED_USERNAME_TAKEN_IN_POOL,
    USERNAME_DUPLICATE_IN_SOURCE,
    Finding,
    shown,
)

EMAIL_FOLD: Final[Callable[[str], str]] = str.casefold
_VERIFIED_FLAG = {"email": "email_verified", "phone_number": "phone_number_verified"}
_DUPLICATE_RULE = {
    "email": EMAIL_DUPLICATE_IN_SOURCE,
    "phone_number": PHONE_DUPLICATE_IN_SOURCE,
    "preferred_username": PREFERRED_USERNAME_DUPLICATE_IN_SOURCE,
}
_TAKEN_RULE = {
    "email": EMAIL_TAKEN_IN_POOL,
    "phone_number": PHONE_TAKEN_IN_POOL,
    "preferred_username": PREFERRED_USERNAME_TAKEN_IN_POOL,
}


class ExistingUsersLike(Protocol):
    """The users already in the target pool, as the rules ask about them (``planner.existing.
    ExistingUsers`` is the real one).

    Implementations compare as Cognito does (usernames per the pool's case rule, emails without case,
    ``PoolProfile.fold_attribute``) and take values as the candidate holds them.

    - ``has_username(name)``: a pool user has this username (not asked in pools that sign in by
      email/phone, whose usernames Cognito generates);
    - ``holder_of(attribute, value)``: the pool username of the user holding ``value`` in a unique
      ``attribute`` (a sign-in attribute, a verified email/phone alias, a preferred_username alias), or
      ``None``;
    - ``by_legacy_id(legacy_id)``: the pool username of the user carrying ``legacy_id`` in the legacy
      id attribute, or ``None``.
    """

    def has_username(self, name: str) -> bool: ...

    def holder_of(self, attribute: str, value: str) -> str | None: ...

    def by_legacy_id(self, legacy_id: str) -> str | None: ...


_Fold = Callable[[str], str] | None  # None: compared as they are


class SourceUniqueness:
    """First claimant wins: remembers who claimed each unique value so far in this source.

    ``claim(candidate)`` records the candidate's values and returns a finding for every value an
    earlier candidate claimed first, naming that one's source id. A candidate is recorded even when
    other rules reject it, so the outcome for a record never depends on another record's attributes.
    A second record with the same source id is a duplicate too (the message then names its own id).
    """

    __slots__ = ("_by_attribute", "_fold_username", "_ignores_case", "_sign_in", "_usernames")

    def __init__(self, profile: PoolProfile) -> None:
        self._ignores_case = not profile.case_sensitive
        case_fold: _Fold = None if profile.case_sensitive else str.casefold
        folds: dict[str, _Fold] = {"email": EMAIL_FOLD, "phone_number": None, "preferred_username": case_fold}
        sign_in = [name for name in profile.username_attributes if name in _VERIFIED_FLAG]
        tables: dict[str, dict[str, str]] = {name: {} for name in sign_in}
        # (attribute, fold, the verified flag that must be "true" or None, table), for each unique one
        by_attribute: list[tuple[str, _Fold, str | None, dict[str, str]]] = []
        for name in ("email", "phone_number", "preferred_username"):
            if name in sign_in:
                flag = None
            elif name in profile.alias_attributes:
                flag = _VERIFIED_FLAG.get(name)
            else:
                continue
            by_attribute.append((name, folds[name], flag, tables.setdefault(name, {})))
        self._by_attribute = tuple(by_attribute)
        # Usernames: their own table; in sign-in-by-email/phone pools, the email or phone table.
        self._usernames: dict[str, str] = {}
        self._fold_username = case_fold
        self._sign_in = {name: (folds[name], tables[name]) for name in sign_in}

    def claim(self, candidate: Candidate) -> tuple[Finding, ...]:
        found: list[Finding] | None = None
        source_id = candidate.source_id
        username = candidate.username
        claimed_by_username: tuple[str, str] | None = None
        case_note = "; this pool ignores case in usernames" if self._ignores_case else ""
        if self._sign_in:
            kind = "email" if "@" in username else "phone_number"
            fold, table = self._sign_in.get(kind, (None, None))
            key = username if fold is None else fold(username)
            claimed_by_username = (kind, key)
            case_note = "; email addresses are compared without case" if kind == "email" else ""
        else:
            fold, table = self._fold_username, self._usernames
            key = username if fold is None else fold(username)
        if table is not None:
            first = table.get(key)
            if first is None:
                table[key] = source_id
            else:
                found = [
                    Finding(
                        USERNAME_DUPLICATE_IN_SOURCE,
                        f"username {shown(username)} is already claimed by source user {first}, "
                        f"which comes first{case_note}",
                    )
                ]
        attributes = candidate.attributes
        for name, fold, flag, table in self._by_attribute:
            value = attributes.get(name)
            if not value or (flag is not None and attributes.get(flag) != "true"):
                continue
            key = value if fold is None else fold(value)
            first = table.get(key)
            if first is None:
                table[key] = source_id
            elif claimed_by_username != (name, key):  # else the username's claim above said it
                if found is None:
                    found = []
                found.append(
                    Finding(
                        _DUPLICATE_RULE[name],
                        f"{name} {shown(value)} is already claimed by source user {first}, which comes "
                        f"first; {name} must be unique in this pool",
                    )
                )
        return () if found is None else tuple(found)

    def claim_all(
        self, source_ids: Sequence[str], usernames: Sequence[str], attributes: Sequence[Mapping[str, str]]
    ) -> bool:
        """``claim()`` for a run of users at once, when none of them would get a finding: claims their
        values and returns True. Claims nothing and returns False when any value is claimed already,
        twice in the run, or the pool signs in by email/phone; then ``claim()`` them one by one."""
        if self._sign_in:
            return False
        fold = self._fold_username
        keys = list(usernames) if fold is None else list(map(fold, usernames))
        if len(set(keys)) != len(keys) or not self._usernames.keys().isdisjoint(keys):
            return False
        claims: list[tuple[dict[str, str], list[str], list[str]]] = []
        for name, value_fold, flag, table in self._by_attribute:
            values, owners = [], []
            for source_id, user in zip(source_ids, attributes, strict=True):
                value = user.get(name)
                if not value or (flag is not None and user.get(flag) != "true"):
                    continue
                values.append(value if value_fold is None else value_fold(value))
                owners.append(source_id)
            if len(set(values)) != len(values) or not table.keys().isdisjoint(values):
                return False
            claims.append((table, values, owners))
        self._usernames.update(zip(keys, source_ids, strict=True))
        for table, values, owners in claims:
            table.update(zip(values, owners, strict=True))
        return True


class PoolUniqueness:
    """Users already in the pool: who the candidate already is there, and which of its unique values
    another pool user holds."""

    __slots__ = ("_attributes", "_existing", "_fold", "_legacy_id_attribute", "_sign_in")

    def __init__(
        self, profile: PoolProfile, existing: ExistingUsersLike, legacy_id_attribute: str | None
    ) -> None:
        self._existing = existing
        self._fold = profile.fold
        self._legacy_id_attribute = legacy_id_attribute
        self._sign_in = tuple(name for name in profile.username_attributes if name in _VERIFIED_FLAG)
        attributes: list[tuple[str, str | None]] = []
        for name in ("email", "phone_number", "preferred_username"):
            if name in self._sign_in:
                attributes.append((name, None))
            elif name in profile.alias_attributes:
                attributes.append((name, _VERIFIED_FLAG.get(name)))
        self._attributes = tuple(attributes)

    @property
    def pool_is_empty(self) -> bool:
        """Whether the pool has no users at all, so that no candidate can be or collide with one."""
        return getattr(self._existing, "count", None) == 0

    def existing_username(self, candidate: Candidate) -> str | None:
        """The pool username of this very user if the pool has it already, else ``None``.

        The legacy id is asked first: it names this source user, where an equal username might be a
        different person who signed up directly. Then the username; in pools that sign in by
        email/phone, whoever holds that email/phone (Cognito's usernames there are generated).
        """
        if self._legacy_id_attribute is not None:
            legacy_id = candidate.attributes.get(self._legacy_id_attribute) or candidate.source_id
            holder = self._existing.by_legacy_id(legacy_id)
            if holder is not None:
                return holder
        username = candidate.username
        if self._sign_in:
            kind = "email" if "@" in username else "phone_number"
            return self._existing.holder_of(kind, username) if kind in self._sign_in else None
        return username if self._existing.has_username(username) else None

    def taken(self, candidate: Candidate, itself: str | None) -> tuple[Finding, ...]:
        """Unique values of ``candidate`` held by a pool user other than ``itself`` (its pool name)."""
        found: list[Finding] | None = None
        attributes = candidate.attributes
        for name, flag in self._attributes:
            value = attributes.get(name)
            if not value or (flag is not None and attributes.get(flag) != "true"):
                continue
            if self._sign_in and EMAIL_FOLD(value) == EMAIL_FOLD(candidate.username):
                continue  # the sign-in value is the username: existing_username answered for it
            holder = self._existing.holder_of(name, value)
            if holder is None or (itself is not None and self._fold(holder) == self._fold(itself)):
                continue
            if found is None:
                found = []
            found.append(
                Finding(
                    _TAKEN_RULE[name],
                    f"{name} {shown(value)} already belongs to pool user {shown(holder)}; "
                    f"{name} must be unique in this pool",
                )
            )
        return () if found is None else tuple(found)
