"""Zip archives from untrusted sources: Deflate64 support, member-name checks, zip-bomb limits, integrity tests.

FAOSTAT's bulk files are zip archives; older ones are compressed with Deflate64 (method 9), which the standard
:mod:`zipfile` cannot read.  The ``zipfile-deflate64`` package adds it; when that package is missing, a Deflate64
member raises :class:`~clusterecon.errors.ParseError` saying so instead of a bare ``NotImplementedError``.

Every archive is checked before anything is read from it:

* member names must be relative paths without ``..`` components, drive letters or backslashes ("zip slip");
* the declared uncompressed sizes must be plausible: the total below ``max_total_bytes`` and, for members larger
  than 64 MiB, a compression ratio below ``max_ratio`` (zip bombs).  :mod:`zipfile` never returns more bytes than a
  member declares, so the declared size bounds what a read can produce.

Example
-------
>>> import io, zipfile
>>> buf = io.BytesIO()
>>> with zipfile.ZipFile(buf, "w") as zf:
...     zf.writestr("data.csv", "a,b\\n1,2\\n")
>>> _ = buf.seek(0)
>>> with open_zip(buf) as zf:
...     zf.read("data.csv")
b'a,b\\n1,2\\n'
>>> is_safe_member_name("../etc/passwd")
False
"""

from __future__ import annotations

import os
import shutil
import zipfile
import zlib
from collections.abc import Iterable
from pathlib import Path, PurePosixPath
from typing import IO

from ...errors import ParseError

__all__ = [
    "DEFLATE64",
    "MAX_TOTAL_BYTES",
    "MAX_RATIO",
    "is_safe_member_name",
    "open_zip",
    "check_zip",
    "verify_zip",
    "safe_extract",
]

DEFLATE64 = 9
MAX_TOTAL_BYTES = 64 * 1024**3  # 64 GiB: the detailed trade matrix unzips to about 8.5 GB
MAX_RATIO = 2000  # plain-text CSV compresses 10-50:1; a zip bomb reaches 1000:1 and more
_RATIO_FLOOR = 64 * 1024**2  # the ratio limit applies to members larger than this (module-level: tests lower it)


def _deflate64_support() -> bool:
    """Import ``zipfile_deflate64`` (which teaches :mod:`zipfile` method 9); False when it is not installed."""
    try:
        import zipfile_deflate64  # noqa: F401  (patches zipfile on import)
    except ImportError:  # pragma: no cover - the package is a declared dependency
        return False
    return True


def is_safe_member_name(name: str) -> bool:
    """True when ``name`` is a relative member path that stays inside the extraction directory."""
    if not name or "\x00" in name or "\\" in name:
        return False
    if name.startswith("/") or (len(name) >= 2 and name[1] == ":"):
        return False
    parts = PurePosixPath(name).parts
    return ".." not in parts


def check_zip(
    zf: zipfile.ZipFile,
    *,
    path: object = None,
    max_total_bytes: int = MAX_TOTAL_BYTES,
    max_ratio: float = MAX_RATIO,
) -> None:
    """Refuse unsafe member names, absurd declared sizes and (without ``zipfile-deflate64``) Deflate64 members."""
    where = path if path is not None else getattr(zf, "filename", None)
    total = 0
    for info in zf.infolist():
        if not is_safe_member_name(info.filename):
            raise ParseError(
                f"archive member {info.filename!r} has an absolute or '..' path; refusing to read the archive",
                path=where,
            )
        total += info.file_size
        if info.file_size > _RATIO_FLOOR and info.file_size > max_ratio * max(info.compress_size, 1):
            raise ParseError(
                f"archive member {info.filename!r} declares {info.file_size} bytes from {info.compress_size} "
                f"compressed (ratio above {max_ratio}): refusing a probable zip bomb",
                path=where,
            )
        if info.compress_type == DEFLATE64 and not _deflate64_support():
            raise ParseError(
                f"archive member {info.filename!r} is compressed with Deflate64 (method 9), which Python's zipfile "
                "cannot read; install the 'zipfile-deflate64' package",
                path=where,
            )
    if total > max_total_bytes:
        raise ParseError(
            f"archive declares {total} uncompressed bytes, above the limit of {max_total_bytes}: refusing a "
            "probable zip bomb",
            path=where,
        )


def open_zip(source: str | os.PathLike[str] | IO[bytes], **limits) -> zipfile.ZipFile:
    """Open a zip archive (Deflate64 allowed) and run :func:`check_zip` on it.

    Raises :class:`ParseError` naming the file when it is not a zip archive, is truncated, or fails the checks.
    """
    _deflate64_support()
    where = source if isinstance(source, str | os.PathLike) else getattr(source, "name", "<stream>")
    try:
        zf = zipfile.ZipFile(source)
    except (zipfile.BadZipFile, EOFError, OSError) as exc:
        raise ParseError(f"not a readable zip archive: {exc}", path=where) from exc
    try:
        check_zip(zf, path=where, **limits)
    except BaseException:
        zf.close()
        raise
    return zf


def verify_zip(source: str | os.PathLike[str] | IO[bytes], **limits) -> list[str]:
    """Open, check and CRC-test every member (decompressing it in a stream); return the member names.

    Raises :class:`ParseError` naming the first corrupted member.
    """
    with open_zip(source, **limits) as zf:
        for info in zf.infolist():
            try:
                with zf.open(info) as fh:
                    while fh.read(1 << 20):
                        pass
            except (zipfile.BadZipFile, EOFError, OSError, NotImplementedError, zlib.error) as exc:
                raise ParseError(f"archive member {info.filename!r} is corrupted: {exc}", path=zf.filename) from exc
        return zf.namelist()


def safe_extract(
    source: str | os.PathLike[str],
    dest: str | os.PathLike[str],
    members: Iterable[str] | None = None,
    **limits,
) -> list[Path]:
    """Extract ``members`` (default: all) of a checked archive into ``dest``; return the written paths.

    Refuses the whole archive (writing nothing) if any member name is absolute or contains ``..``, or if the
    declared sizes are absurd.  Each member is written to a temporary name and renamed when complete.
    """
    dest_dir = Path(dest).resolve()
    dest_dir.mkdir(parents=True, exist_ok=True)
    out: list[Path] = []
    with open_zip(source, **limits) as zf:
        names = zf.namelist() if members is None else list(members)
        for name in names:
            target = (dest_dir / name).resolve()
            if dest_dir not in target.parents:  # defence in depth; check_zip already refused such names
                raise ParseError(f"archive member {name!r} would be written outside {dest_dir}", path=source)
            if name.endswith("/"):
                target.mkdir(parents=True, exist_ok=True)
                continue
            target.parent.mkdir(parents=True, exist_ok=True)
            tmp = target.with_name(f".{target.name}.part")
            try:
                with zf.open(name) as src, open(tmp, "wb") as dst:
                    shutil.copyfileobj(src, dst, 1 << 20)
                os.replace(tmp, target)
            except (zipfile.BadZipFile, EOFError, NotImplementedError, zlib.error) as exc:
                tmp.unlink(missing_ok=True)
                raise ParseError(f"archive member {name!r} is corrupted: {exc}", path=source) from exc
            except BaseException:
                tmp.unlink(missing_ok=True)
                raise
            out.append(target)
    return out
