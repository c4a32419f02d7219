"""The documentation site builds with ``mkdocs build --strict`` and its API reference covers the public modules.

A strict build fails on any warning: a broken link or anchor, a page missing from the navigation, an API page naming
a module or object that does not exist, a docstring that mkdocstrings cannot parse.
"""

from __future__ import annotations

import importlib.util
import os
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
DOCS = REPO / "docs"
PKG = REPO / "clusterecon"
PLUGINS = ("mkdocs", "material", "mkdocstrings", "mkdocstrings_handlers.python", "mkdocs_jupyter")


def _missing_plugins() -> list[str]:
    missing = []
    for name in PLUGINS:
        try:
            found = importlib.util.find_spec(name) is not None
        except ModuleNotFoundError:
            found = False
        if not found:
            missing.append(name)
    return missing


needs_mkdocs = pytest.mark.skipif(
    bool(_missing_plugins()),
    reason=f"documentation tools not installed ({', '.join(_missing_plugins())}); "
    "install with: pip install mkdocs mkdocs-material 'mkdocstrings[python]' mkdocs-jupyter",
)


@needs_mkdocs
def test_site_builds_strictly(tmp_path):
    """``mkdocs build --strict`` succeeds (notebooks are rendered but not executed, to keep the build fast)."""
    site = tmp_path / "site"
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1", "CLUSTERECON_DOCS_EXECUTE": "false", "MPLBACKEND": "Agg"}
    start = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--config-file", str(REPO / "mkdocs.yml"),
         "--site-dir", str(site)],
        cwd=REPO, env=env, capture_output=True, text=True, timeout=600,
    )
    elapsed = time.perf_counter() - start
    assert proc.returncode == 0, f"mkdocs build --strict failed after {elapsed:.1f} s:\n{proc.stderr[-6000:]}"
    for page in ("index.html", "getting-started.html", "errors.html", "coming-from-r-stata.html",
                 "reference/index.html"):
        assert (site / page).is_file(), f"{page} missing from the built site"
    # the API reference really rendered objects (mkdocstrings), not just the page shells
    errors_ref = (site / "reference" / "errors.html").read_text(encoding="utf-8")
    assert 'id="clusterecon.errors.ClusterEconError"' in errors_ref


def _public_modules() -> list[str]:
    """Every public module of the package (no component starting with an underscore, except ``__init__``)."""
    mods = []
    for path in sorted(PKG.rglob("*.py")):
        rel = path.relative_to(REPO).with_suffix("")
        parts = list(rel.parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        if any(p.startswith("_") for p in parts):
            continue
        mods.append(".".join(parts))
    return mods


def _referenced_modules() -> set[str]:
    refs = set()
    for page in DOCS.rglob("*.md"):
        for match in re.finditer(r"^:::\s+([\w.]+)", page.read_text(encoding="utf-8"), flags=re.M):
            refs.add(match.group(1))
    return refs


def test_api_reference_covers_every_public_module():
    """Each public module, or a package above it, has a ``::: module`` entry in the docs' API reference."""
    refs = _referenced_modules()
    packages = {".".join(p.relative_to(REPO).parent.parts) for p in PKG.rglob("__init__.py")}

    def covered(m: str) -> bool:
        if any(m == r or m.startswith(r + ".") for r in refs):
            return True
        # a package is covered by the pages of its modules
        return m in packages and any(r.startswith(m + ".") for r in refs)

    missing = [m for m in _public_modules() if not covered(m)]
    assert not missing, f"public modules absent from docs/reference/: {missing} (add a '::: module' block)"


def test_api_reference_names_only_existing_modules():
    """No ``::: name`` entry points at a module that is not in the tree (the strict build checks objects too)."""
    existing = set(_public_modules()) | {"clusterecon"}
    for ref in sorted(_referenced_modules()):
        parts = ref.split(".")
        # the longest prefix that is a module must exist; the rest names an object inside it
        assert any(".".join(parts[:k]) in existing for k in range(len(parts), 0, -1)), f"{ref} does not exist"
