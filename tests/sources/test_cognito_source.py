"""Another user pool as a source, read from the local Cognito with real boto3 clients.

The pool has more users than one ListUsers page (60) and a group with more members than one
ListUsersInGroup page, so every pagination path runs. Reading happens through a second local server
that enforces the UserList quota and a client that never retries: a single call over the quota would
fail the test, so the source is proven to pace itself rather than ride on retries.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from cognito_migrate.aws.quotas import Quotas
from cognito_migrate.aws.ratelimit import RateLimiter
from cognito_migrate.config.loader import load_plan_file
from cognito_migrate.config.models import CognitoSource
from cognito_migrate.errors import ConfigError
from cognito_migrate.local import LocalCognito
from cognito_migrate.sources import open_source
from cognito_migrate.sources.cognito_pool import CognitoPoolSource
from cognito_migrate.sources.records import GroupDefinition, LegacyUser

USERS = 135  # three ListUsers pages of at most 60
READERS = 70  # two ListUsersInGroup pages
ADMINS_ROLE = "arn:aws:iam::123456789012:role/pool-admins"
# ListUsers and ListUsersInGroup share UserList; at 5 RPS (burst of one) seven calls take over a second.
SLOW_LISTS = Quotas.from_overrides({"UserList": 5})


@dataclass(frozen=True)
class Pool:
    id: str
    subs: dict[str, str]  # username → sub


def username(n: int) -> str:
    return f"person{n:03d}"


@pytest.fixture(scope="module")
def pool(local_cognito: LocalCognito) -> Pool:
    idp = local_cognito.client("cognito-idp")
    pool_id = idp.create_user_pool(
        PoolName=f"source-{uuid.uuid4().hex[:8]}",
        Schema=[{"Name": "legacy_id", "AttributeDataType": "String", "Mutable": True}],
    )["UserPool"]["Id"]
    subs = {}
    for n in range(USERS):
        created = idp.admin_create_user(
            UserPoolId=pool_id, Username=username(n), MessageAction="SUPPRESS",
            UserAttributes=[
                {"Name": "email", "Value": f"{username(n)}@example.org"},
                {"Name": "email_verified", "Value": "true"},
                {"Name": "custom:legacy_id", "Value": str(5000 + n)},
            ],
        )  # fmt: skip
        subs[username(n)] = next(a["Value"] for a in created["User"]["Attributes"] if a["Name"] == "sub")
    idp.create_group(
        UserPoolId=pool_id,
        GroupName="admins",
        Description="Administrators",
        Precedence=1,
        RoleArn=ADMINS_ROLE,
    )
    idp.create_group(UserPoolId=pool_id, GroupName="staff", Description="Staff", Precedence=10)
    idp.create_group(UserPoolId=pool_id, GroupName="readers")
    for group, members in (("admins", range(2)), ("staff", range(10)), ("readers", range(READERS))):
        for n in members:
            idp.admin_add_user_to_group(UserPoolId=pool_id, Username=username(n), GroupName=group)
    idp.admin_disable_user(UserPoolId=pool_id, Username=username(2))
    for n in (3, 4):
        idp.admin_set_user_password(
            UserPoolId=pool_id, Username=username(n), Password="Correct-Horse-9", Permanent=True
        )
    idp.admin_reset_user_password(UserPoolId=pool_id, Username=username(3))
    return Pool(pool_id, subs)


@pytest.fixture(scope="module")
def quota_server() -> Iterator[LocalCognito]:
    """A second server over the same users that throttles UserList calls beyond 5 per second."""
    with LocalCognito(quotas=SLOW_LISTS) as server:
        yield server


def source_for(
    server: LocalCognito, pool_id: str, *, limiter: RateLimiter | None = None, **settings: Any
) -> CognitoPoolSource:
    config = CognitoSource(type="cognito", pool_id=pool_id, **settings)
    never_retry = server.settings().overridden_by(max_attempts=1)
    return CognitoPoolSource(config, settings=never_retry, limiter=limiter or RateLimiter(SLOW_LISTS))


def test_every_user_comes_out_with_attributes_groups_and_state(
    pool: Pool, quota_server: LocalCognito
) -> None:
    limiter = RateLimiter(SLOW_LISTS)
    source = source_for(quota_server, pool.id, limiter=limiter)
    started = time.monotonic()
    records = list(source.records())
    elapsed = time.monotonic() - started
    source.close()

    assert all(isinstance(record, LegacyUser) for record in records)
    users = {record.username: record for record in records if isinstance(record, LegacyUser)}
    assert {name: user.source_id for name, user in users.items()} == pool.subs

    first = users[username(0)]
    assert first.fields["email"] == "person000@example.org"
    assert first.fields["custom:legacy_id"] == "5000"
    assert first.groups == ("admins", "staff", "readers")
    assert first.enabled is True
    assert first.status == "FORCE_CHANGE_PASSWORD"
    assert first.mfa_enabled is False  # the pool's MFA is OFF
    assert first.password_hash is None  # a pool never gives its hashes away
    assert users[username(2)].enabled is False
    assert users[username(3)].status == "RESET_REQUIRED"
    assert users[username(4)].status == "CONFIRMED"
    assert users[username(9)].groups == ("staff", "readers")
    assert users[username(69)].groups == ("readers",)
    assert users[username(70)].groups == ()
    assert sum(len(user.groups) for user in users.values()) == 2 + 10 + READERS

    assert source.group_definitions() == [
        GroupDefinition("admins", "Administrators", 1, ADMINS_ROLE),
        GroupDefinition("staff", "Staff", 10, None),
        GroupDefinition("readers", None, None, None),
    ]
    # 3 ListUsers pages + ListUsersInGroup: 1 (admins) + 1 (staff) + 2 (readers), all paced at 5 RPS.
    user_list = limiter.stats()["UserList"]
    assert user_list.calls == 3 + 4
    assert user_list.waited_seconds > 0.5
    assert elapsed >= (user_list.calls - 1) / 5


def test_without_groups_no_group_is_listed(pool: Pool, quota_server: LocalCognito) -> None:
    limiter = RateLimiter(SLOW_LISTS)
    source = source_for(quota_server, pool.id, limiter=limiter, include_groups=False)
    users = [record for record in source.records() if isinstance(record, LegacyUser)]
    assert len(users) == USERS
    assert all(user.groups == () for user in users)
    assert source.group_definitions() == []
    assert limiter.stats()["UserList"].calls == 3
    assert "UserPoolResourceRead" not in limiter.stats()  # no ListGroups


def test_mfa_in_an_optional_pool_needs_admin_get_user(local_cognito: LocalCognito) -> None:
    idp = local_cognito.client("cognito-idp")
    pool_id = idp.create_user_pool(PoolName=f"mfa-{uuid.uuid4().hex[:8]}")["UserPool"]["Id"]
    idp.set_user_pool_mfa_config(
        UserPoolId=pool_id,
        SmsMfaConfiguration={"SmsConfiguration": {"SnsCallerArn": "arn:aws:iam::123456789012:role/sms"}},
        MfaConfiguration="OPTIONAL",
    )
    for name in ("with-mfa", "without-mfa"):
        idp.admin_create_user(
            UserPoolId=pool_id, Username=name, MessageAction="SUPPRESS",
            UserAttributes=[{"Name": "phone_number", "Value": "+14155550100"}],
        )  # fmt: skip
    idp.admin_set_user_mfa_preference(
        UserPoolId=pool_id, Username="with-mfa", SMSMfaSettings={"Enabled": True}
    )

    def mfa(**options: Any) -> dict[str, bool | None]:
        source = source_for(local_cognito, pool_id, **options)
        return {r.username: r.mfa_enabled for r in source.records() if isinstance(r, LegacyUser)}

    # ListUsers does not say; without AdminGetUser the answer is "unknown", not a guess.
    assert mfa() == {"with-mfa": None, "without-mfa": None}
    limiter = RateLimiter(SLOW_LISTS)
    source = CognitoPoolSource(
        CognitoSource(type="cognito", pool_id=pool_id),
        settings=local_cognito.settings(),
        limiter=limiter,
        read_mfa_settings=True,
    )
    found = {r.username: r.mfa_enabled for r in source.records() if isinstance(r, LegacyUser)}
    assert found == {"with-mfa": True, "without-mfa": False}
    assert limiter.stats()["UserRead"].calls == 2


def test_a_missing_pool_is_a_config_error_naming_the_setting(local_cognito: LocalCognito) -> None:
    source = source_for(local_cognito, "us-east-1_NoSuchPool1")
    assert source.describe() == "user pool us-east-1_NoSuchPool1 (us-east-1)"
    with pytest.raises(ConfigError, match=r"\[source\] pool_id 'us-east-1_NoSuchPool1': no such user pool"):
        list(source.records())


def test_open_source_reaches_the_pool_from_the_plan_file(
    pool: Pool, local_cognito: LocalCognito, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Credentials come from the environment, as for the AWS CLI; the Region from the pool id.
    for name, value in local_cognito.environment().items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("AWS_REGION")
    monkeypatch.delenv("AWS_DEFAULT_REGION")
    plan = tmp_path / "migration.toml"
    plan.write_text(
        f'[source]\ntype = "cognito"\npool_id = "{pool.id}"\nendpoint_url = "{local_cognito.endpoint_url}"\n'
        '[target]\npool_id = "us-east-1_Target123"\n'
    )
    with open_source(load_plan_file(plan)) as source:
        assert source.describe() == f"user pool {pool.id} (us-east-1)"
        users = [record for record in source.records() if isinstance(record, LegacyUser)]
        assert len(users) == USERS
        assert [group.name for group in source.group_definitions()] == ["admins", "staff", "readers"]
