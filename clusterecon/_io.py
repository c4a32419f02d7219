"""Atomic file output and small I/O helpers shared by every layer.

Outputs are written to a temporary file in the destination directory and renamed over the target only when
complete, so an interrupted or failed write never leaves a half-written file and never destroys the previous
version.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import IO

from .errors import OutputError

__all__ = ["atomic_write", "write_bytes_atomic", "write_text_atomic", "sha256_file", "ensure_writable_dir"]


def ensure_writable_dir(path: str | os.PathLike[str]) -> Path:
    """Create ``path`` if needed and check that files can be created in it; raise :class:`OutputError` if not."""
    p = Path(path)
    try:
        p.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise OutputError(f"cannot create output directory {str(p)!r}: {exc.strerror or exc}") from exc
    if not p.is_dir():
        raise OutputError(f"output path {str(p)!r} exists and is not a directory")
    if not os.access(p, os.W_OK | os.X_OK):
        raise OutputError(f"output directory {str(p)!r} is not writable")
    return p


@contextlib.contextmanager
def atomic_write(path: str | os.PathLike[str], mode: str = "w", **kwargs) -> Iterator[IO]:
    """Open a temporary file beside ``path``; on success fsync and rename it onto ``path``.

    On any exception the temporary file is removed and the original ``path`` (if any) is untouched.
    """
    target = Path(path)
    ensure_writable_dir(target.parent)
    if "b" not in mode:
        kwargs.setdefault("encoding", "utf-8")
        kwargs.setdefault("newline", "\n")
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    except OSError as exc:
        raise OutputError(f"cannot write in {str(target.parent)!r}: {exc.strerror or exc}") from exc
    try:
        with os.fdopen(fd, mode, **kwargs) as fh:
            yield fh
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, target)
    except OSError as exc:
        _silent_unlink(tmp)
        if exc.errno == errno.ENOSPC:
            raise OutputError(f"disk full while writing {str(target)!r}; the previous version is untouched") from exc
        raise OutputError(f"could not write {str(target)!r}: {exc.strerror or exc}") from exc
    except BaseException:
        _silent_unlink(tmp)
        raise


def _silent_unlink(p: str) -> None:
    with contextlib.suppress(OSError):
        os.unlink(p)


def write_bytes_atomic(path: str | os.PathLike[str], data: bytes) -> Path:
    """Write ``data`` to ``path`` atomically and return the path."""
    with atomic_write(path, "wb") as fh:
        fh.write(data)
    return Path(path)


def write_text_atomic(path: str | os.PathLike[str], text: str) -> Path:
    """Write ``text`` (UTF-8, ``\\n`` line ends) to ``path`` atomically and return the path."""
    with atomic_write(path, "w") as fh:
        fh.write(text)
    return Path(path)


def sha256_file(path: str | os.PathLike[str], chunk: int = 1 << 20) -> str:
    """Hex SHA-256 of a file, read in chunks."""
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        while block := fh.read(chunk):
            h.update(block)
    return h.hexdigest()
