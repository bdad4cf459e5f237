"""The pre-signed S3 URL an import job's file is PUT to, served by the local Cognito itself.

The URL looks like the S3 URL Cognito hands out (SigV4 query parameters, ``host`` and
``x-amz-server-side-encryption`` among the signed headers, 15 minutes of validity) and fails the way S3
fails: 403 ``SignatureDoesNotMatch`` when the KMS header is missing or wrong or the URL was changed,
403 ``AccessDenied`` "Request has expired" after 15 minutes. The signature is an HMAC of the URL's
path and validity with a secret kept in the server's state.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlencode
from xml.sax.saxutils import escape

from cognito_migrate.local.wire import RawRequest, Reply

# S3's bucket for Cognito's import files is per Region and not the user's; this one is the emulator's.
UPLOAD_BUCKET = "local-cognito-user-import-jobs"
UPLOAD_PATH_PREFIX = f"/{UPLOAD_BUCKET}/"
URL_VALIDITY = timedelta(minutes=15)
REQUIRED_ENCRYPTION = "aws:kms"
_SIGNED_HEADERS = "host;x-amz-server-side-encryption"
_AMZ_DATE = "%Y%m%dT%H%M%SZ"


def upload_path(account: str, pool_id: str, job_id: str) -> str:
    return f"{UPLOAD_PATH_PREFIX}{account}/{pool_id}/{job_id}"


def presign(secret: bytes, endpoint_url: str, account: str, pool_id: str, job_id: str, now: datetime) -> str:
    path = upload_path(account, pool_id, job_id)
    amz_date = now.astimezone(UTC).strftime(_AMZ_DATE)
    expires = str(int(URL_VALIDITY.total_seconds()))
    region = pool_id.split("_", 1)[0]  # pool ids start with their Region
    credential = f"LOCALCOGNITO/{amz_date[:8]}/{region}/s3/aws4_request"
    query = {
        "X-Amz-Algorithm": "AWS4-HMAC-SHA256",
        "X-Amz-Date": amz_date,
        "X-Amz-SignedHeaders": _SIGNED_HEADERS,
        "X-Amz-Expires": expires,
        "X-Amz-Credential": credential,
        "X-Amz-Signature": _signature(secret, path, amz_date, expires, credential),
    }
    return f"{endpoint_url}{path}?{urlencode(query)}"


def _signature(secret: bytes, path: str, amz_date: str, expires: str, credential: str) -> str:
    message = "\n".join(("PUT", path, amz_date, expires, credential, _SIGNED_HEADERS, REQUIRED_ENCRYPTION))
    return hmac.new(secret, message.encode(), hashlib.sha256).hexdigest()


def upload_route(
    secret: Callable[[], bytes], clock: Callable[[], datetime], receive: Callable[[str, bytes], bool]
) -> Callable[[RawRequest], Reply]:
    """The route handler: ``receive(job_id, data)`` stores the file, False when no such job exists."""

    def handle(request: RawRequest) -> Reply:
        query = {key: values[0] for key, values in parse_qs(request.query).items()}
        amz_date, expires = query.get("X-Amz-Date", ""), query.get("X-Amz-Expires", "")
        try:
            signed_at = datetime.strptime(amz_date, _AMZ_DATE).replace(tzinfo=UTC)
            valid_for = timedelta(seconds=int(expires))
        except ValueError:
            return _signature_mismatch()
        now = clock()
        if now > signed_at + valid_for:
            return _s3_error(403, "AccessDenied", "Request has expired", {
                "X-Amz-Expires": expires,
                "Expires": (signed_at + valid_for).strftime("%Y-%m-%dT%H:%M:%SZ"),
                "ServerTime": now.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            })  # fmt: skip
        expected = _signature(secret(), request.path, amz_date, expires, query.get("X-Amz-Credential", ""))
        signature_ok = hmac.compare_digest(expected, query.get("X-Amz-Signature", ""))
        # The KMS header is one of the signed headers: S3 reports its absence as a bad signature.
        header_ok = request.headers.get("x-amz-server-side-encryption") == REQUIRED_ENCRYPTION
        if request.method != "PUT" or not signature_ok or not header_ok:
            return _signature_mismatch()
        if not receive(request.path.rsplit("/", 1)[-1], request.body):
            return _s3_error(404, "NoSuchBucket", "The specified bucket does not exist")
        etag = hashlib.md5(request.body, usedforsecurity=False).hexdigest()
        return Reply(200, [("ETag", f'"{etag}"'), ("x-amz-server-side-encryption", REQUIRED_ENCRYPTION)], b"")

    return handle


def _signature_mismatch() -> Reply:
    return _s3_error(403, "SignatureDoesNotMatch",
                     "The request signature we calculated does not match the signature you provided. "
                     "Check your key and signing method.")  # fmt: skip


def _s3_error(status: int, code: str, message: str, extra: dict[str, str] | None = None) -> Reply:
    fields = "".join(f"<{name}>{escape(value)}</{name}>" for name, value in (extra or {}).items())
    request_id = secrets.token_hex(8).upper()
    body = (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f"<Error><Code>{code}</Code><Message>{escape(message)}</Message>{fields}"
        f"<RequestId>{request_id}</RequestId><HostId>{request_id}</HostId></Error>"
    )
    headers = [("Content-Type", "application/xml"), ("x-amz-request-id", request_id)]
    return Reply(status, headers, body.encode())
