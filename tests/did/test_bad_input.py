"""Every public DiD estimator against every kind of bad input: the exception type and that the message names the
column / rows / units at fault; the caller's frame is never mutated, bad input or not.

No reference numbers: these are contracts on errors (the estimates themselves are checked elsewhere against R and
closed forms).
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

from clusterecon import did
from clusterecon.errors import ClusterEconError, DataError, DataWarning, SpecificationError
from clusterecon.simulate import staggered_panel
from tests.conftest import frame_digest


def _base() -> pd.DataFrame:
    return staggered_panel(24, 6, cohorts=[3, 5], seed=1)[["unit", "time", "cohort", "treated", "y"]]


def _base_2x2() -> pd.DataFrame:
    df = _base()
    df = df[df.time.isin([2, 3]) & df.cohort.isin([0, 3])].reset_index(drop=True)
    return df.assign(tr=(df.cohort == 3).astype(int))


def _att_gt(df, y="y", **kw):
    return did.att_gt(df, yname=y, tname="time", idname="unit", gname="cohort", **kw)


ESTIMATORS = {
    "att_gt": (_att_gt, _base),
    "aggte": (lambda df, y="y", **kw: did.aggte(_att_gt(df, y), **kw), _base),
    "did2x2": (lambda df, y="y", **kw: did.did2x2(df, yname=y, tname="time", idname="unit", treat="tr", **kw),
               _base_2x2),
    "twfe": (lambda df, y="y", **kw: did.twfe(df, y, unit="unit", time="time", treatment="treated", **kw), _base),
    "event_study": (lambda df, y="y", **kw: did.event_study(df, y, unit="unit", time="time", treatment="treated",
                                                            **{"n_draws": 500, **kw}), _base),
    "sun_abraham": (lambda df, y="y", **kw: did.sun_abraham(df, y, unit="unit", time="time", treatment="treated",
                                                            **{"n_draws": 500, **kw}), _base),
    "did_imputation": (lambda df, y="y", **kw: did.did_imputation(df, y, unit="unit", time="time",
                                                                  treatment="treated", **kw), _base),
    "bacon_decomposition": (lambda df, y="y", **kw: did.bacon_decomposition(df, y, unit="unit", time="time",
                                                                           treatment="treated", **kw), _base),
    "placebo_permutation": (lambda df, y="y", **kw: did.placebo_permutation(df, y, unit="unit", time="time",
                                                                           treatment="treated", n_permutations=49,
                                                                           **kw), _base),
}
ABSORBING = ["event_study", "sun_abraham", "did_imputation", "bacon_decomposition", "placebo_permutation"]
CS = ["att_gt", "aggte"]  # R did semantics: rows with missing values are dropped with a warning


def corrupt(kind: str, df: pd.DataFrame) -> tuple[pd.DataFrame, int | None]:
    """A corrupted copy and the row label at fault."""
    df = df.copy()
    row = df.index[3]
    if kind == "nonnumeric":
        df["y"] = df["y"].map(lambda v: f"{v:.3f}")
    elif kind == "nan_y":
        df.loc[row, "y"] = np.nan
    elif kind == "inf_y":
        df.loc[row, "y"] = np.inf
    elif kind == "nan_time":
        df["time"] = df["time"].astype(float)
        df.loc[row, "time"] = np.nan
    elif kind == "inf_time":
        df["time"] = df["time"].astype(float)
        df.loc[row, "time"] = np.inf
    elif kind == "empty":
        return df.iloc[:0], None
    elif kind == "duplicate":
        return pd.concat([df, df.iloc[[3]]], ignore_index=True), 3
    return df, row


def _call(name, df, **kw):
    fn, _ = ESTIMATORS[name]
    return fn(df, **kw)


@pytest.mark.parametrize("name", list(ESTIMATORS))
def test_missing_column_is_named(name):
    with pytest.raises(SpecificationError, match="nope"):
        _call(name, ESTIMATORS[name][1](), y="nope")


@pytest.mark.parametrize("name", list(ESTIMATORS))
def test_non_numeric_outcome_is_refused_not_parsed(name):
    df, _ = corrupt("nonnumeric", ESTIMATORS[name][1]())
    with pytest.raises(DataError, match=r"'y' must be numeric"):
        _call(name, df)


@pytest.mark.parametrize("name", list(ESTIMATORS))
def test_infinite_outcome_names_column_and_row(name):
    df, row = corrupt("inf_y", ESTIMATORS[name][1]())
    with pytest.raises(DataError, match="'y'") as e:
        _call(name, df)
    assert str(row) in str(e.value)


@pytest.mark.parametrize("name", [n for n in ESTIMATORS if n not in CS])
def test_missing_outcome_names_column_and_row(name):
    df, row = corrupt("nan_y", ESTIMATORS[name][1]())
    with pytest.raises(DataError, match="y") as e:
        _call(name, df)
    assert f"[{row}" in str(e.value)


@pytest.mark.filterwarnings("ignore:unbalanced panel")
@pytest.mark.parametrize("name", CS)
def test_missing_outcome_dropped_with_warning_like_r_did(name):
    df, _ = corrupt("nan_y", _base())
    with pytest.warns(DataWarning, match="dropped 1 rows"):
        _call(name, df)


@pytest.mark.parametrize("name", [n for n in ESTIMATORS if n not in CS + ["did2x2"]])
@pytest.mark.parametrize("kind", ["nan_time", "inf_time"])
def test_bad_time_names_column_and_row(name, kind):
    df, row = corrupt(kind, _base())
    with pytest.raises(DataError, match="'time'") as e:
        _call(name, df)
    assert f"[{row}" in str(e.value)


@pytest.mark.parametrize("name", CS)
def test_infinite_time_is_an_error_for_cs(name):
    df, row = corrupt("inf_time", _base())
    with pytest.raises(DataError, match="'time'.*infinite"):
        _call(name, df)


def test_did2x2_bad_time_is_not_two_periods():
    df, _ = corrupt("inf_time", _base_2x2())
    with pytest.raises(SpecificationError, match="exactly two periods"):
        _call("did2x2", df)


@pytest.mark.parametrize("name", list(ESTIMATORS))
def test_empty_frame(name):
    df, _ = corrupt("empty", ESTIMATORS[name][1]())
    with pytest.raises(DataError, match="no rows|no usable rows"):
        _call(name, df)


@pytest.mark.parametrize("name", list(ESTIMATORS))
def test_duplicated_unit_time_rows_are_named(name):
    base = ESTIMATORS[name][1]()
    df, _ = corrupt("duplicate", base)
    unit = base.loc[base.index[3], "unit"]
    with pytest.raises(DataError, match="duplicated") as e:
        _call(name, df)
    assert str(unit) in str(e.value)


@pytest.mark.parametrize("name", ABSORBING)
def test_treatment_switching_off_names_the_unit(name):
    df = _base()
    u = df.loc[df.treated == 1, "unit"].iloc[0]
    df.loc[(df.unit == u) & (df.time == df.time.max()), "treated"] = 0
    with pytest.raises(DataError, match=rf"switches off .*\[{u}\]"):
        _call(name, df)


def test_non_frame_data():
    with pytest.raises(SpecificationError, match="DataFrame"):
        did.twfe([[1, 2]], "y", unit="unit", time="time", treatment="treated")


@pytest.mark.parametrize(
    "name, kw, pattern",
    [
        ("att_gt", {"est_method": "bogus"}, "est_method"),
        ("att_gt", {"control_group": "bogus"}, "control_group"),
        ("att_gt", {"base_period": "bogus"}, "base_period"),
        ("aggte", {"type": "bogus"}, "type"),
        ("did2x2", {"est_method": "bogus"}, "est_method"),
        ("twfe", {"vcov": "bogus"}, "bogus"),
        ("twfe", {"alpha": 2}, "alpha"),
        ("event_study", {"vcov": "bogus"}, "vcov"),
        ("event_study", {"ref": 99}, "99"),
        ("event_study", {"n_draws": 0}, "n_draws"),
        ("sun_abraham", {"n_draws": -1}, "n_draws"),
        ("att_gt", {"bstrap": True, "biters": 0}, "biters"),
        ("sun_abraham", {"vcov": "bogus"}, "vcov"),
        ("did_imputation", {"horizon": "bogus"}, "horizon"),
        ("did_imputation", {"cluster": "nope"}, "nope"),
        ("placebo_permutation", {"alternative": "bogus"}, "alternative"),
        ("placebo_permutation", {"max_exact": 0}, "max_exact"),
    ],
)
def test_bad_option_values_are_named(name, kw, pattern):
    with pytest.raises(SpecificationError, match=pattern):
        _call(name, ESTIMATORS[name][1](), **kw)


@pytest.mark.parametrize("n", [0, -5, 2.5])
def test_permutation_count_must_be_positive(n):
    with pytest.raises(SpecificationError, match="n_permutations"):
        did.placebo_permutation(_base(), "y", unit="unit", time="time", treatment="treated", n_permutations=n)


def test_aggte_needs_an_att_gt_result():
    with pytest.raises(SpecificationError, match="att_gt"):
        did.aggte(_base())


@pytest.mark.parametrize(
    "kw, exc, pattern",
    [
        ({"restriction": "bogus"}, SpecificationError, "restriction"),
        ({"M": [-1.0]}, SpecificationError, "non-negative"),
        ({"num_pre": 3}, SpecificationError, "do not match"),
        ({"betahat": [0.0, np.nan, 0.0, 0.0]}, DataError, r"positions \[1\]"),
        ({"sigma": -np.eye(4)}, DataError, "positive semi-definite"),
        ({"sigma": np.eye(4) + np.triu(np.ones((4, 4)), 1)}, DataError, "symmetric"),
        ({"alpha": 1.5}, SpecificationError, "alpha"),
    ],
)
def test_honest_did_bad_input(kw, exc, pattern):
    args = {"betahat": np.zeros(4), "sigma": np.eye(4), "num_pre": 2, "num_post": 2, **kw}
    betahat, sigma = args.pop("betahat"), args.pop("sigma")
    with pytest.raises(exc, match=pattern):
        did.honest_did(betahat, sigma, **args)


@pytest.mark.parametrize("name", list(ESTIMATORS))
@pytest.mark.parametrize("kind", ["ok", "nan_y", "inf_y", "duplicate"])
def test_caller_frame_never_mutated(name, kind):
    df = ESTIMATORS[name][1]() if kind == "ok" else corrupt(kind, ESTIMATORS[name][1]())[0]
    before = frame_digest(df)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            _call(name, df)
        except ClusterEconError:
            pass
    assert frame_digest(df) == before


def test_honest_did_does_not_mutate_its_arrays():
    b, s = np.array([0.1, -0.1, 0.5, 0.7]), np.eye(4) * 0.01
    b0, s0 = b.copy(), s.copy()
    did.honest_did(b, s, num_pre=2, num_post=2, M=[0.0, 0.05], breakdown=False)
    assert np.array_equal(b, b0) and np.array_equal(s, s0)


@pytest.mark.parametrize(
    "name, kw",
    [("event_study", {"seed": 5}), ("sun_abraham", {"seed": 5}), ("placebo_permutation", {"seed": 5}),
     ("att_gt", {"bstrap": True, "biters": 99, "cband": True, "seed": 5})],
)
def test_same_seed_same_numbers(name, kw):
    a = _call(name, _base(), **kw).to_frame()
    b = _call(name, _base(), **kw).to_frame()
    pd.testing.assert_frame_equal(a, b)


def test_honest_did_relative_magnitudes_seeded():
    b, s = np.array([0.05, -0.02, 0.4, 0.6]), np.eye(4) * 0.01
    kw = dict(num_pre=2, num_post=2, M=[0.5], restriction="relative_magnitudes", breakdown=False, seed=3)
    pd.testing.assert_frame_equal(did.honest_did(b, s, **kw).to_frame(), did.honest_did(b, s, **kw).to_frame())


TIDY = ["term", "estimate", "std_error", "statistic", "p_value", "ci_low", "ci_high"]


@pytest.mark.parametrize("name", list(ESTIMATORS))
def test_to_frame_has_the_tidy_columns_first(name):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        frame = _call(name, ESTIMATORS[name][1]()).to_frame()
    assert list(frame.columns[:7]) == TIDY


def test_honest_did_to_frame_tidy():
    frame = did.honest_did(np.zeros(4), np.eye(4), num_pre=2, num_post=2, breakdown=False).to_frame()
    assert list(frame.columns[:7]) == TIDY
