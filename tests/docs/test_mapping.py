"""The "coming from R or Stata" page maps every estimator the package has (issue 9's done-when).

An estimator is a public function (listed in a module's ``__all__``) of ``clusterecon.panel``, ``clusterecon.did``,
``clusterecon.synth``, ``clusterecon.inference`` or ``clusterecon.scale`` whose return annotation is a subclass of
:class:`clusterecon.results.Results`.  Each must appear on the page as a call, ``name(``.
"""

from __future__ import annotations

import importlib
import inspect
from pathlib import Path

from clusterecon.results import Results

REPO = Path(__file__).resolve().parents[2]
PAGE = REPO / "docs" / "coming-from-r-stata.md"
AREAS = ("panel", "did", "synth", "inference", "scale")


def _modules() -> list[str]:
    names = []
    for area in AREAS:
        root = REPO / "clusterecon" / area
        if not root.is_dir():
            continue
        for path in sorted(root.rglob("*.py")):
            parts = list(path.relative_to(REPO).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts = parts[:-1]
            if not any(p.startswith("_") for p in parts):
                names.append(".".join(parts))
    return names


def _returns_results(fn) -> bool:
    ann = inspect.signature(fn).return_annotation
    if isinstance(ann, str):
        try:
            ann = eval(ann, vars(importlib.import_module(fn.__module__)))  # noqa: S307 - the package's own annotations
        except Exception:
            return False
    return isinstance(ann, type) and issubclass(ann, Results)


def estimators() -> dict[str, str]:
    found: dict[str, str] = {}
    for name in _modules():
        mod = importlib.import_module(name)
        for attr in getattr(mod, "__all__", ()):
            obj = getattr(mod, attr, None)
            if inspect.isfunction(obj) and _returns_results(obj):
                found.setdefault(attr, obj.__module__)
    return found


def test_estimators_are_found():
    """The scan finds the estimators (guards against a scan that silently finds nothing)."""
    found = estimators()
    assert {"fit", "att_gt", "synthetic_control"} <= set(found), sorted(found)


def test_r_stata_page_maps_every_estimator():
    text = PAGE.read_text(encoding="utf-8")
    missing = {name: mod for name, mod in estimators().items() if f"{name}(" not in text}
    assert not missing, f"estimators missing from docs/coming-from-r-stata.md: {missing}"
