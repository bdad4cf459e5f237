"""The `cognito-migrate pool` helpers against the local Cognito, each seen through what Cognito then
does: AdminGetUser, ListUserPoolClients, and a sign-in with InitiateAuth."""

from __future__ import annotations

import io
import json
import uuid
from typing import Any

import pytest

from cognito_migrate.cli import main
from cognito_migrate.local import LocalCognito

PASSWORD = "Correct-Horse-7-Battery"


@pytest.fixture(autouse=True)
def _local_credentials(local_cognito: LocalCognito, monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in local_cognito.environment().items():
        monkeypatch.setenv(name, value)


@pytest.fixture(scope="module")
def idp(local_cognito: LocalCognito) -> Any:
    return local_cognito.client("cognito-idp")


@pytest.fixture
def pool(idp: Any) -> str:
    pool_id: str = idp.create_user_pool(
        PoolName=f"tools-{uuid.uuid4().hex[:8]}",
        Schema=[{"Name": "legacy_id", "AttributeDataType": "String", "Mutable": True}],
    )["UserPool"]["Id"]
    idp.admin_create_user(
        UserPoolId=pool_id, Username="grace", MessageAction="SUPPRESS",
        UserAttributes=[{"Name": "email", "Value": "grace@example.org"},
                        {"Name": "custom:legacy_id", "Value": "42"},
                        {"Name": "nickname", "Value": "amazing"}],
    )  # fmt: skip
    return pool_id


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, dict[str, Any], str]:
    """A `pool` subcommand with --json: exit code, JSON result, everything printed."""
    capsys.readouterr()
    code = main(["--json", "pool", *args])
    captured = capsys.readouterr()
    envelope = json.loads(captured.out.splitlines()[-1]) if captured.out.strip() else {}
    return code, envelope.get("result", {}), captured.out + captured.err


def client_id(capsys: pytest.CaptureFixture[str], pool_id: str) -> str:
    code, result, _ = run(
        capsys, "create-client", pool_id, "--name", "cli", "--auth-flows", "user_password_auth"
    )
    assert code == 0
    return str(result["client_id"])


def sign_in(idp: Any, client: str, username: str, password: str) -> dict[str, Any]:
    response: dict[str, Any] = idp.initiate_auth(
        ClientId=client,
        AuthFlow="USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": username, "PASSWORD": password},
    )
    return response


def set_password(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, pool_id: str, *flags: str
) -> tuple[int, str]:
    monkeypatch.setattr("sys.stdin", io.StringIO(PASSWORD + "\n"))
    code, _, output = run(capsys, "user", "set-password", pool_id, "grace", *flags)
    return code, output


def test_create_client_makes_a_client_with_the_flows_and_no_printed_secret(
    capsys: pytest.CaptureFixture[str], idp: Any, pool: str
) -> None:
    code, result, output = run(capsys, "create-client", pool, "--name", "backend", "--generate-secret",
                               "--auth-flows", "user_password_auth,ALLOW_USER_SRP_AUTH")  # fmt: skip
    assert code == 0
    described = idp.describe_user_pool_client(UserPoolId=pool, ClientId=result["client_id"])["UserPoolClient"]
    assert described["ClientName"] == "backend"
    assert sorted(described["ExplicitAuthFlows"]) == [
        "ALLOW_REFRESH_TOKEN_AUTH", "ALLOW_USER_PASSWORD_AUTH", "ALLOW_USER_SRP_AUTH"]  # fmt: skip
    assert described["ClientSecret"]
    assert described["ClientSecret"] not in output
    assert result["secret_generated"] is True


def test_create_client_refuses_an_unknown_flow(
    capsys: pytest.CaptureFixture[str], idp: Any, pool: str
) -> None:
    code, _, output = run(capsys, "create-client", pool, "--name", "x", "--auth-flows", "MAGIC_AUTH")
    assert code == 2
    assert "MAGIC_AUTH" in output
    assert idp.list_user_pool_clients(UserPoolId=pool, MaxResults=60)["UserPoolClients"] == []


def test_set_password_permanent_lets_the_user_sign_in_and_is_never_printed(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, idp: Any, pool: str
) -> None:
    client = client_id(capsys, pool)
    assert idp.admin_get_user(UserPoolId=pool, Username="grace")["UserStatus"] == "FORCE_CHANGE_PASSWORD"
    code, output = set_password(capsys, monkeypatch, pool, "--permanent")
    assert code == 0
    assert PASSWORD not in output
    assert idp.admin_get_user(UserPoolId=pool, Username="grace")["UserStatus"] == "CONFIRMED"
    assert "AccessToken" in sign_in(idp, client, "grace", PASSWORD)["AuthenticationResult"]


def test_a_temporary_password_must_be_changed_at_sign_in(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, idp: Any, pool: str
) -> None:
    client = client_id(capsys, pool)
    code, _ = set_password(capsys, monkeypatch, pool)
    assert code == 0
    assert sign_in(idp, client, "grace", PASSWORD)["ChallengeName"] == "NEW_PASSWORD_REQUIRED"


def test_a_password_the_policy_refuses_is_a_usage_error(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, idp: Any, pool: str
) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO("short\n"))
    code, _, output = run(capsys, "user", "set-password", pool, "grace", "--permanent")
    assert code == 2
    assert "grace" in output
    assert "short" not in output
    assert idp.admin_get_user(UserPoolId=pool, Username="grace")["UserStatus"] == "FORCE_CHANGE_PASSWORD"


def test_disable_stops_sign_in_and_enable_restores_it(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, idp: Any, pool: str
) -> None:
    client = client_id(capsys, pool)
    assert set_password(capsys, monkeypatch, pool, "--permanent")[0] == 0
    assert run(capsys, "user", "disable", pool, "grace")[0] == 0
    assert idp.admin_get_user(UserPoolId=pool, Username="grace")["Enabled"] is False
    with pytest.raises(idp.exceptions.NotAuthorizedException):
        sign_in(idp, client, "grace", PASSWORD)
    assert run(capsys, "user", "enable", pool, "grace")[0] == 0
    assert idp.admin_get_user(UserPoolId=pool, Username="grace")["Enabled"] is True
    assert "AuthenticationResult" in sign_in(idp, client, "grace", PASSWORD)


def test_delete_attribute_removes_the_values(capsys: pytest.CaptureFixture[str], idp: Any, pool: str) -> None:
    code, _, _ = run(capsys, "user", "delete-attribute", pool, "grace", "custom:legacy_id", "nickname")
    assert code == 0
    names = {item["Name"] for item in idp.admin_get_user(UserPoolId=pool, Username="grace")["UserAttributes"]}
    assert "custom:legacy_id" not in names
    assert "nickname" not in names
    assert "email" in names


def test_delete_asks_first_and_deletes_with_yes(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, idp: Any, pool: str
) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO("n\n"))
    code, _, output = run(capsys, "user", "delete", pool, "grace")
    assert code == 2
    assert "not deleted" in output
    assert idp.admin_get_user(UserPoolId=pool, Username="grace")["Username"] == "grace"
    assert run(capsys, "user", "delete", pool, "grace", "--yes")[0] == 0
    with pytest.raises(idp.exceptions.UserNotFoundException):
        idp.admin_get_user(UserPoolId=pool, Username="grace")


@pytest.mark.parametrize(
    "command",
    [["enable"], ["disable"], ["delete", "--yes"], ["delete-attribute", "nickname"], ["set-password"]],
)
def test_an_unknown_user_is_a_usage_error_naming_the_user(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, pool: str, command: list[str]
) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO(PASSWORD + "\n"))
    action, *rest = command
    code, _, output = run(capsys, "user", action, pool, "nobody-here", *rest)
    assert code == 2
    assert "no user 'nobody-here'" in output


def test_an_unknown_pool_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, output = run(capsys, "user", "disable", "us-east-1_nosuchpool", "grace")
    assert code == 2
    assert "no user pool us-east-1_nosuchpool" in output


def test_an_empty_password_is_refused(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, idp: Any, pool: str
) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO(""))
    code, _, output = run(capsys, "user", "set-password", pool, "grace", "--permanent")
    assert code == 2
    assert "the password is empty" in output
    assert idp.admin_get_user(UserPoolId=pool, Username="grace")["UserStatus"] == "FORCE_CHANGE_PASSWORD"
