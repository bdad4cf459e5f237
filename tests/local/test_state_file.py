"""``local serve --state FILE``: pools, users, groups, clients, roles, logs, functions and tables survive
a restart; the file is private; files the tool did not write are refused."""

from __future__ import annotations

import io
import json
import os
import signal
import stat
import subprocess
import sys
import time
import uuid
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest

from cognito_migrate.errors import ConfigError
from cognito_migrate.local import LocalCognito
from cognito_migrate.local.persistence import FORMAT_VERSION, MAGIC

BIN = Path(sys.executable).parent
PASSWORD = "Correct-Horse-9"


class Served:
    """``cognito-migrate local serve --state FILE`` in its own process (moto's state is per process)."""

    def __init__(self, state: Path) -> None:
        self.process = subprocess.Popen(
            [str(BIN / "cognito-migrate"), "--json", "local", "serve", "--port", "0", "--state", str(state)],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        )  # fmt: skip
        assert self.process.stdout is not None
        line = self.process.stdout.readline()
        assert line, self.process.stderr.read() if self.process.stderr else ""
        self.info = json.loads(line)

    def client(self, service: str) -> Any:
        env = self.info["env"]
        make_client: Any = boto3.client
        return make_client(
            service,
            endpoint_url=self.info["endpoint_url"],
            region_name=self.info["region"],
            aws_access_key_id=env["AWS_ACCESS_KEY_ID"],
            aws_secret_access_key=env["AWS_SECRET_ACCESS_KEY"],
        )

    def stop(self, sig: int = signal.SIGTERM) -> None:
        self.process.send_signal(sig)
        assert self.process.wait(timeout=30) == 0, self.process.stderr.read() if self.process.stderr else ""


@pytest.fixture(autouse=True)
def _private_umask() -> Iterator[None]:
    # The file must come out 0600 whatever the user's umask is.
    previous = os.umask(0o002)
    yield
    os.umask(previous)


@pytest.fixture
def state(tmp_path: Path) -> Path:
    return tmp_path / "rehearsal.state"


def zipped_handler() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("handler.py", "def handler(event, context):\n    return event\n")
    return buffer.getvalue()


def test_everything_survives_a_restart(state: Path) -> None:
    first = Served(state)
    try:
        idp = first.client("cognito-idp")
        pool_id = idp.create_user_pool(PoolName="kept", UsernameConfiguration={"CaseSensitive": False})[
            "UserPool"
        ]["Id"]
        client_id = idp.create_user_pool_client(
            UserPoolId=pool_id, ClientName="app", ExplicitAuthFlows=["ALLOW_USER_PASSWORD_AUTH"]
        )["UserPoolClient"]["ClientId"]
        idp.admin_create_user(UserPoolId=pool_id, Username="Ada", MessageAction="SUPPRESS")
        idp.admin_set_user_password(UserPoolId=pool_id, Username="Ada", Password=PASSWORD, Permanent=True)
        idp.create_group(UserPoolId=pool_id, GroupName="staff")
        idp.admin_add_user_to_group(UserPoolId=pool_id, Username="Ada", GroupName="staff")
        role_arn = first.client("iam").create_role(RoleName="import-role", AssumeRolePolicyDocument="{}")[
            "Role"
        ]["Arn"]
        logs = first.client("logs")
        logs.create_log_group(logGroupName="/aws/cognito/userpools/kept")
        logs.create_log_stream(logGroupName="/aws/cognito/userpools/kept", logStreamName="job")
        event = {"timestamp": int(time.time() * 1000), "message": "line 1"}
        logs.put_log_events(
            logGroupName="/aws/cognito/userpools/kept", logStreamName="job", logEvents=[event]
        )
        first.client("lambda").create_function(
            FunctionName="migrate",
            Runtime="python3.11",
            Role=role_arn,
            Handler="handler.handler",
            Code={"ZipFile": zipped_handler()},
        )
        dynamodb = first.client("dynamodb")
        dynamodb.create_table(
            TableName="legacy",
            BillingMode="PAY_PER_REQUEST",
            KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
        )
        dynamodb.put_item(TableName="legacy", Item={"id": {"S": "u1"}})
    finally:
        first.stop()

    assert stat.S_IMODE(state.stat().st_mode) == 0o600  # it holds passwords
    assert not [p for p in state.parent.iterdir() if p != state]  # no temp file left behind

    second = Served(state)
    try:
        idp = second.client("cognito-idp")
        assert [pool["Name"] for pool in idp.list_user_pools(MaxResults=10)["UserPools"]] == ["kept"]
        signed_in = idp.initiate_auth(ClientId=client_id, AuthFlow="USER_PASSWORD_AUTH",
                                      AuthParameters={"USERNAME": "ada", "PASSWORD": PASSWORD})  # fmt: skip
        assert signed_in["AuthenticationResult"]["AccessToken"]  # same password, still case-insensitive
        groups = idp.admin_list_groups_for_user(UserPoolId=pool_id, Username="Ada")["Groups"]
        assert [group["GroupName"] for group in groups] == ["staff"]
        assert second.client("iam").get_role(RoleName="import-role")["Role"]["Arn"] == role_arn
        events = second.client("logs").get_log_events(
            logGroupName="/aws/cognito/userpools/kept", logStreamName="job"
        )
        assert [event["message"] for event in events["events"]] == ["line 1"]
        assert second.client("lambda").get_function(FunctionName="migrate")["Configuration"]["Handler"] == (
            "handler.handler"
        )
        assert second.client("dynamodb").get_item(TableName="legacy", Key={"id": {"S": "u1"}})["Item"]
    finally:
        second.stop(signal.SIGINT)  # Ctrl-C saves too


def test_loading_in_a_busy_process_adds_pools_without_wiping_others(
    local_cognito: LocalCognito, state: Path
) -> None:
    idp = local_cognito.client("cognito-idp")
    saved_id = idp.create_user_pool(PoolName=f"saved-{uuid.uuid4().hex[:8]}")["UserPool"]["Id"]
    with LocalCognito(state_file=state):
        pass  # stopping writes the file
    idp.delete_user_pool(UserPoolId=saved_id)
    other_id = idp.create_user_pool(PoolName=f"other-{uuid.uuid4().hex[:8]}")["UserPool"]["Id"]

    with LocalCognito(state_file=state) as restored:
        restored_idp = restored.client("cognito-idp")
        assert restored_idp.describe_user_pool(UserPoolId=saved_id)["UserPool"]["Id"] == saved_id
        assert restored_idp.describe_user_pool(UserPoolId=other_id)["UserPool"]["Id"] == other_id


def write_state(path: Path, content: bytes, mode: int = 0o600) -> None:
    path.write_bytes(content)
    path.chmod(mode)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"\x80\x05 something else", "not a cognito-migrate local state file"),
        (MAGIC + b'{"format": 99, "moto": "5.2.5"}\n', "state format version 99 is not supported"),
        (
            MAGIC + json.dumps({"format": FORMAT_VERSION, "moto": "0.1"}).encode() + b"\n",
            "written with moto 0.1",
        ),
    ],
)
def test_files_this_tool_did_not_write_are_refused(state: Path, content: bytes, message: str) -> None:
    write_state(state, content)
    with pytest.raises(ConfigError, match=message):
        LocalCognito(state_file=state).start()


def test_a_state_file_in_a_missing_directory_is_refused_at_start(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="does not exist"):
        LocalCognito(state_file=tmp_path / "missing" / "state").start()


def test_a_state_file_others_can_write_is_refused(state: Path) -> None:
    with LocalCognito(state_file=state):
        pass
    state.chmod(0o620)
    with pytest.raises(ConfigError, match="other users can write this file"):
        LocalCognito(state_file=state).start()


def test_serve_explains_a_refused_state_file(state: Path) -> None:
    write_state(state, MAGIC + b'{"format": 99}\n')
    done = subprocess.run(
        [str(BIN / "cognito-migrate"), "local", "serve", "--port", "0", "--state", str(state)],
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert done.returncode == 2
    assert "state format version 99 is not supported" in done.stderr
