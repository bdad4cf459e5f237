"""Building the migrate-user function's deployment zip: the handler's modules and the wheels it needs.

``build_function_zip(target)`` writes a zip that holds, at its root:

- the ``cognito_migrate`` modules the handler imports, found by importing
  ``cognito_migrate.trigger.handler`` in a fresh interpreter and listing what it loaded (so a new
  import in the handler is picked up, and one that would pull in a dependency the zip does not carry,
  pydantic or SQLAlchemy say, fails the build instead of the function's cold start);
- the unpacked wheels of ``WHEELS`` (bcrypt, argon2-cffi with its bindings and cffi, libpass,
  cryptography for Firebase hashes, pg8000 and PyMySQL for SQL staging), fetched
  by ``pip download`` for the Lambda runtime's Python, CPU and glibc. boto3 is in the Lambda runtime
  and stays out.

Wheels are kept under ``~/.cache/cognito-migrate/wheels/<python>-<arch>-<glibc>/``: a later build with
the same pins reads them from there without asking the index. The zip is deterministic (sorted
entries, fixed timestamps, mode 0644), so the same inputs give the same SHA-256, which is what
``deploy_trigger`` compares to skip an unchanged upload.

UNVERIFIED: the zip has no ``.pyc`` files (they would have to be compiled by the runtime's Python),
so each cold start compiles the handler's modules; the wheels' integrity rests on pip and the index
(no pinned hashes).
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import subprocess
import sys
import tempfile
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

import cognito_migrate
from cognito_migrate.errors import ConfigError, RemoteError

HANDLER_MODULE = "cognito_migrate.trigger.handler"
# The handler's third-party dependencies, pinned so that rebuilding gives the same zip; --no-deps is
# passed to pip, so this list is the whole closure (cffi needs pycparser only to compile declarations,
# which the prebuilt argon2 bindings never do, but it is its declared dependency and small).
WHEELS = (
    "bcrypt==5.0.0",
    "argon2-cffi==25.1.0",
    "argon2-cffi-bindings==26.2.0",
    "cffi==2.1.1",
    "pycparser==3.12",
    "libpass==1.9.4",
    # Firebase's scrypt (AES-256-CTR); abi3 wheels, so one fits every runtime.
    "cryptography==50.0.2",
    # SQL staging's drivers, pure Python. python-dateutil 2.9 rather than 4.x, which brings tzdata.
    "pg8000==1.31.6",
    "scramp==1.5.0",
    "asn1crypto==1.5.1",
    "python-dateutil==2.9.0.post0",
    "six==1.17.0",
    "PyMySQL==1.2.4",
)
# Top-level import names those wheels provide: what the handler may import besides the standard library.
THIRD_PARTY_IMPORTS = frozenset(
    {
        "bcrypt",
        "argon2",
        "_argon2_cffi_bindings",
        "cffi",
        "_cffi_backend",
        "cryptography",
        "pg8000",
        "scramp",
        "asn1crypto",
        "dateutil",
        "six",
        "pymysql",
    }
)
ARCHITECTURES = {"x86_64": "x86_64", "arm64": "aarch64"}
# glibc of the runtime's OS: python3.11 runs on Amazon Linux 2 (2.26), 3.12 and later on AL2023 (2.34).
OLDEST_GLIBC_MINOR = 17  # manylinux2014
ZIP_TIMESTAMP = (1980, 1, 1, 0, 0, 0)  # the earliest a zip can record
FILE_MODE = 0o100644
DEFAULT_CACHE = Path.home() / ".cache" / "cognito-migrate" / "wheels"


class WheelDownloadError(RemoteError):
    """pip could not fetch a wheel for the function's platform (index unreachable, or no such wheel)."""


@dataclass(frozen=True)
class BuildResult:
    path: Path
    sha256: str
    size: int  # bytes of the zip
    runtime: str
    architecture: str
    modules: tuple[str, ...]  # cognito_migrate files in the zip, as zip paths
    wheels: tuple[str, ...]  # wheel file names unpacked into it
    entries: int


def build_function_zip(
    target: Path,
    *,
    runtime: str = "python3.12",
    architecture: str = "x86_64",
    cache_dir: Path | None = None,
) -> BuildResult:
    """Write the function's zip to ``target`` (replaced atomically) and describe it."""
    python_minor = _python_minor(runtime)
    machine = ARCHITECTURES.get(architecture)
    if machine is None:
        raise ConfigError(f"architecture must be one of {', '.join(ARCHITECTURES)}, not {architecture!r}")
    modules = handler_module_files()
    wheels = fetch_wheels(python_minor, machine, cache_dir or DEFAULT_CACHE)
    files: dict[str, bytes] = {}
    for name, path in modules.items():
        files[name] = path.read_bytes()
    for wheel in wheels:
        for name, data in _wheel_files(wheel):
            if name in files:
                raise ConfigError(f"{wheel.name} and another part of the function both hold {name}")
            files[name] = data
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, temporary = tempfile.mkstemp(prefix=f".{target.name}.", dir=target.parent)
    try:
        with os.fdopen(fd, "wb") as out:
            _write_zip(out, files)
        os.chmod(temporary, 0o644)
        os.replace(temporary, target)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    data = target.read_bytes()
    return BuildResult(
        path=target,
        sha256=hashlib.sha256(data).hexdigest(),
        size=len(data),
        runtime=runtime,
        architecture=architecture,
        modules=tuple(sorted(modules)),
        wheels=tuple(wheel.name for wheel in wheels),
        entries=len(files),
    )


def _python_minor(runtime: str) -> int:
    match = re.fullmatch(r"python3\.(\d+)", runtime)
    if match is None or int(match.group(1)) < 11:
        raise ConfigError(f"runtime must be a Lambda Python runtime from python3.11 on, not {runtime!r}")
    return int(match.group(1))


# ── the handler's own modules ───────────────────────────────────────────────────────────────────────

_TRACE = """
import json, sys
import cognito_migrate.trigger.handler
print(json.dumps({name: getattr(module, "__file__", None) for name, module in sys.modules.items()}))
"""


def handler_module_files() -> dict[str, Path]:
    """The ``cognito_migrate`` files a fresh import of the handler loads, keyed by their zip path.

    Raises ``ConfigError`` when that import loads a third-party module the zip would not carry.
    """
    root = Path(cognito_migrate.__file__).resolve().parent.parent
    env = {key: value for key, value in os.environ.items() if key != "PYTHONSTARTUP"}
    env["PYTHONPATH"] = os.pathsep.join([str(root), env.get("PYTHONPATH", "")]).rstrip(os.pathsep)
    # -S: no site-packages (the package's own directory is on PYTHONPATH), so nothing imported by a
    # .pth file counts as the handler's.
    done = subprocess.run(
        [sys.executable, "-S", "-c", _TRACE], capture_output=True, text=True, env=env, check=False
    )
    if done.returncode != 0:
        raise ConfigError(f"importing {HANDLER_MODULE} alone failed: {done.stderr.strip()[-2000:]}")
    loaded: dict[str, str | None] = json.loads(done.stdout)
    files: dict[str, Path] = {}
    foreign: set[str] = set()
    for name, file in loaded.items():
        top = name.partition(".")[0]
        if top == "cognito_migrate" and file:
            path = Path(file).resolve()
            files[path.relative_to(root).as_posix()] = path
        elif top not in sys.stdlib_module_names and top not in THIRD_PARTY_IMPORTS and top != "__main__":
            foreign.add(top)
    if foreign:
        raise ConfigError(
            f"{HANDLER_MODULE} imports {', '.join(sorted(foreign))}, which the function zip does not "
            "carry; import it lazily where it is used, or leave it out of the handler"
        )
    return files


# ── wheels ──────────────────────────────────────────────────────────────────────────────────────────


def _platforms(python_minor: int, machine: str) -> list[str]:
    newest = 26 if python_minor <= 11 else 34
    # Newest first: pip prefers the earlier tag when a release has several wheels.
    tags = [f"manylinux_2_{minor}_{machine}" for minor in range(newest, OLDEST_GLIBC_MINOR - 1, -1)]
    return [*tags, f"manylinux2014_{machine}"]


def _canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "_", name).lower()


def _cached(directory: Path, requirement: str) -> Path | None:
    name, _, version = requirement.partition("==")
    prefix = f"{_canonical(name)}-{version}-"
    found = sorted(p for p in directory.glob("*.whl") if _canonical_wheel(p.name).startswith(prefix))
    return found[0] if found else None


def _canonical_wheel(filename: str) -> str:
    name, _, rest = filename.partition("-")
    return f"{_canonical(name)}-{rest}"


def fetch_wheels(python_minor: int, machine: str, cache_dir: Path) -> list[Path]:
    """The wheels of ``WHEELS`` for CPython 3.``python_minor`` on manylinux ``machine``, cached."""
    platforms = _platforms(python_minor, machine)
    directory = cache_dir / f"cp3{python_minor}-{platforms[0]}"
    directory.mkdir(parents=True, exist_ok=True)
    missing = [requirement for requirement in WHEELS if _cached(directory, requirement) is None]
    if missing:
        _download(missing, python_minor, platforms, directory)
    wheels = []
    for requirement in WHEELS:
        wheel = _cached(directory, requirement)
        if wheel is None:
            raise WheelDownloadError(f"pip reported success but left no wheel for {requirement}")
        wheels.append(wheel)
    return wheels


def _download(requirements: list[str], python_minor: int, platforms: list[str], directory: Path) -> None:
    try:
        import pip  # noqa: F401 - only to say clearly that it is missing
    except ImportError as exc:
        raise ConfigError(f"building the function zip needs pip in {sys.executable}'s environment") from exc
    # Into a private directory first, then renamed: a concurrent build never sees half a wheel.
    with tempfile.TemporaryDirectory(prefix=".download-", dir=directory) as staging:
        command = [
            sys.executable,
            "-m",
            "pip",
            "download",
            "--quiet",
            "--disable-pip-version-check",
            "--no-deps",
            "--only-binary=:all:",
            "--implementation",
            "cp",
            "--python-version",
            f"3.{python_minor}",
            *[flag for platform in platforms for flag in ("--platform", platform)],
            "--dest",
            staging,
            *requirements,
        ]
        done = subprocess.run(command, capture_output=True, text=True, check=False)
        if done.returncode != 0:
            raise WheelDownloadError(
                f"pip could not download {', '.join(requirements)} for CPython 3.{python_minor} "
                f"({platforms[0]}): {done.stderr.strip()[-2000:]}",
                operation="pip download",
            )
        for wheel in Path(staging).glob("*.whl"):
            os.replace(wheel, directory / wheel.name)


def _wheel_files(wheel: Path) -> Iterator[tuple[str, bytes]]:
    """A wheel's files as installed into the zip root (``.data/purelib`` and ``platlib`` moved up)."""
    with zipfile.ZipFile(wheel) as archive:
        for info in archive.infolist():
            name = info.filename
            if info.is_dir() or "__pycache__/" in name:
                continue
            head, _, rest = name.partition("/")
            if head.endswith(".data"):
                scheme, _, inner = rest.partition("/")
                if scheme not in ("purelib", "platlib") or not inner:
                    continue  # scripts, headers, data files: nothing the function imports
                name = inner
            yield name, archive.read(info)


def _write_zip(out: BinaryIO, files: dict[str, bytes]) -> None:
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=6) as archive:
        for name in sorted(files):
            info = zipfile.ZipInfo(name, date_time=ZIP_TIMESTAMP)
            info.create_system = 3  # Unix, so that the mode below is read
            info.external_attr = FILE_MODE << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, files[name], compresslevel=6)
