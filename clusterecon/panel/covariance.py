"""Covariance estimators for the panel models.

Every estimator is a small class with a ``name`` and one method, ``compute(ctx) -> VcovEstimate``; ``ctx`` is the
:class:`FitContext` that :func:`clusterecon.panel.fit` builds from the transformed (within / quasi-demeaned /
differenced) regression.  :func:`resolve_vcov` turns the user-facing ``vcov=`` argument into an estimator:

==================================  ============================================================================
``vcov=``                           estimator
==================================  ============================================================================
``"classical"`` / ``"iid"``         :class:`Classical`: s^2 (X'X)^-1, s^2 = RSS / (N - K - absorbed FE)
``"HC0"``, ``"HC1"``                :class:`Heteroskedastic`: White; HC1 scales by N / (N - K - absorbed FE)
``"CR0"`` / ``"CR1"``               :class:`Cluster` by entity (``ssc="none"`` / ``ssc="stata"``)
``{"CR1": "firm"}``                 :class:`Cluster` by the column ``firm``; ``{"CR1": ["firm", "year"]}`` two-way
``{"CR1": "firm", "ssc": "sss"}``   choose the small-sample convention (see :class:`Cluster`)
``"CR2"`` / ``{"CR2": "firm"}``     :class:`CR2`: Bell-McCaffrey with Satterthwaite degrees of freedom
``"driscoll-kraay"``                :class:`DriscollKraay`: Bartlett kernel on time-aggregated scores (plm vcovSCC)
``"newey-west"``                    :class:`NeweyWest`: Bartlett kernel on within-entity lags (plm vcovNW)
==================================  ============================================================================

Small-sample conventions of :class:`Cluster` (``ssc=``), with N observations, G clusters, K coefficients:

* ``"none"`` -- CR0, no factor (plm ``vcovHC(type="HC0")``).
* ``"HC1"`` -- N / (N - K) (plm ``vcovHC(type="HC1")``).
* ``"sss"`` -- G / (G - 1) * (N - 1) / (N - K) with K the slope coefficients (plm ``vcovHC(type="sss")``).
* ``"stata"`` (default, = ``"fixest"``) -- G / (G - 1) * (N - 1) / (N - K) with K = coefficients + absorbed fixed
  effects that are *not* nested in the clusters + 1 if any are nested (nested sets count as one parameter); this is
  fixest's default and Stata ``xtreg, fe vce(cluster)``.
* ``"lsdv"`` -- the same factor with every absorbed fixed effect counted (Stata ``areg``, ``sandwich::vcovCL`` HC1
  on the dummy-variable regression).
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from ..errors import EstimationError, FewClustersWarning, SpecificationError
from .absorb import factorize, is_nested

__all__ = [
    "FitContext",
    "VcovEstimate",
    "Vcov",
    "Classical",
    "Heteroskedastic",
    "Cluster",
    "CR2",
    "DriscollKraay",
    "NeweyWest",
    "resolve_vcov",
    "cluster_design",
    "few_clusters_warning",
    "FEW_CLUSTERS",
]

FEW_CLUSTERS = 30


def few_clusters_warning(n_clusters: int, what: str = "clusters", *, stacklevel: int = 3) -> None:
    """Emit :class:`~clusterecon.errors.FewClustersWarning` when ``n_clusters`` is below 30."""
    if n_clusters < FEW_CLUSTERS:
        warnings.warn(
            f"only {n_clusters} {what}: cluster-robust CR1 standard errors are unreliable with fewer than "
            f"~{FEW_CLUSTERS} clusters; prefer vcov='CR2' (Bell-McCaffrey with Satterthwaite df) or "
            "clusterecon.inference.wild_cluster_bootstrap",
            FewClustersWarning,
            stacklevel=stacklevel,
        )


@dataclass
class FitContext:
    """What a covariance estimator needs from a fitted (transformed) regression.

    ``X`` and ``resid`` are already multiplied by the square root of the weights, so ``X'X`` is the bread's inverse
    and ``X_i * resid_i`` the score of row i.  ``frame`` holds the estimation sample's columns, row-aligned with X.
    """

    X: np.ndarray
    resid: np.ndarray
    bread: np.ndarray
    df_fe: int
    df_resid: int
    entity: np.ndarray
    time: np.ndarray
    frame: pd.DataFrame
    entity_name: str = "entity"
    time_name: str = "time"
    fe: dict = field(default_factory=dict)
    model: str = ""
    aux: dict = field(default_factory=dict)

    @property
    def nobs(self) -> int:
        return self.X.shape[0]

    @property
    def k(self) -> int:
        return self.X.shape[1]

    @property
    def scores(self) -> np.ndarray:
        return self.X * self.resid[:, None]

    def cluster_codes(self, spec: Any) -> tuple[np.ndarray, str]:
        """Integer cluster codes for a column name, ``"entity"``/``"time"``, or an array of length N."""
        if isinstance(spec, str):
            if spec in ("entity", self.entity_name) and (spec == self.entity_name or spec not in self.frame):
                if self.aux.get("entity_codes_contiguous"):
                    return self.entity, self.entity_name
                return factorize(self.entity)[0], self.entity_name
            if spec in ("time", self.time_name) and (spec == self.time_name or spec not in self.frame):
                return factorize(self.time)[0], self.time_name
            if spec not in self.frame.columns:
                raise SpecificationError(f"cluster column {spec!r} is not in the data")
            col = self.frame[spec]
            if col.isna().any():
                raise SpecificationError(f"cluster column {spec!r} has missing values in the estimation sample")
            return factorize(col.to_numpy())[0], spec
        arr = np.asarray(spec)
        if arr.ndim != 1 or len(arr) != self.nobs:
            raise SpecificationError(f"cluster array must have one value per estimation row ({self.nobs})")
        return factorize(arr)[0], "cluster"


@dataclass
class VcovEstimate:
    cov: np.ndarray
    name: str
    df: float | np.ndarray | None = None  # None: normal reference distribution
    n_clusters: tuple = ()
    notes: list = field(default_factory=list)


class Vcov:
    """Interface: ``name`` and ``compute(ctx) -> VcovEstimate``."""

    name = "vcov"

    def compute(self, ctx: FitContext) -> VcovEstimate:  # pragma: no cover - abstract
        raise NotImplementedError

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.name!r})"


def _sandwich(bread: np.ndarray, meat: np.ndarray) -> np.ndarray:
    v = bread @ meat @ bread
    return (v + v.T) / 2


def _cluster_meat(scores: np.ndarray, codes: np.ndarray) -> np.ndarray:
    G = int(codes.max()) + 1
    s = np.stack([np.bincount(codes, weights=scores[:, j], minlength=G) for j in range(scores.shape[1])], axis=1)
    return s.T @ s


class Classical(Vcov):
    """Homoskedastic: s^2 (X'X)^-1 with s^2 = RSS / df_resid (plm's and linearmodels' default)."""

    name = "classical"

    def compute(self, ctx: FitContext) -> VcovEstimate:
        if ctx.df_resid <= 0:
            raise EstimationError(f"no residual degrees of freedom (N = {ctx.nobs}, parameters = {ctx.nobs - ctx.df_resid})")
        s2 = float(ctx.resid @ ctx.resid) / ctx.df_resid
        df = None if ctx.model == "random" else float(ctx.df_resid)
        return VcovEstimate(s2 * ctx.bread, self.name, df)


class Heteroskedastic(Vcov):
    """White (1980) heteroskedasticity-robust covariance; ``type="HC1"`` scales by N / (N - K - absorbed FE)."""

    def __init__(self, type: str = "HC1"):
        if type.upper() not in ("HC0", "HC1"):
            raise SpecificationError(f"unknown heteroskedastic type {type!r}; use 'HC0' or 'HC1'")
        self.type = type.upper()
        self.name = self.type

    def compute(self, ctx: FitContext) -> VcovEstimate:
        sc = ctx.scores
        v = _sandwich(ctx.bread, sc.T @ sc)
        if self.type == "HC1":
            v = v * ctx.nobs / (ctx.nobs - ctx.k - ctx.df_fe)
        return VcovEstimate(v, self.name, float(ctx.df_resid))


_SSC = {"none": "none", "cr0": "none", "hc0": "none", "hc1": "HC1", "plm-hc1": "HC1", "sss": "sss",
        "stata": "stata", "fixest": "stata", "lsdv": "lsdv", "areg": "lsdv"}


class Cluster(Vcov):
    """Cluster-robust (Liang-Zeger / Arellano) covariance, one- or two-way, with a selectable small-sample factor.

    Parameters
    ----------
    cluster : column name, ``"entity"``, ``"time"``, an array, or a list of two of these (two-way clustering,
        Cameron, Gelbach and Miller 2011: V = V_1 + V_2 - V_12).
    ssc : ``"stata"`` (default; also ``"fixest"``), ``"sss"``, ``"HC1"``, ``"lsdv"`` or ``"none"``; see the module
        docstring for the formulas.
    cluster_df : ``"min"`` (fixest's default: G in G/(G-1) is the smallest cluster count for every term of a two-way
        variance) or ``"conventional"`` (each term uses its own G).

    Notes
    -----
    The reference distribution is t with min(G) - 1 degrees of freedom.  Fewer than 30 clusters warn with
    :class:`~clusterecon.errors.FewClustersWarning`.
    """

    def __init__(self, cluster: Any = "entity", ssc: str = "stata", cluster_df: str = "min", warn: bool = True):
        key = str(ssc).lower()
        if key not in _SSC:
            raise SpecificationError(f"unknown small-sample convention ssc={ssc!r}; use one of {sorted(set(_SSC))}")
        self.ssc = _SSC[key]
        self.clusters = list(cluster) if isinstance(cluster, (list, tuple)) else [cluster]
        if not 1 <= len(self.clusters) <= 2:
            raise SpecificationError("cluster: give one or two clustering variables")
        if cluster_df not in ("min", "conventional"):
            raise SpecificationError(f"cluster_df must be 'min' or 'conventional', got {cluster_df!r}")
        self.cluster_df = cluster_df
        self.warn = warn
        self.name = {"none": "CR0", "HC1": "CR1 (plm HC1)", "sss": "CR1 (sss)", "stata": "CR1", "lsdv": "CR1 (LSDV)"}[
            self.ssc
        ]

    def _k_adjust(self, ctx: FitContext, codes_list: list[np.ndarray]) -> int:
        if self.ssc in ("HC1", "sss"):
            return ctx.k
        if self.ssc == "lsdv":
            return ctx.k + ctx.df_fe
        # stata / fixest: FE nested in (any of) the clusters count as one parameter
        nested_dof = 0
        any_nested = False
        fe_levels = {name: int(c.max()) + 1 for name, c in ctx.fe.items()}
        for name, c in ctx.fe.items():
            if any(is_nested(c, cc) for cc in codes_list):
                nested_dof += fe_levels[name]
                any_nested = True
        dof = ctx.df_fe - nested_dof + (1 if any_nested else 0)
        # when the first FE is nested and the second is not, the redundant level was charged to the second; the
        # total ctx.df_fe already removed it once, so the count above is exact for the usual (firm, year) case.
        return ctx.k + max(dof, 0)

    def _factor(self, n: int, G: int, K: int) -> float:
        if self.ssc == "none":
            return 1.0
        if self.ssc == "HC1":
            return n / (n - K)
        return G / (G - 1) * (n - 1) / (n - K)

    def compute(self, ctx: FitContext) -> VcovEstimate:
        resolved = [ctx.cluster_codes(c) for c in self.clusters]
        codes_list = [c for c, _ in resolved]
        names = [n for _, n in resolved]
        Gs = [int(c.max()) + 1 for c in codes_list]
        for G, nm in zip(Gs, names):
            if G < 2:
                raise EstimationError(f"cluster variable {nm!r} has a single cluster; cluster-robust SEs need >= 2")
            if self.warn:
                few_clusters_warning(G, f"clusters in {nm!r}", stacklevel=5)
        K = self._k_adjust(ctx, codes_list)
        n = ctx.nobs
        sc = ctx.scores
        Gmin = min(Gs)
        if len(codes_list) == 1:
            v = _sandwich(ctx.bread, _cluster_meat(sc, codes_list[0])) * self._factor(n, Gs[0], K)
        else:
            a, b = codes_list
            inter = factorize(a * (int(b.max()) + 1) + b)[0]
            Gi = int(inter.max()) + 1
            parts = []
            for codes, G in ((a, Gs[0]), (b, Gs[1]), (inter, Gi)):
                Guse = Gmin if self.cluster_df == "min" else G
                parts.append(_sandwich(ctx.bread, _cluster_meat(sc, codes)) * self._factor(n, Guse, K))
            v = parts[0] + parts[1] - parts[2]
            if np.any(np.diag(v) < 0):
                raise EstimationError("two-way cluster covariance has a negative variance; cluster on one dimension")
        return VcovEstimate(v, self.name, float(Gmin - 1), tuple(Gs), [f"clustered by {' and '.join(names)}"])


def _inv_sqrt_psd(M: np.ndarray) -> np.ndarray:
    vals, vecs = np.linalg.eigh((M + M.T) / 2)
    keep = vals > 1e-12 * max(vals.max(), 1.0)
    inv = np.zeros_like(vals)
    inv[keep] = 1.0 / np.sqrt(vals[keep])
    return (vecs * inv) @ vecs.T


class CR2(Vcov):
    """Bell and McCaffrey (2002) CR2 covariance with Satterthwaite degrees of freedom (Pustejovsky and Tipton 2018).

    V = M (sum_g X_g' W_g A_g e_g e_g' A_g W_g X_g) M with M = (X'WX)^-1 and adjustment matrices
    A_g = D_g' B_g^(-1/2) D_g, B_g = D_g (Phi_g - X_g M X_g') D_g', D_g the upper Cholesky factor of the working
    covariance Phi_g (Pustejovsky and Tipton 2018, eq. 6).  The working model is Phi = I (W = I) for OLS-type models
    and the random-effects covariance (W = Phi^-1) for ``model="random"``, as ``clubSandwich::vcovCR(type="CR2")``
    does for plm models.  Fixed effects nested in the clusters are absorbed (their theorem 2); fixed effects that
    are not (e.g. year effects with firm clusters) enter the hat matrix as dummies.

    The degrees of freedom of each coefficient are Satterthwaite's 2 E[v]^2 / Var[v] under the working model, from
    the G x G matrix S = P' Phi P built without an N x G array.  Cost: one n_g x n_g factorisation per cluster.
    """

    name = "CR2"
    max_dummies = 2000

    def __init__(self, cluster: Any = "entity", warn: bool = False):
        self.cluster = cluster
        self.warn = warn

    def _design(self, ctx: FitContext, codes: np.ndarray):
        """(X, e, M, k, phi_rho, entity) of the regression whose hat matrix CR2 uses."""
        if ctx.model == "random" and "gls" in ctx.aux:
            g = ctx.aux["gls"]
            return g["X"], g["e"], ctx.bread, ctx.k, g["rho"], g["entity"]
        X, _, e, M = cluster_design(ctx, codes, max_dummies=self.max_dummies, purpose="CR2")
        return X, e, M, ctx.k, None, None

    def compute(self, ctx: FitContext) -> VcovEstimate:
        codes, cname = ctx.cluster_codes(self.cluster)
        G = int(codes.max()) + 1
        if G < 2:
            raise EstimationError(f"cluster variable {cname!r} has a single cluster")
        X, e, M, k, rho, ent = self._design(ctx, codes)
        p = X.shape[1]
        order = np.argsort(codes, kind="stable")
        bounds = np.searchsorted(codes[order], np.arange(G + 1))
        U = np.zeros((G, p))
        parts = []
        for g in range(G):
            idx = order[bounds[g] : bounds[g + 1]]
            Xg = X[idx]
            if rho is None:
                A = _inv_sqrt_psd(np.eye(len(idx)) - Xg @ M @ Xg.T)
                AWX = A @ Xg
                phi = None
            else:
                same = ent[idx][:, None] == ent[idx][None, :]
                phi = np.eye(len(idx)) + rho * same
                Wg = np.linalg.inv(phi)
                D = np.linalg.cholesky(phi).T
                A = D.T @ _inv_sqrt_psd(D @ (phi - Xg @ M @ Xg.T) @ D.T) @ D
                AWX = A @ Wg @ Xg
            U[g] = AWX.T @ e[idx]
            parts.append((idx, AWX, phi))
        V = _sandwich(M, U.T @ U)[:k, :k]
        df = np.empty(k)
        for j in range(k):
            c = M[:, j]
            diag = np.empty(G)
            Q = np.empty((p, G))
            for g, (idx, AWX, phi) in enumerate(parts):
                z = AWX @ c
                diag[g] = z @ z if phi is None else z @ phi @ z
                Q[:, g] = X[idx].T @ z
            S = np.diag(diag) - Q.T @ M @ Q
            df[j] = np.trace(S) ** 2 / np.sum(S * S)
        return VcovEstimate(V, self.name, df, (G,), [f"CR2 clustered by {cname}, Satterthwaite df"])


def cluster_design(ctx: FitContext, codes: np.ndarray, *, max_dummies: int = 2000, purpose: str = "this method"):
    """Design (X, y, resid, (X'X)^-1) in which every absorbed fixed effect is nested in the clusters ``codes``.

    Fixed effects nested in the clusters stay absorbed (projected out); the others enter as dummy columns after the
    model's own regressors (the first ``ctx.k`` columns), reduced to a full-rank set.  With all fixed effects nested
    (or none) this is the fitted regression itself.  Rows and weights are those of the fit (sqrt-weight scaled).
    """
    nonnested = [name for name, c in ctx.fe.items() if not is_nested(c, codes)]
    if not nonnested or "within_raw" not in ctx.aux:
        beta = ctx.aux["beta"] if "beta" in ctx.aux else ctx.bread @ (ctx.X.T @ np.zeros(ctx.nobs))
        y = ctx.X @ beta + ctx.resid
        return ctx.X, y, ctx.resid, ctx.bread
    from .absorb import demean

    raw = ctx.aux["within_raw"]
    Xraw, yraw, w = raw["X"], raw["y"], raw["w"]
    k = ctx.k
    nested = [c for name, c in ctx.fe.items() if name not in nonnested]
    ncols = 0
    dummies = []
    for name in nonnested:
        c = ctx.fe[name]
        G = int(c.max()) + 1
        ncols += G
        if ncols > max_dummies:
            raise EstimationError(
                f"{purpose} with fixed effects {name!r} not nested in the clusters needs their {G} dummies "
                f"(limit {max_dummies}); cluster on a variable that nests them, or use CR1"
            )
        Dm = np.zeros((len(c), G))
        Dm[np.arange(len(c)), c] = 1.0
        dummies.append(Dm)
    Dall = np.column_stack(dummies)
    if not nested:
        Dall = np.column_stack([np.ones(len(Dall)), Dall])
    Z = np.column_stack([Xraw, Dall, yraw])
    if nested:
        Z = demean(Z, nested, w)
    if w is not None:
        Z = Z * np.sqrt(w)[:, None]
    Xk, Dd, y = Z[:, :k], Z[:, k:-1], Z[:, -1]
    Dres = Dd - Xk @ np.linalg.lstsq(Xk, Dd, rcond=None)[0]
    import scipy.linalg

    _, r, piv = scipy.linalg.qr(Dres, mode="economic", pivoting=True)
    diag = np.abs(np.diag(r))
    rank = int((diag > 1e-9 * max(diag.max(), 1e-300)).sum()) if len(diag) else 0
    Xf = np.column_stack([Xk, Dd[:, np.sort(piv[:rank])]])
    M = np.linalg.inv(Xf.T @ Xf)
    e = y - Xf @ (M @ (Xf.T @ y))
    return Xf, y, e, M


def _bartlett(maxlag: int) -> np.ndarray:
    return 1.0 - np.arange(maxlag + 1) / (maxlag + 1)


class DriscollKraay(Vcov):
    """Driscoll and Kraay (1998): HAC on the cross-sectional sums of the scores, Bartlett kernel.

    ``maxlag`` defaults to floor(T^(1/4)) as in plm ``vcovSCC``; no small-sample factor (plm's ``type="HC0"``).
    Robust to cross-sectional and serial correlation; needs a long panel.
    """

    name = "Driscoll-Kraay"

    def __init__(self, maxlag: int | None = None):
        self.maxlag = maxlag

    def compute(self, ctx: FitContext) -> VcovEstimate:
        tcodes, T = factorize(ctx.time)
        if T < FEW_CLUSTERS:
            few_clusters_warning(T, "time periods for Driscoll-Kraay (it is consistent as T grows)", stacklevel=5)
        L = int(np.floor(T ** 0.25)) if self.maxlag is None else int(self.maxlag)
        sc = ctx.scores
        h = np.stack([np.bincount(tcodes, weights=sc[:, j], minlength=T) for j in range(sc.shape[1])], axis=1)
        # lags by calendar time: a missing period has a zero score sum
        tv = np.unique(np.asarray(ctx.time))
        full = np.zeros((int(tv.max() - tv.min()) + 1, sc.shape[1]))
        full[(tv - tv.min()).astype(int)] = h
        w = _bartlett(L)
        S = full.T @ full
        for lag in range(1, L + 1):
            G = full[lag:].T @ full[:-lag]
            S += w[lag] * (G + G.T)
        return VcovEstimate(_sandwich(ctx.bread, S), f"{self.name} (maxlag {L})", float(ctx.df_resid))


class NeweyWest(Vcov):
    """Newey-West for panels (plm ``vcovNW``): Bartlett-weighted cross-products of each entity's own lagged scores.

    ``maxlag`` defaults to floor(T^(1/4)).  Lags are calendar periods within an entity.
    """

    name = "Newey-West"

    def __init__(self, maxlag: int | None = None):
        self.maxlag = maxlag

    def compute(self, ctx: FitContext) -> VcovEstimate:
        T = len(np.unique(ctx.time))
        L = int(np.floor(T ** 0.25)) if self.maxlag is None else int(self.maxlag)
        sc = ctx.scores
        ent = factorize(ctx.entity)[0]
        t = np.asarray(ctx.time).astype(np.int64)
        key = pd.Series(np.arange(len(t)), index=pd.MultiIndex.from_arrays([ent, t]))
        S = sc.T @ sc
        w = _bartlett(L)
        for lag in range(1, L + 1):
            prev = key.reindex(pd.MultiIndex.from_arrays([ent, t - lag])).to_numpy()
            ok = ~np.isnan(prev)
            if ok.any():
                G = sc[ok].T @ sc[prev[ok].astype(int)]
                S += w[lag] * (G + G.T)
        return VcovEstimate(_sandwich(ctx.bread, S), f"{self.name} (maxlag {L})", float(ctx.df_resid))


def resolve_vcov(spec: Any, *, default_cluster: str = "entity") -> Vcov:
    """Turn the ``vcov=`` argument of :func:`~clusterecon.panel.fit` into a :class:`Vcov` (see module docstring)."""
    if isinstance(spec, Vcov):
        return spec
    if spec is None:
        return Classical()
    if isinstance(spec, str):
        key = spec.strip().lower().replace("_", "-")
        if key in ("classical", "iid", "default", "unadjusted", "homoskedastic"):
            return Classical()
        if key in ("hc0", "hc1", "robust", "white"):
            return Heteroskedastic("HC1" if key in ("robust", "white") else key.upper())
        if key in ("cr0", "cr1", "cluster", "clustered"):
            return Cluster(default_cluster, ssc="none" if key == "cr0" else "stata")
        if key == "cr2":
            return CR2(default_cluster)
        if key in ("driscoll-kraay", "dk", "scc"):
            return DriscollKraay()
        if key in ("newey-west", "nw"):
            return NeweyWest()
        raise SpecificationError(
            f"unknown vcov {spec!r}; use 'classical', 'HC1', 'CR0', 'CR1', 'CR2', 'driscoll-kraay', 'newey-west', "
            "or a dict such as {'CR1': 'firm'}"
        )
    if isinstance(spec, dict):
        spec = dict(spec)
        opts = {k: spec.pop(k) for k in list(spec) if k in ("ssc", "cluster_df", "maxlag", "warn")}
        if len(spec) != 1:
            raise SpecificationError(f"vcov dict needs exactly one estimator key, got {list(spec)}")
        (key, arg), = spec.items()
        k = str(key).lower().replace("_", "-")
        if k in ("cr1", "cluster", "cr0"):
            if k == "cr0":
                opts.setdefault("ssc", "none")
            return Cluster(arg, **{o: v for o, v in opts.items() if o in ("ssc", "cluster_df", "warn")})
        if k == "cr2":
            return CR2(arg)
        if k in ("driscoll-kraay", "dk", "scc"):
            return DriscollKraay(maxlag=arg if arg is not None else opts.get("maxlag"))
        if k in ("newey-west", "nw"):
            return NeweyWest(maxlag=arg if arg is not None else opts.get("maxlag"))
        raise SpecificationError(f"unknown vcov key {key!r}")
    raise SpecificationError(f"vcov must be a string, a dict or a Vcov instance, got {type(spec).__name__}")
