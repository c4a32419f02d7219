"""Where the embedded data live.

In a source checkout the data sit at the repository root (``data/paper/``, ``data/regimes/``).  In an installed
wheel they are shipped inside the package as ``clusterecon/_data/`` (``clusterecon/_data`` is a link to ``../data``
in the repository, which the wheel build resolves into real files).
"""

from __future__ import annotations

from pathlib import Path

__all__ = ["data_dir"]

_PKG = Path(__file__).resolve().parent


def data_dir() -> Path:
    """The directory holding ``paper/`` and ``regimes/``: the packaged copy if present, else the repository's."""
    packaged = _PKG / "_data"
    if (packaged / "paper").is_dir():
        return packaged
    return _PKG.parent / "data"
