"""Finding the function a pool's ``LambdaConfig`` names and running it as Cognito would.

A trigger names its function by ARN (or, leniently, by name). A Python callable registered with
``register_python_function`` answers for that name in-process (for unit tests of handler logic);
otherwise the function is looked up in moto's Lambda backend, where ``CreateFunction`` keeps the zip,
and run in a separate process by ``runner.run_zip``. moto's own Invoke needs Docker and is not used.

Cognito waits at most five seconds for a trigger, whatever the function's own Timeout says; an error
the function raises, or a timeout, turns the API call into ``UserLambdaValidationException``.
"""

from __future__ import annotations

import copy
import re
import threading
import time
import uuid
import weakref
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from cognito_migrate.local.app import LocalCognitoApp
from cognito_migrate.local.backends import lambda_backend
from cognito_migrate.local.triggers.runner import InvalidCode, Outcome, ZipFunction, run_zip
from cognito_migrate.local.wire import ApiCall, CognitoError

PythonFunction = Callable[[dict[str, Any], Any], Any]

# Cognito gives a trigger 5 seconds and does not let you change it [D3][D5].
COGNITO_TRIGGER_TIMEOUT_SECONDS = 5.0

# "<Trigger> failed with error <message>." is the pattern AWS's answers show for an error the function
# raised (e.g. "PreSignUp failed with error ..."): best known, not from a reference.
ERROR_CODE = "UserLambdaValidationException"


def function_error_message(trigger: str, message: str) -> str:
    return f"{trigger} failed with error {message}."


def timeout_message(trigger: str, seconds: float) -> str:
    # UNVERIFIED: the exact text Cognito gives when it stops waiting for a trigger. This mirrors
    # Lambda's own timeout message inside the pattern above.
    return function_error_message(trigger, f"Task timed out after {seconds:.2f} seconds")


# UNVERIFIED: what Cognito answers when the function does not exist or cannot run at all.
UNAVAILABLE_CODE = "UnexpectedLambdaException"

_ARN = re.compile(r"^arn:aws[a-zA-Z-]*:lambda:([a-z0-9-]+):(\d{12}):function:([^:]+)(?::([^:]+))?$")
_SUPPORTED_RUNTIME = re.compile(r"^python3\.\d+$")

_registries: weakref.WeakKeyDictionary[LocalCognitoApp, dict[str, PythonFunction]] = (
    weakref.WeakKeyDictionary()
)
_registries_lock = threading.Lock()


def function_name_of(name_or_arn: str) -> str:
    match = _ARN.match(name_or_arn)
    return match.group(3) if match else name_or_arn.split(":", 1)[0]


def register(app: LocalCognitoApp, name_or_arn: str, function: PythonFunction) -> None:
    with _registries_lock:
        _registries.setdefault(app, {})[function_name_of(name_or_arn)] = function


def _registered(app: LocalCognitoApp, name_or_arn: str) -> PythonFunction | None:
    with _registries_lock:
        return _registries.get(app, {}).get(function_name_of(name_or_arn))


@dataclass(frozen=True)
class Trigger:
    """One trigger invocation: which trigger (for messages), which function, on whose behalf."""

    name: str  # "UserMigration", "PostAuthentication"
    function: str  # name or ARN from LambdaConfig
    call: ApiCall


def invoke(app: LocalCognitoApp, trigger: Trigger, event: dict[str, Any]) -> dict[str, Any]:
    """Run the trigger's function on ``event``; its answer, or the CognitoError Cognito would give.

    Must not be called while holding ``app.moto_lock``: the function may call the local Cognito.
    """
    _refuse_under_lock(app)
    python_function = _registered(app, trigger.function)
    if python_function is not None:
        timeout = COGNITO_TRIGGER_TIMEOUT_SECONDS
        outcome = _run_in_process(python_function, event, function_name_of(trigger.function), timeout)
    else:
        zipped = _zip_function(app, trigger)
        timeout = min(COGNITO_TRIGGER_TIMEOUT_SECONDS, zipped.timeout)
        try:
            outcome = run_zip(
                zipped, event, endpoint_url=app.endpoint_url, region=_region_of(trigger), timeout=timeout
            )
        except InvalidCode as exc:
            raise CognitoError(UNAVAILABLE_CODE, f"{trigger.name}: {exc}") from exc
    if outcome.timed_out:
        raise CognitoError(ERROR_CODE, timeout_message(trigger.name, timeout))
    if not outcome.ok:
        raise CognitoError(ERROR_CODE, function_error_message(trigger.name, outcome.error_message or ""))
    if not isinstance(outcome.result, dict):
        # UNVERIFIED wording; Cognito needs the event back, with its response filled in.
        raise CognitoError(ERROR_CODE, f"Unrecognizable lambda output from {trigger.name}")
    return outcome.result


def _refuse_under_lock(app: LocalCognitoApp) -> None:
    is_owned = getattr(app.moto_lock, "_is_owned", None)
    if is_owned is not None and is_owned():
        # The function may call back into the server, which needs this lock: that would deadlock.
        raise RuntimeError("a trigger must not run while app.moto_lock is held")


def _region_of(trigger: Trigger) -> str:
    match = _ARN.match(trigger.function)
    return match.group(1) if match else trigger.call.region


def _zip_function(app: LocalCognitoApp, trigger: Trigger) -> ZipFunction:
    """A snapshot of the function from moto's Lambda backend, read under the lock."""
    match = _ARN.match(trigger.function)
    account, region = (
        (match.group(2), match.group(1)) if match else (trigger.call.account, trigger.call.region)
    )
    with app.moto_lock:
        try:
            function = lambda_backend(account, region).get_function(trigger.function)
        except Exception as exc:  # moto's UnknownFunctionException and friends
            raise CognitoError(
                UNAVAILABLE_CODE, f"{trigger.name}: function {trigger.function} not found"
            ) from exc
        snapshot = ZipFunction(
            name=str(function.function_name),
            arn=str(function.function_arn),
            handler=str(function.handler or ""),
            runtime=str(function.run_time or ""),
            timeout=float(function.timeout or 3),
            memory_size=int(function.memory_size or 128),
            environment={str(k): str(v) for k, v in (function.environment_vars or {}).items()},
            code=bytes(getattr(function, "code_bytes", b"") or b""),
            code_sha256=str(getattr(function, "code_sha_256", "")),
        )
    if not _SUPPORTED_RUNTIME.match(snapshot.runtime):
        # The local Cognito runs Python functions only (with its own interpreter, whatever minor
        # version the Runtime names).
        raise CognitoError(
            UNAVAILABLE_CODE, f"{trigger.name}: runtime {snapshot.runtime!r} is not supported locally"
        )
    if not snapshot.code:
        raise CognitoError(UNAVAILABLE_CODE, f"{trigger.name}: function {snapshot.name} has no zip code")
    return snapshot


class _Context:
    """The context a registered callable receives, like the one ``bootstrap.py`` builds."""

    def __init__(self, function_name: str, timeout: float) -> None:
        self.function_name = function_name
        self.function_version = "$LATEST"
        self.aws_request_id = str(uuid.uuid4())
        self.memory_limit_in_mb = "128"
        self._deadline = time.monotonic() + timeout

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self._deadline - time.monotonic()) * 1000))


def _run_in_process(function: PythonFunction, event: dict[str, Any], name: str, timeout: float) -> Outcome:
    """Call a registered callable on a copy of the event, in a thread so the time limit holds.

    A callable that overruns is abandoned, not stopped (threads cannot be killed); its answer is
    ignored.
    """
    box: dict[str, Outcome] = {}

    def run() -> None:
        try:
            box["outcome"] = Outcome(result=function(copy.deepcopy(event), _Context(name, timeout)))
        except Exception as exc:  # any error the function raises is its answer
            box["outcome"] = Outcome(error_type=type(exc).__name__, error_message=str(exc))

    worker = threading.Thread(target=run, name=f"trigger:{name}", daemon=True)
    worker.start()
    worker.join(timeout)
    return box.get("outcome", Outcome(timed_out=True))
