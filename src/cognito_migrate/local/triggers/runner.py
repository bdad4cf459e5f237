"""Running a zipped Python function in its own process, the way Lambda would, minus the container.

The zip is unpacked once per code version (its sha256) into a private directory (0700) and reused;
each invocation starts ``bootstrap.py`` with ``sys.executable``, the event on stdin and the answer on
stdout. The child's environment is built from scratch (the function's variables, the local
endpoint, dummy credentials) so that nothing inherited from the caller can reach real AWS, and it is
killed when the time Cognito allows runs out. The child's stderr is discarded: the event holds the
user's password, and a handler may well print its event.
"""

from __future__ import annotations

import atexit
import contextlib
import hashlib
import io
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import uuid
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cognito_migrate.local.server import DUMMY_ACCESS_KEY_ID, DUMMY_SECRET_ACCESS_KEY

BOOTSTRAP = Path(__file__).with_name("bootstrap.py")

# What a child may inherit from this process: enough to start Python and decode text, no more.
_INHERITED = ("PATH", "LANG", "LC_ALL", "SYSTEMROOT")


@dataclass(frozen=True)
class ZipFunction:
    """What runs: a snapshot of a Lambda function's configuration and code, taken under moto's lock."""

    name: str
    arn: str
    handler: str
    runtime: str
    timeout: float
    memory_size: int
    environment: dict[str, str]
    code: bytes = field(repr=False)
    code_sha256: str = ""


@dataclass(frozen=True)
class Outcome:
    """The function's answer: ``result`` when it returned, else ``error_type`` and ``error_message``."""

    result: Any = None
    error_type: str | None = None
    error_message: str | None = None
    timed_out: bool = False

    @property
    def ok(self) -> bool:
        return self.error_type is None and not self.timed_out


class CodeCache:
    """Unpacked function code by sha256, in one private temporary directory removed at exit."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._root: Path | None = None
        self._unpacked: dict[str, Path] = {}

    def directory_for(self, code: bytes) -> Path:
        digest = hashlib.sha256(code).hexdigest()
        with self._lock:
            known = self._unpacked.get(digest)
            if known is not None and known.is_dir():
                return known
            target = self._root_dir() / digest
            staging = Path(tempfile.mkdtemp(dir=self._root_dir(), prefix=".unpacking-"))
            try:
                _unzip(code, staging)
                if target.exists():  # left by an earlier cache on the same root; replace it
                    shutil.rmtree(target)
                staging.rename(target)
            except BaseException:
                shutil.rmtree(staging, ignore_errors=True)
                raise
            self._unpacked[digest] = target
            return target

    def _root_dir(self) -> Path:
        if self._root is None:
            # mkdtemp creates the directory 0700: other local users cannot read or plant code in it.
            self._root = Path(tempfile.mkdtemp(prefix="cognito-migrate-functions-"))
            atexit.register(shutil.rmtree, self._root, True)
        return self._root


def _unzip(code: bytes, target: Path) -> None:
    try:
        with zipfile.ZipFile(io.BytesIO(code)) as archive:
            for member in archive.infolist():
                # ZipFile.extract already drops absolute paths and "..", check anyway: it is cheap.
                resolved = (target / member.filename).resolve()
                if not resolved.is_relative_to(target.resolve()):
                    raise InvalidCode(f"the zip holds a path outside its root: {member.filename!r}")
            archive.extractall(target)
    except zipfile.BadZipFile as exc:
        raise InvalidCode("the function's code is not a zip file") from exc


class InvalidCode(Exception):
    """The function's package cannot be unpacked."""


CODE_CACHE = CodeCache()


def child_environment(
    function: ZipFunction, code_dir: Path, *, endpoint_url: str, region: str, timeout: float
) -> dict[str, str]:
    """The child's whole environment: built from scratch, never copied from this process."""
    env = {name: os.environ[name] for name in _INHERITED if name in os.environ}
    env.update(function.environment)
    # Set last so that the function's own variables cannot point it elsewhere (in Lambda these
    # names are reserved, or set by the runtime).
    env.update(
        {
            "AWS_ENDPOINT_URL": endpoint_url,
            "AWS_ACCESS_KEY_ID": DUMMY_ACCESS_KEY_ID,
            "AWS_SECRET_ACCESS_KEY": DUMMY_SECRET_ACCESS_KEY,
            "AWS_REGION": region,
            "AWS_DEFAULT_REGION": region,
            # No profile, config or credentials file, no instance metadata: the variables above only.
            "AWS_CONFIG_FILE": os.devnull,
            "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
            "AWS_EC2_METADATA_DISABLED": "true",
            "AWS_LAMBDA_FUNCTION_NAME": function.name,
            "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
            "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(function.memory_size),
            "AWS_LAMBDA_FUNCTION_TIMEOUT": str(int(timeout)),
            "AWS_LAMBDA_LOG_GROUP_NAME": f"/aws/lambda/{function.name}",
            "AWS_EXECUTION_ENV": f"AWS_Lambda_{function.runtime}",
            "LOCAL_LAMBDA_FUNCTION_ARN": function.arn,
            "LAMBDA_TASK_ROOT": str(code_dir),
            "PYTHONPATH": str(code_dir),
            "_HANDLER": function.handler,
        }
    )
    env.pop("AWS_SESSION_TOKEN", None)
    env.pop("AWS_PROFILE", None)
    return env


def run_zip(
    function: ZipFunction, event: dict[str, Any], *, endpoint_url: str, region: str, timeout: float
) -> Outcome:
    """Run ``function`` on ``event`` in a separate Python process, killed after ``timeout`` seconds."""
    code_dir = CODE_CACHE.directory_for(function.code)
    env = child_environment(function, code_dir, endpoint_url=endpoint_url, region=region, timeout=timeout)
    request_id = str(uuid.uuid4())
    process = subprocess.Popen(
        [sys.executable, "-I", "-B", str(BOOTSTRAP), request_id, repr(timeout)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        cwd=code_dir,  # Lambda runs handlers from the task root
        env=env,
        start_new_session=True,  # its own process group, so a kill reaches what it started too
    )
    try:
        stdout, _ = process.communicate(json.dumps(event).encode(), timeout=timeout)
    except subprocess.TimeoutExpired:
        _kill_group(process)
        return Outcome(timed_out=True)
    finally:
        if process.poll() is None:  # an exception other than the timeout: never leave it running
            _kill_group(process)
    return _parse_answer(stdout, process.returncode)


def _kill_group(process: subprocess.Popen[bytes]) -> None:
    with contextlib.suppress(ProcessLookupError):  # it ended on its own meanwhile
        os.killpg(process.pid, signal.SIGKILL)
    process.communicate()


def _parse_answer(stdout: bytes, returncode: int) -> Outcome:
    try:
        answer = json.loads(stdout) if stdout else None
    except ValueError:
        answer = None
    if not isinstance(answer, dict):
        # Lambda's wording for a runtime that died (os._exit, a crash in an extension module).
        return Outcome(
            error_type="Runtime.ExitError",
            error_message=f"Runtime exited with error: exit status {returncode}",
        )
    if "errorType" in answer:
        return Outcome(error_type=str(answer["errorType"]), error_message=str(answer.get("errorMessage", "")))
    return Outcome(result=answer.get("result"))
