"""Controlled vocabularies of the paper's facts table (``data/paper/facts.csv``).

Every value of the columns ``entity``, ``variable``, ``unit``, ``qualifier`` and ``source`` must be one of the
entries below; the schema in :mod:`clusterecon.data.paper._schema` enforces it.  ``data/paper/README.md`` lists the
same vocabularies with their meaning (a test checks that the two lists agree).  Adding a new entity or variable is a
deliberate act: extend the tuple here and the README in the same change.
"""

from __future__ import annotations

__all__ = ["COLUMNS", "ENTITIES", "VARIABLES", "UNITS", "QUALIFIERS", "SOURCES", "BOUND_QUALIFIERS"]

#: The columns of the facts table, in order.  No other column is allowed.
COLUMNS: tuple[str, ...] = (
    "id",
    "entity",
    "variable",
    "period",
    "year_start",
    "year_end",
    "value",
    "unit",
    "source",
    "location",
    "quote",
    "qualifier",
    "misprint",
    "corrected_value",
    "correction_reason",
)

ENTITIES: tuple[str, ...] = (
    "Chile",
    "Chilean agroindustry",
    "Chilean processors",
    "Chilean state",
    "Chilean tomato suppliers",
    "China",
    "Cluster literature",
    "El Salvador",
    "Hybrid tomato seed",
    "International dairy standards",
    "Nicaragua",
    "Nueva Guinea",
    "PROCHILE",
    "Parmalat",
    "Spain",
    "Taiwan",
    "This paper",
)

VARIABLES: tuple[str, ...] = (
    "acquisition_year",
    "agricultural_export_value",
    "artisan_cheese_exports_el_salvador",
    "cases",
    "category_a_milk_share",
    "coffee_export_value",
    "crop_markets",
    "crops_per_supplier",
    "cofinancing_share",
    "committee_member_firms",
    "development_modes",
    "developments",
    "economic_collapse_year",
    "elapsed_time",
    "export_committees",
    "export_groups_year",
    "export_promotion_year",
    "farm_area_max",
    "farm_area_min",
    "field_visit_frequency",
    "firms_per_committee_max",
    "firms_per_committee_min",
    "forms_of_production_organisation",
    "founding_year",
    "infectious_bacteria_level",
    "japan_tomato_paste_import_rank",
    "japan_tomato_paste_import_share",
    "levels_of_interaction",
    "pasteurisation_law_year",
    "peripheral_reception_plants",
    "preconditions",
    "processed_tomato_export_value",
    "processed_tomato_production_volume",
    "processing_firms",
    "producer_associations",
    "project_categories",
    "research_questions",
    "sales_share_south_america",
    "sales_worldwide",
    "seed_price_ratio",
    "seed_useful_cycles",
    "share_of_mnc_milk_supplied",
    "share_of_national_milk_purchased",
    "suppliers",
    "technological_challenges",
    "tomato_area_max",
    "tomato_area_min",
    "ways_of_action",
    "world_tomato_paste_producer_rank",
)

UNITS: tuple[str, ...] = (
    "USD million",
    "USD billion",
    "tonnes",
    "percent",
    "count",
    "hectares",
    "rank",
    "multiple",
    "decades",
    "year",
    "per week",
)

#: Qualifiers the paper attaches to a number.  "" means the number is printed as exact.
QUALIFIERS: tuple[str, ...] = (
    "",
    "about",
    "around",
    "some",
    "nearly",
    "over",
    "more than",
    "at least",
    "under",
    "after",
    "tied",
)

#: Qualifiers that make the printed number a bound rather than a point value.
BOUND_QUALIFIERS: dict[str, str] = {
    "over": "lower",
    "more than": "lower",
    "at least": "lower",
    "after": "lower",
    "nearly": "upper",
    "under": "upper",
}

SOURCES: tuple[str, ...] = (
    "author",
    "CORFO 1995",
    "FEPACH 1996",
    "Meller 1995",
    "Pietrobelli 1993",
    "Piore and Sabel 1984",
    "Schmitz 1989",
    "interviews with Nueva Guinea Dairy Project managers, July 2001",
    "interview with Agriconsulting manager, July 2001",
)
