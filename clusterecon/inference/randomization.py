"""Randomization (permutation) inference for a treatment variable (Fisher 1935; Young 2019; MacKinnon and Webb 2020).

The treatment paths of the assignment units (clusters; by default the entities) are permuted across units, the
model is re-estimated for every permutation and the observed statistic is compared with its permutation
distribution.  Under the sharp null of no effect for anyone, and exchangeability of the assignment across units,
the p-value (1 + #{|T_b| >= |T|}) / (1 + B) is exact.

For ``model="within"`` and ``"pooling"`` the re-estimation is vectorised over the permutations (Frisch-Waugh-Lovell:
partial the other regressors and the fixed effects out of each permuted treatment column); other models refit.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
import scipy.sparse as sp

from ..errors import DataWarning, SpecificationError
from ..panel import fit
from ..panel.absorb import demean, factorize
from ..results import Results
from ._checks import check_finite_formula_columns

__all__ = ["randomization_inference", "RandomizationResult", "permuted_treatments"]


@dataclass(repr=False)
class RandomizationResult(Results):
    """Observed statistic, permutation distribution and p-value."""

    param: str
    estimate: float
    statistic_name: str
    observed: float
    p_value: float
    B: int
    n_units: int
    unit: str
    distribution: np.ndarray = field(default_factory=lambda: np.empty(0))
    permutations: np.ndarray | None = None
    title: str = "Randomization inference"

    def to_frame(self) -> pd.DataFrame:
        return pd.DataFrame(
            {"term": [self.param], "estimate": [self.estimate], "std_error": [np.nan],
             "statistic": [self.observed], "p_value": [self.p_value], "ci_low": [np.nan], "ci_high": [np.nan],
             "B": [self.B], "randomization_statistic": [self.statistic_name], "n_units": [self.n_units]}
        )

    def notes(self) -> list[str]:
        return [
            f"treatment paths permuted across {self.n_units} units of {self.unit!r}, B = {self.B}; statistic = "
            f"{self.statistic_name}; p = (1 + #|T_b| >= |T|) / (1 + B); sharp null of no effect"
        ]


def permuted_treatments(
    data: pd.DataFrame, treatment: str, unit: str, time: str, perms: np.ndarray
) -> np.ndarray:
    """n x B matrix of treatment values after giving unit u the path of unit perms[b, u] (rows of ``data``)."""
    ucodes, n_units = factorize(data[unit].to_numpy())
    tcodes, n_t = factorize(data[time].to_numpy())
    d = data[treatment].to_numpy(dtype=float)
    path = np.full((n_units, n_t), np.nan)
    path[ucodes, tcodes] = d
    # the treatment must be one value per unit and period
    cell = ucodes * n_t + tcodes
    lo = np.full(n_units * n_t, np.inf)
    hi = np.full(n_units * n_t, -np.inf)
    np.minimum.at(lo, cell, d)
    np.maximum.at(hi, cell, d)
    bad = np.flatnonzero(np.isfinite(lo) & (hi > lo))
    if len(bad):
        u, t = divmod(int(bad[0]), n_t)
        level = sorted(pd.unique(data[unit]))[u]
        level = level.item() if hasattr(level, "item") else level
        raise SpecificationError(
            f"treatment {treatment!r} varies within unit {level!r} of {unit!r} in one "
            f"period: it cannot be permuted at the {unit!r} level"
        )
    constant = np.all(np.nanmax(path, axis=1) == np.nanmin(path, axis=1))
    if constant:
        unit_value = np.nanmax(path, axis=1)
        return unit_value[perms.T[ucodes]] if perms.size else np.empty((len(d), 0))
    out = path[perms.T[ucodes], tcodes[:, None]]  # n x B
    if np.isnan(out).any():
        levels = np.asarray(sorted(pd.unique(data[unit])))
        short = [v.item() if hasattr(v, "item") else v for v in levels[np.isnan(path).any(axis=1)][:10]]
        raise SpecificationError(
            f"treatment {treatment!r} varies over time and some donor units are not observed in every period of the "
            f"units that receive their paths (incomplete {unit!r}: {short}); balance the panel (or use a "
            "time-invariant assignment) to permute paths"
        )
    return out


def randomization_inference(
    formula: str,
    data: pd.DataFrame,
    *,
    treatment: str,
    entity: str,
    time: str,
    cluster: str | None = None,
    model: str = "within",
    effects: str = "twoways",
    weights: Any = None,
    B: int = 999,
    seed: int | np.random.Generator | None = None,
    statistic: str = "coef",
    keep_permutations: bool = False,
) -> RandomizationResult:
    """Permutation p-value for the coefficient of ``treatment`` in ``fit(formula, data, ...)``.

    Estimand: none new; the test of the sharp null of no effect for any unit, by permuting whole treatment paths
    across assignment units (Fisher 1935; for regression coefficients, Young 2019, QJE, "Channeling Fisher").
    Assumptions: treatment paths exchangeable across the assignment units under the null (as-if random
    assignment); the p-value is then exact in finite samples, whatever the number of clusters.

    Parameters
    ----------
    formula, data, entity, time, model, effects, weights : as in :func:`clusterecon.panel.fit`.
    treatment : str
        The treatment column; it must appear in the formula as a regressor.
    cluster : str, optional
        Assignment unit whose treatment paths are permuted (default: the entity).  The treatment must take one value
        per unit and period.
    B : int
        Number of random permutations.
    seed : int or Generator
    statistic : ``"coef"`` (the coefficient) or ``"t"`` (coefficient over its CR1 standard error clustered by the
        assignment unit; the studentised statistic is more robust to heterogeneity, Young 2019).

    Returns
    -------
    RandomizationResult

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> rng = np.random.default_rng(0)
    >>> df = pd.DataFrame({"id": np.repeat(np.arange(10), 4), "t": np.tile(np.arange(4), 10)})
    >>> df["d"] = ((df["id"] < 5) & (df["t"] >= 2)).astype(float)
    >>> df["y"] = 1.0 * df["d"] + rng.normal(size=40)
    >>> ri = randomization_inference("y ~ d", df, treatment="d", entity="id", time="t", B=199, seed=1)
    >>> 0 < ri.p_value <= 1
    True
    """
    if int(B) != B or B < 1:
        raise SpecificationError(f"B must be a positive integer, got {B!r}")
    if statistic not in ("coef", "t"):
        raise SpecificationError(f"statistic must be 'coef' or 't', got {statistic!r}")
    unit = cluster or entity
    for col in (treatment, unit):
        if col not in data.columns:
            raise SpecificationError(f"column {col!r} is not in the data")
    check_finite_formula_columns(formula, data, [entity, time, treatment])
    vcov = {"CR1": unit, "warn": False}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        warnings.simplefilter("always", DataWarning)  # dropped rows must still be reported
        res = fit(formula, data, entity=entity, time=time, model=model, effects=effects, weights=weights, vcov=vcov)
    if treatment not in res.params.index:
        raise SpecificationError(f"treatment {treatment!r} is not a coefficient of {formula!r}")
    ctx = res._context
    fast = model in ("within", "pooling")
    # within/pooling: the estimation rows (row-aligned with the fit); other models refit on the caller's rows
    base = ctx.frame if fast else data
    ucodes, n_units = factorize(base[unit].to_numpy())
    rng = seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)
    perms = np.stack([rng.permutation(n_units) for _ in range(B)]) if B else np.empty((0, n_units), int)
    j = list(res.params.index).index(treatment)
    obs_coef = float(res.params[treatment])
    obs = obs_coef if statistic == "coef" else float(res.tstats[treatment])

    D = permuted_treatments(base, treatment, unit, time, perms)
    if fast:
        w = ctx.aux.get("weights")
        if model == "within":
            Dt = demean(D, list(ctx.fe.values()), w)
        else:
            Dt = D
        sw = np.sqrt(w) if w is not None else None
        if sw is not None:
            Dt = Dt * sw[:, None]
        others = [c for c in range(ctx.k) if c != j]
        Wt = ctx.X[:, others]
        y = ctx.X @ ctx.aux["beta"] + ctx.resid
        if Wt.shape[1]:
            P = np.linalg.pinv(Wt.T @ Wt)
            R = Dt - Wt @ (P @ (Wt.T @ Dt))
            yr = y - Wt @ (P @ (Wt.T @ y))
        else:
            R, yr = Dt, y
        rr = np.einsum("ij,ij->j", R, R)
        coef = (R.T @ yr) / rr
        if statistic == "coef":
            dist = coef
        else:
            e = yr[:, None] - R * coef
            G = n_units
            n = len(y)
            K = ctx.k
            ind = sp.csr_matrix((np.ones(n), (ucodes, np.arange(n))), shape=(G, n))
            s = ind @ (R * e)
            factor = G / (G - 1) * (n - 1) / (n - K - _nonnested_dof(ctx, ucodes))
            dist = coef / np.sqrt(factor * np.einsum("ij,ij->j", s, s) / rr**2)
    else:
        dist = np.empty(B)
        for b in range(B):
            frame = data.assign(**{treatment: D[:, b]})
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                rb = fit(formula, frame, entity=entity, time=time, model=model, effects=effects, weights=weights,
                         vcov=vcov)
            dist[b] = rb.params[treatment] if statistic == "coef" else rb.tstats[treatment]
    p = (1 + int(np.sum(np.abs(dist) >= abs(obs) * (1 - 1e-12)))) / (1 + B)
    return RandomizationResult(
        param=treatment, estimate=obs_coef, statistic_name=statistic, observed=obs, p_value=float(p), B=B,
        n_units=n_units, unit=unit, distribution=np.asarray(dist, float),
        permutations=perms if keep_permutations else None,
    )


def _nonnested_dof(ctx, ucodes) -> int:
    """Absorbed FE parameters charged in the CR1 'stata' convention (nested sets count as one)."""
    from ..panel.absorb import is_nested

    nested_dof = 0
    any_nested = False
    for c in ctx.fe.values():
        if is_nested(c, ucodes):
            nested_dof += int(c.max()) + 1
            any_nested = True
    return max(ctx.df_fe - nested_dof + (1 if any_nested else 0), 0)
