"""The local Cognito: moto's server, on loopback only, plus what moto lacks (grown by later work).

It is the embedded default target of ``cognito-migrate demo`` and of the tests, and a rehearsal target
for users (``cognito-migrate local serve``). Importing this package is cheap; moto is loaded only when a
server starts.
"""

from cognito_migrate.local.server import (
    DUMMY_ACCESS_KEY_ID,
    DUMMY_SECRET_ACCESS_KEY,
    LOCAL_ACCOUNT_ID,
    LOCAL_REGION,
    LocalCognito,
)

__all__ = [
    "DUMMY_ACCESS_KEY_ID",
    "DUMMY_SECRET_ACCESS_KEY",
    "LOCAL_ACCOUNT_ID",
    "LOCAL_REGION",
    "LocalCognito",
]
