"""Reaching AWS: which profile, Region and endpoint win, the retry mode, and how errors come back."""

from __future__ import annotations

import pytest

from cognito_migrate.aws.errors import map_cognito_errors
from cognito_migrate.aws.session import AwsSettings, StaticCredentials, settings_for_target
from cognito_migrate.config.models import TargetConfig
from cognito_migrate.errors import ConfigError, TerminalError, TransientError
from cognito_migrate.local import LocalCognito

CREDS = StaticCredentials("testing", "testing")


def test_flags_beat_the_plan_file_which_beats_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:1111")
    monkeypatch.setenv("AWS_REGION", "ap-south-1")
    env_only = AwsSettings(credentials=CREDS).client("cognito-idp")
    assert env_only.meta.endpoint_url == "http://127.0.0.1:1111"
    assert env_only.meta.region_name == "ap-south-1"

    target = TargetConfig(pool_id="eu-west-1_Abc", region="eu-west-1", endpoint_url="http://127.0.0.1:2222")
    from_plan = settings_for_target(target)
    assert from_plan.region == "eu-west-1"
    assert from_plan.endpoint_url == "http://127.0.0.1:2222"

    flagged = settings_for_target(target, region="us-west-2", endpoint_url="http://127.0.0.1:3333")
    client = flagged.overridden_by(credentials=CREDS).client("cognito-idp")
    assert client.meta.region_name == "us-west-2"
    assert client.meta.endpoint_url == "http://127.0.0.1:3333"


def test_clients_retry_throttling_in_standard_or_adaptive_mode() -> None:
    target = TargetConfig(pool_id="eu-west-1_Abc", region="eu-west-1", retry_mode="adaptive", max_attempts=5)
    client = settings_for_target(target).overridden_by(credentials=CREDS).client("cognito-idp")
    assert client.meta.config.retries == {"mode": "adaptive", "total_max_attempts": 5}
    default = AwsSettings(region="eu-west-1", credentials=CREDS).client("cognito-idp")
    assert default.meta.config.retries["mode"] == "standard"  # never botocore's legacy mode


def test_a_missing_region_or_profile_is_a_clear_configuration_error() -> None:
    with pytest.raises(ConfigError, match="no AWS Region: pass --region"):
        AwsSettings(credentials=CREDS).client("cognito-idp")
    with pytest.raises(ConfigError, match="--profile 'nope': no such profile"):
        AwsSettings(profile="nope", region="eu-west-1").client("cognito-idp")


def test_cognito_errors_become_terminal_or_transient(local_cognito: LocalCognito) -> None:
    idp = local_cognito.client("cognito-idp")
    with pytest.raises(TerminalError) as caught, map_cognito_errors("DescribeUserPool"):
        idp.describe_user_pool(UserPoolId="us-east-1_doesNotExist")
    assert caught.value.code == "ResourceNotFoundException"
    assert str(caught.value).startswith("DescribeUserPool: ResourceNotFoundException")

    # Nothing listens on port 9 of loopback: a dropped connection is worth retrying later.
    offline = AwsSettings(
        region="us-east-1", endpoint_url="http://127.0.0.1:9", credentials=CREDS, max_attempts=1
    ).client("cognito-idp")
    with pytest.raises(TransientError), map_cognito_errors("ListUserPools"):
        offline.list_user_pools(MaxResults=10)
