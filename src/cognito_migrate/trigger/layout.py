"""The staging table's item layout, shared by the writer (``staging``) and the reader (``handler``).

One DynamoDB table, partition key ``pk`` (string), no sort key, on-demand, encrypted with KMS:

- a user item, ``pk = "user#" + fold(username)``: ``username`` (S, the legacy username as staged),
  ``hash`` (S, the legacy password hash, never logged), ``attributes`` (M of S: the Cognito attributes
  to create the user with, ``email_verified`` / ``phone_number_verified`` as ``"true"`` / ``"false"``),
  ``groups`` (L of S, for the post-authentication step) and ``aliases`` (M of S: attribute → value);
- an alias item per alias value, ``pk = ATTRIBUTE + "#" + fold(value)`` (``email#…``,
  ``phone_number#…``, ``preferred_username#…``): ``user`` (S), the user item's ``pk``.

Folding: the username and ``preferred_username`` follow the pool's case rule (lower-cased when the pool
is case-insensitive, as Cognito's default); emails are always lower-cased (mailbox names are matched
case-insensitively in practice, and Cognito treats email aliases that way); phone numbers are kept
as given (E.164). Standard library only: the Lambda function imports this at cold start.
"""

from __future__ import annotations

KEY = "pk"
USER_PREFIX = "user#"
ALIAS_ATTRIBUTES = ("email", "phone_number", "preferred_username")

# Item attribute names.
USERNAME = "username"
HASH = "hash"
ATTRIBUTES = "attributes"
GROUPS = "groups"
ALIASES = "aliases"
USER_REF = "user"


def fold(value: str, case_sensitive: bool) -> str:
    return value if case_sensitive else value.lower()


def user_key(username: str, case_sensitive: bool) -> str:
    return USER_PREFIX + fold(username, case_sensitive)


def alias_key(attribute: str, value: str, case_sensitive: bool) -> str:
    if attribute == "email":
        folded = value.lower()
    elif attribute == "phone_number":
        folded = value
    else:
        folded = fold(value, case_sensitive)
    return f"{attribute}#{folded}"


# Set on a user item once the PostAuthentication step has added the user to its groups.
GROUPS_APPLIED = "groups_applied"
