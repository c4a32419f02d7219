"""A small reader of the seed paper's Markdown used by the paper tests: sections, paragraphs and footnotes.

Paragraph rule (the one ``data/paper/README.md`` states): paragraphs are counted within a numbered section; a
paragraph that a page break splits (the text after the break starts in lower case) counts once; front matter
(manuscript dates, address, acknowledgement) and footnote lines are not paragraphs.  Footnote markers
``<sup>n</sup>`` restart on every printed page, so a footnote is identified by its number and the words before its
marker.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

PAPER = "seed/perez-aleman-2002-decentralised-production.md"
_HEADING = re.compile(r"^#+\s*\**\s*(\d+)\.\s")
_FOOTNOTE = re.compile(r"^<sup>(\d+)</sup>\s*(.*)$")
_FRONT = ("Manuscript received", "*Address for correspondence", "\\*McGill")


def norm(text: str) -> str:
    """Drop footnote markers and collapse whitespace."""
    return re.sub(r"\s+", " ", re.sub(r"<sup>\d+</sup>", "", text)).strip()


@dataclass
class Section:
    number: int
    paragraphs: list[str] = field(default_factory=list)  # raw text, markers kept
    footnotes: list[tuple[int, str]] = field(default_factory=list)  # (printed number, text)


def read_sections(shared: Path) -> dict[int, Section]:
    lines = (shared / PAPER).read_text(encoding="utf-8").splitlines()
    sections: dict[int, Section] = {}
    current: Section | None = None
    for line in lines:
        s = line.strip()
        if s.startswith("## Bibliography"):
            break
        m = _HEADING.match(s)
        if m:
            current = sections.setdefault(int(m.group(1)), Section(int(m.group(1))))
            continue
        if current is None or not s or s.startswith(_FRONT):
            continue
        fm = _FOOTNOTE.match(s)
        if fm:
            current.footnotes.append((int(fm.group(1)), fm.group(2)))
            continue
        if current.paragraphs and s[0].islower():
            current.paragraphs[-1] += " " + s
        else:
            current.paragraphs.append(s)
    return sections


def whole_text(shared: Path) -> str:
    return norm((shared / PAPER).read_text(encoding="utf-8"))


_LOC = re.compile(r"^§(\d) ¶(\d+)(?: fn(\d+) \[after '([^']+)'\])?$")


def text_at(sections: dict[int, Section], location: str) -> str:
    """The (normalised) text a location points at: the paragraph, or the footnote(s) with that printed number whose
    marker follows the quoted words in that paragraph.  Raises AssertionError when the location does not resolve."""
    m = _LOC.match(location)
    assert m, f"malformed location {location!r}"
    sec, par, fn, after = int(m.group(1)), int(m.group(2)), m.group(3), m.group(4)
    paragraph = sections[sec].paragraphs[par - 1]
    if fn is None:
        return norm(paragraph)
    assert re.search(re.escape(after) + r"\W{0,3}<sup>" + fn + "</sup>", paragraph), (
        f"no marker at {location!r}"
    )
    return " || ".join(norm(t) for n, t in sections[sec].footnotes if n == int(fn))
