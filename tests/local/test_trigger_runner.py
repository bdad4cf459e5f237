"""How the local Cognito runs a zipped function: code versions, the private code cache, the process."""

from __future__ import annotations

import io
import json
import stat
import uuid
import zipfile
from typing import Any

import pytest
from botocore.exceptions import ClientError

from cognito_migrate.local import LocalCognito
from cognito_migrate.local.triggers.runner import CodeCache

TRUST = {
    "Version": "2012-10-17",
    "Statement": [
        {"Effect": "Allow", "Action": "sts:AssumeRole", "Principal": {"Service": "lambda.amazonaws.com"}}
    ],
}


def zip_of(source: str) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("handler.py", source)
    return buffer.getvalue()


def refusing(message: str) -> str:
    return f"def handler(event, context):\n    raise Exception({message!r})\n"


def sign_in_error(idp: Any, client_id: str) -> str:
    with pytest.raises(ClientError) as denied:
        idp.initiate_auth(
            ClientId=client_id,
            AuthFlow="USER_PASSWORD_AUTH",
            AuthParameters={"USERNAME": "kim", "PASSWORD": "Some-pass1"},
        )
    return str(denied.value.response["Error"]["Message"])


def test_updated_function_code_takes_effect_at_the_next_sign_in(local_cognito: LocalCognito) -> None:
    name = f"versions-{uuid.uuid4().hex[:12]}"
    role = local_cognito.client("iam").create_role(RoleName=name, AssumeRolePolicyDocument=json.dumps(TRUST))
    functions = local_cognito.client("lambda")
    arn = functions.create_function(
        FunctionName=name,
        Runtime="python3.12",
        Role=role["Role"]["Arn"],
        Handler="handler.handler",
        Code={"ZipFile": zip_of(refusing("first version"))},
    )["FunctionArn"]
    idp = local_cognito.client("cognito-idp")
    pool_id = idp.create_user_pool(PoolName=name, LambdaConfig={"UserMigration": arn})["UserPool"]["Id"]
    client_id = idp.create_user_pool_client(UserPoolId=pool_id, ClientName="app")["UserPoolClient"][
        "ClientId"
    ]

    assert sign_in_error(idp, client_id) == "UserMigration failed with error first version."
    assert sign_in_error(idp, client_id) == "UserMigration failed with error first version."
    functions.update_function_code(FunctionName=name, ZipFile=zip_of(refusing("second version")))
    assert sign_in_error(idp, client_id) == "UserMigration failed with error second version."


def test_code_is_unpacked_once_per_version_into_a_private_directory() -> None:
    cache = CodeCache()
    first = cache.directory_for(zip_of(refusing("one")))
    assert cache.directory_for(zip_of(refusing("one"))) == first
    second = cache.directory_for(zip_of(refusing("two")))
    assert second != first
    assert (second / "handler.py").read_text() == refusing("two")
    assert stat.S_IMODE(first.parent.stat().st_mode) == 0o700
