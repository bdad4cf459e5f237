"""Cognito's request-rate quotas: which category each operation spends, and how fast each may go.

Cognito limits requests per **account and Region**, by category, summed over every user pool in that
Region [D2]. The pool-resource categories also limit each individual operation to 5 requests per second
per pool. This module is the one table of those facts; ``ratelimit.RateLimiter`` turns it into pacing.

A user can lower a rate (to leave room for the live application sharing the account) or raise it (after
AWS granted an increase) with ``[target.quotas]`` in the plan file or ``--quota UserCreation=100``.

Sources: [D2] https://docs.aws.amazon.com/cognito/latest/developerguide/quotas.html ("user pools API
operation categories and request rate quotas", read 2026) and /work/shared/cognito-facts.md section 2.
Every operation→category line below is one line to change if AWS moves an operation.
"""

from __future__ import annotations

import difflib
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from types import MappingProxyType

from cognito_migrate.errors import ConfigError


class QuotaCategory(StrEnum):
    """AWS's names for the user-pool API categories (the value is the name AWS uses)."""

    UserCreation = "UserCreation"
    UserAccountRecovery = "UserAccountRecovery"
    UserUpdate = "UserUpdate"
    UserRead = "UserRead"
    UserList = "UserList"
    UserResourceRead = "UserResourceRead"
    UserResourceUpdate = "UserResourceUpdate"
    UserPoolRead = "UserPoolRead"
    UserPoolUpdate = "UserPoolUpdate"
    UserPoolResourceRead = "UserPoolResourceRead"
    UserPoolResourceUpdate = "UserPoolResourceUpdate"
    UserPoolClientRead = "UserPoolClientRead"
    UserPoolClientUpdate = "UserPoolClientUpdate"
    UserAuthentication = "UserAuthentication"
    UserFederation = "UserFederation"
    UserToken = "UserToken"
    ClientAuthentication = "ClientAuthentication"
    LimitManagement = "LimitManagement"


_C = QuotaCategory

# Default requests per second per account and Region [D2].
DEFAULT_RATES: Mapping[QuotaCategory, float] = MappingProxyType(
    {
        _C.UserCreation: 50.0,
        _C.UserAccountRecovery: 30.0,
        _C.UserUpdate: 25.0,
        _C.UserRead: 120.0,
        _C.UserList: 30.0,
        _C.UserResourceRead: 50.0,
        _C.UserResourceUpdate: 25.0,
        _C.UserPoolRead: 15.0,
        _C.UserPoolUpdate: 15.0,
        _C.UserPoolResourceRead: 20.0,
        _C.UserPoolResourceUpdate: 15.0,
        _C.UserPoolClientRead: 15.0,
        _C.UserPoolClientUpdate: 15.0,
        _C.UserAuthentication: 120.0,
        _C.UserFederation: 25.0,
        _C.UserToken: 120.0,
        _C.ClientAuthentication: 150.0,
        _C.LimitManagement: 1.0,
    }
)

# Categories AWS will not raise ("Adjustable: No" on [D2]). The facts file names the first three; the
# quotas page also marks the pool-level categories as not adjustable. Raising one of these here is
# allowed (a rehearsal against the local Cognito may want it) but produces a warning.
FIXED: frozenset[QuotaCategory] = frozenset(
    {
        _C.UserAccountRecovery,
        _C.UserUpdate,
        _C.UserList,
        _C.UserResourceUpdate,
        _C.UserPoolRead,
        _C.UserPoolUpdate,
        _C.UserPoolResourceRead,
        _C.UserPoolResourceUpdate,
        _C.UserPoolClientRead,
        _C.UserPoolClientUpdate,
        _C.ClientAuthentication,
        _C.LimitManagement,
    }
)

# "Any individual operation in this category ... [at most] 5 RPS for a single user pool" [D2, note 3].
PER_POOL_OPERATION_RATE = 5.0
PER_POOL_CATEGORIES: frozenset[QuotaCategory] = frozenset(
    {_C.UserPoolResourceRead, _C.UserPoolResourceUpdate, _C.UserPoolClientRead, _C.UserPoolClientUpdate}
)

# How many seconds' worth of requests a bucket may send at once after being idle.
DEFAULT_BURST_SECONDS = 0.2

# botocore operation name → category. [F] = the facts table, [D2] = AWS's quotas page.
OPERATION_CATEGORY: Mapping[str, QuotaCategory] = MappingProxyType(
    {
        "AdminCreateUser": _C.UserCreation,  # [F]
        "SignUp": _C.UserCreation,  # [D2]
        "ConfirmSignUp": _C.UserCreation,  # [D2]
        "AdminConfirmSignUp": _C.UserCreation,  # [D2]
        "AdminSetUserPassword": _C.UserAccountRecovery,  # [F]
        "ForgotPassword": _C.UserAccountRecovery,  # [F]
        "AdminResetUserPassword": _C.UserAccountRecovery,  # [D2]
        "ConfirmForgotPassword": _C.UserAccountRecovery,  # [D2]
        "ChangePassword": _C.UserAccountRecovery,  # [D2]
        "AdminUpdateUserAttributes": _C.UserUpdate,  # [F]
        "AdminAddUserToGroup": _C.UserUpdate,  # [F]
        "AdminDisableUser": _C.UserUpdate,  # [F]
        "AdminDeleteUser": _C.UserUpdate,  # [F]
        "AdminRemoveUserFromGroup": _C.UserUpdate,  # [D2]
        "AdminEnableUser": _C.UserUpdate,  # [D2]
        "AdminDeleteUserAttributes": _C.UserUpdate,  # [D2]
        "AdminUserGlobalSignOut": _C.UserUpdate,  # [D2]
        "AdminGetUser": _C.UserRead,  # [F]
        "GetUser": _C.UserRead,  # [D2]
        "ListUsers": _C.UserList,  # [F]
        "ListUsersInGroup": _C.UserList,  # [F]
        "AdminListGroupsForUser": _C.UserResourceRead,  # [F]
        "AdminListDevices": _C.UserResourceRead,  # [D2]
        "AdminSetUserMFAPreference": _C.UserResourceUpdate,  # [D2]
        "AdminSetUserSettings": _C.UserResourceUpdate,  # [D2]
        "DescribeUserPool": _C.UserPoolRead,  # [F]
        "ListUserPools": _C.UserPoolRead,  # [F]
        "CreateUserPool": _C.UserPoolUpdate,  # [F]
        "UpdateUserPool": _C.UserPoolUpdate,  # [F]
        "DeleteUserPool": _C.UserPoolUpdate,  # [D2]
        "GetCSVHeader": _C.UserPoolResourceRead,  # [F]
        "DescribeUserImportJob": _C.UserPoolResourceRead,  # [F]
        "ListUserImportJobs": _C.UserPoolResourceRead,  # [F]
        "ListGroups": _C.UserPoolResourceRead,  # [F]
        "GetGroup": _C.UserPoolResourceRead,  # [D2]
        "GetUserPoolMfaConfig": _C.UserPoolResourceRead,  # [D2]
        "ListTagsForResource": _C.UserPoolResourceRead,  # [D2]
        "CreateUserImportJob": _C.UserPoolResourceUpdate,  # [F]
        "StartUserImportJob": _C.UserPoolResourceUpdate,  # [F]
        "StopUserImportJob": _C.UserPoolResourceUpdate,  # [F]
        "CreateGroup": _C.UserPoolResourceUpdate,  # [F]
        "UpdateGroup": _C.UserPoolResourceUpdate,  # [D2]
        "DeleteGroup": _C.UserPoolResourceUpdate,  # [D2]
        "AddCustomAttributes": _C.UserPoolResourceUpdate,  # [D2]
        "SetUserPoolMfaConfig": _C.UserPoolResourceUpdate,  # [D2]
        "TagResource": _C.UserPoolResourceUpdate,  # [D2]
        "UntagResource": _C.UserPoolResourceUpdate,  # [D2]
        "DescribeUserPoolClient": _C.UserPoolClientRead,  # [D2]
        "ListUserPoolClients": _C.UserPoolClientRead,  # [D2]
        "CreateUserPoolClient": _C.UserPoolClientUpdate,  # [D2]
        "UpdateUserPoolClient": _C.UserPoolClientUpdate,  # [D2]
        "DeleteUserPoolClient": _C.UserPoolClientUpdate,  # [D2]
        "InitiateAuth": _C.UserAuthentication,  # [F]
        "AdminInitiateAuth": _C.UserAuthentication,  # [F]
        # UNVERIFIED for our use: [D2] gives challenge responses their own 3x UserAuthentication budget
        # and counts NEW_PASSWORD_REQUIRED answers as UserAccountRecovery. Pacing them as plain
        # UserAuthentication is the conservative choice (never faster than AWS allows).
        "RespondToAuthChallenge": _C.UserAuthentication,
        "AdminRespondToAuthChallenge": _C.UserAuthentication,
        "GetTokensFromRefreshToken": _C.UserAuthentication,  # [D2]
        "RevokeToken": _C.UserToken,  # [D2]
        "GetProvisionedLimit": _C.LimitManagement,  # [D2]
        "UpdateProvisionedLimit": _C.LimitManagement,  # [D2]
    }
)

_RATE_EXPECTED = "expected a number of requests per second greater than 0"
_BY_FOLDED_NAME = {category.value.casefold(): category for category in QuotaCategory}


def category_for(operation: str) -> QuotaCategory | None:
    """The quota category a botocore operation name (``"AdminCreateUser"``) spends, or ``None``."""
    return OPERATION_CATEGORY.get(operation)


def quota_category_named(key: str) -> QuotaCategory:
    """The category a user named (case-insensitive); ConfigError with a suggestion otherwise."""
    category = _BY_FOLDED_NAME.get(key.strip().casefold())
    if category is not None:
        return category
    names = [c.value for c in QuotaCategory]
    folded = difflib.get_close_matches(key.casefold(), list(_BY_FOLDED_NAME), n=1, cutoff=0.5)
    hint = f"; did you mean {_BY_FOLDED_NAME[folded[0]].value!r}?" if folded else ""
    raise ConfigError(f"quota {key!r}: unknown quota category{hint} (valid categories: {', '.join(names)})")


def _positive_rate(key: str, value: object, expected: str = _RATE_EXPECTED) -> float:
    # bool is an int subclass; "UserCreation = true" is a mistake, not 1 RPS.
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ConfigError(f"quota {key!r} = {value!r}: {expected}")
    rate = float(value)
    if not math.isfinite(rate) or rate <= 0:
        raise ConfigError(f"quota {key!r} = {value!r}: {expected}")
    return rate


def parse_quota_flags(flags: Iterable[str]) -> dict[str, float]:
    """Turn ``--quota NAME=RPS`` flag values into a mapping for ``Quotas.from_overrides``."""
    overrides: dict[str, float] = {}
    for flag in flags:
        name, sep, text = flag.partition("=")
        if not sep or not name.strip():
            raise ConfigError(f"--quota {flag!r}: expected CATEGORY=RPS, for example UserCreation=100")
        try:
            overrides[name.strip()] = float(text)
        except ValueError:
            raise ConfigError(
                f"--quota {flag!r}: {text.strip()!r} is not a number; {_RATE_EXPECTED}"
            ) from None
    return overrides


@dataclass(frozen=True)
class Quotas:
    """The rates to pace at, in requests per second per account and Region.

    ``burst_seconds`` is how many seconds' worth of requests a bucket may hold (at least one request):
    a small burst keeps threads busy without ever exceeding what Cognito's own accounting allows.
    ``warnings`` lists overrides that AWS will not honour (raising a fixed category).
    """

    rates: Mapping[QuotaCategory, float] = field(default_factory=lambda: DEFAULT_RATES)
    burst_seconds: float = DEFAULT_BURST_SECONDS
    per_pool_operation_rate: float = PER_POOL_OPERATION_RATE
    warnings: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        _positive_rate("burst_seconds", self.burst_seconds, "expected a number of seconds greater than 0")
        _positive_rate("per_pool_operation_rate", self.per_pool_operation_rate)
        for category, rate in self.rates.items():
            _positive_rate(str(category), rate)

    @classmethod
    def aws_default(cls) -> Quotas:
        """AWS's default quotas for a new account."""
        return cls()

    @classmethod
    def from_overrides(
        cls, overrides: Mapping[str, float | int], *, burst_seconds: float = DEFAULT_BURST_SECONDS
    ) -> Quotas:
        """AWS's defaults with the user's overrides (category names are case-insensitive).

        >>> Quotas.from_overrides({"usercreation": 100}).rate_for(QuotaCategory.UserCreation)
        100.0
        """
        rates = dict(DEFAULT_RATES)
        seen: dict[QuotaCategory, str] = {}
        warnings: list[str] = []
        for key, value in overrides.items():
            category = quota_category_named(key)
            if category in seen:
                raise ConfigError(f"quota {key!r}: {category.value} is already set (as {seen[category]!r})")
            seen[category] = key
            rate = _positive_rate(key, value)
            rates[category] = rate
            default = DEFAULT_RATES[category]
            if category in FIXED and rate > default:
                warnings.append(
                    f"quota {category.value} = {rate:g} RPS: AWS does not raise this quota above "
                    f"{default:g} RPS, so Cognito will throttle the excess and retries will slow the run"
                )
        return cls(rates=MappingProxyType(rates), burst_seconds=burst_seconds, warnings=tuple(warnings))

    @staticmethod
    def category_for(operation: str) -> QuotaCategory | None:
        """The quota category a botocore operation name spends, or ``None`` if it is not paced."""
        return category_for(operation)

    def rate_for(self, category: QuotaCategory) -> float:
        return float(self.rates.get(category, DEFAULT_RATES[category]))

    def burst_for(self, rate: float) -> float:
        """Tokens a bucket of ``rate`` may hold: ``burst_seconds`` worth, and never less than one."""
        return max(1.0, rate * self.burst_seconds)

    def is_per_pool(self, category: QuotaCategory) -> bool:
        return category in PER_POOL_CATEGORIES
