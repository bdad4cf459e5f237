"""``cognito-migrate local serve`` as a user runs it: a separate process that the AWS CLI and boto3 reach."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import boto3
import pytest

from cognito_migrate.errors import ConfigError
from cognito_migrate.local import LocalCognito

BIN = Path(sys.executable).parent


@pytest.fixture
def served() -> Iterator[dict[str, str]]:
    process = subprocess.Popen(
        [str(BIN / "cognito-migrate"), "--json", "local", "serve", "--port", "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert process.stdout is not None
    announced = json.loads(process.stdout.readline())
    yield announced
    process.send_signal(signal.SIGTERM)
    assert process.wait(timeout=15) == 0, process.stderr.read() if process.stderr else ""
    assert process.stderr is not None
    assert process.stderr.read() == ""  # quiet by default: no request log


def test_boto3_and_the_aws_cli_both_talk_to_local_serve(served: dict[str, str]) -> None:
    endpoint = served["endpoint_url"]
    assert endpoint.startswith("http://127.0.0.1:")
    env = served["env"]
    assert env["AWS_ENDPOINT_URL"] == endpoint  # the printed settings are the ones to use

    idp = boto3.client(
        "cognito-idp",
        endpoint_url=endpoint,
        region_name=served["region"],
        aws_access_key_id=env["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=env["AWS_SECRET_ACCESS_KEY"],
    )
    pool_id = idp.create_user_pool(PoolName="rehearsal")["UserPool"]["Id"]

    listed = subprocess.run(
        [str(BIN / "aws"), "cognito-idp", "list-user-pools", "--max-results", "10",
         "--endpoint-url", endpoint, "--output", "json"],
        env={**os.environ, **env}, capture_output=True, text=True, check=True, timeout=60,
    )  # fmt: skip
    pools = json.loads(listed.stdout)["UserPools"]
    assert [(pool["Id"], pool["Name"]) for pool in pools] == [(pool_id, "rehearsal")]


def test_serve_prints_the_settings_to_export() -> None:
    process = subprocess.Popen(
        [str(BIN / "cognito-migrate"), "local", "serve", "--port", "0"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    assert process.stdout is not None
    lines = [process.stdout.readline() for _ in range(8)]
    process.send_signal(signal.SIGINT)  # Ctrl-C is the normal way to stop it
    assert process.wait(timeout=15) == 0
    text = "".join(lines)
    assert "Local Cognito listening on http://127.0.0.1:" in text
    assert "export AWS_ACCESS_KEY_ID=testing" in text
    assert "export AWS_ENDPOINT_URL=http://127.0.0.1:" in text


@pytest.mark.parametrize("host", ["0.0.0.0", "192.168.1.10", "example.com"])
def test_only_loopback_addresses_are_accepted(host: str) -> None:
    with pytest.raises(ConfigError, match="loopback"):
        LocalCognito(host=host).start()


def test_a_busy_port_is_a_clear_error(local_cognito: LocalCognito) -> None:
    done = subprocess.run(
        [str(BIN / "cognito-migrate"), "local", "serve", "--port", str(local_cognito.port)],
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert done.returncode == 2
    assert f"cannot listen on 127.0.0.1:{local_cognito.port}" in done.stderr


def test_the_fixture_server_resets_to_empty(local_cognito: LocalCognito) -> None:
    idp = local_cognito.client("cognito-idp")
    idp.create_user_pool(PoolName="scratch")
    server = LocalCognito().start()
    try:
        # Every server in a process shares moto's state, so reset() empties them all.
        server.reset()
        assert idp.list_user_pools(MaxResults=10)["UserPools"] == []
    finally:
        server.stop()
