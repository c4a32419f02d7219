"""Case (d), the simulated supplier network: calibration from the facts, seeds, labelling, estimator behaviour."""

from __future__ import annotations

import numpy as np

from clusterecon.cases import suppliers
from clusterecon.data import paper
from tests.conftest import frame_digest


def test_design_is_labelled_synthetic():
    assert "SYNTHETIC" in suppliers.DESIGN
    for part in ("**Design.**", "**Identifying assumption", "**What it cannot show.**"):
        assert part in suppliers.DESIGN


def test_calibration_is_read_from_the_facts():
    cal = suppliers.calibration()
    f = paper.facts().set_index("id")["value"]
    assert cal["suppliers_last"] == f["chl_suppliers_1995"] and cal["suppliers_first"] == f["chl_suppliers_1985"]
    assert cal["processors_last"] == f["chl_processing_firms_1995"]
    assert cal["processors_first"] == f["chl_processing_firms_1985"]
    assert cal["farm_ha"] == (f["chl_supplier_farm_area_min"], f["chl_supplier_farm_area_max"])
    assert cal["tomato_ha"] == (f["chl_supplier_tomato_area_min"], f["chl_supplier_tomato_area_max"])


def test_generator_matches_calibration_and_seeds_reproduce():
    a = suppliers.supplier_panel(seed=5)
    assert frame_digest(a) == frame_digest(suppliers.supplier_panel(seed=5))
    assert frame_digest(a) != frame_digest(suppliers.supplier_panel(seed=6))
    cal = suppliers.calibration()
    net = a.loc[a["in_network"]].groupby("year").agg(n=("supplier", "size"), p=("processor", "nunique"))
    assert net["n"].iloc[0] == cal["suppliers_first"] and net["n"].iloc[-1] == cal["suppliers_last"]
    assert net["p"].iloc[0] == cal["processors_first"] and net["p"].iloc[-1] == cal["processors_last"]
    assert a["farm_ha"].between(*cal["farm_ha"]).all() and a["tomato_ha"].between(*cal["tomato_ha"]).all()
    assert (a.loc[a["treated"] == 0, "te"] == 0).all() and (a.loc[a["treated"] == 1, "te"] > 0).all()
    assert (a["cohort"] == 0).any()  # a never-treated comparison group exists
    np.testing.assert_allclose(a["yield_t_ha"], a["y0"] + a["te"], atol=1e-12)
    assert a["synthetic"].all()


def test_run_small_network_twfe_biased_robust_estimators_close():
    """Seeded: TWFE below the truth; CS, Sun-Abraham and imputation within 0.5 t/ha of the true ATT."""
    res = suppliers.run(seed=0, n_suppliers=1200)
    assert res.synthetic and all(c.startswith("SYNTHETIC") for c in res.captions.values())
    att = res.tables["att"].set_index("estimator")
    assert att.loc["TWFE (static)", "bias"] < -1.0
    for name in att.index.drop("TWFE (static)"):
        assert abs(att.loc[name, "bias"]) < 0.5, name
    again = suppliers.run(seed=0, n_suppliers=1200)
    assert again.tables["att"]["estimate"].tolist() == res.tables["att"]["estimate"].tolist()


def test_replication_step_labels_every_table_synthetic(tmp_path):
    from clusterecon.workflow.case_steps import CASE_STEPS
    from clusterecon.workflow.replicate import _run_step

    step = next(s for s in CASE_STEPS if s.name == "case_suppliers")
    _run_step(step, tmp_path)
    mds = sorted((tmp_path / "tables" / "cases").glob("suppliers_*.md"))
    texs = sorted((tmp_path / "tables" / "cases").glob("suppliers_*.tex"))
    assert mds and texs
    for p in mds + texs:
        assert "synthetic" in p.read_text(encoding="utf-8").lower(), p.name
    assert "SYNTHETIC DATA" in (tmp_path / "cases" / "suppliers.tex").read_text(encoding="utf-8")
    assert (tmp_path / "provenance" / "case_suppliers.json").is_file()


def test_generator_is_the_public_one():
    from clusterecon import simulate

    assert suppliers.supplier_panel is simulate.supplier_panel
    assert suppliers.calibration is simulate.supplier_calibration


def test_case_steps_are_named_and_do_not_clash_with_the_main_steps():
    from clusterecon.workflow.case_steps import CASE_STEPS
    from clusterecon.workflow.steps import STEPS

    names = [s.name for s in CASE_STEPS]
    assert names == ["case_chile_tomato", "case_japan_shares", "case_nicaragua_dairy", "case_suppliers"]
    all_names = [s.name for s in STEPS]
    assert len(all_names) == len(set(all_names))  # no step name used twice
    assert all_names[-len(names):] == names  # the cases run last, after the data steps
