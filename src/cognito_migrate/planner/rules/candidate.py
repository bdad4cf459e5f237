"""``Candidate``: one user as the rules see it, after mapping and before any decision."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Candidate:
    """A source user about to be checked against the target pool.

    ``username`` is the name the user will have in Cognito; in pools whose ``username_attributes`` are
    email or phone_number it is the email or phone number the user signs in with (Cognito stores a UUID
    then). ``attributes`` are Cognito attribute names → values in the API's forms (booleans
    ``true``/``false``, birthdate ``YYYY-MM-DD``, updated_at epoch seconds). ``mfa_enabled`` is
    ``None`` when the source does not say. There is deliberately no password hash here: the rules
    never need one, so no message can leak one.
    """

    source_id: str
    username: str
    attributes: Mapping[str, str]
    mfa_enabled: bool | None = None
