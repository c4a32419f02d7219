"""Tables: CSV, LaTeX (booktabs, via maketables) and Markdown, written atomically and deterministically.

Reporting consumes DataFrames and :class:`clusterecon.results.Results` objects and nothing else.  Regression-style
comparison tables go through maketables (see :mod:`clusterecon.report.maketables_plugin`); descriptive tables are
rendered here with :class:`maketables.MTable` for LaTeX and :func:`pandas.DataFrame.to_markdown` for Markdown.
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterable
from pathlib import Path

import numpy as np
import pandas as pd

from .._io import write_text_atomic
from ..errors import SpecificationError
from ..results import Results

__all__ = ["render_csv", "render_latex", "render_markdown", "write_table", "regression_table",
           "write_regression_table", "latex_escape", "FORMATS"]

FORMATS = ("csv", "tex", "md")
SYNTHETIC_NOTE = "SYNTHETIC DATA: simulated, not observed."


def _as_frame(obj: pd.DataFrame | Results) -> pd.DataFrame:
    if isinstance(obj, Results):
        return obj.to_frame()
    if isinstance(obj, pd.DataFrame):
        return obj
    raise SpecificationError(f"a table needs a DataFrame or a Results object, got {type(obj).__name__}")


def _format_value(v: object, digits: int) -> str:
    if v is None or (isinstance(v, float) and np.isnan(v)) or v is pd.NA:
        return ""
    if isinstance(v, bool | np.bool_):
        return "yes" if v else "no"
    if isinstance(v, int | np.integer):
        return str(int(v))
    if isinstance(v, float | np.floating):
        if float(v).is_integer() and abs(v) < 1e15:
            return f"{int(v):d}"
        return f"{float(v):.{digits}g}" if abs(v) >= 10 ** digits else f"{float(v):.{digits}f}".rstrip("0").rstrip(".")
    return str(v)


def _display_frame(df: pd.DataFrame, digits: int) -> pd.DataFrame:
    return df.apply(lambda col: col.map(lambda v: _format_value(v, digits))).astype(str)


_LATEX_SPECIALS = {"\\": r"\textbackslash{}", "&": r"\&", "%": r"\%", "$": r"\$", "#": r"\#", "_": r"\_",
                   "{": r"\{", "}": r"\}", "~": r"\textasciitilde{}", "^": r"\textasciicircum{}",
                   "|": r"\textbar{}", "<": r"\textless{}", ">": r"\textgreater{}"}
_LATEX_RE = re.compile("|".join(re.escape(k) for k in _LATEX_SPECIALS))


def latex_escape(text: object) -> str:
    """Escape LaTeX's special characters in ``text``."""
    return _LATEX_RE.sub(lambda m: _LATEX_SPECIALS[m.group(0)], str(text))


def render_csv(obj: pd.DataFrame | Results) -> str:
    """CSV text with full float precision (``repr`` round-trip), ``\\n`` line ends and no index."""
    buf = io.StringIO()
    _as_frame(obj).to_csv(buf, index=False, lineterminator="\n", float_format="%.17g")
    return buf.getvalue()


def render_latex(obj: pd.DataFrame | Results, *, caption: str = "", label: str = "", notes: str = "",
                 digits: int = 4) -> str:
    """A LaTeX booktabs table (``threeparttable`` + ``tabularx``) rendered by maketables."""
    import maketables

    frame = _display_frame(_as_frame(obj), digits).map(latex_escape)
    frame.columns = [latex_escape(c) for c in frame.columns]
    first = frame.columns[0]
    frame = frame.set_index(first)
    table = maketables.MTable(frame, caption=latex_escape(caption) if caption else None, notes=latex_escape(notes),
                              tab_label=label or None)
    return table.make("tex") + "\n"


def render_markdown(obj: pd.DataFrame | Results, *, caption: str = "", notes: str = "", digits: int = 4) -> str:
    """A GitHub-flavoured Markdown table with an optional caption line above and notes below."""
    frame = _display_frame(_as_frame(obj), digits)
    parts = []
    if caption:
        parts.append(f"**{caption}**\n")
    parts.append(frame.to_markdown(index=False))
    if notes:
        parts.append(f"\n{notes}")
    return "\n".join(parts) + "\n"


def write_table(obj: pd.DataFrame | Results, stem: str | Path, *, formats: Iterable[str] = FORMATS,
                caption: str = "", label: str = "", notes: str = "", synthetic: bool = False,
                digits: int = 4) -> list[Path]:
    """Write ``obj`` as ``stem.csv``, ``stem.tex`` and ``stem.md`` (atomically) and return the paths.

    ``synthetic=True`` prefixes the caption and notes with a statement that the data are simulated, so that
    synthetic numbers are labelled wherever they appear.
    """
    stem = Path(stem)
    if synthetic:
        caption = f"{caption} [synthetic data]" if caption else "[synthetic data]"
        notes = f"{SYNTHETIC_NOTE} {notes}".strip()
    paths = []
    for fmt in formats:
        if fmt == "csv":
            text = render_csv(obj)
        elif fmt == "tex":
            text = render_latex(obj, caption=caption, label=label, notes=notes, digits=digits)
        elif fmt == "md":
            text = render_markdown(obj, caption=caption, notes=notes, digits=digits)
        else:
            raise SpecificationError(f"unknown table format {fmt!r}; choose from {FORMATS}")
        paths.append(write_text_atomic(stem.with_suffix(f".{fmt}"), text))
    return paths


def regression_table(models: list[Results], *, model_heads: list[str] | None = None, caption: str = "",
                     label: str = "", notes: str = "", coef_fmt: str = "b \\n (se)", **kwargs):
    """A side-by-side regression table of clusterecon results objects, built by :class:`maketables.ETable`.

    Every :class:`~clusterecon.results.Results` is a maketables plug-in, so pyfixest, statsmodels or linearmodels
    results can be mixed in the same table.  Returns the ``ETable``; call ``.make("tex")`` or ``.make("md")``.
    """
    import maketables

    return maketables.ETable(list(models), model_heads=model_heads, caption=caption or None,
                             tab_label=label or None, notes=notes, coef_fmt=coef_fmt, **kwargs)


_GT_ID = re.compile(r'id="([a-z]{10})"')
_DOCX_DATE = re.compile(rb"(<dcterms:(?:created|modified)[^>]*>)[^<]*(</dcterms:(?:created|modified)>)")


def _stable_html(html: str) -> str:
    """great_tables gives each table a random element id; fix it so reruns are byte-identical."""
    found = _GT_ID.search(html)
    return html.replace(found.group(1), "clusterecon-table") if found else html


def _stable_docx(data: bytes) -> bytes:
    """Rewrite a .docx (a zip) with fixed member timestamps and fixed document dates."""
    import zipfile

    src = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for name in sorted(src.namelist()):
            body = src.read(name)
            if name == "docProps/core.xml":
                body = _DOCX_DATE.sub(rb"\g<1>2000-01-01T00:00:00Z\g<2>", body)
            info = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            dst.writestr(info, body)
    return out.getvalue()


def _etable_markdown(table, caption: str, notes: str) -> str:
    frame = table.df.copy()
    frame.columns = [" ".join(str(level) for level in col if str(level)) if isinstance(col, tuple) else str(col)
                     for col in frame.columns]
    frame.index = [str(idx[-1]) if isinstance(idx, tuple) else str(idx) for idx in frame.index]
    frame = frame.map(lambda v: str(v).replace("\n", " ").replace("\\n", " "))
    frame = frame.reset_index(names="")
    parts = [f"**{caption}**\n"] if caption else []
    parts.append(frame.to_markdown(index=False))
    if notes:
        parts.append(f"\n{notes}")
    return "\n".join(parts) + "\n"


def write_regression_table(models, stem: str | Path, *, model_heads: list[str] | None = None, caption: str = "",
                           label: str = "", notes: str = "", synthetic: bool = False,
                           formats: Iterable[str] = ("tex", "md", "html", "docx")) -> list[Path]:
    """Write a side-by-side table of results objects (maketables ``ETable``) as LaTeX, Markdown, HTML and Word.

    Every file is written atomically and is byte-identical across reruns (great_tables' random element id and the
    Word file's timestamps are fixed).  ``synthetic=True`` labels caption and notes as simulated data.
    """
    from .._io import write_bytes_atomic

    stem = Path(stem)
    models = list(models)
    if synthetic:
        caption = f"{caption} [synthetic data]" if caption else "[synthetic data]"
        notes = f"{SYNTHETIC_NOTE} {notes}".strip()
    table = regression_table(list(models), model_heads=model_heads, caption=caption, label=label, notes=notes)
    paths = []
    for fmt in formats:
        target = stem.with_suffix(f".{fmt}")
        if fmt == "tex":
            models = list(models)
            names = {m.__maketables_depvar__ for m in models if isinstance(m, Results)}
            names |= {t for m in models if isinstance(m, Results) for t in m.to_frame()["term"].astype(str)}
            labels = {n: latex_escape(n) for n in names if latex_escape(n) != n}
            tex_table = regression_table(models, model_heads=[latex_escape(h) for h in model_heads or []] or None,
                                         caption=latex_escape(caption), label=label, notes=latex_escape(notes),
                                         labels=labels or None)
            paths.append(write_text_atomic(target, tex_table.make("tex") + "\n"))
        elif fmt == "md":
            paths.append(write_text_atomic(target, _etable_markdown(table, caption, notes)))
        elif fmt == "html":
            paths.append(write_text_atomic(target, _stable_html(str(table.make("html")))))
        elif fmt == "docx":
            document = table.make("docx")
            buf = io.BytesIO()
            document.save(buf)
            paths.append(write_bytes_atomic(target, _stable_docx(buf.getvalue())))
        else:
            raise SpecificationError(f"unknown regression-table format {fmt!r}; choose from tex, md, html, docx")
    return paths
