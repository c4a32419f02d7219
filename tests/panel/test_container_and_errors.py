"""Panel container validation, bad input with messages naming the culprit, no mutation, compare() and Hausman."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

from clusterecon.errors import DataError, DataWarning, EstimationError, FewClustersWarning, SpecificationError
from clusterecon.panel import Panel, compare, fit, hausman
from tests.conftest import frame_digest


def _toy():
    return pd.DataFrame({"id": [1, 1, 1, 2, 2, 3, 3, 3], "t": [1, 2, 3, 1, 3, 1, 2, 3],
                         "y": [1.0, 2.0, 2.5, 0.5, 1.5, 3.0, 2.0, 4.0], "x": [0.1, 0.4, 0.3, 0.8, 0.2, 0.5, 0.9, 0.6]})


def test_panel_reports_balance_gaps_and_missing_cells():
    p = Panel(_toy(), "id", "t")
    assert (p.nobs, p.n_entities, p.n_periods, p.balanced) == (8, 3, 3, False)
    assert p.share_missing_cells == pytest.approx(1 / 9)
    assert p.n_gaps == 1 and p.gaps_per_entity.loc[2] == 1
    assert "Unbalanced" in p.describe()


def test_panel_rejects_duplicates_missing_and_fractional_time():
    df = _toy()
    dup = pd.concat([df, df.iloc[[0]]], ignore_index=True)
    with pytest.raises(DataError, match=r"duplicate \(id, t\) pairs: \(1, 1\)"):
        Panel(dup, "id", "t")
    miss = df.astype({"t": float})
    miss.loc[2, "t"] = np.nan
    with pytest.raises(DataError, match=r"time column 't' has missing values \(rows \[2\]\)"):
        Panel(miss, "id", "t")
    frac = df.astype({"t": float})
    frac.loc[4, "t"] = 2.5
    with pytest.raises(DataError, match=r"not integer-like: value 2.5 at row 4"):
        Panel(frac, "id", "t")
    with pytest.raises(DataError, match=r"value 'b'"):
        Panel(df.assign(t=["1", "2", "3", "1", "b", "1", "2", "3"]), "id", "t")
    with pytest.raises(SpecificationError, match="time column 'year' is not in the data"):
        Panel(df, "id", "year")


def test_panel_warns_on_singletons_and_never_mutates():
    df = pd.concat([_toy(), pd.DataFrame({"id": [9], "t": [2], "y": [1.0], "x": [0.3]})], ignore_index=True)
    before = frame_digest(df)
    with pytest.warns(DataWarning, match=r"one period only.*\[9\]"):
        p = Panel(df, "id", "t")
    assert p.singletons == (9,)
    copy = p.data
    copy.loc[0, "y"] = 99.0
    assert frame_digest(df) == before and p.data.loc[0, "y"] == 1.0


def test_fit_never_mutates(grunfeld):
    before = frame_digest(grunfeld)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for m in ("pooling", "within", "random", "fd", "between"):
            fit("inv ~ value + capital", grunfeld, entity="firm", time="year", model=m, vcov="CR2" if m != "between" else "classical")
    assert frame_digest(grunfeld) == before


def test_bad_input_messages_name_the_culprit(grunfeld):
    g = grunfeld
    kw = dict(entity="firm", time="year")
    with pytest.raises(SpecificationError, match=r"not in the data: \['valu'\]"):
        fit("inv ~ valu + capital", g, **kw)
    with pytest.raises(SpecificationError, match=r"not in the data: \['sector'\]"):
        fit("inv ~ value | sector", g, **kw)
    with pytest.raises(EstimationError, match=r"regressor 'size' is collinear with the 'firm' fixed effects"):
        fit("inv ~ value + size", g.assign(size=g.firm * 2.0), **kw)
    with pytest.raises(EstimationError, match=r"regressor 'trend' is collinear with the 'year' fixed effects"):
        fit("inv ~ value + trend", g.assign(trend=g.year - 1935.0), effects="twoways", **kw)
    with pytest.raises(EstimationError, match=r"regressors are collinear: \['v2'\]"):
        fit("inv ~ value + v2", g.assign(v2=2 * g.value), **kw)
    with pytest.raises(EstimationError, match=r"outcome 'flat' has zero variance"):
        fit("flat ~ value", g.assign(flat=1.0), **kw)
    with pytest.raises(SpecificationError, match=r"regressor 'name' is not numeric .* write C\(name\)"):
        fit("inv ~ value + name", g.assign(name=g.firm.map(lambda i: f"f{i}")), **kw)
    with pytest.raises(SpecificationError, match=r"weights column 'wt' is not numeric"):
        fit("inv ~ value", g.assign(wt="heavy"), weights="wt", **kw)
    with pytest.raises(SpecificationError, match="weights must be strictly positive"):
        fit("inv ~ value", g.assign(wt=0.0), weights="wt", **kw)
    with pytest.warns(FewClustersWarning, match="20 time periods for Driscoll-Kraay"):
        fit("inv ~ value", g, vcov="driscoll-kraay", **kw)
    with pytest.raises(SpecificationError, match=r"outcome 'label' is not numeric"):
        fit("label ~ value", g.assign(label="a"), **kw)
    with pytest.raises(SpecificationError, match=r"cluster column 'region' is not in the data"):
        fit("inv ~ value", g, vcov={"CR1": "region"}, **kw)
    with pytest.raises(EstimationError, match=r"cluster variable 'one' has a single cluster"):
        fit("inv ~ value", g.assign(one=1), vcov={"CR1": "one"}, **kw)
    with pytest.raises(SpecificationError, match=r"unknown vcov 'hc9'"):
        fit("inv ~ value", g, vcov="hc9", **kw)
    with pytest.warns(FewClustersWarning, match=r"only 10 clusters in 'firm'.*CR2"):
        fit("inv ~ value", g, vcov={"CR1": "firm"}, **kw)
    with pytest.warns(DataWarning, match=r"dropped 1 of 200 rows with missing values in \['value'\]"):
        g2 = g.copy()
        g2.loc[5, "value"] = np.nan
        r = fit("inv ~ value", g2, **kw)
    assert r.nobs == 199


def test_categorical_regressor_and_string_entity(grunfeld):
    """C(year) dummies in a one-way within model equal the two-way within slope; string entity ids work."""
    g = grunfeld.assign(firm=grunfeld.firm.map(lambda i: f"firm{i:02d}"))
    a = fit("inv ~ value + capital + C(year)", g, entity="firm", time="year")
    b = fit("inv ~ value + capital", g, entity="firm", time="year", effects="twoways")
    np.testing.assert_allclose(a.params[["value", "capital"]], b.params, rtol=1e-9)
    np.testing.assert_allclose(a.std_errors[["value", "capital"]], b.std_errors, rtol=1e-9)


def test_weights_equal_replicated_rows_for_integer_weights(unbalanced_panel):
    """Integer weights give the same coefficients as replicating rows (pooled model), rel 1e-10."""
    df = unbalanced_panel.assign(k=(unbalanced_panel.index % 3) + 1)
    r = fit("y ~ x1 + x2", df, entity="firm", time="year", model="pooling", weights="k")
    rep = df.loc[df.index.repeat(df.k)]
    import statsmodels.formula.api as smf

    np.testing.assert_allclose(r.params.to_numpy(), smf.ols("y ~ x1 + x2", rep).fit().params.to_numpy(), rtol=1e-10)


def test_compare_renders_pooled_within_random_fd(grunfeld):
    fits = [fit("inv ~ value + capital", grunfeld, entity="firm", time="year", model=m)
            for m in ("pooling", "within", "random", "fd")]
    tab = compare(fits)
    assert list(tab.columns) == ["pooling", "within", "random", "fd"]
    assert tab.loc["value"].str.startswith(("0.1156", "0.1101", "0.1098", "0.0898")).all()
    assert tab.loc["N"].to_list() == ["200", "200", "200", "190"]
    assert tab.loc["(Intercept)", "within"] == ""
    text = fits[1].summary()
    assert "Within (fixed effects)" in text and "R-squared = 0.7668" in text
    frame = fits[1].to_frame()
    assert list(frame.columns[:7]) == ["term", "estimate", "std_error", "statistic", "p_value", "ci_low", "ci_high"]


def test_hausman_matches_baltagi(grunfeld):
    """Baltagi (2013, sec. 4.3.1) and plm's phtest test file: chisq = 2.33 on 2 df for Grunfeld (2 decimals)."""
    kw = dict(entity="firm", time="year")
    h = hausman(fit("inv ~ value + capital", grunfeld, **kw), fit("inv ~ value + capital", grunfeld, model="random", **kw))
    assert h.df == 2 and round(h.statistic, 2) == 2.33
    # Baltagi prints the within covariance * 1e3: 0.14058, -0.077468, 0.3011788
    cov = fit("inv ~ value + capital", grunfeld, **kw).cov.to_numpy() * 1e3
    np.testing.assert_allclose([cov[0, 0], cov[0, 1], cov[1, 1]], [0.14058, -0.077468, 0.3011788], rtol=5e-5)


def test_infinite_values_are_a_clear_error_naming_the_column():
    import numpy as np
    import pandas as pd
    import pytest

    from clusterecon.errors import DataError
    from clusterecon.panel import fit

    df = pd.DataFrame({"i": np.repeat(np.arange(10), 4), "t": np.tile(np.arange(4), 10)})
    df["x"] = np.arange(40, dtype=float)
    df["y"] = df["x"] * 0.5 + np.sin(np.arange(40))
    df.loc[7, "y"] = np.inf
    with pytest.raises(DataError, match=r"'y'.*infinite.*\[7\]"):
        fit("y ~ x", df, entity="i", time="t", model="within")
