"""Firebase Authentication exports (``firebase auth:export users.json --format=json``) as a source.

The file is one document, ``{"users": [{…}, …]}``, streamed user by user. Each user (field names from
the export, documented in firebase-tools' ``auth:import`` reference):

- ``localId`` (Firebase's uid) → ``source_id`` and username; ``disabled`` → not enabled;
- ``email``, ``emailVerified``, ``phoneNumber``, ``displayName``, ``photoUrl`` → the Cognito attributes
  ``email``, ``email_verified``, ``phone_number``, ``name``, ``picture`` (copied when ``[attributes]`` is
  empty, as for Cognito's own formats); every export field stays available by its own name to
  ``[attributes]`` (``createdAt``, ``lastSignedInAt``, ``customAttributes``, …);
- ``passwordHash`` and ``salt`` (base64) with the project's ``[source.firebase_hash]`` parameters → one
  hash in this tool's ``$firebase-scrypt$`` notation, which Cognito cannot import and the migrate-user
  trigger verifies (with the signer key ``trigger deploy`` puts in a secret). Without
  ``[source.firebase_hash]`` the hashes are not read and the users take the no-password path.
- ``mfaInfo`` not empty → MFA enabled. Users who only sign in through a provider (``providerUserInfo``
  without a password) have no hash.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from cognito_migrate.config.models import FileSource
from cognito_migrate.passwords.convert import MalformedHash, firebase_scrypt_hash
from cognito_migrate.passwords.formats import HashFormat
from cognito_migrate.sources.formats.cognito_json import json_users
from cognito_migrate.sources.records import IssueKind, LegacyUser, PasswordHash, SourceIssue, SourceRecord

USERS_KEY = "users"
# Export field → the Cognito attribute it becomes.
ATTRIBUTES = {
    "email": "email",
    "phoneNumber": "phone_number",
    "displayName": "name",
    "photoUrl": "picture",
}


class FirebaseUsersJson:
    """A Firebase Authentication export, streamed."""

    def __init__(self, path: Path, config: FileSource) -> None:
        self.path = path
        self.config = config

    def records(self) -> Iterator[SourceRecord]:
        for item in json_users(self.path, self.config.encoding, USERS_KEY):
            yield (
                item
                if isinstance(item, SourceIssue)
                else user_from_firebase(item[0], self.config, where=item[1])
            )


def user_from_firebase(user: Any, config: FileSource, *, where: str) -> SourceRecord:
    """A ``LegacyUser`` from one exported Firebase user, or a MALFORMED issue naming what is wrong."""
    if not isinstance(user, Mapping):
        return SourceIssue(IssueKind.MALFORMED, "not a JSON object", where)
    uid = user.get("localId")
    if not isinstance(uid, str) or not uid:
        return SourceIssue(IssueKind.MALFORMED, "the user has no localId", where)
    fields: dict[str, Any] = {
        name: value for name, value in user.items() if name not in ("passwordHash", "salt")
    }
    for name, attribute in ATTRIBUTES.items():
        value = user.get(name)
        if isinstance(value, str) and value:
            fields[attribute] = value
    if isinstance(user.get("emailVerified"), bool) and "email" in fields:
        fields["email_verified"] = "true" if user["emailVerified"] else "false"
    disabled = user.get("disabled", False)
    if not isinstance(disabled, bool):
        return SourceIssue(IssueKind.MALFORMED, "disabled is not true or false", where, uid)
    try:
        password_hash = _password_hash(user, config)
    except MalformedHash as exc:
        return SourceIssue(IssueKind.MALFORMED, f"passwordHash/salt: {exc}", where, uid)
    source_id = fields.get(config.id_field) if config.id_field != "id" else uid
    return LegacyUser(
        source_id=str(source_id or uid),
        username=uid,
        fields=fields,
        password_hash=password_hash,
        enabled=not disabled,
        location=where,
        mfa_enabled=bool(user.get("mfaInfo")) or None,
    )


def _password_hash(user: Mapping[str, Any], config: FileSource) -> PasswordHash | None:
    parameters = config.firebase_hash
    hashed, salt = user.get("passwordHash"), user.get("salt")
    if parameters is None or not isinstance(hashed, str) or not hashed or not isinstance(salt, str):
        return None
    value = firebase_scrypt_hash(
        hashed,
        salt,
        rounds=parameters.rounds,
        mem_cost=parameters.mem_cost,
        salt_separator=parameters.salt_separator,
    )
    return PasswordHash(value, HashFormat.FIREBASE_SCRYPT)
