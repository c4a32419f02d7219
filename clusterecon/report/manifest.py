"""The replication manifest: every output with its SHA-256, the command and the package version."""

from __future__ import annotations

import json
import platform
from collections.abc import Iterable
from pathlib import Path

from .._io import sha256_file, write_text_atomic

__all__ = ["build_manifest", "write_manifest"]


def build_manifest(out_dir: Path, files: Iterable[Path], *, command: str, version: str,
                   inputs: dict | None = None) -> dict:
    """A manifest dictionary: relative path and SHA-256 of each file, sorted, plus command, version and inputs."""
    out_dir = Path(out_dir)
    entries = sorted(
        ({"path": Path(f).resolve().relative_to(out_dir.resolve()).as_posix(), "sha256": sha256_file(f)}
         for f in files),
        key=lambda e: e["path"],
    )
    return {
        "package": "clusterecon",
        "version": version,
        "command": command,
        "python": platform.python_version(),
        "inputs": inputs or {},
        "outputs": entries,
    }


def write_manifest(out_dir: Path, manifest: dict) -> Path:
    """Write ``manifest.json`` atomically (sorted keys, 2-space indent, trailing newline)."""
    return write_text_atomic(Path(out_dir) / "manifest.json", json.dumps(manifest, indent=2, sort_keys=True) + "\n")
