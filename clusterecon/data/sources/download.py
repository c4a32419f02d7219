"""Downloads with pooch: pinned checksums, a user cache, retries, offline mode and mirrors.

Environment variables
---------------------
``CLUSTERECON_CACHE``
    Cache directory (default: the user cache directory from :mod:`platformdirs`, e.g. ``~/.cache/clusterecon``).
``CLUSTERECON_OFFLINE=1``
    Forbid every network access.  Cached files and a mirror *directory* still work; anything else raises
    :class:`~clusterecon.errors.DownloadError`.
``CLUSTERECON_DATA_MIRROR``
    A directory or a base URL that replaces the official hosts: a file named ``NAME`` is looked up as
    ``MIRROR/NAME`` (any of the file's known aliases also matches).  A directory mirror is read in place (checked
    like a download, not copied); a URL mirror is downloaded into the cache exactly like the official host.

Guarantees
----------
* A file enters the cache only after it has been downloaded completely, its SHA-256 matches the pinned value (when
  one is pinned) and, for zip archives, every member passed its CRC test and the member names and sizes passed
  :func:`~clusterecon.data.sources.archives.check_zip`.  Downloads go to a staging directory inside the cache and
  are renamed into place, so a truncated, corrupted or wrong-checksum download never poisons the cache.
* Files that their publisher replaces in place (FAOSTAT's bulk zips) cannot be pinned; their registry entries say so
  explicitly (``unpinned_reason``) and the SHA-256 actually obtained is recorded in the provenance, so a manifest can
  still name the exact bytes used.  A caller can pin any file with ``sha256=...``.
* Request headers (for example an API key) are passed to the HTTP client only; they are never logged, cached or
  included in error messages.

Example
-------
>>> import os, tempfile
>>> from pathlib import Path
>>> d = Path(tempfile.mkdtemp())
>>> _ = (d / "hello.txt").write_text("hi")
>>> rf = RemoteFile("hello.txt", "https://example.invalid/hello.txt", unpinned_reason="doctest")
>>> res = fetch(rf, mirror=str(d), cache=d / "cache", offline=True)
>>> res.origin, res.size
('mirror', 2)
"""

from __future__ import annotations

import contextlib
import datetime as _dt
import hashlib
import json
import logging
import os
import re
import shutil
import sys
import tempfile
import urllib.parse
from dataclasses import asdict, dataclass, field
from pathlib import Path

from ..._io import sha256_file, write_text_atomic
from ...errors import ClusterEconError, DownloadError, ParseError, SpecificationError
from .archives import verify_zip

__all__ = [
    "ENV_CACHE",
    "ENV_OFFLINE",
    "ENV_MIRROR",
    "RemoteFile",
    "FetchResult",
    "cache_dir",
    "is_offline",
    "mirror_location",
    "fetch",
    "cached",
]

ENV_CACHE = "CLUSTERECON_CACHE"
ENV_OFFLINE = "CLUSTERECON_OFFLINE"
ENV_MIRROR = "CLUSTERECON_DATA_MIRROR"

_log = logging.getLogger(__name__)
_HEX64 = re.compile(r"^[0-9a-f]{64}$")
_UNSET: object = object()


def cache_dir(path: str | os.PathLike[str] | None = None) -> Path:
    """The cache root: ``path`` if given, else ``$CLUSTERECON_CACHE``, else the user cache directory."""
    if path is not None:
        return Path(path)
    env = os.environ.get(ENV_CACHE)
    if env:
        return Path(env).expanduser()
    import platformdirs

    return Path(platformdirs.user_cache_dir("clusterecon"))


def is_offline(offline: bool | None = None) -> bool:
    """True when the network is forbidden (argument, else ``CLUSTERECON_OFFLINE`` set to 1/true/yes)."""
    if offline is not None:
        return bool(offline)
    return os.environ.get(ENV_OFFLINE, "").strip().lower() in {"1", "true", "yes", "on"}


def mirror_location(mirror: str | None | object = _UNSET) -> str | None:
    """The mirror in force: the argument if given (``None`` = no mirror), else ``$CLUSTERECON_DATA_MIRROR``."""
    if mirror is _UNSET:
        mirror = os.environ.get(ENV_MIRROR) or None
    return None if not mirror else str(mirror)


def _is_url(location: str) -> bool:
    return urllib.parse.urlsplit(location).scheme in {"http", "https", "ftp"}


def _redact_url(url: str) -> str:
    """Drop user info and the query string (which may carry credentials) from a URL for messages and records."""
    parts = urllib.parse.urlsplit(url)
    netloc = parts.hostname or ""
    if parts.port:
        netloc += f":{parts.port}"
    return urllib.parse.urlunsplit((parts.scheme, netloc, parts.path, "", ""))


@dataclass(frozen=True)
class RemoteFile:
    """A published file: its name, official URL, and pinned SHA-256 (or the stated reason it cannot be pinned).

    Parameters
    ----------
    name : str
        File name in the cache and on mirrors.
    url : str
        Official download URL.
    sha256 : str, optional
        Pinned lower-case hex SHA-256.  Omit only together with ``unpinned_reason`` (the explicit opt-out).
    unpinned_reason : str, optional
        Why no checksum is pinned (e.g. "FAO replaces the bulk file in place at each release").
    aliases : tuple of str
        Other names the same file has been published under (looked up on mirrors).
    subdir : str
        Sub-directory of the cache.
    """

    name: str
    url: str
    sha256: str | None = None
    unpinned_reason: str | None = None
    aliases: tuple[str, ...] = ()
    subdir: str = "downloads"

    def __post_init__(self) -> None:
        if self.sha256 is None and not self.unpinned_reason:
            raise SpecificationError(
                f"{self.name}: give a pinned sha256 or an explicit unpinned_reason (the checksum opt-out)"
            )
        if self.sha256 is not None and not _HEX64.match(self.sha256):
            raise SpecificationError(f"{self.name}: sha256 must be 64 lower-case hex digits, got {self.sha256!r}")
        if not self.name or "/" in self.name or self.name.startswith("."):
            raise SpecificationError(f"bad file name {self.name!r}")

    @property
    def names(self) -> tuple[str, ...]:
        return (self.name, *self.aliases)


@dataclass(frozen=True)
class FetchResult:
    """Where a file came from: its local path, SHA-256, size and origin (``cache``, ``mirror`` or ``download``).

    ``source`` is the mirror directory, mirror URL or official URL it was obtained from (URLs without credentials
    or query strings); ``pinned`` says whether its checksum was verified against a pinned value.
    """

    path: Path
    name: str
    sha256: str
    size: int
    origin: str
    source: str
    pinned: bool
    retrieved_at: str
    unpinned_reason: str | None = None
    extra: dict = field(default_factory=dict)

    def to_dict(self) -> dict:
        d = asdict(self)
        d["path"] = str(self.path)
        return d


def _now() -> str:
    return _dt.datetime.now(_dt.UTC).replace(microsecond=0).isoformat()


def _sidecar(path: Path) -> Path:
    return path.with_name(path.name + ".provenance.json")


def _validate_file(path: Path, name: str, expected: str | None, validate=None) -> str:
    """SHA-256 of ``path`` after checking it against ``expected``, testing a zip archive, and ``validate(path)``."""
    digest = sha256_file(path)
    if expected is not None and digest != expected:
        raise DownloadError(f"{name}: SHA-256 {digest} does not match the pinned {expected}")
    try:
        if name.lower().endswith(".zip"):
            verify_zip(path)
        if validate is not None:
            validate(path)
    except ParseError as exc:
        raise DownloadError(f"{name}: corrupted or unsafe file: {exc}") from exc
    return digest


def cached(remote: RemoteFile, *, cache: str | os.PathLike[str] | None = None, sha256: str | None = None):
    """The cached copy of ``remote`` as a :class:`FetchResult`, or ``None`` if absent or not matching the pin."""
    expected = sha256 if sha256 is not None else remote.sha256
    target = cache_dir(cache) / remote.subdir / remote.name
    if not target.is_file():
        return None
    meta: dict = {}
    with contextlib.suppress(OSError, ValueError):
        meta = json.loads(_sidecar(target).read_text(encoding="utf-8"))
    size = target.stat().st_size
    digest = meta.get("sha256") if meta.get("size") == size else None
    if digest is None:
        digest = sha256_file(target)
    if expected is not None and digest != expected:
        return None
    return FetchResult(
        path=target,
        name=remote.name,
        sha256=digest,
        size=size,
        origin="cache",
        source=str(meta.get("source", target)),
        pinned=expected is not None,
        retrieved_at=str(meta.get("retrieved_at", "")),
        unpinned_reason=None if expected is not None else remote.unpinned_reason,
        extra={"cached_origin": meta.get("origin")},
    )


class _ClientError(Exception):
    """An HTTP 4xx answer (other than 408/429): retrying cannot help, so it bypasses pooch's retry loop."""

    def __init__(self, status: int):
        super().__init__(status)
        self.status = status


class _Downloader:
    """pooch's HTTPDownloader, except that client errors (404, 401, ...) are not retried."""

    def __init__(self, progressbar: bool, **kwargs):
        import pooch

        self.inner = pooch.HTTPDownloader(progressbar=progressbar, **kwargs)

    def __call__(self, url, output_file, pooch_obj, check_only=False):
        import requests

        try:
            return self.inner(url, output_file, pooch_obj, check_only=check_only)
        except requests.exceptions.HTTPError as exc:
            status = exc.response.status_code if exc.response is not None else 0
            if 400 <= status < 500 and status not in (408, 429):
                raise _ClientError(status) from None
            raise


def _download(url: str, name: str, staging: Path, expected: str | None, *, retries: int, timeout,
              progressbar: bool, headers: dict | None) -> Path:
    """Download ``url`` into ``staging/name`` with pooch (checksum, retries); raise DownloadError on failure."""
    import pooch
    import requests

    kwargs: dict = {"timeout": timeout}
    if headers:
        kwargs["headers"] = dict(headers)
    downloader = _Downloader(progressbar, **kwargs)
    registry_hash = None if expected is None else f"sha256:{expected}"
    p = pooch.create(path=staging, base_url="", registry={name: registry_hash}, urls={name: url},
                     retry_if_failed=retries, allow_updates=True)
    shown = _redact_url(url)
    logger = pooch.get_logger()
    level = logger.level
    logger.setLevel(logging.WARNING)  # pooch logs full URLs at INFO level; ours are logged redacted below
    try:
        _log.info("downloading %s from %s", name, shown)
        return Path(p.fetch(name, downloader=downloader, progressbar=progressbar))
    except _ClientError as exc:
        raise DownloadError(f"{name}: HTTP {exc.status} from {shown}") from None
    except requests.exceptions.HTTPError as exc:
        status = exc.response.status_code if exc.response is not None else "?"
        raise DownloadError(f"{name}: HTTP {status} from {shown} (attempts: {retries + 1})") from None
    except requests.exceptions.RequestException as exc:
        raise DownloadError(
            f"{name}: download from {shown} failed or was cut off (attempts: {retries + 1}): "
            f"{type(exc).__name__}"
        ) from None
    except ValueError as exc:  # pooch's checksum mismatch
        if "hash" in str(exc).lower():
            raise DownloadError(
                f"{name}: the file from {shown} does not match the pinned SHA-256 {expected} "
                f"(attempts: {retries + 1}); nothing was cached"
            ) from None
        raise DownloadError(f"{name}: download from {shown} failed: {exc}") from None
    except OSError as exc:
        raise DownloadError(f"{name}: could not write the download: {exc}") from None
    finally:
        logger.setLevel(level)


def fetch(
    remote: RemoteFile,
    *,
    sha256: str | None = None,
    cache: str | os.PathLike[str] | None = None,
    offline: bool | None = None,
    mirror: str | None | object = _UNSET,
    retries: int = 2,
    timeout: float | tuple[float, float] = (15.0, 60.0),
    progressbar: bool | None = None,
    headers: dict | None = None,
    refresh: bool = False,
    use_cache: bool = True,
    validate=None,
) -> FetchResult:
    """Obtain ``remote``: from the cache, else from the mirror, else from its official URL (unless offline).

    Parameters
    ----------
    remote : RemoteFile
        What to fetch.
    sha256 : str, optional
        Pin (or re-pin) the expected SHA-256 for this call.
    cache : path, optional
        Cache root (default :func:`cache_dir`).
    offline : bool, optional
        Forbid the network (default: ``$CLUSTERECON_OFFLINE``).
    mirror : str or None, optional
        Mirror directory or base URL (default: ``$CLUSTERECON_DATA_MIRROR``); ``None`` disables the mirror.
    retries : int
        Extra download attempts after a failure (HTTP error, cut-off transfer, checksum mismatch).
    timeout : float or (float, float)
        Seconds before a connection attempt, or a stalled transfer, fails (``(connect, read)``).
    progressbar : bool, optional
        Show a tqdm progress bar (default: when stderr is a terminal).
    headers : dict, optional
        Extra HTTP headers (e.g. an API key); never logged, cached or shown in errors.
    refresh : bool
        Ignore a cached copy and fetch again (the old copy stays until the new one is verified).
    use_cache : bool
        Look in the cache first.
    validate : callable, optional
        ``validate(path)`` runs on a fresh download before it enters the cache; a
        :class:`~clusterecon.errors.ParseError` from it rejects the file.

    Returns
    -------
    FetchResult

    Raises
    ------
    DownloadError
        Offline with nothing cached, file absent from the mirror, HTTP error, truncated or corrupted transfer,
        checksum mismatch, or an unsafe archive.  The cache is never left holding a bad file.
    """
    expected = sha256 if sha256 is not None else remote.sha256
    if expected is not None and not _HEX64.match(expected):
        raise SpecificationError(f"sha256 must be 64 lower-case hex digits, got {expected!r}")
    root = cache_dir(cache)
    if use_cache and not refresh:
        hit = cached(remote, cache=root, sha256=expected)
        if hit is not None:
            return hit
    where = mirror_location(mirror)
    if where is not None and not _is_url(where):
        return _from_mirror_dir(remote, Path(where).expanduser(), expected, validate, root)
    if is_offline(offline):
        raise DownloadError(
            f"{remote.name}: offline ({ENV_OFFLINE}=1) and not in the cache at {root / remote.subdir}; set "
            f"{ENV_MIRROR} to a directory holding it, or allow the network"
        )
    if progressbar is None:
        progressbar = bool(getattr(sys.stderr, "isatty", lambda: False)())
    if progressbar:
        try:
            import tqdm  # noqa: F401
        except ImportError:  # pragma: no cover
            progressbar = False
    if where is not None:
        base = where.rstrip("/") + "/"
        candidates = [(base + urllib.parse.quote(n), "mirror") for n in remote.names]
    else:
        candidates = [(remote.url, "download")]
    target_dir = root / remote.subdir
    try:
        target_dir.mkdir(parents=True, exist_ok=True)
        staging_root = root / ".staging"
        staging_root.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix="fetch-", dir=staging_root))
    except OSError as exc:
        raise DownloadError(f"{remote.name}: cache directory {root} is not writable: {exc}") from exc
    try:
        last: DownloadError | None = None
        for url, origin in candidates:
            try:
                got = _download(url, remote.name, staging, expected, retries=retries, timeout=timeout,
                                progressbar=progressbar, headers=headers)
            except DownloadError as exc:
                last = exc
                if origin == "mirror" and "HTTP 404" in str(exc):
                    continue  # try the next alias on the mirror
                raise
            digest = _validate_file(got, remote.name, expected, validate)
            target = target_dir / remote.name
            _sidecar(target).unlink(missing_ok=True)  # never let an old record describe the new file
            os.replace(got, target)
            meta = {
                "name": remote.name,
                "sha256": digest,
                "size": target.stat().st_size,
                "origin": origin,
                "source": _redact_url(url),
                "retrieved_at": _now(),
                "pinned": expected is not None,
            }
            write_text_atomic(_sidecar(target), json.dumps(meta, indent=2) + "\n")
            return FetchResult(
                path=target, name=remote.name, sha256=digest, size=meta["size"], origin=origin,
                source=meta["source"], pinned=expected is not None, retrieved_at=meta["retrieved_at"],
                unpinned_reason=None if expected is not None else remote.unpinned_reason,
            )
        assert last is not None
        raise DownloadError(f"{remote.name}: not found on the mirror {_redact_url(where or '')} "
                            f"under any of {list(remote.names)}") from last
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def _from_mirror_dir(remote: RemoteFile, directory: Path, expected: str | None, validate=None,
                     root: Path | None = None) -> FetchResult:
    """Use a file of a mirror directory in place, after the same checks as a download.

    The result of the checks is remembered under ``<cache>/mirror-checks`` keyed on the file's path, size and
    modification time, so a large mirrored archive is hashed and CRC-tested once, not on every load.
    """
    if not directory.is_dir():
        raise DownloadError(f"{remote.name}: mirror directory {directory} ({ENV_MIRROR}) does not exist")
    for n in remote.names:
        p = directory / n
        if p.is_file():
            st = p.stat()
            memo = None
            if root is not None:
                key = hashlib.sha256(str(p.resolve()).encode()).hexdigest()[:32]
                memo = root / "mirror-checks" / f"{key}.json"
            digest = None
            if memo is not None and validate is None:
                with contextlib.suppress(OSError, ValueError):
                    rec = json.loads(memo.read_text(encoding="utf-8"))
                    if rec.get("size") == st.st_size and rec.get("mtime_ns") == st.st_mtime_ns:
                        digest = rec.get("sha256")
            if digest is not None and expected is not None and digest != expected:
                raise DownloadError(f"{n}: SHA-256 {digest} does not match the pinned {expected}")
            if digest is None:
                digest = _validate_file(p, n, expected, validate)
                if memo is not None:
                    with contextlib.suppress(OSError, ClusterEconError):
                        write_text_atomic(memo, json.dumps({"path": str(p), "size": st.st_size,
                                                            "mtime_ns": st.st_mtime_ns, "sha256": digest}))
            return FetchResult(
                path=p, name=remote.name, sha256=digest, size=st.st_size, origin="mirror",
                source=str(directory), pinned=expected is not None, retrieved_at=_now(),
                unpinned_reason=None if expected is not None else remote.unpinned_reason,
                extra={"mirror_name": n},
            )
    raise DownloadError(f"{remote.name}: mirror directory {directory} holds none of {list(remote.names)}")
