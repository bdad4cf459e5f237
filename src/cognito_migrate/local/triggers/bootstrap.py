"""The child side of a trigger invocation: a tiny stand-in for Lambda's Python runtime.

Run as a script by ``runner.py`` (``python -I -B bootstrap.py``; ``-I`` keeps this file's directory
off ``sys.path``, so a handler module named ``events`` or ``runner`` is the function's own). It reads
the event as JSON on stdin, imports the handler named in ``_HANDLER`` from the function's code
(``PYTHONPATH`` first, then the interpreter's own packages, boto3 included as in Lambda), calls it
and writes one JSON object on the original stdout: ``{"result": ...}`` or
``{"errorType": ..., "errorMessage": ...}``. Whatever the handler prints goes to stderr, which the
parent discards: it may contain the event, and the event may contain a password.

Standard library only, and nothing from cognito_migrate: it must start fast and import cleanly.
"""

from __future__ import annotations

import importlib
import json
import os
import sys
import time
from typing import Any

_STARTED = time.monotonic()


class LambdaContext:
    """The parts of Lambda's context object that handlers commonly use."""

    def __init__(self, request_id: str, timeout_seconds: float) -> None:
        self.function_name = os.environ.get("AWS_LAMBDA_FUNCTION_NAME", "")
        self.function_version = os.environ.get("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST")
        self.invoked_function_arn = os.environ.get("LOCAL_LAMBDA_FUNCTION_ARN", "")
        self.memory_limit_in_mb = os.environ.get("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "128")
        self.aws_request_id = request_id
        self.log_group_name = os.environ.get("AWS_LAMBDA_LOG_GROUP_NAME", "")
        self.log_stream_name = os.environ.get("AWS_LAMBDA_LOG_STREAM_NAME", "")
        self._deadline = _STARTED + timeout_seconds

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self._deadline - time.monotonic()) * 1000))


def _error(error_type: str, message: str) -> dict[str, Any]:
    return {"errorType": error_type, "errorMessage": message}


def _load_handler() -> Any:
    spec = os.environ.get("_HANDLER", "")
    module_name, _, function_name = spec.rpartition(".")
    if not module_name or not function_name:
        raise _HandlerProblem("Runtime.MalformedHandlerName", f"Bad handler '{spec}': not enough values")
    try:
        module = importlib.import_module(module_name.replace("/", "."))
    except Exception as exc:  # the message is what Lambda's runtime reports
        raise _HandlerProblem(
            "Runtime.ImportModuleError", f"Unable to import module '{module_name}': {exc}"
        ) from exc
    handler = getattr(module, function_name, None)
    if handler is None:
        raise _HandlerProblem(
            "Runtime.HandlerNotFound", f"Handler '{function_name}' missing on module '{module_name}'"
        )
    return handler


class _HandlerProblem(Exception):
    def __init__(self, error_type: str, message: str) -> None:
        super().__init__(message)
        self.error_type = error_type


def _invoke(raw_event: bytes, request_id: str, timeout_seconds: float) -> dict[str, Any]:
    try:
        event = json.loads(raw_event)
    except ValueError:
        return _error("Runtime.UnmarshalError", "the event is not valid JSON")
    try:
        handler = _load_handler()
        result = handler(event, LambdaContext(request_id, timeout_seconds))
    except _HandlerProblem as exc:
        return _error(exc.error_type, str(exc))
    except Exception as exc:  # any error the function raises is its answer
        return _error(type(exc).__name__, str(exc))
    try:
        json.dumps(result)
    except (TypeError, ValueError) as exc:
        return _error("Runtime.MarshalError", f"Unable to marshal response: {exc}")
    return {"result": result}


def main() -> None:
    request_id, timeout_seconds = sys.argv[1], float(sys.argv[2])
    # The function's own code first, as Lambda puts /var/task first; -I ignored PYTHONPATH itself.
    paths = [path for path in os.environ.get("PYTHONPATH", "").split(os.pathsep) if path]
    sys.path[:0] = paths
    raw_event = sys.stdin.buffer.read()
    # Keep the real stdout for the answer; the handler's prints go to stderr instead.
    answer = os.fdopen(os.dup(1), "w", encoding="utf-8")
    os.dup2(2, 1)
    sys.stdout = sys.stderr
    outcome = _invoke(raw_event, request_id, timeout_seconds)
    answer.write(json.dumps(outcome))
    answer.flush()


if __name__ == "__main__":
    main()
