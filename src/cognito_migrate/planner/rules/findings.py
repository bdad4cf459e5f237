"""``Finding``: one rule a user breaks, as a stable rule id and a sentence a person can act on.

The rule ids below are a contract: they appear in the per-user report and in ``plan --json``, and
users filter on them. Add new ids; never rename one. The message names the value's problem
(``email 'ada@' is not a valid address: the domain is missing``); the planner prefixes the record
(``user 42 (ada): ``), so messages never repeat the source id or username of the record itself.
Messages never carry a password or a hash: the rules never see one, and the rules that could meet a
secret mapped into an attribute by mistake (unknown, too long, string length) name the attribute, not
its value.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

# The strategy a scoped finding blocks (``Finding.only_for``); the same spelling as ``[strategy] method``.
CSV_IMPORT: Final = "csv-import"

USERNAME_LENGTH: Final = "username.length"
USERNAME_WHITESPACE: Final = "username.whitespace"
USERNAME_CHARACTERS: Final = "username.characters"
USERNAME_ALIAS_FORMAT: Final = "username.alias-format"
USERNAME_SIGN_IN_FORMAT: Final = "username.sign-in-format"
USERNAME_POLICY: Final = "username.policy"
USERNAME_DUPLICATE_IN_SOURCE: Final = "username.duplicate-in-source"
EMAIL_INVALID: Final = "email.invalid"
EMAIL_DUPLICATE_IN_SOURCE: Final = "email.duplicate-in-source"
EMAIL_TAKEN_IN_POOL: Final = "email.taken-in-pool"
PHONE_INVALID: Final = "phone.invalid"
PHONE_DUPLICATE_IN_SOURCE: Final = "phone.duplicate-in-source"
PHONE_TAKEN_IN_POOL: Final = "phone.taken-in-pool"
PREFERRED_USERNAME_DUPLICATE_IN_SOURCE: Final = "preferred_username.duplicate-in-source"
PREFERRED_USERNAME_TAKEN_IN_POOL: Final = "preferred_username.taken-in-pool"
ATTRIBUTE_UNKNOWN: Final = "attribute.unknown"
ATTRIBUTE_IMMUTABLE: Final = "attribute.immutable"
ATTRIBUTE_REQUIRED: Final = "attribute.required"
ATTRIBUTE_TOO_LONG: Final = "attribute.too-long"
ATTRIBUTE_TYPE: Final = "attribute.type"
ATTRIBUTE_CONSTRAINT: Final = "attribute.constraint"
BIRTHDATE_FORMAT: Final = "birthdate.format"
UPDATED_AT_FORMAT: Final = "updated_at.format"
AUTO_VERIFIED_NONE: Final = "auto-verified.none"
AUTO_VERIFIED_WITHOUT_VALUE: Final = "auto-verified.without-value"
MFA_MISMATCH: Final = "mfa.mismatch"

RULE_IDS: Final = (
    USERNAME_LENGTH, USERNAME_WHITESPACE, USERNAME_CHARACTERS, USERNAME_ALIAS_FORMAT,
    USERNAME_SIGN_IN_FORMAT, USERNAME_POLICY, USERNAME_DUPLICATE_IN_SOURCE,
    EMAIL_INVALID, EMAIL_DUPLICATE_IN_SOURCE, EMAIL_TAKEN_IN_POOL,
    PHONE_INVALID, PHONE_DUPLICATE_IN_SOURCE, PHONE_TAKEN_IN_POOL,
    PREFERRED_USERNAME_DUPLICATE_IN_SOURCE, PREFERRED_USERNAME_TAKEN_IN_POOL,
    ATTRIBUTE_UNKNOWN, ATTRIBUTE_IMMUTABLE, ATTRIBUTE_REQUIRED, ATTRIBUTE_TOO_LONG, ATTRIBUTE_TYPE,
    ATTRIBUTE_CONSTRAINT, BIRTHDATE_FORMAT, UPDATED_AT_FORMAT,
    AUTO_VERIFIED_NONE, AUTO_VERIFIED_WITHOUT_VALUE, MFA_MISMATCH,
)  # fmt: skip

_SHOWN_CHARACTERS = 60


@dataclass(frozen=True, slots=True)
class Finding:
    """A rule one user breaks.

    ``only_for`` is ``None`` when the finding stops the user whatever the strategy, or the one strategy
    it stops (``"csv-import"``): the auto-verified rule matters to import jobs only, so the planner may
    still send that user through the admin API. ``blocks(strategy)`` says which.
    """

    rule: str
    message: str
    only_for: str | None = None

    def blocks(self, strategy: str) -> bool:
        """Whether this finding keeps a user from migrating by ``strategy``."""
        return self.only_for is None or self.only_for == strategy

    def __str__(self) -> str:
        return f"{self.rule}: {self.message}"


def shown(value: str) -> str:
    """``value`` quoted for a message, with whitespace and control characters made visible and long
    values cut (a 2 KB attribute would drown the report)."""
    if len(value) > _SHOWN_CHARACTERS:
        return repr(value[: _SHOWN_CHARACTERS - 1] + "…")
    return repr(value)
