"""Treatment variables from timelines and adoption dates (clusterecon.panel.regimes).

Reference: a brute-force, row-by-row construction of first_treated / event_time / post / regime written here from
the definitions (R did's gname coding: 0 = never treated), compared exactly (integers; event_time to 0 tolerance).
"""

from __future__ import annotations

import doctest
import math

import numpy as np
import pandas as pd
import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

import clusterecon.panel.regimes as regimes_mod
from clusterecon.data.regimes import load_timeline, timeline_from_dict
from clusterecon.errors import DataError, SpecificationError
from clusterecon.panel.regimes import add_adoption, add_regime, timeline_treatment
from tests.conftest import frame_digest


# ----------------------------------------------------------------------------------------------------------------
# brute-force reference
# ----------------------------------------------------------------------------------------------------------------
def brute_adoption(panel, adoption, unit, time):
    first, treated, event_time, post = [], [], [], []
    for _, row in panel.iterrows():
        g = adoption.get(row[unit])
        if g is None:
            first.append(0), treated.append(0), event_time.append(math.nan), post.append(0)
        else:
            first.append(g), treated.append(1), event_time.append(row[time] - g), post.append(int(row[time] >= g))
    return first, treated, event_time, post


def brute_regime(panel, spells, unit, time):
    labels = []
    for _, row in panel.iterrows():
        found = None
        for start, end, label in spells.get(row[unit], []):
            if (start is None or start <= row[time]) and (end is None or row[time] <= end):
                found = label
        labels.append(found)
    return labels


def random_panel(rng, n_units=6, periods=range(1990, 2001)):
    rows = [(f"u{i}", t) for i in range(n_units) for t in periods if rng.random() > 0.2]
    frame = pd.DataFrame(rows, columns=["firm", "year"])
    frame["y"] = rng.normal(size=len(frame))
    frame = frame.sample(frac=1.0, random_state=int(rng.integers(1 << 31)))  # shuffled rows
    frame.index = rng.permutation(len(frame)) + 100  # and a non-default index
    return frame


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 10_000))
def test_add_adoption_matches_brute_force(seed):
    rng = np.random.default_rng(seed)
    panel = random_panel(rng)
    span = panel.groupby("firm")["year"].agg(["min", "max"])
    adoption = {u: (int(rng.integers(lo, hi + 1)) if rng.random() < 0.6 else None) for u, (lo, hi) in span.iterrows()}
    before = frame_digest(panel)
    out = add_adoption(panel, adoption, unit="firm", time="year")
    assert frame_digest(panel) == before  # caller's frame untouched
    assert out.index.equals(panel.index) and out[["firm", "year", "y"]].equals(panel)
    first, treated, event_time, post = brute_adoption(panel, adoption, "firm", "year")
    assert out["first_treated"].tolist() == first and out["treated"].tolist() == treated
    assert out["post"].tolist() == post
    np.testing.assert_array_equal(out["event_time"].to_numpy(), np.array(event_time, dtype=float))
    assert out["first_treated"].dtype == "int64" and out["event_time"].dtype == "float64"


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 10_000))
def test_add_regime_matches_brute_force(seed):
    rng = np.random.default_rng(seed)
    panel = random_panel(rng)
    spells = {}
    for u in panel["firm"].unique()[:4]:
        cut = int(rng.integers(1991, 2000))
        first_start = None if rng.random() < 0.5 else int(rng.integers(1985, cut))
        last_end = None if rng.random() < 0.5 else 2000 - int(rng.integers(0, 2))
        spells[u] = [(first_start, cut - 1, "arms_length"), (cut, last_end, "cooperative_monitoring")]
    out = add_regime(panel, spells, unit="firm", time="year")
    expected = brute_regime(panel, spells, "firm", "year")
    got = [None if pd.isna(v) else v for v in out["regime"]]
    assert got == expected


# ----------------------------------------------------------------------------------------------------------------
# the paper's timelines on country panels
# ----------------------------------------------------------------------------------------------------------------
@pytest.fixture
def countries():
    years = range(1975, 2000)
    return pd.DataFrame(
        [(c, t, 1.0) for c in ("Chile", "Spain", "Turkey") for t in years], columns=["country", "year", "exports"]
    )


def test_chile_export_committees_and_date_sensitivity(countries):
    before = frame_digest(countries)
    out = timeline_treatment(countries, {"Chile": "chile_tomato"}, unit="country", time="year",
                             event="chile_export_committees")
    assert frame_digest(countries) == before
    chile = out[out["country"] == "Chile"].set_index("year")
    assert (chile["first_treated"] == 1983).all()
    assert chile.loc[1982, "post"] == 0 and chile.loc[1983, "post"] == 1 and chile.loc[1990, "event_time"] == 7
    assert chile.loc[1980, "regime"] == "state_led_promotion"
    assert chile.loc[1990, "regime"] == "state_promoted_self_coordination"
    others = out[out["country"] != "Chile"]
    assert (others["first_treated"] == 0).all() and others["event_time"].isna().all()
    assert others["regime"].isna().all() and (others["post"] == 0).all()
    # the end of a vague interval moves the date: cooperative monitoring "over the last decade" -> 1995
    late = timeline_treatment(countries, {"Chile": "chile_tomato"}, unit="country", time="year",
                              event="chile_cooperative_monitoring", date="end")
    assert set(late.loc[late["country"] == "Chile", "first_treated"]) == {1995}
    assert set(late.loc[late["country"] == "Chile", "regime"].dropna()) == {"arms_length", "cooperative_monitoring"}


def test_regime_treatment_uses_the_first_spell(countries):
    chile = load_timeline("chile_tomato")
    out = timeline_treatment(countries, {"Chile": chile}, unit="country", time="year",
                             regime="cooperative_monitoring", arena="processor_supplier")
    row = out[(out["country"] == "Chile") & (out["year"] == 1985)].iloc[0]
    assert (row["first_treated"], row["event_time"], row["post"], row["regime"]) == (
        1985, 0.0, 1, "cooperative_monitoring")
    with pytest.raises(SpecificationError, match="several arenas"):
        timeline_treatment(countries, {"Chile": chile}, unit="country", time="year", regime="cooperative_monitoring")


def test_two_clusters_in_one_panel_with_per_unit_events():
    panel = pd.DataFrame([(c, t) for c in ("Chile", "Nicaragua", "Honduras") for t in range(1980, 2001)],
                         columns=["country", "year"])
    out = timeline_treatment(
        panel, {"Chile": "chile_tomato", "Nicaragua": "nicaragua_dairy"}, unit="country", time="year",
        event={"Chile": "chile_export_committees", "Nicaragua": "nic_el_salvador_pasteurisation_law"},
    )
    first = out.groupby("country")["first_treated"].first().to_dict()
    assert first == {"Chile": 1983, "Honduras": 0, "Nicaragua": 1998}
    nic = out[out["country"] == "Nicaragua"].set_index("year")["regime"]
    assert nic[1997] == "arms_length" and nic[1998] == "cooperative_monitoring"
    # a unit with a timeline but no event is a never-treated unit that still carries its regime labels
    part = timeline_treatment(
        panel, {"Chile": "chile_tomato", "Nicaragua": "nicaragua_dairy"}, unit="country", time="year",
        event={"Nicaragua": "nic_mnc_acquisition"}, arena={"Chile": "processor_supplier"},
    )
    chile = part[part["country"] == "Chile"]
    assert (chile["first_treated"] == 0).all() and chile["event_time"].isna().all()
    assert chile.set_index("year").loc[1990, "regime"] == "cooperative_monitoring"
    assert set(part.loc[part["country"] == "Nicaragua", "first_treated"]) == {1998}
    with pytest.raises(SpecificationError, match="several arenas"):  # Chile's labels need an arena
        timeline_treatment(panel, {"Chile": "chile_tomato"}, unit="country", time="year", event={"Chile": None})
    labelled = timeline_treatment(panel, {"Chile": "chile_tomato"}, unit="country", time="year",
                                  event={"Chile": None}, arena="state_firm")
    in_1990 = labelled[labelled["year"] == 1990].set_index("country")["regime"]
    assert in_1990["Chile"] == "state_promoted_self_coordination"
    assert in_1990[["Nicaragua", "Honduras"]].isna().all()
    assert (labelled["first_treated"] == 0).all()


# ----------------------------------------------------------------------------------------------------------------
# a user's own cluster, absorbing treatment and switching off
# ----------------------------------------------------------------------------------------------------------------
OWN = """
cluster: peru_asparagus
arenas: {grower_exporter: growers and exporting packers}
events:
  - id: peru_packers_contracts
    cluster: peru_asparagus
    arena: grower_exporter
    date: {start: 1992, end: 1994, precision: approximate}
    actors: [packers, growers]
    type: contracting
    regime_before: arms_length
    regime_after: cooperative_monitoring
    quote: "In the early 1990s packers began contracting growers."
    location: "made-up source, p. 1"
    note: "'early 1990s' read as 1992-1994"
regimes:
  - {id: peru_spot, cluster: peru_asparagus, arena: grower_exporter, regime: arms_length, start: null, end: 1991,
     evidence: [{quote: "Growers sold to whoever paid most.", location: "made-up source, p. 1"}]}
  - {id: peru_coop, cluster: peru_asparagus, arena: grower_exporter, regime: cooperative_monitoring, start: 1992,
     end: 1996, evidence: [{event: peru_packers_contracts}]}
  - {id: peru_back, cluster: peru_asparagus, arena: grower_exporter, regime: arms_length, start: 1997, end: null,
     evidence: [{quote: "After 1996 the contracts lapsed.", location: "made-up source, p. 2"}]}
"""


def test_user_cluster_from_yaml_and_switching_off(tmp_path):
    path = tmp_path / "peru_asparagus.yaml"
    path.write_text(OWN, encoding="utf-8")
    panel = pd.DataFrame([(c, t) for c in ("Peru", "Mexico") for t in range(1988, 2001)], columns=["c", "t"])
    # event-based treatment is absorbing by construction
    ev = timeline_treatment(panel, {"Peru": str(path)}, unit="c", time="t", event="peru_packers_contracts",
                            date="end")
    assert set(ev.loc[ev["c"] == "Peru", "first_treated"]) == {1994}
    # the regime ends in 1996 while Peru is observed to 2000: absorbing treatment cannot switch off
    with pytest.raises(SpecificationError, match=r"'Peru'.*ends in 1996.*observed to 2000.*absorbing=False"):
        timeline_treatment(panel, {"Peru": str(path)}, unit="c", time="t", regime="cooperative_monitoring")
    out = timeline_treatment(panel, {"Peru": str(path)}, unit="c", time="t", regime="cooperative_monitoring",
                             absorbing=False)
    peru = out[out["c"] == "Peru"].set_index("t")
    assert peru["post"].to_dict() == {t: int(1992 <= t <= 1996) for t in range(1988, 2001)}
    assert (peru["first_treated"] == 1992).all() and peru.loc[2000, "event_time"] == 8
    assert peru.loc[1999, "regime"] == "arms_length"
    # a panel that ends while the regime is still in force is fine with absorbing=True
    short = panel[panel["t"] <= 1996]
    ok = timeline_treatment(short, {"Peru": str(path)}, unit="c", time="t", regime="cooperative_monitoring")
    assert ok.loc[ok["c"] == "Peru", "post"].sum() == 5


def test_recurring_regime_is_not_absorbing():
    data = yaml.safe_load(OWN)
    data["regimes"][2]["regime"] = "cooperative_monitoring"
    data["regimes"][2]["start"] = 1998
    data["regimes"].insert(2, {"id": "peru_gap", "cluster": "peru_asparagus", "arena": "grower_exporter",
                               "regime": "arms_length", "start": 1997, "end": 1997,
                               "evidence": [{"quote": "q", "location": "p. 3"}]})
    tl = timeline_from_dict(data)
    panel = pd.DataFrame({"c": ["Peru"] * 4, "t": [1990, 1995, 1997, 1999]})
    with pytest.raises(SpecificationError, match="2 separate spells"):
        timeline_treatment(panel, {"Peru": tl}, unit="c", time="t", regime="cooperative_monitoring")
    out = timeline_treatment(panel, {"Peru": tl}, unit="c", time="t", regime="cooperative_monitoring",
                             absorbing=False)
    assert out["post"].tolist() == [0, 1, 0, 1]


# ----------------------------------------------------------------------------------------------------------------
# errors and options
# ----------------------------------------------------------------------------------------------------------------
@pytest.fixture
def small():
    return pd.DataFrame({"id": ["a", "a", "a", "b", "b", "b"], "t": [2000, 2001, 2002] * 2, "y": range(6)})


def test_dates_outside_the_panel(small):
    with pytest.raises(SpecificationError, match=r"unit 'a'.*1999 is before its first period 2000"):
        add_adoption(small, {"a": 1999}, unit="id", time="t")
    with pytest.raises(SpecificationError, match=r"unit 'b'.*2005 is after its last period 2002"):
        add_adoption(small, {"b": 2005}, unit="id", time="t")
    kept = add_adoption(small, {"a": 1999, "b": 2005}, unit="id", time="t", outside="keep")
    assert kept["post"].tolist() == [1, 1, 1, 0, 0, 0]
    assert kept["event_time"].tolist() == [1, 2, 3, -5, -4, -3]
    countries = pd.DataFrame({"country": ["Chile"] * 3, "year": [1990, 1991, 1992]})
    with pytest.raises(SpecificationError, match="before its first period 1990"):
        timeline_treatment(countries, {"Chile": "chile_tomato"}, unit="country", time="year",
                           event="chile_prochile_created")
    with pytest.raises(SpecificationError, match="'error' or 'keep'"):
        add_adoption(small, {"a": 2001}, unit="id", time="t", outside="drop")


def test_units_not_in_the_panel(small):
    with pytest.raises(SpecificationError, match=r"not in the panel: \['z'\]"):
        add_adoption(small, {"z": 2001}, unit="id", time="t")
    with pytest.raises(SpecificationError, match=r"units with a timeline but not in column 'id'.*'Chile'"):
        timeline_treatment(small, {"Chile": "chile_tomato"}, unit="id", time="t", event="chile_prochile_created")
    with pytest.raises(SpecificationError, match="not in column 'id'"):
        add_regime(small, {"z": [(None, None, "arms_length")]}, unit="id", time="t")


def test_bad_adoption_values(small):
    with pytest.raises(SpecificationError, match="is 0, which first_treated uses for 'never treated'"):
        add_adoption(small, {"a": 0}, unit="id", time="t", outside="keep")
    with pytest.raises(SpecificationError, match="integer period or None, got 2001.5"):
        add_adoption(small, {"a": 2001.5}, unit="id", time="t")
    with pytest.raises(SpecificationError, match="got '2001'"):
        add_adoption(small, {"a": "2001"}, unit="id", time="t")
    with pytest.raises(SpecificationError, match="got inf"):
        add_adoption(small, {"a": float("inf")}, unit="id", time="t")
    with pytest.raises(SpecificationError, match="got True"):
        add_adoption(small, {"a": True}, unit="id", time="t")
    assert add_adoption(small, {"a": np.float32("nan"), "b": np.int64(2001)}, unit="id", time="t")[
        "first_treated"
    ].tolist() == [0] * 3 + [2001] * 3
    series = pd.Series({"a": 2001.0, "b": np.nan})
    out = add_adoption(small, series, unit="id", time="t")
    assert out["first_treated"].tolist() == [2001] * 3 + [0] * 3


def test_bad_panels(small):
    with pytest.raises(SpecificationError, match="time column 'year' is not in the panel"):
        add_adoption(small, {}, unit="id", time="year")
    dup = pd.concat([small, small.iloc[[0]]])
    with pytest.raises(DataError, match="more than one row for unit 'a' in period 2000"):
        add_adoption(dup, {}, unit="id", time="t")
    holes = small.assign(t=[2000, None, 2002, 2000, 2001, 2002])
    with pytest.raises(DataError, match="missing periods"):
        add_adoption(holes, {}, unit="id", time="t")
    with pytest.raises(DataError, match="integer periods"):
        add_adoption(small.assign(t=small["t"] + 0.5), {}, unit="id", time="t")
    with pytest.raises(DataError, match="integer periods"):
        add_adoption(small.assign(t=small["t"].astype(str)), {}, unit="id", time="t")
    # integral floats are accepted
    assert add_adoption(small.assign(t=small["t"].astype(float)), {"a": 2001}, unit="id", time="t")["post"].sum() == 2


def test_column_names_and_overwrite(small):
    out = add_adoption(small, {"a": 2001}, unit="id", time="t", names={"first_treated": "gname"})
    assert "gname" in out and "first_treated" not in out
    with pytest.raises(SpecificationError, match="already has column"):
        add_adoption(out, {"a": 2001}, unit="id", time="t", names={"first_treated": "gname"})
    again = add_adoption(out, {"a": 2002}, unit="id", time="t", names={"first_treated": "gname"}, overwrite=True)
    assert again["gname"].tolist() == [2002] * 3 + [0] * 3
    with pytest.raises(SpecificationError, match="unknown key 'gname'"):
        add_adoption(small, {}, unit="id", time="t", names={"gname": "g"})
    with pytest.raises(SpecificationError, match="must differ"):
        add_adoption(small, {}, unit="id", time="t", names={"post": "treated"})


def test_event_or_regime_required(small):
    with pytest.raises(SpecificationError, match="exactly one of event="):
        timeline_treatment(small, {"a": "chile_tomato"}, unit="id", time="t")
    with pytest.raises(SpecificationError, match="no event 'nope'"):
        timeline_treatment(small, {"a": "chile_tomato"}, unit="id", time="t", event="nope")
    with pytest.raises(SpecificationError, match="without a timeline"):
        timeline_treatment(small, {"a": "chile_tomato"}, unit="id", time="t", event={"b": "x"})


def test_overlapping_spells_and_categorical_units(small):
    with pytest.raises(SpecificationError, match="overlap"):
        add_regime(small, {"a": [(2000, 2001, "arms_length"), (2001, None, "cooperative_monitoring")]},
                   unit="id", time="t")
    cat = small.assign(id=small["id"].astype("category"))
    frame = pd.DataFrame({"id": ["a", "a"], "start": [None, 2001], "end": [2000, None],
                          "regime": ["arms_length", "cooperative_monitoring"]})
    out = add_regime(cat, frame, unit="id", time="t")
    assert out["regime"].tolist()[:3] == ["arms_length", "cooperative_monitoring", "cooperative_monitoring"]
    assert out["regime"].iloc[3:].isna().all()
    assert add_adoption(cat, {"b": 2002}, unit="id", time="t")["post"].tolist() == [0, 0, 0, 0, 0, 1]


def test_vectorised_on_a_large_panel():
    """5,000 suppliers x 20 years (the size of the paper's 1995 network) in well under a second."""
    rng = np.random.default_rng(7)
    n, years = 5000, np.arange(1986, 2006)
    panel = pd.DataFrame({"supplier": np.repeat(np.arange(n), len(years)), "year": np.tile(years, n)})
    adoption = dict(enumerate(np.where(rng.random(n) < 0.7, rng.integers(1987, 2005, n), -1).tolist()))
    adoption = {k: (None if v == -1 else v) for k, v in adoption.items()}
    spells = {k: [(None, v - 1, "arms_length"), (v, None, "cooperative_monitoring")]
              for k, v in adoption.items() if v is not None}
    out = add_regime(add_adoption(panel, adoption, unit="supplier", time="year"), spells, unit="supplier",
                     time="year")
    assert ((out["regime"] == "cooperative_monitoring").astype(int) == out["post"]).all()


def test_docstring_examples_run():
    result = doctest.testmod(regimes_mod, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.attempted > 0 and result.failed == 0
