"""MkDocs hook: insert each case study's written design (``clusterecon.cases.<case>.DESIGN``) into the docs.

A page writes ``<!-- design: chile_tomato -->`` on a line of its own; the hook replaces it with that module's
``DESIGN`` text, so the site shows the design exactly as the code, the notebooks and ``make replicate`` state it.
A case that is missing, or has no ``DESIGN``, is logged as a warning, which fails the strict build.
"""

from __future__ import annotations

import importlib
import logging
import re

log = logging.getLogger("mkdocs.hooks.designs")
_MARK = re.compile(r"^<!-- design: ([a-z0-9_]+) -->$", flags=re.M)


def _design(case: str, page: str) -> str:
    try:
        module = importlib.import_module(f"clusterecon.cases.{case}")
    except ImportError as exc:
        log.warning("%s: case %r cannot be imported (%s)", page, case, exc)
        return f"*(case `{case}` is not available)*"
    text = getattr(module, "DESIGN", None)
    if not isinstance(text, str) or not text.strip():
        log.warning("%s: clusterecon.cases.%s has no DESIGN text", page, case)
        return f"*(case `{case}` has no written design)*"
    return text.strip()


def on_page_markdown(markdown, page, config, files):
    if "<!-- design:" not in markdown:
        return markdown
    return _MARK.sub(lambda m: _design(m.group(1), page.file.src_uri), markdown)
