"""The things a user pool holds besides its settings, and how a clone re-creates each: groups, resource
servers, identity providers and app clients, in that order (a client may name a resource server's
scopes and an identity provider, which must exist first).

Each kind is listed (``List…``), described when the list lacks details, and created from what was read
(``Create…``) with the parameters the operation's input shape accepts (``trigger.pool_settings``), plus:

- app clients: never the old ``ClientSecret`` (CreateUserPoolClient would accept it and two pools would
  share one); ``GenerateSecret`` gives a client that had a secret a new one.
- identity providers: DescribeIdentityProvider answers with keys Cognito fills in itself (endpoint URLs
  of social providers, ``attributes_url_add_attributes``, a SAML provider's certificate and binding
  URIs); only the keys a create request takes are sent, per provider type (from the API reference's
  ProviderDetails examples). Sign in with Apple's private key is never returned, so such a provider
  cannot be copied and says so.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass
from typing import Any

from cognito_migrate.errors import ConfigError


@dataclass(frozen=True, eq=False)  # compared and hashed by identity: the four kinds below are the only ones
class ResourceKind:
    label: str  # for people: "group"
    list_operation: str
    items: str  # the list answer's key
    page: Mapping[str, int]  # the page-size parameter, at its maximum
    create_operation: str
    name_key: str
    describe: tuple[str, str, str] | None = None  # operation, key parameter, answer's key


GROUPS = ResourceKind("group", "ListGroups", "Groups", {"Limit": 60}, "CreateGroup", "GroupName")
RESOURCE_SERVERS = ResourceKind("resource server", "ListResourceServers", "ResourceServers",
                                {"MaxResults": 50}, "CreateResourceServer", "Identifier")  # fmt: skip
IDENTITY_PROVIDERS = ResourceKind(
    "identity provider", "ListIdentityProviders", "Providers", {"MaxResults": 60}, "CreateIdentityProvider",
    "ProviderName", ("DescribeIdentityProvider", "ProviderName", "IdentityProvider"),
)  # fmt: skip
APP_CLIENTS = ResourceKind(
    "app client", "ListUserPoolClients", "UserPoolClients", {"MaxResults": 60}, "CreateUserPoolClient",
    "ClientName", ("DescribeUserPoolClient", "ClientId", "UserPoolClient"),
)  # fmt: skip
# Creation order: what a later kind may refer to comes first.
KINDS = (GROUPS, RESOURCE_SERVERS, IDENTITY_PROVIDERS, APP_CLIENTS)

# ProviderDetails keys a create request takes, per provider type ("Create or update request" in the
# API reference). Other types keep everything but the keys Cognito is known to add by itself.
_PROVIDER_DETAILS = {
    "Google": ("authorize_scopes", "client_id", "client_secret"),
    "Facebook": ("api_version", "authorize_scopes", "client_id", "client_secret"),
    "LoginWithAmazon": ("authorize_scopes", "client_id", "client_secret"),
    "SignInWithApple": ("authorize_scopes", "client_id", "key_id", "team_id", "private_key"),
    "OIDC": ("attributes_request_method", "attributes_url", "authorize_scopes", "authorize_url", "client_id",
             "client_secret", "jwks_uri", "oidc_issuer", "token_url"),
    "SAML": ("IDPInit", "IDPSignout", "EncryptedResponses", "MetadataURL", "MetadataFile",
             "RequestSigningAlgorithm"),
}  # fmt: skip
_ADDED_BY_COGNITO = frozenset(
    {"attributes_url_add_attributes", "token_request_method", "ActiveEncryptionCertificate",
     "SLORedirectBindingURI", "SSORedirectBindingURI"}
)  # fmt: skip
# Where each kind names user pool attributes (a list of names, or a mapping keyed by them).
_ATTRIBUTE_LISTS = {
    APP_CLIENTS.label: ("ReadAttributes", "WriteAttributes"),
    IDENTITY_PROVIDERS.label: ("AttributeMapping",),
}
# Secrets Cognito never gives back, by provider type: without them a copy cannot be made.
_UNREADABLE = {"SignInWithApple": "private_key"}


def create_request(
    kind: ResourceKind, described: Mapping[str, Any], pool_id: str, *, dropped: Collection[str] = ()
) -> dict[str, Any]:
    """The create request for one described item of ``kind`` in the pool ``pool_id``, without the
    ``dropped`` attributes (the clone does not have them). Raises ``ConfigError`` for an item Cognito
    does not let anyone copy (the message says why)."""
    from cognito_migrate.trigger.pool_settings import copied_parameters

    request = {**copied_parameters(kind.create_operation, described), "UserPoolId": pool_id}
    if kind is APP_CLIENTS:
        request.pop("ClientSecret", None)
        request["GenerateSecret"] = bool(described.get("ClientSecret"))
    if kind is IDENTITY_PROVIDERS:
        request["ProviderDetails"] = provider_details(described)
    for key in _ATTRIBUTE_LISTS.get(kind.label, ()):
        if isinstance(request.get(key), list):
            request[key] = [name for name in request[key] if name not in dropped]
        elif isinstance(request.get(key), dict):
            request[key] = {name: value for name, value in request[key].items() if name not in dropped}
    return request


def dropped_references(
    kind: ResourceKind, described: Mapping[str, Any], dropped: Collection[str]
) -> list[str]:
    """The ``dropped`` attributes ``described`` names (a client's read/write lists, a provider's
    attribute mapping): its copy will not."""
    named = {name for key in _ATTRIBUTE_LISTS.get(kind.label, ()) for name in described.get(key) or ()}
    return sorted(named & set(dropped))


def provider_details(described: Mapping[str, Any]) -> dict[str, str]:
    kind = str(described.get("ProviderType"))
    details: Mapping[str, str] = described.get("ProviderDetails") or {}
    missing = _UNREADABLE.get(kind)
    if missing and missing not in details:
        raise ConfigError(f"Cognito never returns a {kind} provider's {missing}; add the provider again")
    accepted = _PROVIDER_DETAILS.get(kind)
    return {key: value for key, value in details.items()
            if (key in accepted if accepted else key not in _ADDED_BY_COGNITO)}  # fmt: skip
