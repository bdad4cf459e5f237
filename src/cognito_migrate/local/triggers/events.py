"""The events Cognito sends to its triggers, and the rules for what a migrate-user function answers.

Pure functions over plain values: no moto, no I/O. Shapes follow AWS's documentation of the common
trigger parameters [D5], the migrate-user trigger [D3] and the post-authentication trigger; guesses
are marked UNVERIFIED and kept in one place each.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

EVENT_VERSION = "1"
# UNVERIFIED: real events carry the caller's SDK ("aws-sdk-js-2.6.4"), or this value when Cognito
# cannot tell, which is what it sends for most server-side callers.
AWS_SDK_VERSION = "aws-sdk-unknown-unknown"

MIGRATION_AUTHENTICATION = "UserMigration_Authentication"
MIGRATION_FORGOT_PASSWORD = "UserMigration_ForgotPassword"  # noqa: S105 - a trigger source, not a password
POST_AUTHENTICATION = "PostAuthentication_Authentication"

CONFIRMED = "CONFIRMED"
RESET_REQUIRED = "RESET_REQUIRED"
_FINAL_STATUSES = (CONFIRMED, RESET_REQUIRED)
_MESSAGE_ACTIONS = ("SUPPRESS", "RESEND")
_DELIVERY_MEDIUMS = ("SMS", "EMAIL")
DEFAULT_DELIVERY_MEDIUMS = ("SMS",)  # AdminCreateUser's default, which the trigger's doc refers to

# Attributes Cognito keeps for itself: a function cannot set them.
_RESERVED_ATTRIBUTES = frozenset({"sub", "cognito:user_status", "identities"})
# UNVERIFIED: AWS's doc says missing required attributes get "default values"; a rehearsal is more
# useful when it fails loudly, so the local Cognito rejects the answer instead. One switch.
REJECT_MISSING_REQUIRED_ATTRIBUTES = True

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+$")
_PHONE = re.compile(r"^\+[0-9]+$")
_VERIFIED_FLAG = {"email": "email_verified", "phone_number": "phone_number_verified"}


def _common(
    trigger_source: str, *, region: str, pool_id: str, client_id: str, user_name: str
) -> dict[str, Any]:
    return {
        "version": EVENT_VERSION,
        "triggerSource": trigger_source,
        "region": region,
        "userPoolId": pool_id,
        "userName": user_name,
        "callerContext": {"awsSdkVersion": AWS_SDK_VERSION, "clientId": client_id},
    }


def migration_event(
    trigger_source: str,
    *,
    region: str,
    pool_id: str,
    client_id: str,
    user_name: str,
    password: str | None,
    client_metadata: Mapping[str, str] | None,
) -> dict[str, Any]:
    """The migrate-user event; ``user_name`` is what the user typed, perhaps an alias value."""
    request: dict[str, Any] = {}
    if trigger_source == MIGRATION_AUTHENTICATION:
        request["password"] = password or ""
    request.update(_metadata_fields(trigger_source, client_metadata))
    event = _common(trigger_source, region=region, pool_id=pool_id, client_id=client_id, user_name=user_name)
    event.update(request=request, response={})
    return event


def _metadata_fields(trigger_source: str, client_metadata: Mapping[str, str] | None) -> dict[str, Any]:
    """Where the caller's ClientMetadata lands in the migrate-user event.

    The trigger's doc puts InitiateAuth's ClientMetadata in ``validationData`` and ForgotPassword's in
    ``clientMetadata``; the API reference says InitiateAuth's lands in ``clientMetadata``.
    UNVERIFIED which is right for sign-in, so sign-in events carry it under both names. Absent when
    the caller sent none (Powertools' schema has both fields optional).
    """
    if not client_metadata:
        return {}
    metadata = dict(client_metadata)
    if trigger_source == MIGRATION_AUTHENTICATION:
        return {"validationData": metadata, "clientMetadata": dict(metadata)}
    return {"clientMetadata": metadata}


def post_authentication_event(
    *, region: str, pool_id: str, client_id: str, user_name: str, user_attributes: Mapping[str, str]
) -> dict[str, Any]:
    """The post-authentication event. InitiateAuth's ClientMetadata is not passed to this trigger
    (API reference), so ``clientMetadata`` is absent."""
    event = _common(
        POST_AUTHENTICATION, region=region, pool_id=pool_id, client_id=client_id, user_name=user_name
    )
    event.update(request={"userAttributes": dict(user_attributes), "newDeviceUsed": False}, response={})
    return event


class InvalidMigrationResponse(Exception):
    """The function returned, but what it returned cannot create a user. The message is for the caller."""


@dataclass(frozen=True)
class MigrationResponse:
    """A migrate-user function's ``response``, checked for shape. ``username`` is the ``username``
    entry of userAttributes, kept apart because it is not an attribute but the user's name."""

    attributes: dict[str, str]
    username: str | None
    final_status: str
    message_action: str | None
    delivery_mediums: tuple[str, ...]
    force_alias_creation: bool
    enable_sms_mfa: bool


def parse_migration_response(result: Mapping[str, Any]) -> MigrationResponse:
    """Check the shape of the function's answer (the event it returns, with ``response`` filled in)."""
    response = result.get("response")
    if not isinstance(response, Mapping):
        raise InvalidMigrationResponse("Invalid lambda response: response is missing")
    raw_attributes = response.get("userAttributes")
    if not isinstance(raw_attributes, Mapping) or not raw_attributes:
        raise InvalidMigrationResponse("Invalid lambda response: userAttributes is required")
    attributes: dict[str, str] = {}
    for name, value in raw_attributes.items():
        if value is None:
            continue
        if not isinstance(name, str) or not isinstance(value, str):
            # UNVERIFIED whether Cognito coerces true/1; strings always work, so ask for them.
            raise InvalidMigrationResponse(f"Invalid lambda response: attribute {name} must be a string")
        attributes[name] = value
    username = attributes.pop("username", None)
    final_status = response.get("finalUserStatus") or RESET_REQUIRED
    if final_status not in _FINAL_STATUSES:
        raise InvalidMigrationResponse(f"Invalid lambda response: finalUserStatus {final_status}")
    message_action = response.get("messageAction") or None
    if message_action is not None and message_action not in _MESSAGE_ACTIONS:
        raise InvalidMigrationResponse(f"Invalid lambda response: messageAction {message_action}")
    mediums = response.get("desiredDeliveryMediums") or list(DEFAULT_DELIVERY_MEDIUMS)
    if not isinstance(mediums, list) or any(medium not in _DELIVERY_MEDIUMS for medium in mediums):
        raise InvalidMigrationResponse("Invalid lambda response: desiredDeliveryMediums")
    return MigrationResponse(
        attributes=attributes,
        username=username,
        final_status=final_status,
        message_action=message_action,
        delivery_mediums=tuple(mediums),
        force_alias_creation=response.get("forceAliasCreation") is True,
        enable_sms_mfa=response.get("enableSMSMFA") is True,
    )


@dataclass(frozen=True)
class PoolRules:
    """What of a pool's configuration decides whether a migrated user can be created."""

    known_attributes: frozenset[str]
    required_attributes: frozenset[str]
    alias_attributes: tuple[str, ...]
    username_attributes: tuple[str, ...]


@dataclass(frozen=True)
class NewUser:
    """The user to create: ``username`` None means Cognito generates one (a UUID, = sub)."""

    username: str | None
    attributes: dict[str, str]


def new_user(rules: PoolRules, typed: str, response: MigrationResponse) -> NewUser:
    """Apply the documented username rules and the pool's attribute rules to a function's answer.

    [D3]: in a pool with alias attributes, when the user typed an alias value, the answer must put
    that value in the alias attribute and give a username of its own (not in the alias's format);
    otherwise the username in the answer must equal what was typed, or be omitted. In a pool whose
    sign-in name is the email or phone number (UsernameAttributes), the stored username is a UUID
    and the typed value becomes that attribute.
    """
    attributes = dict(response.attributes)
    _check_attribute_names(rules, attributes)
    if rules.username_attributes:
        made = _username_attribute_user(rules, typed, response, attributes)
    elif _typed_an_alias(rules, typed, response):
        made = _alias_user(rules, typed, response, attributes)
    else:
        if response.username not in (None, typed):
            raise InvalidMigrationResponse("Invalid lambda response: username must match the request")
        made = NewUser(typed, attributes)
    _check_required(rules, made.attributes)
    return made


def _check_attribute_names(rules: PoolRules, attributes: Mapping[str, str]) -> None:
    for name in attributes:
        if name in _RESERVED_ATTRIBUTES or name.startswith("cognito:"):
            raise InvalidMigrationResponse(f"Invalid lambda response: attribute {name} cannot be set")
        if name not in rules.known_attributes:
            # AdminCreateUser's wording for an attribute the schema lacks.
            raise InvalidMigrationResponse(f"Attribute does not exist in the schema: {name}")


def _check_required(rules: PoolRules, attributes: Mapping[str, str]) -> None:
    if not REJECT_MISSING_REQUIRED_ATTRIBUTES:
        return
    missing = sorted(rules.required_attributes - set(attributes) - _RESERVED_ATTRIBUTES)
    if missing:
        names = ", ".join(missing)
        raise InvalidMigrationResponse(f"Invalid lambda response: required attributes missing: {names}")


def _looks_like(attribute: str, value: str) -> bool:
    if attribute == "email":
        return bool(_EMAIL.match(value))
    if attribute == "phone_number":
        return bool(_PHONE.match(value))
    return False


def _same_value(attribute: str, left: str, right: str) -> bool:
    return left.casefold() == right.casefold() if attribute == "email" else left == right


def _typed_an_alias(rules: PoolRules, typed: str, response: MigrationResponse) -> bool:
    """Whether the typed name is an alias value: an email or phone number where those are aliases,
    or a preferred_username the answer assigns (with a username of its own)."""
    for attribute in rules.alias_attributes:
        if _looks_like(attribute, typed):
            return True
        if attribute == "preferred_username" and response.attributes.get(attribute) == typed:
            return response.username not in (None, typed)
    return False


def _alias_user(
    rules: PoolRules, typed: str, response: MigrationResponse, attributes: dict[str, str]
) -> NewUser:
    matching = [
        attribute
        for attribute in rules.alias_attributes
        if attribute in attributes and _same_value(attribute, attributes[attribute], typed)
    ]
    if not matching:
        raise InvalidMigrationResponse(
            "Invalid lambda response: the alias the user signed in with must be in userAttributes"
        )
    if not response.username or response.username == typed:
        raise InvalidMigrationResponse(
            "Invalid lambda response: a user who signs in with an alias needs a username attribute"
        )
    for attribute in rules.alias_attributes:
        if _looks_like(attribute, response.username):
            # The message Cognito gives AdminCreateUser and import jobs for the same mistake.
            kind = "email" if attribute == "email" else "phone number"
            raise InvalidMigrationResponse(
                f"Username cannot be of {kind} format since user pool is configured for {kind} alias"
            )
    return NewUser(response.username, attributes)


def _username_attribute_user(
    rules: PoolRules, typed: str, response: MigrationResponse, attributes: dict[str, str]
) -> NewUser:
    if response.username not in (None, typed):
        raise InvalidMigrationResponse("Invalid lambda response: username must match the request")
    for attribute in rules.username_attributes:
        if _looks_like(attribute, typed):
            given = attributes.get(attribute)
            if given is not None and not _same_value(attribute, given, typed):
                raise InvalidMigrationResponse(
                    f"Invalid lambda response: {attribute} must be the name the user signed in with"
                )
            attributes[attribute] = given or typed
            return NewUser(None, attributes)
    # moto's and Cognito's wording when the name is neither an email nor a phone number.
    raise InvalidMigrationResponse("Username should be either an email or a phone number.")


def alias_values(alias_attributes: Iterable[str], attributes: Mapping[str, str]) -> dict[str, str]:
    """The alias attributes a user claims: email and phone only when verified, as at sign-in."""
    claimed: dict[str, str] = {}
    for attribute in alias_attributes:
        value = attributes.get(attribute)
        flag = _VERIFIED_FLAG.get(attribute)
        if value is not None and (flag is None or attributes.get(flag) == "true"):
            claimed[attribute] = value
    return claimed
