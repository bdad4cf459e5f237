"""Shared fixtures: a real local Cognito on loopback, driven by real boto3 clients."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from cognito_migrate.local import LocalCognito


@pytest.fixture(autouse=True)
def _no_real_aws(monkeypatch: pytest.MonkeyPatch, tmp_path_factory: pytest.TempPathFactory) -> None:
    """No test may reach real AWS: drop the developer's credentials, profile and endpoint."""
    for name in list(os.environ):
        if name.startswith("AWS_"):
            monkeypatch.delenv(name)
    empty = tmp_path_factory.getbasetemp() / "aws-empty"
    empty.mkdir(exist_ok=True)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(empty / "config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(empty / "credentials"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")


@pytest.fixture(scope="session")
def local_cognito() -> Iterator[LocalCognito]:
    """One local Cognito for the whole session; tests create their own pools and never share them."""
    with LocalCognito() as server:
        yield server
