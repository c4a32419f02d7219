"""Every public docstring parses cleanly as numpy style (what the API reference renders).

The site build (``mkdocs build --strict``) leaves griffe's docstring warnings off so that one malformed docstring
does not block the whole site; this test is the gate instead.  It parses every public docstring the way the site
does (numpy style, with ``docs/_hooks/griffe_sections.py``) and fails on any warning from a file not listed in
``KNOWN`` -- and on any file in ``KNOWN`` that no longer warns, so that the list only shrinks.
"""

from __future__ import annotations

import importlib.util
import logging
import re
from pathlib import Path

import pytest

griffe = pytest.importorskip("griffe", reason="griffe (mkdocstrings' parser) is not installed")

REPO = Path(__file__).resolve().parents[2]

# file -> what is wrong (reported to the module owners; fix the docstring, then delete the entry)
KNOWN: dict[str, str] = {}


def _extension():
    spec = importlib.util.spec_from_file_location("griffe_sections", REPO / "docs" / "_hooks" / "griffe_sections.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.ExampleSection()


def _warnings() -> list[str]:
    records: list[str] = []

    class Collect(logging.Handler):
        def emit(self, record):
            records.append(record.getMessage())

    handler = Collect(level=logging.WARNING)
    logger = logging.getLogger("griffe")
    logger.addHandler(handler)
    try:
        package = griffe.load("clusterecon", search_paths=[str(REPO)], docstring_parser="numpy",
                              extensions=griffe.load_extensions(_extension()))
        seen: set[str] = set()

        def walk(obj):
            if obj.path in seen:
                return
            seen.add(obj.path)
            for name, member in obj.members.items():
                if member.is_alias or name.startswith("_"):
                    continue
                if member.docstring is not None:
                    member.docstring.parse("numpy")
                if member.is_module or member.is_class:
                    walk(member)

        if package.docstring is not None:
            package.docstring.parse("numpy")
        walk(package)
    finally:
        logger.removeHandler(handler)
    return records


def test_public_docstrings_parse_as_numpy_style():
    by_file: dict[str, list[str]] = {}
    for message in _warnings():
        match = re.match(r"(?P<file>[^:]+\.py):\d+: (?P<what>.*)", message)
        key = match["file"] if match else "?"
        key = Path(key).resolve().relative_to(REPO).as_posix() if match and Path(key).is_absolute() else key
        by_file.setdefault(key, []).append(message)
    new = {f: m for f, m in by_file.items() if f not in KNOWN}
    fixed = sorted(set(KNOWN) - set(by_file))
    assert not new, f"docstrings that do not parse as numpy style: {new}"
    assert not fixed, f"fixed, remove from KNOWN in {Path(__file__).name}: {fixed}"
