"""Loader and schema of the governance-regime timelines (clusterecon.data.regimes).

References: the packaged files are checked against the paper's text in test_regimes_paper.py (verbatim quotes at
their locations); here the dates are checked against the years printed in their own quotes, and the schema against
hand-written valid and broken files.
"""

from __future__ import annotations

import copy
import doctest
import re

import pytest
import yaml

import clusterecon.data.regimes as regimes_mod
from clusterecon.data.regimes import (
    DATE_PRECISIONS,
    EVENT_TYPES,
    REGIME_VOCABULARY,
    Timeline,
    available_timelines,
    default_directory,
    events_frame,
    load_timeline,
    load_timelines,
    regimes_frame,
    timeline_from_dict,
)
from clusterecon.errors import ParseError, SchemaError, SpecificationError


# ----------------------------------------------------------------------------------------------------------------
# the packaged timelines
# ----------------------------------------------------------------------------------------------------------------
def test_packaged_timelines_are_found_next_to_the_package():
    assert default_directory().name == "regimes"
    assert available_timelines() == ["chile_tomato", "nicaragua_dairy"]
    for name in available_timelines():
        tl = load_timeline(name)
        assert tl.cluster == name, "file stem and cluster must agree"
        assert load_timeline(default_directory() / f"{name}.yaml") == tl
    assert set(load_timelines()) == {"chile_tomato", "nicaragua_dairy"}


def test_stated_years_appear_in_their_evidence():
    """Every date the paper states (precision 'year' or 'range') is printed in one of the event's quotes."""
    checked = 0
    for name in available_timelines():
        for ev in load_timeline(name).events:
            if ev.date.precision not in ("year", "range"):
                continue
            text = " ".join(e.quote for e in ev.evidence)
            for y in {ev.date.start, ev.date.end}:
                assert str(y) in text or f"–{str(y)[2:]}" in text, f"{ev.id}: {y} not in its quotes"
            checked += 1
    assert checked >= 4  # PROCHILE 1975, collapse 1981-82, the 1998 law and acquisition


def test_decades_and_vague_dates_carry_an_interval_and_a_reason():
    for name in available_timelines():
        for ev in load_timeline(name).events:
            if ev.date.precision in ("approximate", "decade"):
                assert ev.date.start < ev.date.end, ev.id
                if ev.date.precision == "approximate":
                    assert ev.note, f"{ev.id}: an approximate date must say in its note how it was read"


def test_the_papers_events_are_encoded():
    """The events the issue lists, with the paper's dates (section 4 and 5)."""
    chile, nic = load_timeline("chile_tomato"), load_timeline("nicaragua_dairy")
    corfo = chile.event("chile_corfo_projects").date
    assert (corfo.start, corfo.end, corfo.precision) == (1966, 1979, "approximate")  # "late 1960s and 1970s"
    assert chile.event("chile_prochile_created").date.year == 1975
    committees = chile.event("chile_export_committees")
    assert committees.date.start == 1983 and committees.regime_after == "state_promoted_self_coordination"
    coop = chile.event("chile_cooperative_monitoring")
    assert (coop.date.start, coop.date.end, coop.date.precision) == (1985, 1995, "decade")
    assert (coop.regime_before, coop.regime_after) == ("arms_length", "cooperative_monitoring")
    assert nic.event("nic_el_salvador_pasteurisation_law").date.year == 1998
    assert nic.event("nic_mnc_acquisition").date.year == 1998
    for ev_id in ("nic_comarca_producer_groups", "nic_main_reception_plant", "nic_quality_laboratory"):
        assert nic.event(ev_id).regime_after == "cooperative_monitoring"


def test_regime_in_force_and_adoption_years():
    chile, nic = load_timeline("chile_tomato"), load_timeline("nicaragua_dairy")
    assert chile.regime_in_force(1970, "state_firm") == "state_led_promotion"
    assert chile.regime_in_force(1983, "state_firm") == "state_promoted_self_coordination"
    assert chile.regime_in_force(1960, "state_firm") is None  # before CORFO: not stated by the paper
    assert chile.regime_in_force(1950, "processor_supplier") == "arms_length"  # open start
    assert nic.regime_in_force(1997) == "arms_length" and nic.regime_in_force(2000) == "cooperative_monitoring"
    assert chile.adoption_year(event="chile_cooperative_monitoring", date="end") == 1995
    assert nic.adoption_year(regime="cooperative_monitoring") == 1998
    with pytest.raises(SpecificationError, match="arena"):
        chile.regime_in_force(1990)  # two arenas: must choose
    with pytest.raises(SpecificationError, match="start: null"):
        chile.adoption_year(regime="arms_length", arena="processor_supplier")
    with pytest.raises(SpecificationError, match="exactly one"):
        chile.adoption_year()
    with pytest.raises(SpecificationError, match="no event 'nope'"):
        chile.event("nope")
    with pytest.raises(SpecificationError, match="'year', 'start' or 'end'"):
        chile.adoption_year(event="chile_prochile_created", date="middle")


def test_frames_have_one_row_per_entry_and_stable_types():
    chile = load_timeline("chile_tomato")
    ev = chile.events_frame()
    assert len(ev) == len(chile.events) and ev["id"].is_unique
    assert list(ev.columns[:4]) == ["cluster", "id", "arena", "year"]
    assert ev[["year", "start", "end"]].dtypes.eq("int64").all()
    assert (ev["start"] <= ev["year"]).all() and (ev["year"] <= ev["end"]).all()
    rg = chile.regimes_frame()
    assert str(rg["start"].dtype) == "Int64" and rg["start"].isna().sum() == 1  # the left-open arm's-length spell
    both = events_frame()
    assert set(both["cluster"]) == {"chile_tomato", "nicaragua_dairy"}
    assert len(regimes_frame()) == len(chile.regimes) + len(load_timeline("nicaragua_dairy").regimes)


def test_vocabularies_are_documented_in_the_readme():
    readme = (default_directory() / "README.md").read_text(encoding="utf-8")
    for word in [*REGIME_VOCABULARY, *EVENT_TYPES, *DATE_PRECISIONS]:
        assert f"`{word}`" in readme, f"{word} is not documented in data/regimes/README.md"


def test_docstring_examples_run():
    result = doctest.testmod(regimes_mod, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.attempted > 0 and result.failed == 0


# ----------------------------------------------------------------------------------------------------------------
# users' own clusters, and the schema's errors
# ----------------------------------------------------------------------------------------------------------------
def minimal() -> dict:
    """A small valid timeline of a made-up cluster (two regimes, one transition event)."""
    return {
        "cluster": "toy_cluster",
        "arenas": {"buyer_supplier": "a buyer and its growers"},
        "events": [
            {
                "id": "toy_contracts",
                "cluster": "toy_cluster",
                "arena": "buyer_supplier",
                "date": {"start": 2003, "end": 2005, "precision": "approximate"},
                "actors": ["buyer", "growers"],
                "type": "contracting",
                "regime_before": "arms_length",
                "regime_after": "cooperative_monitoring",
                "quote": "Around 2004 the buyer moved to yearly contracts.",
                "location": "field notes, p. 2",
                "note": "'around 2004' read as 2003-2005",
            }
        ],
        "regimes": [
            {
                "id": "toy_spot",
                "cluster": "toy_cluster",
                "arena": "buyer_supplier",
                "regime": "arms_length",
                "start": None,
                "end": 2003,
                "evidence": [{"quote": "Growers sold on the spot market.", "location": "field notes, p. 1"}],
            },
            {
                "id": "toy_coop",
                "cluster": "toy_cluster",
                "arena": "buyer_supplier",
                "regime": "cooperative_monitoring",
                "start": 2004,
                "end": None,
                "evidence": [{"event": "toy_contracts"}],
            },
        ],
    }


def test_user_can_encode_their_own_cluster_in_yaml(tmp_path):
    path = tmp_path / "toy_cluster.yaml"
    path.write_text(yaml.safe_dump(minimal(), sort_keys=False), encoding="utf-8")
    tl = load_timeline(path)
    assert isinstance(tl, Timeline) and tl.origin == str(path)
    assert tl.event("toy_contracts").date.year == 2003  # year defaults to the interval's start
    assert tl.regime_in_force(2010) == "cooperative_monitoring"
    assert tl.spells()[1].event_ids == ("toy_contracts",)
    assert load_timelines(tmp_path)["toy_cluster"] == tl
    assert available_timelines(tmp_path) == ["toy_cluster"]
    assert available_timelines(tmp_path / "absent") == []


def test_user_can_extend_the_vocabularies():
    data = minimal()
    data["extra_regimes"] = {"platform": "a digital platform matches growers and buyers"}
    data["extra_event_types"] = {"platform_launch": "a platform starts operating"}
    data["events"][0].update(regime_after="platform", type="platform_launch")
    data["regimes"][1]["regime"] = "platform"
    tl = timeline_from_dict(data)
    assert tl.vocabulary["platform"].startswith("a digital platform")
    assert "platform" not in REGIME_VOCABULARY  # the package vocabulary is untouched
    data["extra_regimes"] = {"arms_length": "redefined"}
    with pytest.raises(SchemaError, match="already defined"):
        timeline_from_dict(data)


def test_date_shorthand_and_year_precision():
    data = minimal()
    data["regimes"] = []
    data["events"][0]["date"] = 2004
    d = timeline_from_dict(data).events[0].date
    assert (d.year, d.start, d.end, d.precision) == (2004, 2004, 2004, "year")


BROKEN = [
    # (description, mutation, entry named in the message, field named in the message)
    ("unknown regime", lambda d: d["events"][0].update(regime_after="cooperation"), "events[0]", "regime_after"),
    ("missing quote", lambda d: d["events"][0].pop("quote"), "events[0]", "quote"),
    ("typo in a field", lambda d: d["events"][0].update(qoute="x"), "events[0]", "qoute"),
    ("vague date without end", lambda d: d["events"][0]["date"].pop("end"), "events[0]", "date.end"),
    ("start after end", lambda d: d["events"][0]["date"].update(start=2006), "events[0]", "date.start"),
    ("year outside interval", lambda d: d["events"][0]["date"].update(year=2010), "events[0]", "date.year"),
    ("year as text", lambda d: d["events"][0]["date"].update(start="2003"), "events[0]", "date.start"),
    ("year as bool", lambda d: d["regimes"][1].update(start=True), "regimes[1]", "start"),
    ("bad precision", lambda d: d["events"][0]["date"].update(precision="circa"), "events[0]", "date.precision"),
    ("undeclared arena", lambda d: d["events"][0].update(arena="state_firm"), "events[0]", "arena"),
    ("cluster mismatch", lambda d: d["regimes"][0].update(cluster="other"), "regimes[0]", "cluster"),
    ("duplicate id", lambda d: d["regimes"][0].update(id="toy_contracts"), "regimes[0]", "id"),
    ("bad id", lambda d: d["events"][0].update(id="Toy Contracts"), "events[0]", "id"),
    ("unknown event type", lambda d: d["events"][0].update(type="merger"), "events[0]", "type"),
    ("empty actors", lambda d: d["events"][0].update(actors=[]), "events[0]", "actors"),
    ("dangling evidence", lambda d: d["regimes"][1].update(evidence=[{"event": "nope"}]), "regimes[1]", "event"),
    ("evidence without location", lambda d: d["regimes"][0].update(evidence=[{"quote": "q"}]), "regimes[0]", "location"),
    ("overlapping spells", lambda d: d["regimes"][1].update(start=2003), "toy_coop", "start"),
    ("open end in the middle", lambda d: d["regimes"][0].update(end=None), "toy_spot", "end"),
    ("transition not in spells", lambda d: d["events"][0]["date"].update(start=2006, end=2007), "toy_contracts",
     "regime_after"),
    ("wrong regime before", lambda d: d["events"][0].update(regime_before="hierarchical"), "toy_contracts",
     "regime_after"),
    ("unknown top-level key", lambda d: d.update(event=[]), "top level", "event"),
    ("no events", lambda d: d.update(events=[]), "top level", "events"),
    ("schema version", lambda d: d.update(schema_version=2), "top level", "schema_version"),
]


@pytest.mark.parametrize(("mutate", "entry", "field"), [b[1:] for b in BROKEN], ids=[b[0] for b in BROKEN])
def test_schema_errors_name_file_entry_and_field(tmp_path, mutate, entry, field):
    data = minimal()
    timeline_from_dict(copy.deepcopy(data))  # valid before the mutation
    mutate(data)
    path = tmp_path / "toy_cluster.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    with pytest.raises(SchemaError) as info:
        load_timeline(path)
    message = str(info.value)
    assert str(path) in message
    assert entry in message
    assert f"field '{field}'" in message


def test_within_regime_event_must_overlap_its_regime():
    data = minimal()
    data["events"].append(
        {**data["events"][0], "id": "toy_late_visit", "date": 2001, "type": "technical_assistance",
         "regime_before": "cooperative_monitoring", "regime_after": "cooperative_monitoring"}
    )
    with pytest.raises(SchemaError, match=r"toy_late_visit.*within regime 'cooperative_monitoring'"):
        timeline_from_dict(data, origin="x.yaml")
    data["events"][1]["date"] = 2008
    assert timeline_from_dict(data).event("toy_late_visit").date.year == 2008


def test_yaml_syntax_error_gives_file_and_line(tmp_path):
    path = tmp_path / "bad.yaml"
    path.write_text("cluster: toy\nevents:\n  - id: [unclosed\n", encoding="utf-8")
    with pytest.raises(ParseError) as info:
        load_timeline(path)
    assert info.value.path == str(path) and info.value.line is not None
    assert re.search(r"line \d+", str(info.value))


def test_missing_files_and_names():
    with pytest.raises(ParseError, match="not found"):
        load_timeline("/nonexistent/dir/x.yaml")
    with pytest.raises(ParseError, match="no packaged timeline named 'atlantis'"):
        load_timeline("atlantis")
    with pytest.raises(SchemaError, match="expected a mapping"):
        timeline_from_dict(["not", "a", "mapping"])
