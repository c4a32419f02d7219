"""Seeded synthetic panels with staggered adoption, for examples, property tests and benchmarks.

:func:`staggered_panel` draws a unit x period panel in which units adopt a treatment (a change of governance regime)
at cohort-specific dates, never-treated units included, with unit and period effects, optional covariates and
heterogeneous, dynamic treatment effects whose true values are returned with the data.  It is vectorised (no Python
loop over units or periods) and draws 10^7 rows in a few seconds.  Calibrations (e.g. to a supplier network) can be
built on top by passing ``effect`` as a function and choosing ``cohorts``.

:func:`supplier_panel` draws a SYNTHETIC supplier x year panel of a tomato-processing network calibrated to
Perez-Aleman (2002) (processors, suppliers and farm sizes read from the paper's facts by
:func:`supplier_calibration`), with staggered adoption of cooperative monitoring by processor and heterogeneous,
dynamic effects (case d, :mod:`clusterecon.cases.suppliers`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

import numpy as np
import pandas as pd

from .errors import SpecificationError

__all__ = ["staggered_panel", "supplier_panel", "supplier_calibration"]


def staggered_panel(
    n_units: int,
    n_periods: int,
    *,
    cohorts: Sequence[int] | Mapping[int, float] | None = None,
    never_treated: float = 0.25,
    effect: float | Callable[[np.ndarray, np.ndarray], np.ndarray] = 1.0,
    dynamic: float = 0.0,
    cohort_heterogeneity: float = 0.0,
    unit_sd: float = 1.0,
    time_sd: float = 1.0,
    noise_sd: float = 1.0,
    n_covariates: int = 0,
    covariate_effect: float = 0.5,
    start: int = 1,
    seed: int | np.random.Generator | None = 0,
) -> pd.DataFrame:
    """Draw a balanced staggered-adoption panel.

    ``y_it = a_i + l_t + X_it'b + tau_it D_it + e_it`` with ``D_it = 1[t >= G_i]``, ``a_i ~ N(0, unit_sd^2)``
    (correlated with the cohort: earlier adopters have higher ``a_i`` so that levels differ across cohorts while
    trends stay parallel), ``l_t`` a random walk with steps ``N(0, time_sd^2)``, ``e_it ~ N(0, noise_sd^2)`` and
    ``tau_it = effect(e, G) + dynamic * e + h_G`` for event time ``e = t - G >= 0``, where ``h_G ~ N(0,
    cohort_heterogeneity^2)`` is a cohort-specific shift.  Parallel trends and no anticipation hold by construction.

    Parameters
    ----------
    n_units, n_periods : panel size (periods are ``start, ..., start + n_periods - 1``)
    cohorts : adoption periods (equally likely) or a mapping period -> probability; default: every period after
        the first two and before the last, i.e. ``start + 2, ..., start + n_periods - 2`` (one at least)
    never_treated : share of never-treated units (cohort coded 0)
    effect : constant effect, or a vectorised function ``f(event_time, cohort) -> effect`` for treated cells
    dynamic : added effect per period since adoption
    cohort_heterogeneity : sd of cohort-specific effect shifts
    unit_sd, time_sd, noise_sd : scales of the unit effects, of the period-effect steps and of the noise
    n_covariates, covariate_effect : number of N(0,1) time-varying covariates ``x1, x2, ...`` and their coefficient
    seed : int or Generator; the same seed gives the same panel

    Returns
    -------
    DataFrame with columns ``unit, time, cohort (0 = never), treated (0/1), event_time (NaN if never), y, y0,
    te`` (true effect, 0 when untreated) and ``x1..xk``; sorted by unit then time.

    Examples
    --------
    >>> from clusterecon.simulate import staggered_panel
    >>> df = staggered_panel(100, 8, cohorts=[4, 6], effect=2.0, seed=1)
    >>> df.shape, sorted(df.cohort.unique().tolist())
    ((800, 8), [0, 4, 6])
    >>> bool((df.loc[df.treated == 1, "te"] == 2.0).all())
    True
    """
    n_units, n_periods = int(n_units), int(n_periods)
    if n_units < 1 or n_periods < 2:
        raise SpecificationError(f"need n_units >= 1 and n_periods >= 2, got {n_units} and {n_periods}")
    for name, value in (("unit_sd", unit_sd), ("time_sd", time_sd), ("noise_sd", noise_sd),
                        ("cohort_heterogeneity", cohort_heterogeneity)):
        if not (np.isfinite(value) and value >= 0):
            raise SpecificationError(f"{name} must be a finite non-negative number, got {value!r}")
    for name, value in (("dynamic", dynamic), ("covariate_effect", covariate_effect)) + (
            () if callable(effect) else (("effect", effect),)):
        if not np.isfinite(value):
            raise SpecificationError(f"{name} must be finite, got {value!r}")
    if int(n_covariates) != n_covariates or n_covariates < 0:
        raise SpecificationError(f"n_covariates must be a non-negative integer, got {n_covariates!r}")
    if not 0.0 <= never_treated <= 1.0:
        raise SpecificationError(f"never_treated must be a share in [0, 1], got {never_treated}")
    rng = seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)
    periods = np.arange(start, start + n_periods)
    if cohorts is None:
        cvals = periods[2:-1] if n_periods > 3 else periods[1:]
        probs = np.full(cvals.size, 1.0 / cvals.size)
    elif isinstance(cohorts, Mapping):
        cvals = np.array(list(cohorts.keys()), dtype=np.int64)
        probs = np.array(list(cohorts.values()), dtype=float)
        if (probs < 0).any() or probs.sum() <= 0:
            raise SpecificationError(f"cohort probabilities must be non-negative and not all zero: {dict(cohorts)}")
        probs = probs / probs.sum()
    else:
        cvals = np.asarray(list(cohorts), dtype=np.int64)
        probs = np.full(cvals.size, 1.0 / max(cvals.size, 1))
    if cvals.size == 0 and never_treated < 1.0:
        raise SpecificationError("no cohorts given but never_treated < 1")
    outside = cvals[(cvals < periods[0]) | (cvals > periods[-1])]
    if outside.size:
        raise SpecificationError(f"cohort periods {outside.tolist()} are outside the panel {periods[0]}..{periods[-1]}")

    never = rng.random(n_units) < never_treated
    g_unit = np.zeros(n_units, dtype=np.int64)
    if cvals.size:
        g_unit[~never] = rng.choice(cvals, size=int((~never).sum()), p=probs)
    order = np.argsort(np.where(g_unit == 0, np.iinfo(np.int64).max, g_unit), kind="stable")
    rank = np.empty(n_units)
    rank[order] = np.linspace(1.0, -1.0, n_units) if n_units > 1 else 0.0
    alpha = unit_sd * (0.5 * rank + rng.standard_normal(n_units))
    lam = np.cumsum(time_sd * rng.standard_normal(n_periods))
    shift = {int(c): float(v) for c, v in zip(cvals, cohort_heterogeneity * rng.standard_normal(cvals.size))}

    n = n_units * n_periods
    unit = np.repeat(np.arange(1, n_units + 1, dtype=np.int64), n_periods)
    tidx = np.tile(np.arange(n_periods, dtype=np.int64), n_units)
    time = periods[tidx]
    g = np.repeat(g_unit, n_periods)
    treated = (g > 0) & (time >= g)
    event_time = np.where(g > 0, time - g, np.nan)
    te = np.zeros(n)
    if treated.any():
        e_t, g_t = event_time[treated], g[treated]
        base = effect(e_t, g_t) if callable(effect) else np.full(e_t.size, float(effect))
        h = np.zeros(n_units)
        for c, v in shift.items():  # loop over cohorts (few), not units
            h[g_unit == c] = v
        te[treated] = np.asarray(base, dtype=float) + dynamic * e_t + np.repeat(h, n_periods)[treated]
    y0 = np.repeat(alpha, n_periods) + lam[tidx] + noise_sd * rng.standard_normal(n)
    cols = {}
    for j in range(int(n_covariates)):
        xj = rng.standard_normal(n)
        cols[f"x{j + 1}"] = xj
        y0 = y0 + covariate_effect * xj
    frame = pd.DataFrame({"unit": unit, "time": time, "cohort": g, "treated": treated.astype(np.int8),
                          "event_time": event_time, "y": y0 + te, "y0": y0, "te": te, **cols})
    return frame


# ------------------------------------------------------------------------------------------------------------
# supplier networks calibrated to Perez-Aleman (2002) (case d of clusterecon.cases.suppliers)


def supplier_calibration() -> dict:
    """The paper's numbers the generator uses, read by fact id (never typed in)."""
    from .data import paper

    f = paper.facts().set_index("id")

    def v(fid):
        return float(f.loc[fid, "value"])

    return {
        "first_year": int(f.loc["chl_suppliers_1985", "year_start"]),
        "last_year": int(f.loc["chl_suppliers_1995", "year_start"]),
        "processors_first": int(v("chl_processing_firms_1985")),
        "processors_last": int(v("chl_processing_firms_1995")),
        "suppliers_first": int(v("chl_suppliers_1985")),
        "suppliers_last": int(v("chl_suppliers_1995")),
        "farm_ha": (v("chl_supplier_farm_area_min"), v("chl_supplier_farm_area_max")),
        "tomato_ha": (v("chl_supplier_tomato_area_min"), v("chl_supplier_tomato_area_max")),
        "fact_ids": ["chl_suppliers_1985", "chl_suppliers_1995", "chl_processing_firms_1985",
                     "chl_processing_firms_1995", "chl_supplier_farm_area_min", "chl_supplier_farm_area_max",
                     "chl_supplier_tomato_area_min", "chl_supplier_tomato_area_max"],
    }


def supplier_panel(seed: int | np.random.Generator | None = 0, *, n_suppliers: int | None = None,
                   n_processors: int | None = None, never_adopters: int = 2, max_effect: float = 12.0,
                   learning_periods: float = 3.0, early_premium: float = 0.8, base_yield: float = 55.0,
                   unit_sd: float = 8.0, time_sd: float = 3.0, noise_sd: float = 6.0,
                   calib: dict | None = None) -> pd.DataFrame:
    """Draw a SYNTHETIC supplier x year panel of a tomato-processing network with staggered cooperative monitoring.

    Calibration (from :func:`supplier_calibration`, i.e. the paper's facts): years ``first_year..last_year``
    (1985-1995),
    ``processors_first`` processors (2) with ``suppliers_first`` suppliers (210) in the first year, growing
    geometrically to ``n_processors`` (9) and ``n_suppliers`` (5,000) in the last year; farm area uniform on
    ``farm_ha`` (10-12 ha), tomato area uniform on ``tomato_ha`` (3-4 ha).

    Model: processor ``p`` enters in ``E_p`` (the first ``processors_first`` in the first year, the others on
    distinct later years) and adopts cooperative monitoring in ``A_p = E_p + U{1,2,3}``; the last
    ``never_adopters`` entrants adopt after the window (coded 0).  Supplier ``i`` contracts with a processor active
    in its entry year ``c_i`` and is treated from ``G_i = max(A_p, c_i)``.  Yield (t/ha)::

        y_it = base_yield + a_i + l_t + tau_it * D_it + e_it,  D_it = 1[t >= G_i]
        tau_it = max_effect * (1 - exp(-(t - G_i + 1) / learning_periods)) * (1 + early_premium * s_i)

    with ``a_i ~ N(0, unit_sd^2)``, ``l_t`` a random walk with ``N(0, time_sd^2)`` steps, ``e_it ~ N(0,
    noise_sd^2)`` and ``s_i = (last_year - G_i) / (last_year - first_year)`` (earlier adopters gain more).  Parallel
    trends and no anticipation hold by construction.  Vectorised: no loop over suppliers or years.

    Parameters
    ----------
    seed : int or Generator; the same seed gives the same panel.
    n_suppliers, n_processors : network size in the last year (default: the paper's 5,000 and 9).
    never_adopters : processors that have not adopted by the last year (comparison group).
    max_effect, learning_periods, early_premium : the effect path (assumptions; the paper gives no yields).
    base_yield, unit_sd, time_sd, noise_sd : the untreated yield process (assumptions).
    calib : override :func:`supplier_calibration` (for tests).

    Returns
    -------
    DataFrame, one row per supplier and year (balanced): ``supplier, processor, year, entry_year, in_network,
    processor_entry, processor_adoption (0 = not by the last year), cohort (0 = never), treated, event_time,
    farm_ha, tomato_ha, yield_t_ha, y0, te, output_t, synthetic`` (always True).

    Examples
    --------
    >>> from clusterecon.simulate import supplier_panel
    >>> df = supplier_panel(seed=3, n_suppliers=400)
    >>> int(df.loc[df.year == df.year.min(), "in_network"].sum()) <= 400, bool(df["synthetic"].all())
    (True, True)
    >>> bool((df.loc[df.treated == 0, "te"] == 0).all())
    True
    """
    rng = seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)
    cal = supplier_calibration() if calib is None else calib
    t_first, t_last = int(cal["first_year"]), int(cal["last_year"])
    years = np.arange(t_first, t_last + 1)
    n_t = years.size
    P = int(n_processors if n_processors is not None else cal["processors_last"])
    P0 = min(int(cal["processors_first"]), P)
    N = int(n_suppliers if n_suppliers is not None else cal["suppliers_last"])
    N0 = max(1, min(N, round(cal["suppliers_first"] * N / cal["suppliers_last"])))
    if P < 1 or N < P or n_t < 3:
        raise SpecificationError(f"need n_processors >= 1, n_suppliers >= n_processors and 3+ years; got P={P}, "
                                 f"N={N}, years={t_first}-{t_last}")
    # processors: entry years and adoption years
    later = np.sort(rng.choice(np.arange(t_first + 1, t_last), size=P - P0, replace=(P - P0) > (n_t - 2)))
    entry_p = np.concatenate([np.full(P0, t_first), later]).astype(np.int64)
    adopt_p = entry_p + rng.integers(1, 4, size=P)
    if never_adopters > 0:
        adopt_p[np.argsort(entry_p, kind="stable")[-never_adopters:]] = 0
    adopt_p = np.where(adopt_p > t_last, 0, adopt_p)
    # suppliers: network grows geometrically from N0 to N
    size_t = np.round(N0 * (N / N0) ** ((years - t_first) / (t_last - t_first))).astype(np.int64)
    size_t[-1] = N
    entry_i = np.repeat(years, np.diff(np.concatenate([[0], size_t])))
    active = entry_p[None, :] <= entry_i[:, None]  # suppliers x processors
    u = rng.random((N, P)) * active
    proc_i = u.argmax(axis=1)  # a uniform draw among the processors active at entry
    first_only = entry_i == t_first
    proc_i[first_only] = rng.integers(0, P0, size=int(first_only.sum()))
    a_p = adopt_p[proc_i]
    g_i = np.where(a_p > 0, np.maximum(a_p, entry_i), 0)
    farm = rng.uniform(*cal["farm_ha"], size=N)
    tomato = rng.uniform(*cal["tomato_ha"], size=N)
    alpha = unit_sd * rng.standard_normal(N)
    lam = np.cumsum(time_sd * rng.standard_normal(n_t))
    # long panel
    sup = np.repeat(np.arange(1, N + 1), n_t)
    tt = np.tile(years, N)
    g = np.repeat(g_i, n_t)
    treated = (g > 0) & (tt >= g)
    et = np.where(g > 0, tt - g, np.nan)
    share_early = np.where(g > 0, (t_last - g) / (t_last - t_first), 0.0)
    te = np.where(treated, max_effect * (1 - np.exp(-(np.nan_to_num(et) + 1) / learning_periods))
                  * (1 + early_premium * share_early), 0.0)
    y0 = base_yield + np.repeat(alpha, n_t) + lam[tt - t_first] + noise_sd * rng.standard_normal(N * n_t)
    y = y0 + te
    return pd.DataFrame({
        "supplier": sup, "processor": np.repeat(proc_i + 1, n_t), "year": tt,
        "entry_year": np.repeat(entry_i, n_t), "in_network": tt >= np.repeat(entry_i, n_t),
        "processor_entry": np.repeat(entry_p[proc_i], n_t), "processor_adoption": np.repeat(a_p, n_t),
        "cohort": g, "treated": treated.astype(np.int64), "event_time": et,
        "farm_ha": np.repeat(farm, n_t), "tomato_ha": np.repeat(tomato, n_t),
        "yield_t_ha": y, "y0": y0, "te": te, "output_t": y * np.repeat(tomato, n_t), "synthetic": True,
    })
