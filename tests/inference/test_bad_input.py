"""wild_cluster_bootstrap and randomization_inference against bad input: exception type and a message naming the
column / rows / option at fault; the caller's frame is never mutated; the same seed gives the same numbers."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

from clusterecon.errors import ClusterEconError, DataError, DataWarning, SpecificationError
from clusterecon.inference import randomization_inference, wild_cluster_bootstrap
from tests.conftest import frame_digest


def _base() -> pd.DataFrame:
    rng = np.random.default_rng(7)
    df = pd.DataFrame({"firm": np.repeat(np.arange(12), 6), "year": np.tile(np.arange(2000, 2006), 12)})
    df["d"] = ((df.firm < 5) & (df.year >= 2003)).astype(int)
    df["y"] = 0.5 * df.d + rng.normal(size=len(df))
    return df


def _wcb(df, formula="y ~ d", **kw):
    spec = {"formula": formula, "data": df, "entity": "firm", "time": "year", "effects": "twoways"}
    return wild_cluster_bootstrap(spec, "d", **{"B": 99, "seed": 1, **kw})


def _ri(df, formula="y ~ d", **kw):
    return randomization_inference(formula, df, treatment="d", entity="firm", time="year",
                                   **{"B": 49, "seed": 1, **kw})


PROCS = {"wild_cluster_bootstrap": _wcb, "randomization_inference": _ri}


@pytest.mark.parametrize("name", list(PROCS))
def test_missing_column_is_named(name):
    with pytest.raises(SpecificationError, match="nope"):
        PROCS[name](_base(), formula="nope ~ d")


@pytest.mark.parametrize("name", list(PROCS))
def test_non_numeric_outcome(name):
    df = _base().assign(y=lambda f: f.y.map(lambda v: f"{v:.2f}"))
    with pytest.raises(SpecificationError, match="'y' is not numeric"):
        PROCS[name](df)


@pytest.mark.parametrize("name", list(PROCS))
@pytest.mark.parametrize("column", ["y", "year"])
def test_infinite_values_name_column_and_row(name, column):
    df = _base()
    df[column] = df[column].astype(float)
    df.loc[4, column] = np.inf
    with pytest.raises(DataError, match=rf"'{column}'.*\[4\]"):
        PROCS[name](df)


@pytest.mark.parametrize("name", list(PROCS))
def test_missing_time_is_named(name):
    df = _base()
    df["year"] = df["year"].astype(float)
    df.loc[4, "year"] = np.nan
    with pytest.raises(DataError, match="'year'.*4"):
        PROCS[name](df)


def test_missing_outcome_is_reported_not_silently_dropped():
    df = _base()
    df.loc[4, "y"] = np.nan
    with pytest.warns(DataWarning, match="dropped 1"):
        _wcb(df)


def test_randomization_unbalanced_time_varying_treatment_names_the_units():
    df = _base().drop(index=4)  # firm 0 loses a year
    with pytest.raises(SpecificationError, match=r"incomplete 'firm': \[0\]"):
        _ri(df)


@pytest.mark.parametrize("name", list(PROCS))
def test_empty_frame(name):
    with pytest.raises(ClusterEconError):
        PROCS[name](_base().iloc[:0])


@pytest.mark.parametrize("name", list(PROCS))
def test_duplicated_pairs_are_named(name):
    df = pd.concat([_base(), _base().iloc[[3]]], ignore_index=True)
    with pytest.raises(DataError, match=r"duplicate .*\(0, 2003\)"):
        PROCS[name](df)


@pytest.mark.parametrize(
    "call, pattern",
    [
        (lambda df: _wcb(df, weights="bogus"), "bogus"),
        (lambda df: _wcb(df, p_type="bogus"), "p_type"),
        (lambda df: _wcb(df, level=1.5), "level"),
        (lambda df: _wcb(df, B=0, full_enumeration=False), "B must be"),
        (lambda df: wild_cluster_bootstrap({"formula": "y ~ d", "data": df, "entity": "firm", "time": "year"}, "nope"),
         "nope"),
        (lambda df: wild_cluster_bootstrap(df, "d"), "PanelResults"),
        (lambda df: _ri(df, statistic="bogus"), "statistic"),
        (lambda df: _ri(df, model="bogus"), "bogus"),
        (lambda df: _ri(df, B=0), "B must be"),
    ],
)
def test_bad_options_are_named(call, pattern):
    with pytest.raises(SpecificationError, match=pattern):
        call(_base())


@pytest.mark.parametrize("name", list(PROCS))
@pytest.mark.parametrize("missing_y", [False, True])
def test_caller_frame_never_mutated(name, missing_y):
    df = _base()
    if missing_y:
        df.loc[4, "y"] = np.nan
    before = frame_digest(df)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            PROCS[name](df)
        except ClusterEconError:
            pass
    assert frame_digest(df) == before


@pytest.mark.parametrize("name", list(PROCS))
def test_same_seed_same_numbers(name):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        a = PROCS[name](_base(), seed=123).to_frame()
        b = PROCS[name](_base(), seed=123).to_frame()
    pd.testing.assert_frame_equal(a, b)


@pytest.mark.parametrize("name", list(PROCS))
def test_to_frame_tidy_columns(name):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        frame = PROCS[name](_base()).to_frame()
    assert list(frame.columns[:7]) == ["term", "estimate", "std_error", "statistic", "p_value", "ci_low", "ci_high"]
