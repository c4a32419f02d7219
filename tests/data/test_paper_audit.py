"""The claims audit: each derived claim of the paper recomputed from the facts.

References: the paper's printed numbers (typed below from ../shared/seed as the independent reference) and closed
forms (113,650 / 14,420 etc.).  Tolerances: exact comparisons at 1e-12 relative unless stated.
"""

from __future__ import annotations

import pandas as pd
import pytest

from clusterecon.data.paper import AUDIT_COLUMNS, CLAIMS, audit, facts, printed_precision
from tests.conftest import frame_digest

from ._paper_text import norm, read_sections, text_at


@pytest.fixture(scope="module")
def table() -> pd.DataFrame:
    return audit()


def test_columns_and_one_row_per_claim(table):
    assert tuple(table.columns) == AUDIT_COLUMNS
    assert table["claim_id"].is_unique and len(table) == len(CLAIMS)
    assert set(table["verdict"]) <= {"consistent", "rounding", "inconsistent", "uncheckable"}
    assert table["rule"].str.len().gt(20).all()


def test_every_claim_references_existing_facts():
    ids = set(facts()["id"])
    for c in CLAIMS:
        missing = set(c.fact_ids()) - ids
        assert not missing, (c.claim_id, missing)
        if c.kind not in ("uncheckable", "enumeration"):
            assert c.compute is not None and c.inputs, c.claim_id


@pytest.mark.parametrize(
    "claim_id, verdict, recomputed",
    [
        ("chl_export_value_50fold", "consistent", 100 / 2),
        ("chl_volume_eightfold", "rounding", 113650 / 14420),
        ("nic_cheese_share_of_coffee_20pct", "rounding", 100 * 25 / 135),
        ("nic_cheese_share_of_agri_exports_7_5pct", "rounding", 100 * 25 / 332),
        ("prochile_committee_size_vs_member_firms", "consistent", 700 / 65),
        ("chl_network_growth_suppliers_per_firm", "consistent", (5000 / 9) / (210 / 2)),
        ("chl_producer_rank_fifth", "consistent", 5),
        ("chl_technological_challenges_enumerated", "consistent", 4),
        ("jpn_chl_share_rise_1985_1990", "consistent", 12.52 - 4.46),
        ("jpn_chn_share_fall_1990_1992", "consistent", 8.07 - 9.05),
        ("jpn_chl_above_chn_1992", "consistent", 16.86 - 8.07),
    ],
)
def test_known_verdicts(table, claim_id, verdict, recomputed):
    row = table.set_index("claim_id").loc[claim_id]
    assert row["verdict"] == verdict
    assert row["recomputed_value"] == pytest.approx(recomputed, rel=1e-12)


def test_misprinted_1980_share_makes_three_claims_inconsistent(table):
    """The printed 65% contradicts 'increased to 4.46%', 'only increased ... by comparison' and Taiwan being the
    major exporter; the corrected 0.65% satisfies all three."""
    t = table.set_index("claim_id")
    bad = [
        "jpn_chl_share_rise_1980_1985",
        "jpn_chn_gain_below_chl_gain_1980_1990",
        "jpn_twn_major_feasible_1980",
    ]
    assert sorted(table.loc[table["verdict"] == "inconsistent", "claim_id"]) == sorted(bad)
    for cid in bad:
        assert t.loc[cid, "uses_misprint"]
        assert t.loc[cid, "verdict_if_corrected"] == "consistent"
    assert t.loc["jpn_chl_share_rise_1980_1985", "recomputed_value"] == pytest.approx(4.46 - 65)
    assert t.loc["jpn_chl_share_rise_1980_1985", "recomputed_value_corrected"] == pytest.approx(4.46 - 0.65)
    assert t.loc["jpn_twn_major_feasible_1980", "recomputed_value"] == pytest.approx((100 - 65 - 6.63) - 65)


def test_uncheckable_claims_are_reported_with_a_reason(table):
    u = table[table["verdict"] == "uncheckable"]
    assert {"jpn_chl_above_twn_1992", "hybrid_seed_cost_80x", "nic_coffee_most_important"} <= set(
        u["claim_id"]
    )
    assert u["note"].str.contains("not printed").all()
    assert u["recomputed_value"].isna().all()


def test_value_claim_diffs(table):
    row = table.set_index("claim_id").loc["nic_cheese_share_of_coffee_20pct"]
    assert row["stated_value"] == 20 and row["printed_precision"] == 10
    assert row["abs_diff"] == pytest.approx(20 - 100 * 25 / 135, rel=1e-12)
    assert row["rel_diff"] == pytest.approx((100 * 25 / 135 - 20) / 20, rel=1e-12)


@pytest.mark.parametrize(
    "text, precision",
    [("7.5", 0.1), ("20", 10), ("8", 1), ("16.86", 0.01), ("700", 100), ("50", 10), ("0", 1)],
)
def test_printed_precision(text, precision):
    assert printed_precision(text) == pytest.approx(precision)


def test_missing_input_makes_a_claim_uncheckable_and_input_is_not_mutated():
    f = facts()
    f = f[f["id"] != "nic_coffee_exports"].reset_index(drop=True)
    before = frame_digest(f)
    out = audit(f).set_index("claim_id")
    assert frame_digest(f) == before
    assert out.loc["nic_cheese_share_of_coffee_20pct", "verdict"] == "uncheckable"
    assert "nic_coffee_exports" in out.loc["nic_cheese_share_of_coffee_20pct", "note"]
    assert out.loc["nic_cheese_share_of_agri_exports_7_5pct", "verdict"] == "rounding"


def test_an_edited_fact_changes_the_verdict():
    """The audit reads the facts, not typed numbers: correcting the 1980 share in a copy flips the verdicts."""
    f = facts()
    i = f.index[f["id"] == "jpn_import_share_chl_1980"][0]
    f.loc[i, ["value", "misprint", "corrected_value", "correction_reason"]] = [0.65, False, float("nan"), ""]
    out = audit(f)
    assert "inconsistent" not in set(out["verdict"])


def test_claim_quotes_and_enumerations_are_in_the_paper(shared):
    """Each claim's sentence stands verbatim at its location; enumerated items stand in that paragraph or the next
    (for the two country cases: the subjects of sections 4 and 5)."""
    sections = read_sections(shared)
    for c in CLAIMS:
        here = text_at(sections, c.location)
        assert norm(c.quote) in here, c.claim_id
        if c.kind == "enumeration":
            if c.claim_id == "paper_two_cases_enumerated":
                here = norm(sections[4].paragraphs[0] + " " + sections[5].paragraphs[0])
            elif " fn" not in c.location:  # an enumeration may run into the next paragraph ("Second, ...")
                sec, par = (int(x) for x in c.location.replace("§", "").replace("¶", "").split())
                here = norm(" ".join(sections[sec].paragraphs[par - 1 : par + 1]))
            for item in c.items:
                assert item in here, (c.claim_id, item)
