"""The migrate-user function's zip: built for this machine's Python and CPU, it must run the handler on
its own (only the standard library besides), verify bcrypt, argon2 and crypt(3) hashes with the wheels
it carries, leave the tool's heavy dependencies out, and come out byte for byte the same when rebuilt.

Wheels come from the package index the first time and from ~/.cache/cognito-migrate/wheels after."""

from __future__ import annotations

import json
import platform
import socket
import subprocess
import sys
import zipfile
from pathlib import Path

import bcrypt
import pytest
from argon2 import PasswordHasher
from passlib.hash import sha512_crypt

from cognito_migrate.errors import ConfigError
from cognito_migrate.trigger.build import BuildResult, WheelDownloadError, build_function_zip

RUNTIME = f"python3.{sys.version_info.minor}"
ARCHITECTURE = {"x86_64": "x86_64", "aarch64": "arm64"}.get(platform.machine(), platform.machine())
PASSWORD = "Legacy-pass1!"
HEAVY = ("pydantic", "sqlalchemy", "rich", "moto", "boto3", "botocore", "click", "orjson", "werkzeug")


def _index_reachable() -> bool:
    try:
        socket.create_connection(("pypi.org", 443), timeout=3).close()
    except OSError:
        return False
    return True


def _build(target: Path) -> BuildResult:
    try:
        return build_function_zip(target, runtime=RUNTIME, architecture=ARCHITECTURE)
    except WheelDownloadError:
        if not _index_reachable():
            pytest.skip("pypi.org is unreachable and the wheels are not cached yet")
        raise


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> BuildResult:
    return _build(tmp_path_factory.mktemp("zip") / "function.zip")


@pytest.fixture(scope="module")
def unpacked(built: BuildResult, tmp_path_factory: pytest.TempPathFactory) -> Path:
    directory = tmp_path_factory.mktemp("unpacked")
    with zipfile.ZipFile(built.path) as archive:
        archive.extractall(directory)
    return directory


def test_zip_holds_the_handler_and_its_wheels_but_nothing_heavy(built: BuildResult) -> None:
    with zipfile.ZipFile(built.path) as archive:
        infos = archive.infolist()
    names = [info.filename for info in infos]
    assert "cognito_migrate/trigger/handler.py" in names
    assert "cognito_migrate/passwords/convert.py" in names
    tops = {name.split("/")[0] for name in names}
    assert {"bcrypt", "argon2", "_argon2_cffi_bindings", "passlib"} <= tops
    assert {"cryptography", "pg8000", "pymysql"} <= tops  # Firebase hashes, SQL staging
    assert not [top for top in tops if top.lower().startswith(HEAVY)]
    # Only what the handler loads: none of the tool's planner, sources, CLI or local Cognito.
    assert {name for name in names if name.startswith("cognito_migrate/")} == set(built.modules)
    assert not [name for name in names if "/local/" in name or "/cli/" in name or "/planner/" in name]
    assert names == sorted(names)
    assert {info.external_attr >> 16 for info in infos} == {0o100644}
    assert {info.date_time for info in infos} == {(1980, 1, 1, 0, 0, 0)}
    assert built.size == built.path.stat().st_size
    # cryptography (Firebase hashes) is most of it; Lambda takes 50 MB zipped for a direct upload.
    assert built.size < 8 * 1024 * 1024


_CHECK = """
import json, sys
sys.path.insert(0, sys.argv[1])
hashes = json.loads(sys.argv[2])
from cognito_migrate.trigger import layout
from cognito_migrate.trigger.handler import MigrateUser, Settings
from cognito_migrate.trigger.verify import verify_password
import bcrypt, argon2, passlib

class Table:
    def get_item(self, TableName, Key):
        if Key[layout.KEY]["S"] != layout.user_key("alice", False):
            return {}
        return {"Item": {layout.USERNAME: {"S": "alice"}, layout.HASH: {"S": hashes["bcrypt"]},
                         layout.ATTRIBUTES: {"M": {"email": {"S": "alice@example.com"}}}}}

event = {"triggerSource": "UserMigration_Authentication", "userName": "alice",
         "request": {"password": sys.argv[3]}}
answer = MigrateUser(Settings(table="t"), Table())(event)
print(json.dumps({
    "right": {kind: verify_password(value, sys.argv[3]) for kind, value in hashes.items()},
    "wrong": {kind: verify_password(value, sys.argv[3] + "x") for kind, value in hashes.items()},
    "status": answer["response"]["finalUserStatus"],
    "from_zip": [m.__file__.startswith(sys.argv[1]) for m in (bcrypt, argon2, passlib)],
    "path": sys.path,
}))
"""


def test_handler_runs_from_the_unpacked_zip_alone(unpacked: Path) -> None:
    hashes = {
        "bcrypt": bcrypt.hashpw(PASSWORD.encode(), bcrypt.gensalt(4)).decode(),
        "argon2": PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1).hash(PASSWORD),
        "sha512_crypt": sha512_crypt.using(rounds=1000).hash(PASSWORD),
    }
    # -I -S: no site-packages, no PYTHONPATH, no user site; the zip's directory is the only addition.
    done = subprocess.run(
        [sys.executable, "-I", "-S", "-c", _CHECK, str(unpacked), json.dumps(hashes), PASSWORD],
        capture_output=True,
        text=True,
        check=False,
        cwd=unpacked.parent,
    )
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert result["right"] == {kind: True for kind in hashes}
    assert result["wrong"] == {kind: False for kind in hashes}
    assert result["status"] == "CONFIRMED"
    assert result["from_zip"] == [True, True, True]
    assert not [entry for entry in result["path"] if "site-packages" in entry]


def test_rebuilding_gives_the_same_bytes(built: BuildResult, tmp_path: Path) -> None:
    again = _build(tmp_path / "again.zip")
    assert again.sha256 == built.sha256
    assert again.path.read_bytes() == built.path.read_bytes()


@pytest.mark.parametrize(
    ("runtime", "architecture"),
    [("python3.10", "x86_64"), ("nodejs20.x", "x86_64"), ("python3.12", "aarch64")],
)
def test_unsupported_runtime_or_architecture_is_refused(
    tmp_path: Path, runtime: str, architecture: str
) -> None:
    with pytest.raises(ConfigError):
        build_function_zip(tmp_path / "f.zip", runtime=runtime, architecture=architecture)
    assert not (tmp_path / "f.zip").exists()
