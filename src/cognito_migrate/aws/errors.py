"""The one boundary where botocore's errors become the project's transient or terminal errors."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from cognito_migrate.errors import RemoteError, TerminalError, TransientError

# Codes worth retrying later. Throttling outlives botocore's own retries when a quota is shared with
# other tools in the account; InternalErrorException is Cognito's 5xx.
TRANSIENT_CODES = frozenset(
    {
        "TooManyRequestsException",
        "ThrottlingException",
        "Throttling",
        "RequestLimitExceeded",
        "InternalErrorException",
        "InternalFailure",
        "ServiceUnavailable",
        "ServiceUnavailableException",
        "RequestTimeout",
        "RequestTimeoutException",
    }
)


@contextmanager
def map_cognito_errors(operation: str | None = None) -> Iterator[None]:
    """Turn botocore exceptions raised inside the block into ``TransientError`` / ``TerminalError``.

    >>> with map_cognito_errors("AdminCreateUser"):          # doctest: +SKIP
    ...     idp.admin_create_user(...)
    """
    import botocore.exceptions as bce

    try:
        yield
    except bce.ClientError as exc:
        error = exc.response.get("Error", {})
        code = error.get("Code", "Unknown")
        status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0)
        op = operation or exc.operation_name
        message = f"{op}: {code}: {error.get('Message', '')}".rstrip(": ")
        kind: type[RemoteError] = (
            TransientError if code in TRANSIENT_CODES or status >= 500 else TerminalError
        )
        raise kind(message, code=code, operation=op) from exc
    except (
        bce.EndpointConnectionError,
        bce.ConnectionClosedError,
        bce.ReadTimeoutError,
        bce.ConnectTimeoutError,
    ) as exc:
        raise TransientError(f"{operation or 'request'}: {exc}", operation=operation) from exc
    except (bce.NoCredentialsError, bce.PartialCredentialsError) as exc:
        raise TerminalError(
            f"{operation or 'request'}: no AWS credentials found: use --profile, AWS_PROFILE or "
            "AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY",
            operation=operation,
        ) from exc
