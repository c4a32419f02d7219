"""Griffe extension for the API reference: render every docstring example as code.

numpydoc and griffe read ``>>>`` examples only inside an ``Examples`` section.  Some docstrings head theirs
``Example`` (singular), and some put a short ``>>>`` session in the running text; rendered as Markdown, those
lines would become block quotes.  This extension, used only when building the site, renames ``Example`` sections to
``Examples``, fences ``>>>`` sessions outside an ``Examples`` section as ``pycon`` code, and shows Sphinx roles
(``:func:`~pkg.mod.name```) as inline code (``name``).  The docstrings themselves are untouched (doctest reads them
either way).
"""

from __future__ import annotations

import re
from typing import Any

from griffe import Extension, Object

_SINGULAR = re.compile(r"^(?P<indent>[ \t]*)Example\n(?P=indent)-{7,}[ \t]*$", flags=re.M)
_UNDERLINE = re.compile(r"^\s*-{3,}\s*$")
_ROLE = re.compile(r":(?:py:)?(?:func|class|mod|meth|attr|data|exc|obj|const|ref):`(?P<tilde>~?)(?P<target>[^`]+)`")


def _role(match: re.Match) -> str:
    target = match["target"]
    return f"`{target.rsplit('.', 1)[-1] if match['tilde'] else target}`"


def _fence_sessions(text: str) -> str:
    lines = text.split("\n")
    out: list[str] = []
    in_examples = False
    i = 0
    while i < len(lines):
        line = lines[i]
        if i + 1 < len(lines) and line.strip() and _UNDERLINE.match(lines[i + 1]):
            in_examples = line.strip() == "Examples"
        if not in_examples and line.lstrip().startswith(">>>"):
            indent = line[: len(line) - len(line.lstrip())]
            out.append(f"{indent}```pycon")
            while i < len(lines) and lines[i].strip():
                out.append(lines[i])
                i += 1
            out.append(f"{indent}```")
            continue
        out.append(line)
        i += 1
    return "\n".join(out)


class ExampleSection(Extension):
    def on_instance(self, *, obj: Object, **kwargs: Any) -> None:
        doc = obj.docstring
        if doc is None:
            return
        value = _ROLE.sub(_role, doc.value) if ":`" in doc.value else doc.value
        if ">>>" in value:
            value = _fence_sessions(_SINGULAR.sub(lambda m: f"{m['indent']}Examples\n{m['indent']}--------", value))
        doc.value = value
