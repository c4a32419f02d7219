"""synthetic_control, synthetic_did and the placebo procedures against bad input: exception type and a message naming
the column / rows / units / option at fault; the caller's frame is never mutated; the same seed gives the same
numbers.  Contracts on errors only: the estimates are checked against published results elsewhere.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

from clusterecon import synth
from clusterecon.errors import ClusterEconError, DataError, DataWarning, SchemaError, SpecificationError
from tests.conftest import frame_digest

TREATED, T0 = "r3", 2010


def _base() -> pd.DataFrame:
    rng = np.random.default_rng(5)
    years = np.arange(2000, 2014)
    units = [f"r{u}" for u in range(7)]
    df = pd.DataFrame({"region": np.repeat(units, years.size), "year": np.tile(years, len(units))})
    load = np.repeat(rng.uniform(0.5, 1.5, len(units)), years.size)
    df["y"] = 10 + df.region.str[1:].astype(int) + load * 0.5 * (df.year - 2000) + rng.normal(0, 0.3, len(df))
    df["x"] = rng.normal(size=len(df))
    df["d"] = ((df.region == TREATED) & (df.year >= T0)).astype(int)
    return df


def _scm(df, y="y", **kw):
    return synth.synthetic_control(df, y, "region", "year", TREATED, T0, n_starts=1, **kw)


def _sdid(df, y="y", **kw):
    return synth.synthetic_did(df, y, "region", "year", "d", se_method=None, **kw)


ESTIMATORS = {"synthetic_control": _scm, "synthetic_did": _sdid}


def corrupt(kind, df):
    df = df.copy()
    row = df.index[(df.region == "r1") & (df.year == 2003)][0]
    if kind == "nonnumeric":
        df["y"] = df["y"].map(lambda v: f"{v:.3f}")
    elif kind == "inf_y":
        df.loc[row, "y"] = np.inf
    elif kind == "nan_time":
        df["year"] = df["year"].astype(float)
        df.loc[row, "year"] = np.nan
    elif kind == "inf_time":
        df["year"] = df["year"].astype(float)
        df.loc[row, "year"] = np.inf
    elif kind == "empty":
        return df.iloc[:0], None
    elif kind == "duplicate":
        return pd.concat([df, df.loc[[row]]], ignore_index=True), row
    return df, row


@pytest.mark.parametrize("name", list(ESTIMATORS))
def test_missing_column_is_named(name):
    with pytest.raises(SpecificationError, match="nope"):
        ESTIMATORS[name](_base(), y="nope")


@pytest.mark.parametrize("name", list(ESTIMATORS))
def test_non_numeric_outcome(name):
    with pytest.raises(SchemaError, match="'y' is not numeric"):
        ESTIMATORS[name](corrupt("nonnumeric", _base())[0])


@pytest.mark.parametrize("name", list(ESTIMATORS))
@pytest.mark.parametrize("kind, column", [("inf_y", "'y'"), ("nan_time", "'year'"), ("inf_time", "'year'")])
def test_non_finite_values_name_column_and_row(name, kind, column):
    df, row = corrupt(kind, _base())
    with pytest.raises(SchemaError, match=column) as e:
        ESTIMATORS[name](df)
    assert f"[{row}" in str(e.value)


@pytest.mark.parametrize("name", list(ESTIMATORS))
def test_empty_frame(name):
    with pytest.raises(SchemaError, match="no rows"):
        ESTIMATORS[name](corrupt("empty", _base())[0])


@pytest.mark.parametrize("name", list(ESTIMATORS))
def test_duplicated_pairs_are_named(name):
    with pytest.raises(SchemaError, match=r"duplicate .*'r1', 2003"):
        ESTIMATORS[name](corrupt("duplicate", _base())[0])


def test_missing_outcome_of_a_donor_is_dropped_with_a_warning_naming_it():
    df = _base()
    df.loc[(df.region == "r1") & (df.year == 2003), "y"] = np.nan
    with pytest.warns(DataWarning, match="r1"):
        res = _scm(df)
    assert "r1" not in res.weights.index


def test_treated_missing_pre_period_outcome_is_named():
    df = _base()
    df.loc[(df.region == TREATED) & (df.year == 2004), "y"] = np.nan
    with pytest.raises(DataError, match=r"r3.*pre-treatment.*2004"):
        _scm(df)


def test_sdid_treatment_switching_off_names_the_unit():
    df = _base()
    df.loc[(df.region == TREATED) & (df.year == 2013), "d"] = 0
    with pytest.raises(SpecificationError, match=r"switches off .*r3"):
        _sdid(df)


def test_sdid_non_numeric_treatment():
    df = _base().assign(d=lambda f: np.where(f.d == 1, "yes", "no"))
    with pytest.raises(DataError, match="'d'"):
        _sdid(df)


@pytest.mark.parametrize(
    "call, pattern",
    [
        (lambda df: synth.synthetic_control(df, "y", "region", "year", "zz", T0), "'zz' not found"),
        (lambda df: synth.synthetic_control(df, "y", "region", "year", TREATED, 2099), "2099"),
        (lambda df: synth.synthetic_control(df, "y", "region", "year", TREATED, 2000), "no pre-treatment"),
        (lambda df: synth.synthetic_control(df, "y", "region", "year", TREATED, T0, n_starts=0), "n_starts"),
        (lambda df: _scm(df, custom_v=[1.0, 2.0]), "custom_v"),
        (lambda df: _scm(df, donors=["r0", "nope"]), "'nope'"),
        (lambda df: _scm(df, predictors=["x"], predictor_window=[1990]), "1990"),
        (lambda df: _sdid(df, method="bogus"), "bogus"),
        (lambda df: synth.synthetic_did(df, "y", "region", "year", "d", se_method="bogus"), "bogus"),
        (lambda df: _sdid(df, level=1.5), "level"),
        (lambda df: _sdid(df, max_iter=0), "max_iter"),
        (lambda df: synth.synthetic_did(df, "y", "region", "year", treated=TREATED, treatment_time=2099), "2099"),
    ],
)
def test_bad_options_are_named(call, pattern):
    with pytest.raises(SpecificationError, match=pattern):
        call(_base())


@pytest.fixture(scope="module")
def shared_frame():
    df = _base()
    return df, frame_digest(df)


@pytest.fixture(scope="module")
def fitted(shared_frame):
    return _scm(shared_frame[0])


@pytest.fixture(scope="module")
def placebos(fitted):
    return (synth.placebo_in_space(fitted, n_starts=1), synth.placebo_in_time(fitted, 2006, n_starts=1),
            synth.leave_one_out(fitted, n_starts=1))


@pytest.mark.parametrize(
    "call, pattern",
    [
        (lambda r: synth.placebo_in_space(r, max_pre_mspe_ratio=-1), "max_pre_mspe_ratio"),
        (lambda r: synth.placebo_in_time(r, 2099), "2099"),
        (lambda r: synth.leave_one_out(r, min_weight=2), "min_weight"),
        (lambda r: synth.placebo_in_space(_base()), "synthetic_control"),
        (lambda r: synth.leave_one_out("not a result"), "synthetic_control"),
    ],
)
def test_placebo_bad_options(fitted, call, pattern):
    with pytest.raises(SpecificationError, match=pattern):
        call(fitted)


@pytest.mark.parametrize("name", list(ESTIMATORS))
@pytest.mark.parametrize("kind", ["ok", "inf_y", "duplicate"])
def test_caller_frame_never_mutated(name, kind):
    df = _base() if kind == "ok" else corrupt(kind, _base())[0]
    before = frame_digest(df)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            ESTIMATORS[name](df)
        except ClusterEconError:
            pass
    assert frame_digest(df) == before


def test_placebos_do_not_mutate_the_data_behind_the_result(shared_frame, placebos):
    df, before = shared_frame
    assert frame_digest(df) == before


def test_same_seed_same_numbers():
    df = _base()
    a = synth.synthetic_control(df, "y", "region", "year", TREATED, T0, n_starts=3, seed=11)
    b = synth.synthetic_control(df, "y", "region", "year", TREATED, T0, n_starts=3, seed=11)
    pd.testing.assert_series_equal(a.weights, b.weights)
    s1 = synth.synthetic_did(df, "y", "region", "year", "d", se_method="placebo", replications=10, seed=4)
    s2 = synth.synthetic_did(df, "y", "region", "year", "d", se_method="placebo", replications=10, seed=4)
    pd.testing.assert_frame_equal(s1.to_frame(), s2.to_frame())


TIDY = ["term", "estimate", "std_error", "statistic", "p_value", "ci_low", "ci_high"]


def test_to_frame_tidy_columns(fitted, placebos):
    for frame in [fitted.to_frame(), _sdid(_base()).to_frame(), *(p.to_frame() for p in placebos)]:
        assert list(frame.columns[:7]) == TIDY
