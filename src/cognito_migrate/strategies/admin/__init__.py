"""The admin-API strategy: AdminCreateUser (no invitation by default), the password of the user's mode,
groups and disabled state, paced under Cognito's quotas and safe to run again. See ``.runner``."""

from cognito_migrate.strategies.admin.calls import PoolUser
from cognito_migrate.strategies.admin.passwords import (
    HEADER,
    Credential,
    CredentialsFile,
    generate_password,
    read_credentials,
)
from cognito_migrate.strategies.admin.runner import (
    DEFAULT_WORKERS,
    INVITATION_WARNING,
    USERNAME_LIKE,
    AdminRunner,
)
from cognito_migrate.strategies.admin.users import (
    AdminResult,
    AdminUser,
    OnExisting,
    PasswordMode,
    ResultState,
)

__all__ = [
    "DEFAULT_WORKERS",
    "HEADER",
    "INVITATION_WARNING",
    "USERNAME_LIKE",
    "AdminResult",
    "AdminRunner",
    "AdminUser",
    "Credential",
    "CredentialsFile",
    "OnExisting",
    "PasswordMode",
    "PoolUser",
    "ResultState",
    "generate_password",
    "read_credentials",
]
