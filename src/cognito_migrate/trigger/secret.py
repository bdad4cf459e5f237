"""The migrate-user function's secret: what it needs but must not carry in its environment.

Lambda shows environment variables in plain text to anyone allowed GetFunctionConfiguration, so the
staging database's URL (with its password) and a Firebase project's signer key go into one Secrets
Manager secret, ``cognito-migrate/<pool-id>/trigger``, encrypted with the account's default key for
Secrets Manager (no KMS permission needed to read it). The function's role may read that secret and
no other; the function reads it once per container (``handler._read_secret``). JSON keys:

- ``staging_url``: the SQLAlchemy URL of the staging database (``[trigger] staging = "sql"``);
- ``firebase_signer_key``: the project's ``base64_signer_key`` (``[source.firebase_hash]``).

The secret is tagged as the tool's; ``trigger remove --delete-function`` (and ``cleanup``) deletes it.
Its value is never printed or logged.
"""

from __future__ import annotations

import json
from collections.abc import Mapping

from cognito_migrate.aws.errors import map_cognito_errors
from cognito_migrate.cleanup import POOL_TAG, TRIGGER_PURPOSE, AccountScope, is_tool_managed, tool_tags
from cognito_migrate.errors import ConfigError, RemoteError

STAGING_URL = "staging_url"
FIREBASE_SIGNER_KEY = "firebase_signer_key"


def secret_name(pool_id: str) -> str:
    return f"cognito-migrate/{pool_id}/trigger"


def ensure_trigger_secret(scope: AccountScope, pool_id: str, values: Mapping[str, str]) -> str:
    """Create the pool's trigger secret, or put ``values`` as its new version; its ARN.

    A secret of that name the tool did not create is refused rather than overwritten.
    """
    client = scope.client("secretsmanager")
    name = secret_name(pool_id)
    text = json.dumps(dict(values), sort_keys=True)
    try:
        with map_cognito_errors("DescribeSecret"):
            described = client.describe_secret(SecretId=name)
    except RemoteError as exc:
        if exc.code != "ResourceNotFoundException":
            raise
        tags = [*tool_tags(purpose=TRIGGER_PURPOSE, region=scope.region), {"Key": POOL_TAG, "Value": pool_id}]
        with map_cognito_errors("CreateSecret"):
            created = client.create_secret(
                Name=name,
                Description=f"cognito-migrate: what the migrate-user trigger of user pool {pool_id} reads",
                SecretString=text,
                Tags=tags,
            )
        return str(created["ARN"])
    if not is_tool_managed(described.get("Tags") or []):
        raise ConfigError(
            f"a secret named {name} exists and was not created by cognito-migrate; delete or rename it"
        )
    with map_cognito_errors("PutSecretValue"):
        client.put_secret_value(SecretId=name, SecretString=text)
    return str(described["ARN"])


def delete_trigger_secret(scope: AccountScope, pool_id: str) -> bool:
    """Delete the pool's trigger secret if the tool created it; whether one was deleted."""
    client = scope.client("secretsmanager")
    name = secret_name(pool_id)
    try:
        with map_cognito_errors("DescribeSecret"):
            described = client.describe_secret(SecretId=name)
        if not is_tool_managed(described.get("Tags") or []):
            return False
        # No recovery window: the secret holds a signer key and a database password nobody should
        # be able to restore after the migration ended. Both stay with their owners anyway.
        with map_cognito_errors("DeleteSecret"):
            client.delete_secret(SecretId=name, ForceDeleteWithoutRecovery=True)
    except RemoteError as exc:
        if exc.code == "ResourceNotFoundException":
            return False
        raise
    return True
