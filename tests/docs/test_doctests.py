"""Run the docstring examples of every clusterecon module, and the worked examples in the documentation pages.

A module is collected when its source contains a ``>>>`` example; a documentation page when it has a ```` ```pycon ````
block (the pages' worked examples are written as interactive sessions so that their printed output is checked).  The
expected output is whatever the example prints (doctest's exact comparison, with ELLIPSIS and NORMALIZE_WHITESPACE).
"""

from __future__ import annotations

import doctest
import importlib
import os
import warnings
from pathlib import Path

import pytest

os.environ.setdefault("MPLBACKEND", "Agg")

REPO = Path(__file__).resolve().parents[2]
PKG = REPO / "clusterecon"
DOCS = REPO / "docs"
FLAGS = doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(REPO).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


MODULES = sorted(_module_name(p) for p in PKG.rglob("*.py") if ">>>" in p.read_text(encoding="utf-8"))
PAGES = sorted(p.relative_to(DOCS).as_posix() for p in DOCS.rglob("*.md") if "```pycon" in p.read_text(encoding="utf-8"))


def _pycon_only(text: str) -> str:
    """Keep the lines inside ```pycon fences and blank out the rest (fences too), so line numbers still match."""
    kept, inside = [], False
    for line in text.split("\n"):
        stripped = line.strip()
        if not inside and stripped.startswith("```pycon"):
            inside = True
            kept.append("")
        elif inside and stripped.startswith("```"):
            inside = False
            kept.append("")
        else:
            kept.append(line if inside else "")
    return "\n".join(kept)


def _report(runner_output: list[str]) -> str:
    return "".join(runner_output)[-8000:]


@pytest.mark.parametrize("module", MODULES)
def test_module_examples(module, tmp_path, monkeypatch):
    """Every ``>>>`` example in the module's docstrings runs and prints what it shows."""
    monkeypatch.chdir(tmp_path)  # examples that write files write them here
    mod = importlib.import_module(module)
    finder = doctest.DocTestFinder(exclude_empty=True)
    runner = doctest.DocTestRunner(optionflags=FLAGS)
    out: list[str] = []
    tests = finder.find(mod, module)
    assert tests, f"{module} has '>>>' in its source but doctest found no examples"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # warnings are not output; examples that show one capture it themselves
        for test in tests:
            runner.run(test, out=out.append)
    assert runner.failures == 0, f"{runner.failures} of {runner.tries} examples failed in {module}:\n{_report(out)}"


@pytest.mark.parametrize("page", PAGES)
def test_page_examples(page, tmp_path, monkeypatch):
    """The ``>>>`` examples of a documentation page run in order and print the output the page shows."""
    monkeypatch.chdir(tmp_path)
    import matplotlib

    matplotlib.use("Agg")
    text = _pycon_only((DOCS / page).read_text(encoding="utf-8"))
    parser = doctest.DocTestParser()
    test = parser.get_doctest(text, {"__name__": "__docs__"}, page, str(DOCS / page), 0)
    runner = doctest.DocTestRunner(optionflags=FLAGS)
    out: list[str] = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        runner.run(test, out=out.append)
    assert runner.failures == 0, f"{runner.failures} of {runner.tries} examples failed in docs/{page}:\n{_report(out)}"
    import matplotlib.pyplot as plt

    plt.close("all")
