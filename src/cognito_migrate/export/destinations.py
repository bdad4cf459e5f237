"""Where an export goes: a file, standard output, or an S3 object, written as the users stream in.

Each destination either ``commit``s (the export is whole and visible) or ``discard``s (nothing is left
that could pass for a backup):

- a file is written to a hidden ``.NAME.part`` beside it, created 0600 (personal data), and renamed
  over NAME only when complete, so an older export of the same name survives a failed one;
- standard output cannot be taken back: a failed export there ends where it failed (and one whose
  reader left, as ``| head`` does, is an error, not a traceback);
- S3 gets a multipart upload with server-side encryption (``aws:kms``), a part each time
  ``part_size`` bytes are buffered; a failure or Ctrl-C aborts the upload, and S3 then keeps no object
  and no parts. An export smaller than one part is a single PutObject at the end.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any, NoReturn, Protocol

from cognito_migrate.aws.errors import map_cognito_errors
from cognito_migrate.aws.session import AwsSettings
from cognito_migrate.errors import CognitoMigrateError, ConfigError, TerminalError

STDOUT = "-"
S3_SCHEME = "s3://"
# S3 takes parts of 5 MiB to 5 GiB (the last may be smaller), at most 10,000 of them: 8 MiB parts hold
# exports up to 78 GiB (a million users make about 1 GiB of JSON Lines), and one part is all the memory
# an export to S3 holds.
MIN_PART_SIZE = 5 * 1024 * 1024
DEFAULT_PART_SIZE = 8 * 1024 * 1024
MAX_PARTS = 10_000


class Destination(Protocol):
    description: str  # for the summary: a path, "standard output" or s3://bucket/key

    def write(self, data: bytes) -> None: ...

    def commit(self) -> None: ...

    def discard(self) -> None: ...


@dataclass
class Written:
    """What went out, counted on the way: the summary reports size and SHA-256 to check a copy by."""

    size: int = 0
    digest: Any = field(default_factory=hashlib.sha256)

    def add(self, data: bytes) -> None:
        self.size += len(data)
        self.digest.update(data)


class FileDestination:
    def __init__(self, path: Path) -> None:
        self.path = path
        self.description = str(path)
        if path.is_dir():
            raise ConfigError(f"--out {str(path)!r}: is a folder; give a file name")
        self._part = path.with_name(f".{path.name}.part")
        try:
            # O_EXCL: a .part left by another export running right now is not silently shared.
            fd = os.open(self._part, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError as exc:
            raise ConfigError(
                f"--out {str(path)!r}: {self._part} exists: another export to this file is running, or "
                "one was killed; remove it and run again"
            ) from exc
        except OSError as exc:
            raise ConfigError(f"--out {str(path)!r}: cannot be written ({exc.strerror})") from exc
        self._handle: IO[bytes] = os.fdopen(fd, "wb", buffering=1 << 20)

    def write(self, data: bytes) -> None:
        self._handle.write(data)

    def commit(self) -> None:
        self._handle.flush()
        os.fsync(self._handle.fileno())
        self._handle.close()
        os.replace(self._part, self.path)

    def discard(self) -> None:
        self._handle.close()
        self._part.unlink(missing_ok=True)


class StdoutDestination:
    description = "standard output"

    def __init__(self, stream: IO[bytes] | None = None) -> None:
        self._stream = stream if stream is not None else sys.stdout.buffer

    def write(self, data: bytes) -> None:
        try:
            self._stream.write(data)
        except BrokenPipeError as exc:
            self._closed_early(exc)

    def commit(self) -> None:
        try:
            self._stream.flush()
        except BrokenPipeError as exc:
            self._closed_early(exc)

    def discard(self) -> None:
        """Nothing to take back: what was written has been read."""

    def _closed_early(self, exc: BrokenPipeError) -> NoReturn:
        # `export --out - | head`: the reader left. Point stdout at /dev/null so that Python's own
        # flush at exit does not fail a second time, and say that the export is incomplete.
        with contextlib.suppress(OSError, ValueError):
            os.dup2(os.open(os.devnull, os.O_WRONLY), self._stream.fileno())
        raise CognitoMigrateError("standard output was closed before the export was complete") from exc


def parse_s3_url(url: str) -> tuple[str, str]:
    """``s3://bucket/key`` → (bucket, key); a ConfigError for anything else."""
    bucket, _, key = url.removeprefix(S3_SCHEME).partition("/")
    if not bucket or not key or key.endswith("/"):
        raise ConfigError(
            f"--out {url!r}: expected s3://BUCKET/KEY with an object name, e.g. s3://backups/pool.jsonl"
        )
    return bucket, key


class S3Destination:
    def __init__(
        self,
        url: str,
        settings: AwsSettings,
        *,
        content_type: str,
        kms_key_id: str | None = None,
        part_size: int = DEFAULT_PART_SIZE,
    ) -> None:
        if part_size < MIN_PART_SIZE:
            raise ValueError(f"S3 parts are at least {MIN_PART_SIZE} bytes")
        self.bucket, self.key = parse_s3_url(url)
        self.description = f"{S3_SCHEME}{self.bucket}/{self.key}"
        self.part_size = part_size
        self._s3 = settings.client("s3")
        self._object_args: dict[str, Any] = {
            "Bucket": self.bucket,
            "Key": self.key,
            "ContentType": content_type,
            "ServerSideEncryption": "aws:kms",
        }
        if kms_key_id:
            self._object_args["SSEKMSKeyId"] = kms_key_id
        self._buffer = bytearray()
        self._upload_id: str | None = None
        self._parts: list[dict[str, Any]] = []
        self._check_bucket()

    def _check_bucket(self) -> None:
        """Fail before the pool is read, with the reason, rather than after the first 8 MiB."""
        try:
            with map_cognito_errors("S3 HeadBucket"):
                self._s3.head_bucket(Bucket=self.bucket)
        except TerminalError as exc:
            reason = {
                "404": "no such bucket",
                "NoSuchBucket": "no such bucket",
                "403": "access denied (check the bucket policy and your credentials)",
            }.get(exc.code or "", str(exc))
            raise ConfigError(f"--out {self.description}: {reason}") from exc

    def write(self, data: bytes) -> None:
        self._buffer += data
        if len(self._buffer) >= self.part_size:
            self._upload_part(bytes(self._buffer[: self.part_size]))
            del self._buffer[: self.part_size]

    def _upload_part(self, body: bytes) -> None:
        if self._upload_id is None:
            with map_cognito_errors("S3 CreateMultipartUpload"):
                self._upload_id = self._s3.create_multipart_upload(**self._object_args)["UploadId"]
        number = len(self._parts) + 1
        if number > MAX_PARTS:
            raise TerminalError(f"--out {self.description}: the export needs more than {MAX_PARTS} S3 parts")
        with map_cognito_errors("S3 UploadPart"):
            answer = self._s3.upload_part(
                Bucket=self.bucket, Key=self.key, UploadId=self._upload_id, PartNumber=number, Body=body
            )
        self._parts.append({"PartNumber": number, "ETag": answer["ETag"]})

    def commit(self) -> None:
        if self._upload_id is None:  # smaller than one part
            with map_cognito_errors("S3 PutObject"):
                self._s3.put_object(Body=bytes(self._buffer), **self._object_args)
            return
        if self._buffer:
            self._upload_part(bytes(self._buffer))
            self._buffer.clear()
        with map_cognito_errors("S3 CompleteMultipartUpload"):
            self._s3.complete_multipart_upload(
                Bucket=self.bucket,
                Key=self.key,
                UploadId=self._upload_id,
                MultipartUpload={"Parts": self._parts},
            )

    def discard(self) -> None:
        """Abort the multipart upload: S3 deletes its parts and no object appears."""
        self._buffer.clear()
        if self._upload_id is not None:
            upload_id, self._upload_id = self._upload_id, None
            with map_cognito_errors("S3 AbortMultipartUpload"):
                self._s3.abort_multipart_upload(Bucket=self.bucket, Key=self.key, UploadId=upload_id)


def open_destination(
    out: str,
    settings: AwsSettings,
    *,
    content_type: str,
    kms_key_id: str | None = None,
    part_size: int = DEFAULT_PART_SIZE,
) -> Destination:
    """The destination ``--out`` names: ``-``, ``s3://bucket/key`` or a file path."""
    if out == STDOUT:
        return StdoutDestination()
    if out.startswith(S3_SCHEME):
        return S3Destination(
            out, settings, content_type=content_type, kms_key_id=kms_key_id, part_size=part_size
        )
    if kms_key_id:
        raise ConfigError("--kms-key-id: only for an export to s3://")
    return FileDestination(Path(out))
