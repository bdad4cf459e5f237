"""Everything that talks to AWS goes through this package: settings, clients, quotas, error mapping.

Command modules never import boto3 themselves; they ask ``AwsSettings`` for a client. Importing this
package does not import boto3.
"""

from cognito_migrate.aws.errors import map_cognito_errors
from cognito_migrate.aws.quotas import QuotaCategory, Quotas, parse_quota_flags
from cognito_migrate.aws.ratelimit import RateLimiter, TokenBucket, rate_limiter_for_target
from cognito_migrate.aws.session import AwsSettings, StaticCredentials, settings_for_target

__all__ = [
    "AwsSettings",
    "QuotaCategory",
    "Quotas",
    "RateLimiter",
    "StaticCredentials",
    "TokenBucket",
    "map_cognito_errors",
    "parse_quota_flags",
    "rate_limiter_for_target",
    "settings_for_target",
]
