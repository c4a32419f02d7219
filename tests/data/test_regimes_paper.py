"""The packaged regime timelines against the paper they quote (Perez-Aleman 2002, ../shared/seed).

Every quote in ``data/regimes/*.yaml`` must appear verbatim in the paper *at the location it gives*
(``section S, paragraph P`` or ``section S, paragraph P, footnote N``).  The paper's text is the Markdown file in
``../shared/seed``; the comparison ignores only Markdown markup (footnote markers ``<sup>n</sup>``, emphasis
asterisks) and runs of whitespace, which are not part of the text.  These tests skip when ../shared is absent.

How locations are counted (the same rule the README of data/regimes states):

* sections are the paper's numbered sections (``## 4. ...``);
* paragraphs are the body paragraphs of a section in reading order, counting from 1; a paragraph that a page break
  splits (the next page's text starts in lower case) counts once;
* footnotes are numbered as printed (numbering restarts on every page) and attached to the paragraph that carries
  their marker.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from clusterecon.data.regimes import available_timelines, load_timeline

PAPER = "seed/perez-aleman-2002-decentralised-production.md"
_HEADING = re.compile(r"^#+\s*\**\s*(\d+)\.\s")
_FOOTNOTE = re.compile(r"^<sup>(\d+)</sup>\s*")
_LOCATION = re.compile(r"^section (\d+), paragraph (\d+)(?:, footnote (\d+))?$")


def normalise(text: str) -> str:
    """Drop Markdown markup (footnote markers, emphasis) and collapse whitespace."""
    text = re.sub(r"<sup>\d+</sup>", "", text)
    text = text.replace("*", "")
    return re.sub(r"\s+", " ", text).strip()


def paper_locations(markdown: str) -> dict[str, str]:
    """Map ``"section S, paragraph P[, footnote N]"`` to the normalised text found there.

    Two footnotes with the same number attached to the same paragraph (possible when a paragraph spans a page
    break) share a key; their texts are joined.
    """
    sections: dict[int, list[str]] = {}
    current: int | None = None
    for line in markdown.splitlines():
        m = _HEADING.match(line)
        if m:
            current = int(m.group(1))
            sections[current] = []
        elif line.startswith("#"):
            current = None  # bibliography and unnumbered headings
        elif current is not None:
            sections[current].append(line)
    out: dict[str, str] = {}
    for number, lines in sections.items():
        blocks = [b.strip() for b in re.split(r"\n\s*\n", "\n".join(lines)) if b.strip()]
        paragraphs: list[str] = []
        footnotes: list[tuple[int, int, str]] = []  # (paragraph index, footnote number, text)
        for block in blocks:
            fm = _FOOTNOTE.match(block)
            if fm:
                n = int(fm.group(1))
                marker = f"<sup>{n}</sup>"
                # a footnote whose marker sits in the previous section (page break at a heading) gets paragraph 0
                owner = next((i for i in range(len(paragraphs) - 1, -1, -1) if marker in paragraphs[i]), -1)
                footnotes.append((owner, n, block[fm.end() :]))
            elif paragraphs and block[0].islower():
                paragraphs[-1] = paragraphs[-1] + " " + block  # the paragraph continues after a page break
            else:
                paragraphs.append(block)
        for i, text in enumerate(paragraphs, start=1):
            out[f"section {number}, paragraph {i}"] = normalise(text)
        for owner, n, text in footnotes:
            key = f"section {number}, paragraph {owner + 1}, footnote {n}"
            out[key] = (out[key] + " " if key in out else "") + normalise(text)
    return out


@pytest.fixture(scope="module")
def paper(shared: Path) -> str:
    path = shared / PAPER
    if not path.is_file():
        pytest.skip(f"{path} is absent")
    return path.read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def locations(paper: str) -> dict[str, str]:
    return paper_locations(paper)


def _all_quotes():
    for name in available_timelines():
        tl = load_timeline(name)
        for ev in tl.events:
            for i, evidence in enumerate(ev.evidence):
                yield pytest.param(evidence.quote, evidence.location, id=f"{name}:{ev.id}:{i}")
        for rg in tl.regimes:
            for i, evidence in enumerate(rg.quotes):
                yield pytest.param(evidence.quote, evidence.location, id=f"{name}:{rg.id}:{i}")


def test_parser_counts_the_papers_sections(locations):
    """Sanity check of the location parser itself: sections 1 to 6 exist and section 4 has more than 10 paragraphs."""
    sections = {int(_LOCATION.match(k).group(1)) for k in locations}
    assert sections == {1, 2, 3, 4, 5, 6}
    assert sum(1 for k in locations if k.startswith("section 4, paragraph") and "footnote" not in k) > 10
    # a page-split paragraph is joined: section 5's paragraph on the reception plant runs into the next page
    plant = next(v for k, v in locations.items() if "new milk reception plant" in v)
    assert "Ten producer associations collaborate and participate" in plant


@pytest.mark.parametrize(("quote", "location"), list(_all_quotes()))
def test_quote_is_verbatim_at_its_location(quote, location, locations):
    """Exact substring match (after removing Markdown markup and collapsing whitespace) in the located passage."""
    assert _LOCATION.match(location), (
        f"location {location!r} does not follow 'section S, paragraph P[, footnote N]'"
    )
    assert location in locations, f"no passage at {location!r} in the paper"
    assert normalise(quote) in locations[location], f"quote not found verbatim at {location}: {quote!r}"


def test_quote_check_can_fail(locations):
    """The check above rejects a quote with one word changed and a right quote at a wrong location."""
    key = "section 4, paragraph 9"
    words = locations[key].split()
    altered = " ".join(words[:8] + ["NOT"] + words[9:16])
    assert " ".join(words[:16]) in locations[key]
    assert altered not in locations[key]
    assert "PROCHILE, created in 1975" not in locations["section 5, paragraph 1"]
