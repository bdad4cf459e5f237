"""`cognito-migrate pool clone` against the local Cognito: a pool with custom attributes, a required
email, MFA, groups and an app client becomes an email-username, case-insensitive pool with one more
custom attribute, every other setting, its groups and (on request) its clients copied."""

from __future__ import annotations

import json
from typing import Any

import pytest

from cognito_migrate.cli import main
from cognito_migrate.local import LocalCognito

ROLE = "arn:aws:iam::123456789012:role/readers"
SOURCE_SCHEMA = [
    {"Name": "email", "AttributeDataType": "String", "Required": True, "Mutable": True},
    {"Name": "tenant", "AttributeDataType": "String", "Mutable": True,
     "StringAttributeConstraints": {"MinLength": "1", "MaxLength": "64"}},
    {"Name": "level", "AttributeDataType": "Number", "Mutable": False, "DeveloperOnlyAttribute": True,
     "NumberAttributeConstraints": {"MinValue": "0", "MaxValue": "10"}},
]  # fmt: skip
# Settings CreateUserPool takes that the clone must carry over unchanged.
SOURCE_SETTINGS: dict[str, Any] = {
    "Policies": {"PasswordPolicy": {"MinimumLength": 12, "RequireUppercase": False, "RequireLowercase": True,
                                    "RequireNumbers": True, "RequireSymbols": False,
                                    "TemporaryPasswordValidityDays": 3}},
    "AutoVerifiedAttributes": ["email"],
    "AdminCreateUserConfig": {"AllowAdminCreateUserOnly": True},
    "AccountRecoverySetting": {"RecoveryMechanisms": [{"Priority": 1, "Name": "verified_email"}]},
    "DeviceConfiguration": {"ChallengeRequiredOnNewDevice": True, "DeviceOnlyRememberedOnUserPrompt": True},
    "UserAttributeUpdateSettings": {"AttributesRequireVerificationBeforeUpdate": ["email"]},
    "EmailVerificationSubject": "Your portal code",
    "EmailVerificationMessage": "Portal code: {####}",
    "UserPoolTags": {"team": "portal"},
}  # fmt: skip
COMPARED = ("Policies", "AutoVerifiedAttributes", "AccountRecoverySetting", "DeviceConfiguration",
            "UserAttributeUpdateSettings", "EmailVerificationSubject", "EmailVerificationMessage",
            "UserPoolTags", "MfaConfiguration")  # fmt: skip


@pytest.fixture(autouse=True)
def _local_credentials(local_cognito: LocalCognito, monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in local_cognito.environment().items():
        monkeypatch.setenv(name, value)


@pytest.fixture(scope="module")
def idp(local_cognito: LocalCognito) -> Any:
    return local_cognito.client("cognito-idp")


@pytest.fixture(scope="module")
def source(idp: Any) -> str:
    """The old pool: email alias, case-sensitive usernames, TOTP MFA, two groups, one app client."""
    pool_id: str = idp.create_user_pool(
        PoolName="portal", AliasAttributes=["email"], UsernameConfiguration={"CaseSensitive": True},
        Schema=SOURCE_SCHEMA, **SOURCE_SETTINGS,
    )["UserPool"]["Id"]  # fmt: skip
    idp.set_user_pool_mfa_config(UserPoolId=pool_id, SoftwareTokenMfaConfiguration={"Enabled": True},
                                 MfaConfiguration="OPTIONAL")  # fmt: skip
    idp.create_group(
        UserPoolId=pool_id, GroupName="readers", Description="read only", Precedence=5, RoleArn=ROLE
    )
    idp.create_group(UserPoolId=pool_id, GroupName="admins", Precedence=1)
    idp.create_user_pool_client(
        UserPoolId=pool_id, ClientName="web", GenerateSecret=True,
        ExplicitAuthFlows=["ALLOW_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"],
        ReadAttributes=["email", "custom:tenant"], WriteAttributes=["email"],
        CallbackURLs=["https://portal.example.org/callback"], AllowedOAuthFlows=["code"],
        AllowedOAuthScopes=["openid", "email"], AllowedOAuthFlowsUserPoolClient=True,
        SupportedIdentityProviders=["COGNITO"], AccessTokenValidity=2,
        TokenValidityUnits={"AccessToken": "hours"},
    )  # fmt: skip
    return pool_id


def clone(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, dict[str, Any], str]:
    """Run `pool clone` with --json; the exit code, the JSON result (empty on error) and stdout+stderr."""
    capsys.readouterr()
    code = main(["--json", "pool", "clone", *args])
    captured = capsys.readouterr()
    envelope = json.loads(captured.out.splitlines()[-1]) if captured.out.strip() else {}
    return code, envelope.get("result", {}), captured.out + captured.err


def schema_of(idp: Any, pool_id: str) -> dict[str, dict[str, Any]]:
    pool = idp.describe_user_pool(UserPoolId=pool_id)["UserPool"]
    return {attribute["Name"]: attribute for attribute in pool["SchemaAttributes"]}


def groups_of(idp: Any, pool_id: str) -> list[tuple[Any, ...]]:
    groups = idp.list_groups(UserPoolId=pool_id, Limit=60)["Groups"]
    fields = ("GroupName", "Description", "Precedence", "RoleArn")
    return sorted(tuple(group.get(name) for name in fields) for group in groups)


def test_clone_applies_the_changes_and_copies_settings_schema_and_groups(
    capsys: pytest.CaptureFixture[str], idp: Any, source: str
) -> None:
    code, result, _ = clone(capsys, source, "--name", "portal-v2", "--username-attributes", "email",
                            "--case-insensitive", "--add-custom", "legacy_id:String:1:40")  # fmt: skip
    assert code == 0
    new_id = result["pool_id"]
    old = idp.describe_user_pool(UserPoolId=source)["UserPool"]
    new = idp.describe_user_pool(UserPoolId=new_id)["UserPool"]
    assert new["Name"] == "portal-v2"
    assert new["UsernameAttributes"] == ["email"]
    assert not new.get("AliasAttributes")
    assert new["UsernameConfiguration"] == {"CaseSensitive": False}
    assert {key: new.get(key) for key in COMPARED} == {key: old.get(key) for key in COMPARED}
    assert new["AdminCreateUserConfig"]["AllowAdminCreateUserOnly"] is True
    mfa = idp.get_user_pool_mfa_config(UserPoolId=new_id)
    assert mfa["SoftwareTokenMfaConfiguration"] == {"Enabled": True}

    old_schema, new_schema = schema_of(idp, source), schema_of(idp, new_id)
    for name in ("email", "custom:tenant", "dev:custom:level"):
        assert new_schema[name] == old_schema[name], name
    added = new_schema["custom:legacy_id"]
    assert added["StringAttributeConstraints"] == {"MinLength": "1", "MaxLength": "40"}
    assert added["Mutable"] is False
    assert groups_of(idp, new_id) == groups_of(idp, source)
    # Clients only on request: the output says how to get them.
    assert idp.list_user_pool_clients(UserPoolId=new_id, MaxResults=60)["UserPoolClients"] == []
    assert any("--with-clients" in line for line in result["not_copied"])
    assert any("sign-in: username attributes email" in change for change in result["changes"])


def test_the_clone_behaves_as_an_email_username_case_insensitive_pool(
    capsys: pytest.CaptureFixture[str], idp: Any, source: str
) -> None:
    code, result, _ = clone(capsys, source, "--name", "portal-ci", "--username-attributes", "email",
                            "--case-insensitive")  # fmt: skip
    assert code == 0
    pool_id = result["pool_id"]
    idp.admin_create_user(UserPoolId=pool_id, Username="Ada@Example.org", MessageAction="SUPPRESS",
                          UserAttributes=[{"Name": "email", "Value": "Ada@Example.org"}])  # fmt: skip
    user = idp.admin_get_user(UserPoolId=pool_id, Username="ada@example.org")
    # An email-username pool stores a generated username (the sub), not the email.
    assert user["Username"] != "Ada@Example.org"


def test_with_clients_copies_the_app_clients_with_new_ids_and_secrets(
    capsys: pytest.CaptureFixture[str], idp: Any, source: str
) -> None:
    code, result, output = clone(capsys, source, "--name", "portal-clients", "--with-clients")
    assert code == 0
    new_id = result["pool_id"]
    (old_summary,) = idp.list_user_pool_clients(UserPoolId=source, MaxResults=60)["UserPoolClients"]
    (new_summary,) = idp.list_user_pool_clients(UserPoolId=new_id, MaxResults=60)["UserPoolClients"]
    old = idp.describe_user_pool_client(UserPoolId=source, ClientId=old_summary["ClientId"])["UserPoolClient"]
    new = idp.describe_user_pool_client(UserPoolId=new_id, ClientId=new_summary["ClientId"])["UserPoolClient"]
    assert result["clients"] == [{"name": "web", "source_client_id": old["ClientId"],
                                  "client_id": new["ClientId"], "new_secret": True}]  # fmt: skip
    assert new["ClientId"] != old["ClientId"]
    assert new["ClientSecret"]
    assert new["ClientSecret"] != old["ClientSecret"]
    assert old["ClientSecret"] not in output
    assert new["ClientSecret"] not in output
    same = ("ClientName", "ExplicitAuthFlows", "ReadAttributes", "WriteAttributes", "CallbackURLs",
            "AllowedOAuthFlows", "AllowedOAuthScopes", "AllowedOAuthFlowsUserPoolClient",
            "SupportedIdentityProviders", "AccessTokenValidity", "TokenValidityUnits",
            "RefreshTokenValidity")  # fmt: skip
    assert {key: new.get(key) for key in same} == {key: old.get(key) for key in same}
    # Unchanged sign-in settings are kept as they were.
    described = idp.describe_user_pool(UserPoolId=new_id)["UserPool"]
    assert described["AliasAttributes"] == ["email"]
    assert described["UsernameConfiguration"] == {"CaseSensitive": True}


def test_a_required_attribute_becomes_optional_and_custom_attributes_are_dropped_or_redefined(
    capsys: pytest.CaptureFixture[str], idp: Any, source: str
) -> None:
    code, result, output = clone(capsys, source, "--name", "portal-schema", "--optional", "email",
                                 "--drop-custom", "dev:custom:level", "--drop-custom", "tenant",
                                 "--add-custom", "tenant:String:0:200:mutable", "--with-clients")  # fmt: skip
    assert code == 0, output
    schema = schema_of(idp, result["pool_id"])
    assert not schema.get("email", {}).get("Required")
    assert "dev:custom:level" not in schema
    assert schema["custom:tenant"]["StringAttributeConstraints"] == {"MinLength": "0", "MaxLength": "200"}
    assert "email is optional (was required)" in result["changes"]
    # The client still reads the redefined custom:tenant.
    (client,) = result["clients"]
    new = idp.describe_user_pool_client(UserPoolId=result["pool_id"], ClientId=client["client_id"])
    assert new["UserPoolClient"]["ReadAttributes"] == ["email", "custom:tenant"]


def test_clients_stop_naming_a_dropped_attribute(
    capsys: pytest.CaptureFixture[str], idp: Any, source: str
) -> None:
    code, result, output = clone(capsys, source, "--name", "portal-dropped", "--drop-custom", "tenant",
                                 "--with-clients")  # fmt: skip
    assert code == 0, output
    assert "app client web no longer names custom:tenant" in result["changes"]
    (client,) = result["clients"]
    new = idp.describe_user_pool_client(UserPoolId=result["pool_id"], ClientId=client["client_id"])
    assert new["UserPoolClient"]["ReadAttributes"] == ["email"]


def test_dry_run_creates_nothing_and_says_what_it_would(
    capsys: pytest.CaptureFixture[str], idp: Any, source: str
) -> None:
    before = len(idp.list_user_pools(MaxResults=60)["UserPools"])
    capsys.readouterr()
    code = main(["pool", "clone", source, "--name", "dry", "--require", "phone_number", "--with-clients",
                 "--dry-run"])  # fmt: skip
    out = capsys.readouterr().out
    assert code == 0
    assert "Would create 'dry'" in out
    assert "phone_number is required" in out
    assert "web (" in out
    assert "with a new secret" in out
    assert len(idp.list_user_pools(MaxResults=60)["UserPools"]) == before


IDP_SECRET = "idp-secret-value-4711"


@pytest.fixture(scope="module")
def federated(idp: Any) -> str:
    """A pool with a domain, a resource server with a scope, an OIDC provider and a client using both."""
    pool_id: str = idp.create_user_pool(PoolName="federated")["UserPool"]["Id"]
    idp.create_user_pool_domain(UserPoolId=pool_id, Domain=f"federated-{pool_id.split('_')[1][:12]}")
    scopes = [{"ScopeName": "read", "ScopeDescription": "read the API"}]
    idp.create_resource_server(
        UserPoolId=pool_id, Identifier="https://api.example.org", Name="api", Scopes=scopes
    )
    details = {"client_id": "portal", "client_secret": IDP_SECRET, "attributes_request_method": "GET",
               "oidc_issuer": "https://id.example.org", "authorize_scopes": "openid email"}  # fmt: skip
    idp.create_identity_provider(UserPoolId=pool_id, ProviderName="Corp", ProviderType="OIDC",
                                 ProviderDetails=details, AttributeMapping={"email": "mail"})  # fmt: skip
    idp.create_user_pool_client(
        UserPoolId=pool_id, ClientName="sso", CallbackURLs=["https://portal.example.org/cb"],
        AllowedOAuthFlows=["code"], AllowedOAuthFlowsUserPoolClient=True,
        AllowedOAuthScopes=["openid", "https://api.example.org/read"],
        SupportedIdentityProviders=["COGNITO", "Corp"],
    )  # fmt: skip
    return pool_id


def test_what_is_not_copied_is_listed(capsys: pytest.CaptureFixture[str], idp: Any, federated: str) -> None:
    code, result, output = clone(capsys, federated, "--name", "federated-dry", "--dry-run")
    assert code == 0
    not_copied = "\n".join(result["not_copied"])
    assert "domain federated-" in not_copied
    assert "identity provider(s) (Corp): pass --with-identity-providers" in not_copied
    assert "app client(s) (sso): pass --with-clients" in not_copied
    assert result["resource_servers"] == ["https://api.example.org"]
    assert IDP_SECRET not in output


def test_identity_providers_resource_servers_and_the_clients_using_them_are_copied(
    capsys: pytest.CaptureFixture[str], idp: Any, federated: str
) -> None:
    code, result, output = clone(capsys, federated, "--name", "federated-v2", "--with-clients",
                                 "--with-identity-providers")  # fmt: skip
    assert code == 0, output
    assert IDP_SECRET not in output
    new_id = result["pool_id"]
    assert any(f"urn:amazon:cognito:sp:{new_id}" in warning for warning in result["warnings"])
    old_idp = idp.describe_identity_provider(UserPoolId=federated, ProviderName="Corp")["IdentityProvider"]
    new_idp = idp.describe_identity_provider(UserPoolId=new_id, ProviderName="Corp")["IdentityProvider"]
    for key in ("ProviderType", "ProviderDetails", "AttributeMapping"):
        assert new_idp[key] == old_idp[key], key
    servers = idp.list_resource_servers(UserPoolId=new_id, MaxResults=50)["ResourceServers"]
    assert [(server["Identifier"], server["Scopes"]) for server in servers] == [
        ("https://api.example.org", [{"ScopeName": "read", "ScopeDescription": "read the API"}])
    ]
    (client,) = result["clients"]
    new = idp.describe_user_pool_client(UserPoolId=new_id, ClientId=client["client_id"])["UserPoolClient"]
    assert new["AllowedOAuthScopes"] == ["openid", "https://api.example.org/read"]
    assert new["SupportedIdentityProviders"] == ["COGNITO", "Corp"]
    assert "ClientSecret" not in new  # the source client had none


def test_a_provider_whose_secret_cognito_never_returns_is_not_copyable() -> None:
    from cognito_migrate.errors import ConfigError
    from cognito_migrate.pool.resources import provider_details

    apple = {"client_id": "com.example", "key_id": "K", "team_id": "T", "authorize_scopes": "email",
             "token_url": "https://appleid.apple.com/auth/token"}  # fmt: skip
    described = {"ProviderType": "SignInWithApple", "ProviderDetails": apple}
    with pytest.raises(ConfigError, match="private_key"):
        provider_details(described)
    filled_in = {"attributes_url_add_attributes": "true", "token_url": "https://oauth2.googleapis.com/token"}
    asked = {"client_id": "c", "client_secret": "s", "authorize_scopes": "email"}
    google = {"ProviderType": "Google", "ProviderDetails": asked | filled_in}
    # Only what a create request takes: the URLs Cognito fills in for Google are left to it.
    assert provider_details(google) == asked


@pytest.mark.parametrize(
    ("options", "message"),
    [
        (["--username-attributes", "email", "--alias-attributes", "email"], "exclude each other"),
        (["--username-attributes", "preferred_username"], "preferred_username cannot be used"),
        (["--require", "custom:tenant"], "a custom attribute is always optional"),
        (["--require", "email", "--optional", "email"], "--require and --optional both name email"),
        (["--drop-custom", "nope"], "has no custom attribute nope"),
        (["--require", "shoe_size"], "not a standard attribute"),
        (
            ["--add-custom", "tenant:String"],
            "already has custom:tenant (to redefine it, --drop-custom tenant",
        ),
        (["--add-custom", "flag:Blob"], "is not one of"),
        (["--add-custom", "since:Boolean:1:2"], "takes no MIN:MAX"),
    ],
)
def test_impossible_changes_are_refused_before_anything_is_created(
    capsys: pytest.CaptureFixture[str], idp: Any, source: str, options: list[str], message: str
) -> None:
    before = len(idp.list_user_pools(MaxResults=60)["UserPools"])
    code, _, output = clone(capsys, source, "--name", "refused", *options)
    assert code == 2
    assert message in output
    assert len(idp.list_user_pools(MaxResults=60)["UserPools"]) == before


def test_a_missing_source_pool_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, output = clone(capsys, "us-east-1_doesnotexist", "--name", "nope")
    assert code == 2
    assert "no user pool us-east-1_doesnotexist" in output


def _aws_standard(name: str, **overrides: Any) -> dict[str, Any]:
    limits = {"MinLength": "0", "MaxLength": "2048"}
    attribute = {"Name": name, "AttributeDataType": "String", "DeveloperOnlyAttribute": False,
                 "Mutable": True, "Required": False, "StringAttributeConstraints": limits}  # fmt: skip
    return attribute | overrides


def test_an_aws_description_becomes_a_create_request_cognito_accepts() -> None:
    """AWS's DescribeUserPool lists every standard attribute, sub and identities, read-only fields and the
    deprecated validity days; the local Cognito shows none of that, so the request is checked here."""
    from cognito_migrate.pool.clone_plan import CloneChanges, plan_clone

    described = {
        "Id": "eu-west-1_AbC123", "Name": "portal", "Arn": "arn:aws:cognito-idp:eu-west-1:1:userpool/x",
        "Status": "Enabled", "Domain": "portal-login", "EstimatedNumberOfUsers": 120,
        "MfaConfiguration": "ON",
        "SchemaAttributes": [
            _aws_standard("sub", Mutable=False, Required=True),
            _aws_standard("email", Required=True), _aws_standard("name"), _aws_standard("identities"),
            {"Name": "email_verified", "AttributeDataType": "Boolean", "DeveloperOnlyAttribute": False,
             "Mutable": True, "Required": False},
            {"Name": "custom:tenant", "AttributeDataType": "String", "DeveloperOnlyAttribute": False,
             "Mutable": True, "Required": False, "StringAttributeConstraints": {"MaxLength": "64"}},
        ],
        "Policies": {"PasswordPolicy": {"MinimumLength": 10, "TemporaryPasswordValidityDays": 5}},
        "AdminCreateUserConfig": {"AllowAdminCreateUserOnly": True, "UnusedAccountValidityDays": 5},
        "SmsConfigurationFailure": "whatever",
    }  # fmt: skip
    mfa = {
        "MfaConfiguration": "ON",
        "SoftwareTokenMfaConfiguration": {"Enabled": True},
        "ResponseMetadata": {},
    }
    plan = plan_clone(described, CloneChanges("portal-v2", username_attributes=("email",)), mfa_config=mfa)

    request = plan.request
    assert request["PoolName"] == "portal-v2"
    for read_only in ("Id", "Name", "Arn", "Status", "Domain", "EstimatedNumberOfUsers", "SchemaAttributes",
                      "SmsConfigurationFailure", "MfaConfiguration"):  # fmt: skip
        assert read_only not in request, read_only
    assert request["AdminCreateUserConfig"] == {"AllowAdminCreateUserOnly": True}
    assert request["Policies"]["PasswordPolicy"]["TemporaryPasswordValidityDays"] == 5
    # Only what differs from every pool's defaults, custom attributes by their bare name.
    assert [attribute["Name"] for attribute in request["Schema"]] == ["email", "tenant"]
    assert request["Schema"][1]["StringAttributeConstraints"] == {"MaxLength": "64"}
    assert plan.mfa == {"MfaConfiguration": "ON", "SoftwareTokenMfaConfiguration": {"Enabled": True}}
    assert request["UsernameConfiguration"] == {"CaseSensitive": True}  # no setting: a case-sensitive pool
