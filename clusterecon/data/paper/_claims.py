"""The claims audit: every number the paper derives from other numbers, recomputed from the facts table.

Each :class:`Claim` names the sentence that makes it, the fact ids it rests on and the computation, never a typed
copy of an input number.  The only numbers typed here are the *stated* values of derived claims ("a 50-fold
increase", "20% of coffee sales"), which are not facts of their own (they are what is being checked), and the
items of enumerations ("four technological challenges: First, ... Second, ...").
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal

import numpy as np
import pandas as pd

from ._facts import facts as load_facts
from ._facts import validate_facts

__all__ = ["Claim", "CLAIMS", "audit", "AUDIT_COLUMNS", "printed_precision", "EXACT_TOL"]

#: Relative tolerance under which a recomputed value counts as equal to the stated one.
EXACT_TOL = 1e-9

AUDIT_COLUMNS = (
    "claim_id",
    "quote",
    "location",
    "kind",
    "formula",
    "inputs",
    "stated",
    "stated_value",
    "recomputed_value",
    "abs_diff",
    "rel_diff",
    "printed_precision",
    "verdict",
    "rule",
    "uses_misprint",
    "recomputed_value_corrected",
    "verdict_if_corrected",
    "note",
)

Values = Mapping[str, float]


@dataclass(frozen=True)
class Claim:
    """One derived statement of the paper and how to recompute it from the facts.

    kind
        ``"value"``: a stated number (``stated``, the printed text) against ``compute(values)``;
        ``"inequality"``: ``compute(values) <relation> threshold`` (``stated`` is the threshold, usually "0");
        ``"range"``: ``bounds`` (two fact ids) must enclose ``compute(values)``;
        ``"enumeration"``: the fact ``stated_fact`` (a printed count or rank) against ``offset + len(items)``;
        ``"uncheckable"``: an input is not in the paper; ``reason`` says which.
    """

    claim_id: str
    location: str
    quote: str
    kind: str
    inputs: tuple[str, ...] = ()
    formula: str = ""
    compute: Callable[[Values], float] | None = None
    stated: str = ""
    stated_fact: str = ""
    relation: str = ""
    bounds: tuple[str, str] | None = None
    items: tuple[str, ...] = ()
    offset: int = 0
    reason: str = ""
    note: str = ""
    all_facts: tuple[str, ...] = field(default=(), repr=False)

    def fact_ids(self) -> tuple[str, ...]:
        ids = list(self.inputs)
        if self.stated_fact:
            ids.append(self.stated_fact)
        if self.bounds:
            ids.extend(self.bounds)
        return tuple(dict.fromkeys(ids))


def printed_precision(stated: str) -> float:
    """The precision a printed number carries: 10**-d for d printed decimals; for an integer, the place of its
    last non-zero digit (trailing zeros of an integer are not significant: "20" -> 10, "8" -> 1, "700" -> 100).

    >>> printed_precision("7.5"), printed_precision("20"), printed_precision("8"), printed_precision("16.86")
    (0.1, 10.0, 1.0, 0.01)
    """
    d = Decimal(stated)
    if "." in stated:
        return float(Decimal(1).scaleb(d.as_tuple().exponent))
    digits = stated.lstrip("+-")
    zeros = len(digits) - len(digits.rstrip("0")) if digits.strip("0") else 0
    return float(10**zeros)


def _round_to(x: float, precision: float) -> float:
    q = x / precision
    return math.copysign(math.floor(abs(q) + 0.5), q) * precision


_REL = {">": np.greater, "<": np.less, ">=": np.greater_equal, "<=": np.less_equal}
_WORDS = {">": "greater than", "<": "less than", ">=": "at least", "<=": "at most"}

# ------------------------------------------------------------------------------------------------ the claims
_S = "jpn_import_share_"
def _share_change(claim_id: str, location: str, quote: str, *, later: str, earlier: str, relation: str,
                  note: str) -> Claim:
    """An inequality on the change of a Japanese import share: ``share(later) - share(earlier) <relation> 0``.

    ``later`` and ``earlier`` are fact-id suffixes after ``jpn_import_share_``; inputs, formula and computation are
    derived from them, so the three cannot disagree.
    """
    a, b = _S + later, _S + earlier
    return Claim(claim_id, location, quote, "inequality", (a, b), f"{a} - {b}", lambda v: v[a] - v[b], stated="0",
                 relation=relation, note=note)


CLAIMS: tuple[Claim, ...] = (
    # ---- Chile: exports and production of processed tomato (section 4, footnote 1 on 'processed exports')
    Claim(
        "chl_export_value_50fold",
        "§4 ¶2 fn1 [after 'processed exports']",
        "Export sales of processed tomato products grew from merely two million dollars in 1981, to more than 100 "
        "million dollars in 1995, a 50-fold increase (FEPACH, 1996).",
        "value",
        ("chl_tomato_export_value_1995", "chl_tomato_export_value_1981"),
        "chl_tomato_export_value_1995 / chl_tomato_export_value_1981",
        lambda v: v["chl_tomato_export_value_1995"] / v["chl_tomato_export_value_1981"],
        stated="50",
        note="the 1995 value is printed as 'more than 100', so the recomputed multiple is a lower bound",
    ),
    Claim(
        "chl_volume_eightfold",
        "§4 ¶2 fn1 [after 'processed exports']",
        "During this period, the total volume of processed tomato production increased eight times, from 14,420 "
        "metric tons per year to 113,650 metric tons.",
        "value",
        ("chl_tomato_volume_1995", "chl_tomato_volume_1981"),
        "chl_tomato_volume_1995 / chl_tomato_volume_1981",
        lambda v: v["chl_tomato_volume_1995"] / v["chl_tomato_volume_1981"],
        stated="8",
        note="'eight times' is the multiple rounded to a whole number",
    ),
    Claim(
        "chl_producer_rank_fifth",
        "§4 ¶2",
        "By 1994, Chile occupied fifth place among the world's tomato paste producers, after the USA, Italy, "
        "Turkey, Greece, and tied with Spain.",
        "enumeration",
        formula="1 + number of producers named ahead of Chile",
        stated_fact="chl_tomato_paste_producer_rank_1994",
        items=("the USA", "Italy", "Turkey", "Greece"),
        offset=1,
    ),
    # ---- Japan's tomato-paste imports (section 4, footnote 1 on 'demanding ones')
    _share_change(
        "jpn_chl_share_rise_1980_1985",
        "§4 ¶2 fn1 [after 'demanding ones']",
        "By 1985, Chile's share had increased to 4.46%; by 1990, it had risen to 12.52%; and by 1992, it had "
        "reached 16.86%.",
        later="chl_1985",
        earlier="chl_1980",
        relation=">",
        note="'increased' from the 1980 share: fails with the printed 65%, holds with 0.65%",
    ),
    _share_change(
        "jpn_chl_share_rise_1985_1990",
        "§4 ¶2 fn1 [after 'demanding ones']",
        "By 1985, Chile's share had increased to 4.46%; by 1990, it had risen to 12.52%; and by 1992, it had "
        "reached 16.86%.",
        later="chl_1990",
        earlier="chl_1985",
        relation=">",
        note="'risen'",
    ),
    _share_change(
        "jpn_chl_share_rise_1990_1992",
        "§4 ¶2 fn1 [after 'demanding ones']",
        "By 1985, Chile's share had increased to 4.46%; by 1990, it had risen to 12.52%; and by 1992, it had "
        "reached 16.86%.",
        later="chl_1992",
        earlier="chl_1990",
        relation=">",
        note="'had reached' continues the rise",
    ),
    _share_change(
        "jpn_chn_share_rise_1980_1990",
        "§4 ¶2 fn1 [after 'demanding ones']",
        "By comparison, China's share in Japan's total tomato paste imports only increased from 6.63% in 1980 to "
        "9.05 in 1990, and decreased to 8.07% in 1992.",
        later="chn_1990",
        earlier="chn_1980",
        relation=">",
        note="'increased'",
    ),
    _share_change(
        "jpn_chn_share_fall_1990_1992",
        "§4 ¶2 fn1 [after 'demanding ones']",
        "By comparison, China's share in Japan's total tomato paste imports only increased from 6.63% in 1980 to "
        "9.05 in 1990, and decreased to 8.07% in 1992.",
        later="chn_1992",
        earlier="chn_1990",
        relation="<",
        note="'decreased'",
    ),
    Claim(
        "jpn_chn_gain_below_chl_gain_1980_1990",
        "§4 ¶2 fn1 [after 'demanding ones']",
        "By comparison, China's share in Japan's total tomato paste imports only increased from 6.63% in 1980 to "
        "9.05 in 1990, and decreased to 8.07% in 1992.",
        "inequality",
        (_S + "chn_1990", _S + "chn_1980", _S + "chl_1990", _S + "chl_1980"),
        f"({_S}chn_1990 - {_S}chn_1980) - ({_S}chl_1990 - {_S}chl_1980)",
        lambda v: (v[_S + "chn_1990"] - v[_S + "chn_1980"]) - (v[_S + "chl_1990"] - v[_S + "chl_1980"]),
        stated="0",
        relation="<",
        note="'only increased ... by comparison': China's 1980-1990 gain (percentage points) is below Chile's",
    ),
    _share_change(
        "jpn_chl_above_chn_1992",
        "§4 ¶2 fn1 [after 'demanding ones']",
        "By comparison, China's share in Japan's total tomato paste imports only increased from 6.63% in 1980 to "
        "9.05 in 1990, and decreased to 8.07% in 1992.",
        later="chl_1992",
        earlier="chn_1992",
        relation=">",
        note="ranking implied by the comparison: Chile ahead of China in 1992",
    ),
    Claim(
        "jpn_twn_major_feasible_1980",
        "§4 ¶2 fn1 [after 'demanding ones']",
        "By 1992, Chile accounted for a larger share of Japan's tomato paste imports than Taiwan, which until 1990 "
        "had been the major exporter to Japan (CORFO, 1995).",
        "inequality",
        (_S + "chl_1980", _S + "chn_1980"),
        f"(100 - {_S}chl_1980 - {_S}chn_1980) - max({_S}chl_1980, {_S}chn_1980)",
        lambda v: (
            (100 - v[_S + "chl_1980"] - v[_S + "chn_1980"]) - max(v[_S + "chl_1980"], v[_S + "chn_1980"])
        ),
        stated="0",
        relation=">=",
        note="Taiwan 'the major exporter' in 1980 needs the share left after Chile and China to reach the largest "
        "of them (necessary condition; Taiwan's share is not printed). The constant 100 is the whole of "
        "Japan's imports in percent",
    ),
    Claim(
        "jpn_twn_major_feasible_1985",
        "§4 ¶2 fn1 [after 'demanding ones']",
        "By 1992, Chile accounted for a larger share of Japan's tomato paste imports than Taiwan, which until 1990 "
        "had been the major exporter to Japan (CORFO, 1995).",
        "inequality",
        (_S + "chl_1985",),
        f"(100 - {_S}chl_1985) - {_S}chl_1985",
        lambda v: (100 - v[_S + "chl_1985"]) - v[_S + "chl_1985"],
        stated="0",
        relation=">=",
        note="necessary condition only: China's 1985 share is not printed",
    ),
    Claim(
        "jpn_twn_major_feasible_1990",
        "§4 ¶2 fn1 [after 'demanding ones']",
        "By 1992, Chile accounted for a larger share of Japan's tomato paste imports than Taiwan, which until 1990 "
        "had been the major exporter to Japan (CORFO, 1995).",
        "inequality",
        (_S + "chl_1990", _S + "chn_1990"),
        f"(100 - {_S}chl_1990 - {_S}chn_1990) - max({_S}chl_1990, {_S}chn_1990)",
        lambda v: (
            (100 - v[_S + "chl_1990"] - v[_S + "chn_1990"]) - max(v[_S + "chl_1990"], v[_S + "chn_1990"])
        ),
        stated="0",
        relation=">=",
        note="necessary condition only (Taiwan's share is not printed)",
    ),
    Claim(
        "jpn_chl_above_twn_1992",
        "§4 ¶2 fn1 [after 'demanding ones']",
        "By 1992, Chile accounted for a larger share of Japan's tomato paste imports than Taiwan, which until 1990 "
        "had been the major exporter to Japan (CORFO, 1995).",
        "uncheckable",
        (_S + "chl_1992",),
        reason="Taiwan's 1992 share of Japan's tomato-paste imports is not printed in the paper",
    ),
    Claim(
        "chl_world_share_increase",
        "§4 ¶2",
        "Not only did Chile increase its share of the world market, but it penetrated very demanding ones.",
        "uncheckable",
        reason="Chile's share of the world tomato-paste market is not printed in the paper",
    ),
    # ---- supplier network (section 4)
    Claim(
        "chl_network_growth_suppliers_per_firm",
        "§4 ¶2",
        "Production networks grew substantially; in 1995, nine large firms worked with nearly 5,000 raw material "
        "suppliers in the south-central valley of Chile.",
        "inequality",
        (
            "chl_suppliers_1995",
            "chl_processing_firms_1995",
            "chl_suppliers_1985",
            "chl_processing_firms_1985",
        ),
        "(chl_suppliers_1995 / chl_processing_firms_1995) / (chl_suppliers_1985 / chl_processing_firms_1985)",
        lambda v: (
            (v["chl_suppliers_1995"] / v["chl_processing_firms_1995"])
            / (v["chl_suppliers_1985"] / v["chl_processing_firms_1985"])
        ),
        stated="1",
        relation=">",
        note="suppliers per processing firm, 1995 over 1985 (the 1995 supplier count is 'nearly 5,000', an upper "
        "bound)",
    ),
    Claim(
        "chl_more_firms_entered",
        "§4 ¶12",
        "Moreover, demand for raw material and, thus, demand for suppliers increased as more firms entered the "
        "agroindustry.",
        "inequality",
        ("chl_processing_firms_1995", "chl_processing_firms_1985"),
        "chl_processing_firms_1995 - chl_processing_firms_1985",
        lambda v: v["chl_processing_firms_1995"] - v["chl_processing_firms_1985"],
        stated="0",
        relation=">",
    ),
    Claim(
        "chl_demand_for_suppliers_increased",
        "§4 ¶12",
        "Moreover, demand for raw material and, thus, demand for suppliers increased as more firms entered the "
        "agroindustry.",
        "inequality",
        ("chl_suppliers_1995", "chl_suppliers_1985"),
        "chl_suppliers_1995 - chl_suppliers_1985",
        lambda v: v["chl_suppliers_1995"] - v["chl_suppliers_1985"],
        stated="0",
        relation=">",
    ),
    Claim(
        "chl_suppliers_not_specialised",
        "§4 ¶2 fn2 [after '210 suppliers']",
        "They do not specialise in just one crop, rather a typical supplier might have three or four hectares of "
        "industrial tomato, combined with another crop to supply a different contract, or for home consumption, "
        "or for direct sale in the market.",
        "inequality",
        ("chl_supplier_farm_area_min", "chl_supplier_tomato_area_max"),
        "chl_supplier_farm_area_min - chl_supplier_tomato_area_max",
        lambda v: v["chl_supplier_farm_area_min"] - v["chl_supplier_tomato_area_max"],
        stated="0",
        relation=">",
        note="even the largest typical tomato area is smaller than the smallest typical farm, leaving land for "
        "other crops",
    ),
    Claim(
        "chl_technological_challenges_enumerated",
        "§4 ¶3",
        "Becoming exporters presented at least four technological challenges.",
        "enumeration",
        formula="number of challenges enumerated (First, Second, Third, And fourth)",
        stated_fact="chl_technological_challenges",
        items=("First,", "Second,", "Third,", "And fourth,"),
    ),
    Claim(
        "chl_interaction_levels_enumerated",
        "§4 ¶1",
        "The emergence and growth of firm networks in the Chilean agroindustry, and their successful export "
        "performance, involved a highly interactive process at two levels of the economy: between the state and "
        "large Chilean firms, and among local producers.",
        "enumeration",
        formula="number of levels enumerated",
        stated_fact="chl_interaction_levels",
        items=("between the state and large Chilean firms", "among local producers"),
    ),
    Claim(
        "chl_state_two_ways_enumerated",
        "§4 ¶4",
        "It accomplished this in two ways.",
        "enumeration",
        formula="number of ways enumerated in the following sentences",
        stated_fact="chl_state_ways",
        items=("The government managed public debate", "At the same time, it facilitated the shift"),
    ),
    # ---- PROCHILE
    Claim(
        "prochile_committee_size_vs_member_firms",
        "§4 ¶7 fn4 [after 'export committees']",
        "In all, some 65 committees consisting of six to fourteen enterprises each, and integrating over 700 firms "
        "were in place by 1988 (Pietrobelli, 1993).",
        "range",
        ("prochile_member_firms_1988", "prochile_committees_1988"),
        "prochile_member_firms_1988 / prochile_committees_1988",
        lambda v: v["prochile_member_firms_1988"] / v["prochile_committees_1988"],
        bounds=("prochile_firms_per_committee_min_1988", "prochile_firms_per_committee_max_1988"),
        note="average firms per committee implied by 'over 700 firms' in 'some 65 committees' must lie within "
        "'six to fourteen' (equivalently committees x 6 <= firms <= committees x 14); assumes each firm sits "
        "in one committee",
    ),
    Claim(
        "prochile_project_categories_enumerated",
        "§4 ¶8 fn5 [after 'define a project']",
        "Projects fell into two categories: (1) improving quality to meet international standards; and/or (2) "
        "developing new products.",
        "enumeration",
        formula="number of categories enumerated",
        stated_fact="prochile_project_categories",
        items=("(1)", "(2)"),
    ),
    Claim(
        "hybrid_seed_cost_80x",
        "§4 ¶11 fn2 [after 'hybrids']",
        "First, the hybrid seeds are more costly (80 times higher per kilo) than open-pollinated seeds.",
        "uncheckable",
        ("hybrid_seed_price_ratio",),
        stated_fact="hybrid_seed_price_ratio",
        reason="the prices per kilo of hybrid and open-pollinated seed are not printed in the paper",
    ),
    # ---- Nicaragua (section 5)
    Claim(
        "nic_cheese_share_of_coffee_20pct",
        "§5 ¶3 fn2 [after 'annually']",
        "In relative terms, it is equivalent to 20% of coffee sales (135 million per year), Nicaragua's most "
        "important agricultural export, and to 7.5% of total agricultural products exports (332 million in 1999).",
        "value",
        ("nic_cheese_exports_slv_1999", "nic_coffee_exports"),
        "100 * nic_cheese_exports_slv_1999 / nic_coffee_exports",
        lambda v: 100 * v["nic_cheese_exports_slv_1999"] / v["nic_coffee_exports"],
        stated="20",
        note="'20%' holds only as a one-significant-figure rounding: at whole-percent precision the recomputed "
        "share would not round to 20",
    ),
    Claim(
        "nic_cheese_share_of_agri_exports_7_5pct",
        "§5 ¶3 fn2 [after 'annually']",
        "In relative terms, it is equivalent to 20% of coffee sales (135 million per year), Nicaragua's most "
        "important agricultural export, and to 7.5% of total agricultural products exports (332 million in 1999).",
        "value",
        ("nic_cheese_exports_slv_1999", "nic_agricultural_exports_1999"),
        "100 * nic_cheese_exports_slv_1999 / nic_agricultural_exports_1999",
        lambda v: 100 * v["nic_cheese_exports_slv_1999"] / v["nic_agricultural_exports_1999"],
        stated="7.5",
    ),
    Claim(
        "nic_coffee_within_agri_exports",
        "§5 ¶3 fn2 [after 'annually']",
        "In relative terms, it is equivalent to 20% of coffee sales (135 million per year), Nicaragua's most "
        "important agricultural export, and to 7.5% of total agricultural products exports (332 million in 1999).",
        "inequality",
        ("nic_agricultural_exports_1999", "nic_coffee_exports"),
        "nic_agricultural_exports_1999 - nic_coffee_exports",
        lambda v: v["nic_agricultural_exports_1999"] - v["nic_coffee_exports"],
        stated="0",
        relation=">=",
        note="coffee, an agricultural export, cannot exceed total agricultural exports",
    ),
    Claim(
        "nic_coffee_most_important",
        "§5 ¶3 fn2 [after 'annually']",
        "In relative terms, it is equivalent to 20% of coffee sales (135 million per year), Nicaragua's most "
        "important agricultural export, and to 7.5% of total agricultural products exports (332 million in 1999).",
        "uncheckable",
        ("nic_coffee_exports",),
        reason="the values of Nicaragua's other agricultural exports are not printed in the paper",
    ),
    Claim(
        "ngu_three_developments_enumerated",
        "§5 ¶2",
        "Three developments are changing radically the organisation of the cluster: changing regional trade "
        "patterns, new styles of foreign investment and the benefits of a local development project.",
        "enumeration",
        formula="number of developments enumerated",
        stated_fact="ngu_developments",
        items=(
            "changing regional trade patterns",
            "new styles of foreign investment",
            "the benefits of a local development project",
        ),
    ),
    Claim(
        "parmalat_not_monopoly_buyer",
        "§5 ¶9",
        "Currently, the Italian MNC only buys 10% of the milk produced in Nicaragua.",
        "inequality",
        ("parmalat_milk_share_nicaragua",),
        "parmalat_milk_share_nicaragua",
        lambda v: v["parmalat_milk_share_nicaragua"],
        stated="100",
        relation="<",
        note="'the MNC is not a monopoly buyer in the domestic market for raw milk': a monopoly buyer would buy "
        "100% of the milk",
    ),
    Claim(
        "parmalat_two_ways_enumerated",
        "§5 ¶13",
        "The entrance of the MNC contributed in two ways to providing the developmental conditions for the dairy "
        "cluster.",
        "enumeration",
        formula="number of ways enumerated in the following sentences",
        stated_fact="parmalat_contribution_ways",
        items=("It created local market demand", "Equally important, it is nurturing a dynamic"),
    ),
    Claim(
        "ngu_category_a_unmatched",
        "§5 ¶15",
        "Currently, 95% of the raw milk collected by the MNC in the Nueva Guinea region achieves quality category A "
        "(the highest), a remarkable performance that no other region achieves.",
        "uncheckable",
        ("ngu_category_a_milk_share",),
        reason="the category-A shares of Nicaragua's other regions are not printed in the paper",
    ),
    # ---- counts outside sections 4 and 5
    Claim(
        "lit_two_questions_enumerated",
        "§1 ¶1",
        "By the late 1980s, a new research agenda on developing countries appeared (Schmitz, 1989) with two main "
        "questions: are there industrial districts in developing economies similar to the European versions, and "
        "what are the conditions that promote or inhibit growth?",
        "enumeration",
        formula="number of questions enumerated",
        stated_fact="lit_research_questions",
        items=("are there industrial districts", "what are the conditions"),
    ),
    Claim(
        "lit_two_preconditions_enumerated",
        "§1 ¶4",
        "Recent attempts to improve the 'collective efficiency' framework to explain differences in the performance "
        "of clusters emphasises two additional pre-conditions for growth and competitive success: first, the "
        "existence of trade networks to connect to distant markets; and second, the existence of trust to sustain "
        "inter-firm relations.",
        "enumeration",
        formula="number of pre-conditions enumerated",
        stated_fact="lit_preconditions",
        items=("first, the existence of trade networks", "second, the existence of trust"),
    ),
    Claim(
        "lit_two_developments_enumerated",
        "§2 ¶3",
        "Two developments, however, qualified the initial view, and further emphasised the relevance of "
        "decentralised practices and their ways of coordinating them.",
        "enumeration",
        formula="number of developments enumerated (First, ... Second, ...)",
        stated_fact="lit_developments",
        items=("First, industrial districts began", "Second, new ways"),
    ),
    Claim(
        "paper_two_cases_enumerated",
        "§6 ¶1",
        "These two cases show that actors, at various levels, can reconstruct 'old' or existing institutions, and "
        "develop new ones using learning-by-monitoring.",
        "enumeration",
        formula="number of country cases (sections 4 and 5)",
        stated_fact="paper_cases",
        items=("Chile", "Nicaragua"),
    ),
)


# ------------------------------------------------------------------------------------------------- evaluation
def _rule(claim: Claim, precision: float | None, relation: str) -> str:
    if claim.kind == "value":
        return (
            f"consistent if |recomputed - stated| <= {EXACT_TOL:g} x max(1, |stated|); rounding if the "
            f"recomputed value rounded (half away from zero) to the printed precision {precision:g} equals "
            "the stated value; else inconsistent"
        )
    if claim.kind == "inequality":
        return (
            f"consistent if the recomputed value is {_WORDS[relation]} {claim.stated} on the printed values; "
            "else inconsistent"
        )
    if claim.kind == "range":
        return "consistent if lower bound <= recomputed value <= upper bound (bounds are facts); else inconsistent"
    if claim.kind == "enumeration":
        if relation == ">=":
            return "consistent if the number of items enumerated is at least the printed count; else inconsistent"
        return "consistent if the printed count/rank equals the enumerated count exactly; else inconsistent"
    raise ValueError(f"no rule for claim kind {claim.kind!r}")  # pragma: no cover


def _evaluate(claim: Claim, values: Values, qualifiers: Mapping[str, str]) -> dict:
    """Recompute one claim on one set of values; return stated, recomputed, diffs and verdict."""
    out = dict(
        stated_value=np.nan,
        recomputed_value=np.nan,
        abs_diff=np.nan,
        rel_diff=np.nan,
        printed_precision=np.nan,
        verdict="uncheckable",
        rule="uncheckable: an input is not printed in the paper (or is missing from the facts table)",
        note="",
    )
    missing = [i for i in claim.fact_ids() if i not in values]
    if claim.kind == "uncheckable":
        if claim.stated_fact and claim.stated_fact in values:
            out["stated_value"] = values[claim.stated_fact]
        out["note"] = claim.reason
        return out
    if missing:
        out["note"] = f"input fact(s) {missing} not in the facts table"
        return out
    if claim.kind == "value":
        s = float(claim.stated)
        r = float(claim.compute(values))
        prec = printed_precision(claim.stated)
        out.update(
            stated_value=s,
            recomputed_value=r,
            abs_diff=abs(r - s),
            rel_diff=(r - s) / s if s else np.nan,
            printed_precision=prec,
            rule=_rule(claim, prec, ""),
        )
        if abs(r - s) <= EXACT_TOL * max(1.0, abs(s)):
            out["verdict"] = "consistent"
        elif abs(_round_to(r, prec) - s) <= EXACT_TOL * max(1.0, abs(s)):
            out["verdict"] = "rounding"
        else:
            out["verdict"] = "inconsistent"
    elif claim.kind == "inequality":
        s = float(claim.stated)
        r = float(claim.compute(values))
        out.update(stated_value=s, recomputed_value=r)
        out["verdict"] = "consistent" if bool(_REL[claim.relation](r, s)) else "inconsistent"
    elif claim.kind == "range":
        lo, hi = (values[b] for b in claim.bounds)
        r = float(claim.compute(values))
        out.update(recomputed_value=r, note=f"bounds [{lo:g}, {hi:g}]")
        out["verdict"] = "consistent" if lo <= r <= hi else "inconsistent"
    elif claim.kind == "enumeration":
        s = values[claim.stated_fact]
        r = float(claim.offset + len(claim.items))
        relation = ">=" if qualifiers.get(claim.stated_fact) == "at least" else "=="
        out.update(
            stated_value=s,
            recomputed_value=r,
            abs_diff=abs(r - s),
            rel_diff=(r - s) / s if s else np.nan,
            rule=_rule(claim, None, relation),
        )
        ok = r >= s if relation == ">=" else r == s
        out["verdict"] = "consistent" if ok else "inconsistent"
    else:  # pragma: no cover - guarded by the test of CLAIMS
        raise ValueError(f"unknown claim kind {claim.kind!r}")
    return out


def audit(facts: pd.DataFrame | None = None) -> pd.DataFrame:
    """Recompute every derived claim of the paper from the facts table and give a verdict.

    Parameters
    ----------
    facts
        A facts table as returned by :func:`clusterecon.data.paper.facts` (validated again here; not modified).
        Default: the repository's table.

    Returns
    -------
    pandas.DataFrame
        One row per claim, columns ``claim_id, quote, location, kind, formula, inputs, stated, stated_value,
        recomputed_value, abs_diff, rel_diff, printed_precision, verdict, rule, uses_misprint,
        recomputed_value_corrected, verdict_if_corrected, note``.  ``verdict`` is computed on the *printed* values
        and is one of ``consistent``, ``rounding``, ``inconsistent``, ``uncheckable``;
        ``verdict_if_corrected`` repeats the check with ``corrected_value`` where a fact is flagged as a misprint.
        ``abs_diff = |recomputed - stated|`` and ``rel_diff = (recomputed - stated) / stated`` are given for
        claims that state a number (kinds ``value`` and ``enumeration``) and left empty for inequalities.

    Notes
    -----
    Tolerance rule for stated numbers: *consistent* when the recomputed value equals the stated one to a relative
    1e-9; *rounding* when it equals the stated value after rounding to the precision the paper printed (the place
    of the last printed decimal; for integers the place of the last non-zero digit, so "20%" carries a precision
    of 10 and "eight" of 1); otherwise *inconsistent*.  Ordinal and comparative claims ("increased",
    "decreased", "larger share than") are checked as inequalities.

    Examples
    --------
    >>> from clusterecon.data.paper import audit
    >>> a = audit().set_index("claim_id")
    >>> str(a.loc["chl_volume_eightfold", "verdict"]), round(float(a.loc["chl_volume_eightfold", "recomputed_value"]), 3)
    ('rounding', 7.881)
    """
    table = load_facts() if facts is None else validate_facts(facts)
    printed = dict(zip(table["id"], table["value"].astype(float)))
    corrected = {
        i: (c if m else v)
        for i, v, m, c in zip(table["id"], table["value"], table["misprint"], table["corrected_value"])
    }
    qualifiers = dict(zip(table["id"], table["qualifier"]))
    misprinted = set(table.loc[table["misprint"], "id"])
    rows = []
    for c in CLAIMS:
        res = _evaluate(c, printed, qualifiers)
        uses = sorted(set(c.fact_ids()) & misprinted)
        res_c = _evaluate(c, corrected, qualifiers) if uses else res
        if c.kind == "enumeration":
            stated_text = f"{c.stated_fact} (printed count)"
        elif c.kind == "range" and c.bounds:
            stated_text = f"between {c.bounds[0]} and {c.bounds[1]}"
        elif c.kind == "inequality":
            stated_text = f"{c.relation} {c.stated}"
        else:
            stated_text = c.stated
        note = "; ".join(x for x in (res["note"], c.note) if x)
        if uses:
            note = "; ".join(x for x in (note, f"uses misprinted fact(s) {uses}") if x)
        rows.append(
            {
                "claim_id": c.claim_id,
                "quote": c.quote,
                "location": c.location,
                "kind": c.kind,
                "formula": c.formula,
                "inputs": ", ".join(c.fact_ids()),
                "stated": stated_text,
                "stated_value": res["stated_value"],
                "recomputed_value": res["recomputed_value"],
                "abs_diff": res["abs_diff"],
                "rel_diff": res["rel_diff"],
                "printed_precision": res["printed_precision"],
                "verdict": res["verdict"],
                "rule": res["rule"],
                "uses_misprint": bool(uses),
                "recomputed_value_corrected": res_c["recomputed_value"],
                "verdict_if_corrected": res_c["verdict"],
                "note": note,
            }
        )
    out = pd.DataFrame(rows, columns=list(AUDIT_COLUMNS))
    for col in (
        "stated_value",
        "recomputed_value",
        "abs_diff",
        "rel_diff",
        "printed_precision",
        "recomputed_value_corrected",
    ):
        out[col] = out[col].astype(float)
    return out
