"""Username rules: the shape Cognito takes, the alias and sign-in formats, and an optional local policy.

Facts (cognito-facts §1, §2): AdminCreateUser's ``Username`` is 1–128 characters of the Unicode
categories L, M, S, N and P (so no whitespace, no control or format characters); CSV import forbids
spaces and tabs too. A pool with an email (phone) *alias* refuses a username that "matches a valid
email address (phone number) format" [D6]; we read "valid" with the same test as the email and phone
rules (``contact.is_email`` / ``is_phone``). A pool whose ``UsernameAttributes`` are email/phone
signs users in with that value, so the candidate's username must be one.

UNVERIFIED (each one constant or function, easy to change):
- ``MAX_USERNAME_LENGTH`` counts code points; whether Cognito counts UTF-16 units (an emoji = 2) is
  not documented.
- Which characters are in L, M, S, N, P is Python's Unicode database (``str.isprintable``); a
  character newer than it is refused here and may be taken by Cognito.
- That Cognito's "valid email format" for aliases is ``contact.EMAIL_PATTERN``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection, Iterable, Sequence
from typing import Final

from cognito_migrate.errors import ConfigError
from cognito_migrate.planner.rules.contact import is_email, is_phone
from cognito_migrate.planner.rules.findings import (
    USERNAME_ALIAS_FORMAT,
    USERNAME_CHARACTERS,
    USERNAME_LENGTH,
    USERNAME_POLICY,
    USERNAME_SIGN_IN_FORMAT,
    USERNAME_WHITESPACE,
    Finding,
    shown,
)

MAX_USERNAME_LENGTH: Final = 128
_EMPTY = Finding(USERNAME_LENGTH, "the username is empty")
_KIND = {"email": ("an email address", is_email), "phone_number": ("a phone number", is_phone)}

UsernameCheck = Callable[[str], Finding | None]


def username_shape(username: str) -> Finding | None:
    """Length, whitespace and characters: what AdminCreateUser's pattern and the CSV import refuse.

    ``str.isprintable()`` is false exactly for the categories Other and Separator except the ASCII
    space, so ``isprintable() and " " not in`` is "every character is L, M, S, N or P" at C speed.
    """
    if username.isprintable() and " " not in username:
        if 0 < len(username) <= MAX_USERNAME_LENGTH:
            return None
        if not username:
            return _EMPTY
        return Finding(
            USERNAME_LENGTH,
            f"username {shown(username)} is {len(username)} characters long; "
            f"Cognito allows at most {MAX_USERNAME_LENGTH}",
        )
    if any(char.isspace() for char in username):
        return Finding(
            USERNAME_WHITESPACE,
            f"username {shown(username)} contains whitespace; Cognito usernames cannot hold spaces, "
            "tabs or line breaks",
        )
    odd = next(char for char in username if not char.isprintable())
    return Finding(
        USERNAME_CHARACTERS,
        f"username {shown(username)} contains the character U+{ord(odd):04X}; Cognito takes only "
        "letters, marks, numbers, symbols and punctuation",
    )


def usernames_shaped(usernames: Sequence[str]) -> bool:
    """True when ``username_shape`` finds nothing for any of ``usernames`` (its test, at C speed over
    all of them at once); False when some may break it: then ask ``username_shape`` one by one."""
    joined = "".join(usernames)
    return (
        joined.isprintable()
        and " " not in joined
        and (
            not usernames
            or (min(map(len, usernames)) > 0 and max(map(len, usernames)) <= MAX_USERNAME_LENGTH)
        )
    )


def alias_format_check(alias_attributes: Collection[str]) -> UsernameCheck | None:
    """The check for a pool with an email or phone_number alias, or ``None`` if it has neither."""
    email_alias = "email" in alias_attributes
    phone_alias = "phone_number" in alias_attributes
    if not (email_alias or phone_alias):
        return None

    def alias_format(username: str) -> Finding | None:
        # The cheap containment tests first: most usernames have neither an @ nor a leading +.
        if email_alias and "@" in username and is_email(username):
            return _alias_format(username, "email")
        if phone_alias and username[:1] == "+" and is_phone(username):
            return _alias_format(username, "phone_number")
        return None

    return alias_format


def _alias_format(username: str, attribute: str) -> Finding:
    kind = _KIND[attribute][0]
    return Finding(
        USERNAME_ALIAS_FORMAT,
        f"username {shown(username)} looks like {kind}, which this pool refuses because {attribute} "
        f"is a sign-in alias; map the username to a name, and the {kind} to {attribute}",
    )


def sign_in_format_check(username_attributes: Iterable[str]) -> UsernameCheck | None:
    """The check for a pool that signs users in by email/phone, or ``None`` for a pool with usernames."""
    kinds = [_KIND[attribute] for attribute in username_attributes if attribute in _KIND]
    if not kinds:
        return None
    wanted = " or ".join(kind for kind, _ in kinds)

    def sign_in_format(username: str) -> Finding | None:
        if any(matches(username) for _, matches in kinds):
            return None
        return Finding(
            USERNAME_SIGN_IN_FORMAT,
            f"username {shown(username)} is not {wanted}, and this pool signs users in with {wanted}; "
            "map the username to the user's sign-in address",
        )

    return sign_in_format


class UsernamePolicy:
    """``[strategy] username_policy``: a regular expression every new username must match in full,
    except the grandfathered names, compared as the pool compares usernames (``fold``)."""

    __slots__ = ("_fold", "_grandfathered", "_pattern")

    def __init__(self, pattern: str, grandfathered: Iterable[str], fold: Callable[[str], str]) -> None:
        try:
            self._pattern = re.compile(pattern)
        except re.error as exc:
            message = f"[strategy] username_policy = {pattern!r} is no regular expression: {exc}"
            raise ConfigError(message) from None
        self._fold = fold
        self._grandfathered = frozenset(fold(name) for name in grandfathered)

    def __call__(self, username: str) -> Finding | None:
        if self._pattern.fullmatch(username) or self._fold(username) in self._grandfathered:
            return None
        return Finding(
            USERNAME_POLICY,
            f"username {shown(username)} does not match the username policy {self._pattern.pattern!r}; "
            "rename the user, or list the name in grandfathered_usernames to keep it",
        )
