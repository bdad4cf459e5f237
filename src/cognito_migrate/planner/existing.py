"""``ExistingUsers``: what the target pool already holds, for the uniqueness rules and for re-plans.

Built by streaming ListUsers once (60 users a call, UserList quota, 30 RPS by default: a million users
take about 9 minutes), it answers four questions without another call:

- is this username taken (ignoring case where the pool does)?
- who holds this email / phone number / preferred_username (the pool's username attributes, or its
  aliases; an email or phone alias counts only when verified, as in Cognito)?
- which user did this tool migrate from legacy id X before (``custom:legacy_id``)?
- how many users are there?

Memory. Sets of Python strings cost about 300 bytes a user for a username, an email and a legacy id
(measured with tracemalloc: 316 B), over 600 MB for a pool of 2 million. So keys are kept as 64-bit
hashes in open-addressing tables (``array``), and usernames, needed only to name a holder, as UTF-8 in
one ``bytearray``. Per user, with the tables between 45 % and 80 % full:

====================================  ==============================
username hash                          8 B / load   ≈ 10–18 B
each attribute held (hash + holder)    12 B / load  ≈ 15–27 B
username text, if it holds anything    UTF-8 length + 8 B
====================================  ==============================

Measured for users with a 16-character username, a verified email alias and a legacy id: 69 B a user
(tracemalloc, 200,000 users), 140 MB of peak RSS growth for 2 million (``nbytes``: 131–135 MB);
``tests/planner/test_pool_profile.py`` keeps it under 100 B. Building
costs about 12 µs a user in pure Python (25 s for 2 million), little beside the 18 minutes their
ListUsers pages take.

The hashes are Python's SipHash of the string: two different keys share a 64-bit hash with a chance of
about n / 2^64 per lookup (1e-13 in a pool of 2 million), the price of not keeping every string. They
differ from process to process, so an ``ExistingUsers`` lives in the process that built it and refuses
to be pickled.
"""

from __future__ import annotations

from array import array
from collections.abc import Iterable, Iterator, Mapping
from typing import Any, NoReturn

from cognito_migrate.aws.errors import map_cognito_errors
from cognito_migrate.errors import ConfigError, TerminalError
from cognito_migrate.planner.profile import PoolProfile

LIST_PAGE_SIZE = 60  # ListUsers accepts a Limit of at most 60
DEFAULT_LEGACY_ID_ATTRIBUTE = "custom:legacy_id"

# An email or phone alias is a sign-in name only once verified; preferred_username needs no flag.
VERIFIED_FLAG = {"email": "email_verified", "phone_number": "phone_number_verified"}

_MASK64 = (1 << 64) - 1
_MAX_LOAD = 0.8  # linear probing stays short below this: about 13 probes for a miss, 3 for a hit
_LOAD_AFTER_GROWTH = 0.45
_LOAD_WHEN_PRESIZED = 0.65  # an estimate of the final count leaves room for it to be a little low


def _hash64(key: str) -> int:
    # 0 marks an empty slot, so the one key hashing to 0 shares a slot with the one hashing to 1.
    return (hash(key) & _MASK64) or 1


class _HashIndex:
    """An open-addressing table (linear probing) of 64-bit key hashes, with an optional 32-bit
    number per slot (the holder's position in ``ExistingUsers``'s username store)."""

    __slots__ = ("_capacity", "_hashes", "_limit", "_numbers", "count")

    def __init__(self, expected: int = 0, *, numbered: bool) -> None:
        self.count = 0
        self._allocate(max(16, int(expected / _LOAD_WHEN_PRESIZED) + 1), numbered=numbered)

    def _allocate(self, capacity: int, *, numbered: bool) -> None:
        self._capacity = capacity
        self._limit = int(capacity * _MAX_LOAD)
        self._hashes = array("Q", [0]) * capacity
        self._numbers: array[int] | None = array("I", [0]) * capacity if numbered else None

    def add(self, key: str, number: int = 0) -> None:
        """Insert ``key``; a key already present keeps its first number."""
        if self.count >= self._limit:
            self._grow()
        hashed = (hash(key) & _MASK64) or 1
        # The probe loop is written out here (and in ``_slot``): this runs once per key of every user.
        hashes, capacity = self._hashes, self._capacity
        slot = hashed % capacity
        while True:
            found = hashes[slot]
            if found == 0:
                break
            if found == hashed:
                return
            slot += 1
            if slot == capacity:
                slot = 0
        hashes[slot] = hashed
        if self._numbers is not None:
            self._numbers[slot] = number
        self.count += 1

    def get(self, key: str) -> int | None:
        """The number stored with ``key`` (0 in an unnumbered table), or None."""
        if not self.count:
            return None
        hashed = _hash64(key)
        slot = self._slot(hashed)
        if self._hashes[slot] != hashed:
            return None
        return self._numbers[slot] if self._numbers is not None else 0

    def _slot(self, hashed: int) -> int:
        """The slot holding ``hashed``, or the empty slot where it would go."""
        hashes, capacity = self._hashes, self._capacity
        slot = hashed % capacity
        while True:
            found = hashes[slot]
            if found == 0 or found == hashed:
                return slot
            slot += 1
            if slot == capacity:
                slot = 0

    def _grow(self) -> None:
        old_hashes, old_numbers = self._hashes, self._numbers
        self._allocate(int(self.count / _LOAD_AFTER_GROWTH) + 1, numbered=old_numbers is not None)
        if old_numbers is None:
            for hashed in old_hashes:
                if hashed:
                    self._hashes[self._slot(hashed)] = hashed
            return
        assert self._numbers is not None
        for hashed, number in zip(old_hashes, old_numbers, strict=True):
            if hashed:
                slot = self._slot(hashed)
                self._hashes[slot] = hashed
                self._numbers[slot] = number

    @property
    def nbytes(self) -> int:
        size = self._hashes.itemsize * len(self._hashes)
        if self._numbers is not None:
            size += self._numbers.itemsize * len(self._numbers)
        return size


class ExistingUsers:
    """The users a pool already has, as compact answers to the planner's uniqueness questions.

    Build one with ``read_existing_users`` (one ListUsers pass), or ``from_users`` in tests and for
    pools read some other way.
    """

    __slots__ = (
        "_attributes",
        "_fold",
        "_fold_attribute",
        "_legacy",
        "_name_ends",
        "_names",
        "_usernames",
        "_verified_flags",
        "count",
        "legacy_id_attribute",
        "tracked_attributes",
    )

    def __init__(
        self,
        profile: PoolProfile,
        *,
        legacy_id_attribute: str | None = DEFAULT_LEGACY_ID_ATTRIBUTE,
        expected_users: int = 0,
    ) -> None:
        self._fold = profile.fold
        self._fold_attribute = profile.fold_attribute
        # Only what Cognito keeps unique is tracked: the username attributes (every value: they are
        # sign-in names from the start), or the aliases (emails and phones once verified).
        self.tracked_attributes: tuple[str, ...] = profile.unique_attributes
        self._verified_flags = (
            {}
            if profile.username_attributes
            else {name: VERIFIED_FLAG[name] for name in self.tracked_attributes if name in VERIFIED_FLAG}
        )
        # A legacy id attribute the pool does not have cannot hold anything: skip it at no cost.
        self.legacy_id_attribute = (
            legacy_id_attribute if legacy_id_attribute and legacy_id_attribute in profile.attributes else None
        )
        self._usernames = _HashIndex(expected_users, numbered=False)
        self._attributes = {name: _HashIndex(numbered=True) for name in self.tracked_attributes}
        self._legacy = _HashIndex(numbered=True)
        # Usernames that hold an attribute or a legacy id, UTF-8, one after the other: holder n is
        # ``_names[_name_ends[n - 1]:_name_ends[n]]``.
        self._names = bytearray()
        self._name_ends: array[int] = array("Q")
        self.count = 0

    @classmethod
    def from_users(
        cls,
        profile: PoolProfile,
        users: Iterable[tuple[str, Mapping[str, str]]],
        *,
        legacy_id_attribute: str | None = DEFAULT_LEGACY_ID_ATTRIBUTE,
    ) -> ExistingUsers:
        """From ``(username, {attribute: value})`` pairs, as ListUsers would give them."""
        existing = cls(profile, legacy_id_attribute=legacy_id_attribute)
        for username, attributes in users:
            existing.add(username, attributes)
        return existing

    def add(self, username: str, attributes: Mapping[str, str]) -> None:
        """Record one user of the pool (the reader calls this for every user ListUsers returns)."""
        self.count += 1
        self._usernames.add(self._fold(username))
        holder: int | None = None
        for attribute in self.tracked_attributes:
            value = attributes.get(attribute)
            if not value:
                continue
            flag = self._verified_flags.get(attribute)
            if flag and attributes.get(flag, "").lower() != "true":
                continue
            holder = self._holder_number(username, holder)
            self._attributes[attribute].add(self._fold_attribute(attribute, value), holder)
        if self.legacy_id_attribute is not None:
            legacy_id = attributes.get(self.legacy_id_attribute)
            if legacy_id:
                holder = self._holder_number(username, holder)
                self._legacy.add(legacy_id, holder)

    @property
    def attributes_read(self) -> tuple[str, ...]:
        """The user attributes ``add`` looks at (what ListUsers needs to return)."""
        legacy = (self.legacy_id_attribute,) if self.legacy_id_attribute else ()
        return (*self.tracked_attributes, *self._verified_flags.values(), *legacy)

    def _holder_number(self, username: str, known: int | None) -> int:
        if known is not None:
            return known
        self._names += username.encode("utf-8")
        self._name_ends.append(len(self._names))
        return len(self._name_ends) - 1

    def _username_at(self, number: int) -> str:
        start = self._name_ends[number - 1] if number else 0
        return self._names[start : self._name_ends[number]].decode("utf-8")

    # ── questions ────────────────────────────────────────────────────────────────────────────────────

    def has_username(self, name: str) -> bool:
        """Whether a user of the pool has this username (any case, in a case-insensitive pool).

        In pools with ``UsernameAttributes`` Cognito's usernames are generated (the ``sub``): ask
        ``holder_of("email", …)`` there instead.
        """
        return self._usernames.get(self._fold(name)) is not None

    def holder_of(self, attribute: str, value: str) -> str | None:
        """The username of the user holding ``value`` as ``attribute`` (a username attribute, or a
        verified alias), or None: also for an attribute this pool does not keep unique."""
        index = self._attributes.get(attribute)
        if index is None:
            return None
        number = index.get(self._fold_attribute(attribute, value))
        return None if number is None else self._username_at(number)

    def by_legacy_id(self, legacy_id: str) -> str | None:
        """The username of the user this tool migrated from ``legacy_id`` before, or None."""
        number = self._legacy.get(legacy_id)
        return None if number is None else self._username_at(number)

    @property
    def nbytes(self) -> int:
        """The bytes held in the tables and the username store (the objects around them add ~2 KB)."""
        return (
            self._usernames.nbytes
            + sum(index.nbytes for index in self._attributes.values())
            + self._legacy.nbytes
            + len(self._names)
            + self._name_ends.itemsize * len(self._name_ends)
        )

    def __reduce__(self) -> NoReturn:
        raise TypeError("ExistingUsers holds per-process string hashes and cannot be pickled")

    def __repr__(self) -> str:
        tracked = ", ".join(("username", *self.tracked_attributes))
        return f"<ExistingUsers {self.count} users, tracking {tracked}>"


def read_existing_users(
    idp: Any,
    profile: PoolProfile,
    *,
    legacy_id_attribute: str | None = DEFAULT_LEGACY_ID_ATTRIBUTE,
    page_size: int = LIST_PAGE_SIZE,
) -> ExistingUsers:
    """Stream the pool's users once (ListUsers, ``page_size`` a call) into an ``ExistingUsers``.

    ``idp`` is the caller's cognito-idp client, paced under the UserList quota. An empty pool costs
    one call. ``legacy_id_attribute`` (``[strategy] legacy_id_attribute``; None when it is false)
    maps legacy ids back to the users a previous run created.
    """
    existing = ExistingUsers(
        profile, legacy_id_attribute=legacy_id_attribute, expected_users=profile.estimated_users
    )
    # Ask only for the attributes the answers need: a page of 60 users shrinks from ~20 attributes
    # each to a few. ("sub" when nothing else is needed, since an empty list's meaning is UNVERIFIED.)
    wanted = list(existing.attributes_read) or ["sub"]
    for user in _list_users(idp, profile, attributes=wanted, page_size=page_size):
        attributes = {item["Name"]: item.get("Value", "") for item in user.get("Attributes", ())}
        existing.add(user["Username"], attributes)
    return existing


def _list_users(
    idp: Any, profile: PoolProfile, *, attributes: list[str], page_size: int
) -> Iterator[dict[str, Any]]:
    token: str | None = None
    while True:
        params: dict[str, Any] = {
            "UserPoolId": profile.pool_id,
            "Limit": page_size,
            "AttributesToGet": attributes,
        }
        if token:
            params["PaginationToken"] = token
        try:
            with map_cognito_errors("ListUsers"):
                page = idp.list_users(**params)
        except TerminalError as exc:
            if exc.code != "ResourceNotFoundException":
                raise
            raise ConfigError(
                f"[target] pool_id {profile.pool_id!r}: the user pool in Region {profile.region} "
                "disappeared while its users were being listed"
            ) from exc
        yield from page.get("Users", ())
        token = page.get("PaginationToken")
        if not token:
            return
