"""Email addresses and phone numbers: are they in a form Cognito takes?

Each check is one precompiled regular expression on the happy path; only a value that fails is looked
at again to say *why*, so the explanation costs nothing for the million users that pass.

Cognito's own email check is not published. This is a pragmatic RFC 5322-ish test: one ``@``, a local
part of 1–64 characters, a domain of dot-separated non-empty labels with at least one dot, nothing
that is whitespace or a control character, 254 characters at most (RFC 5321's path limit). It accepts
internationalised addresses (``jürgen@bücher.de``). UNVERIFIED: whether Cognito refuses anything
this accepts (quoted local parts, IP-literal domains) or the reverse; ``EMAIL_PATTERN`` is the one
place to change.

Phone numbers: E.164, ``+`` and 8–15 ASCII digits (cognito-facts §1: "+ and digits only"). The
mapping's ``e164`` transform already normalises with libphonenumber; here only the shape is checked.
UNVERIFIED: Cognito's minimum digit count (E.164 allows shorter numbers in principle);
``PHONE_PATTERN``.
"""

from __future__ import annotations

import re
from typing import Final

from cognito_migrate.planner.rules.findings import EMAIL_INVALID, PHONE_INVALID, Finding, shown

MAX_EMAIL_LENGTH: Final = 254
MAX_EMAIL_LOCAL_PART: Final = 64
_EMAIL_CHARACTER = r"[^@\s\x00-\x1f\x7f.]"
EMAIL_PATTERN: Final = re.compile(
    rf"(?=.{{3,{MAX_EMAIL_LENGTH}}}\Z)[^@\s\x00-\x1f\x7f]{{1,{MAX_EMAIL_LOCAL_PART}}}"
    rf"@{_EMAIL_CHARACTER}+(?:\.{_EMAIL_CHARACTER}+)+",
    re.DOTALL,
)
PHONE_PATTERN: Final = re.compile(r"\+[0-9]{8,15}")


def is_email(value: str) -> bool:
    return EMAIL_PATTERN.fullmatch(value) is not None


def is_phone(value: str) -> bool:
    return PHONE_PATTERN.fullmatch(value) is not None


def email_problem(value: str) -> Finding | None:
    """``email.invalid`` when ``value`` is no address Cognito would take, else ``None``.

    >>> email_problem("ada@example.org") is None
    True
    >>> email_problem("ada@").message
    "email 'ada@' is not a valid address: the domain is missing"
    """
    if EMAIL_PATTERN.fullmatch(value):
        return None
    return Finding(EMAIL_INVALID, f"email {shown(value)} is not a valid address: {why_not_email(value)}")


def why_not_email(value: str) -> str:
    """What is wrong with an address ``EMAIL_PATTERN`` refused, in words (slow path only)."""
    if any(char.isspace() or char < " " or char == "\x7f" for char in value):
        return "it contains whitespace or a control character"
    if value.count("@") != 1:
        return "it needs exactly one @" if value.count("@") > 1 else "the @ is missing"
    local, domain = value.split("@")
    if not local:
        return "the part before the @ is empty"
    if len(local) > MAX_EMAIL_LOCAL_PART:
        return f"the part before the @ is longer than {MAX_EMAIL_LOCAL_PART} characters"
    if not domain:
        return "the domain is missing"
    if "." not in domain:
        return "the domain has no dot"
    if len(value) > MAX_EMAIL_LENGTH:
        return f"it is longer than {MAX_EMAIL_LENGTH} characters"
    return "the domain has an empty part (a leading, trailing or doubled dot)"


def phone_problem(value: str) -> Finding | None:
    """``phone.invalid`` when ``value`` is not E.164, else ``None``.

    >>> phone_problem("+442079460958") is None
    True
    >>> phone_problem("020 7946 0958").rule
    'phone.invalid'
    """
    if PHONE_PATTERN.fullmatch(value):
        return None
    return Finding(
        PHONE_INVALID,
        f"phone_number {shown(value)} is not in E.164 form: + then the country code and number, "
        "8 to 15 digits in all (the e164 transform converts national numbers)",
    )
