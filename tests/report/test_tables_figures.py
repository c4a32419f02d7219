"""Tables and figures: deterministic bytes, atomic writes, synthetic labelling, the maketables plug-in."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest

from clusterecon._io import sha256_file
from clusterecon.errors import SpecificationError
from clusterecon.report.figures import deterministic_style, plot_series, save_figure
from clusterecon.report.tables import regression_table, render_csv, render_markdown, write_table
from clusterecon.results import Results


class _Toy(Results):
    title = "toy"
    depvar = "y"

    def __init__(self, b):
        self.b = b

    def to_frame(self):
        return pd.DataFrame({"term": ["x", "z"], "estimate": [self.b, 2.0], "std_error": [0.5, 0.25],
                             "statistic": [self.b / 0.5, 8.0], "p_value": [0.05, 0.0], "ci_low": [0, 1.5],
                             "ci_high": [2, 2.5]})

    def model_stats(self):
        return {"N": 40}


def _frame():
    return pd.DataFrame({"series": ["a", "a", "b"], "year": [1981, 1990, 1981], "value": [2.0, np.nan, 1 / 3]})


def test_csv_round_trips_full_precision():
    text = render_csv(_frame())
    back = pd.read_csv(__import__("io").StringIO(text))
    assert back["value"].iloc[2] == 1 / 3
    assert np.isnan(back["value"].iloc[1])


def test_write_table_is_deterministic_and_labels_synthetic(tmp_path):
    a = write_table(_frame(), tmp_path / "one" / "t", caption="Cap", synthetic=True)
    b = write_table(_frame(), tmp_path / "two" / "t", caption="Cap", synthetic=True)
    assert [sha256_file(p) for p in a] == [sha256_file(p) for p in b]
    for p in a:
        if p.suffix in (".tex", ".md"):
            assert "synthetic" in p.read_text().lower()
    with pytest.raises(SpecificationError, match="unknown table format"):
        write_table(_frame(), tmp_path / "t", formats=("xls",))


def test_markdown_shows_gap_as_empty_cell():
    md = render_markdown(_frame())
    row = next(line for line in md.splitlines() if "1990" in line)
    cells = [c.strip() for c in row.strip("|").split("|")]
    assert cells == ["a", "1990", ""]


def test_figures_are_byte_identical_across_runs(tmp_path):
    deterministic_style()
    hashes, numbers = [], []
    for run in ("r1", "r2"):
        ax = plot_series(_frame(), hue="series", title="t")
        numbers.append(ax.figure.number)
        hashes.append([sha256_file(p) for p in save_figure(ax.figure, tmp_path / run / "f")])
    assert hashes[0] == hashes[1]
    assert not set(numbers) & set(plt.get_fignums())  # save_figure closed them


def test_results_are_a_maketables_plugin():
    table = regression_table([_Toy(1.0), _Toy(1.5)], model_heads=["A", "B"])
    tex = table.make("tex")
    assert "1.500" in tex and "(0.5" in tex and "Observations" in tex and "40" in tex


def test_regression_table_files_are_byte_identical_and_labelled(tmp_path):
    from clusterecon.report.tables import write_regression_table

    runs = [write_regression_table([_Toy(1.0), _Toy(1.5)], tmp_path / run / "t", model_heads=["A", "B"],
                                   caption="Cap", synthetic=True) for run in ("r1", "r2")]
    assert [p.suffix for p in runs[0]] == [".tex", ".md", ".html", ".docx"]
    assert [sha256_file(p) for p in runs[0]] == [sha256_file(p) for p in runs[1]]
    md = runs[0][1].read_text()
    assert "synthetic" in md.lower() and "1.500" in md
    with pytest.raises(SpecificationError, match="unknown regression-table format"):
        write_regression_table([_Toy(1.0)], tmp_path / "x", formats=("xls",))
