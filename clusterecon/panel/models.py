"""plm-style panel models: pooling, within (one-way, two-way, and any number of absorbed fixed effects), random
(Swamy-Arora), first differences and between.

Every model is the OLS (or WLS) regression of a transformed outcome on transformed regressors:

=============  ===================================================================================================
``model=``     transformation
=============  ===================================================================================================
``pooling``    none (intercept kept)
``within``     deviation from the fixed effects (entity, time, both, plus any ``| fe1 + fe2`` in the formula),
               by alternating projections (:mod:`clusterecon.panel.absorb`); intercept dropped
``random``     quasi-demeaning y_it - theta_i ybar_i with Swamy and Arora's (1972) variance components
               (Baltagi and Chang 1994 for unbalanced panels), as plm ``random.method = "swar"``
``fd``         first differences between consecutive periods of an entity; plm keeps an intercept (a trend in
               levels) unless the formula says ``- 1``; differences across a gap in time are dropped
``between``    OLS on entity means
=============  ===================================================================================================

The estimates are checked against R plm 2.6 and against linearmodels (PanelOLS, RandomEffects,
FirstDifferenceOLS, BetweenOLS, PooledOLS); see ``tests/panel``.
"""

from __future__ import annotations

import re
import warnings
from typing import Any

import numpy as np
import pandas as pd

from ..errors import DataError, DataWarning, EstimationError, SpecificationError
from .absorb import demean, factorize, fe_dof
from .container import Panel
from .covariance import FitContext, resolve_vcov
from .results import PanelResults

__all__ = ["fit", "MODELS", "EFFECTS", "parse_formula"]

MODELS = ("pooling", "within", "random", "fd", "between")
EFFECTS = ("individual", "time", "twoways", "none")


def parse_formula(formula: str) -> tuple[str, str, list[str]]:
    """Split ``"y ~ x1 + x2 | fe1 + fe2"`` into (outcome, regressor formula, fixed-effect columns).

    >>> parse_formula("y ~ x1 + x2 | firm + year")
    ('y', 'x1 + x2', ['firm', 'year'])
    """
    if not isinstance(formula, str) or formula.count("~") != 1:
        raise SpecificationError(f"formula must look like 'y ~ x1 + x2 [| fe1 + fe2]', got {formula!r}")
    lhs, rhs = (s.strip() for s in formula.split("~"))
    parts = rhs.split("|")
    if len(parts) > 2:
        raise SpecificationError(f"formula {formula!r} has more than one '|'")
    rhs = parts[0].strip() or "1"
    fes = [f.strip() for f in parts[1].split("+")] if len(parts) == 2 else []
    if any(not f for f in fes):
        raise SpecificationError(f"empty fixed-effect name in formula {formula!r}")
    if not lhs:
        raise SpecificationError(f"formula {formula!r} has no outcome")
    return lhs, rhs, fes


_IDENT = re.compile(r"[A-Za-z_][A-Za-z_0-9]*")
_QR_MAX_ROWS = 100_000  # above this many rows OLS uses the normal equations (with refinement) instead of QR


def _simple_terms(rhs: str, data: pd.DataFrame) -> tuple[list[str], bool] | None:
    """(columns, intercept) when ``rhs`` is a plain sum of numeric (non-bool) columns such as ``"x1 + x2 - 1"``;
    None for anything else (transformations, interactions, categoricals), which then goes through formulaic.

    The columns come in formula order without duplicates, as formulaic orders first-degree terms.
    """
    body = rhs.strip()
    intercept = True
    m = re.fullmatch(r"(.*?)\s*-\s*1", body)
    if m:
        body, intercept = m.group(1), False
    cols: list[str] = []
    for tok in body.split("+"):
        tok = tok.strip()
        if tok == "1":
            continue
        if tok == "0":
            intercept = False
            continue
        if not _IDENT.fullmatch(tok) or tok not in data.columns:
            return None
        dt = data[tok].dtype
        if not pd.api.types.is_numeric_dtype(dt) or pd.api.types.is_bool_dtype(dt):
            return None
        cols.append(tok)
    return list(dict.fromkeys(cols)), intercept


def _required(rhs: str) -> set[str]:
    import formulaic

    try:
        return {str(v) for v in formulaic.Formula(rhs).required_variables}
    except Exception as exc:  # formulaic parse errors
        raise SpecificationError(f"cannot parse regressors {rhs!r}: {exc}") from exc


def _lstsq(X: np.ndarray, y: np.ndarray, names: list[str]) -> tuple[np.ndarray, np.ndarray]:
    """OLS by QR with a rank check naming the collinear columns; returns (beta, (X'X)^-1).

    Above ``_QR_MAX_ROWS`` rows, the normal equations on scaled columns with one step of iterative refinement (one
    pass over the data for X'X and two for X'y and X'r, no n x k copy), falling back to QR when the scaled X'X is
    near singular (so the collinearity error is the same).
    """
    if X.shape[1] == 0:
        raise SpecificationError("the model has no regressors left to estimate")
    if X.shape[0] > _QR_MAX_ROWS:
        out = _normal_equations(X, y)
        if out is not None:
            return out
    q, r = np.linalg.qr(X)
    d = np.abs(np.diag(r))
    scale = np.sqrt((X * X).sum(axis=0))
    bad = d <= 1e-10 * np.maximum(scale, 1e-300)
    if bad.any():
        raise EstimationError(
            f"regressors are collinear: {[names[i] for i in np.flatnonzero(bad)]} "
            "is a linear combination of the other regressors"
        )
    beta = np.linalg.solve(r, q.T @ y)
    rinv = np.linalg.solve(r, np.eye(r.shape[0]))
    return beta, rinv @ rinv.T


def _normal_equations(X: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray] | None:
    """(beta, (X'X)^-1) from a Cholesky factor of the column-scaled X'X, or None when it is near singular."""
    xtx = X.T @ X
    d = np.sqrt(np.diag(xtx))
    if not np.all(d > 0) or not np.all(np.isfinite(xtx)):
        return None
    S = xtx / np.outer(d, d)
    try:
        L = np.linalg.cholesky(S)
    except np.linalg.LinAlgError:
        return None
    if np.min(np.abs(np.diag(L))) < 1e-6:  # ill-conditioned: let QR decide (and name the collinear columns)
        return None
    import scipy.linalg

    def solve(v):
        return scipy.linalg.cho_solve((L, True), v / d) / d

    beta = solve(X.T @ y)
    beta = beta + solve(X.T @ (y - X @ beta))  # one step of iterative refinement
    Sinv = scipy.linalg.cho_solve((L, True), np.eye(len(d)))
    bread = Sinv / np.outer(d, d)
    return beta, (bread + bread.T) / 2


def _entity_means(v: np.ndarray, codes: np.ndarray, n: int) -> np.ndarray:
    counts = np.bincount(codes, minlength=n)
    if v.ndim == 1:
        return np.bincount(codes, weights=v, minlength=n) / counts
    return np.stack([np.bincount(codes, weights=v[:, j], minlength=n) for j in range(v.shape[1])], axis=1) / counts[:, None]


def _r2(y: np.ndarray, yhat: np.ndarray, center: bool = True) -> float:
    dev = y - y.mean() if center else y
    tss = float(dev @ dev)
    return float("nan") if tss <= 0 else 1.0 - float((y - yhat) @ (y - yhat)) / tss


def fit(
    formula: str,
    data: pd.DataFrame,
    *,
    entity: str,
    time: str,
    model: str = "within",
    effects: str = "individual",
    vcov: Any = "classical",
    weights: str | np.ndarray | None = None,
    tol: float = 1e-12,
    _fast: bool = True,
) -> PanelResults:
    """Fit a plm-style linear panel model.

    Parameters
    ----------
    formula : str
        ``"y ~ x1 + x2"``; formulaic syntax on the right (``C(g)``, ``np.log(x)``, ``a:b``).  With
        ``model="within"``, ``"y ~ x1 | fe1 + fe2"`` absorbs further sets of fixed effects (any number).
    data : pandas.DataFrame
        Long panel; never modified.
    entity, time : str
        Entity and (integer-like) time columns.
    model : {"pooling", "within", "random", "fd", "between"}
    effects : {"individual", "time", "twoways"}
        Fixed effects of the within model (ignored by the other models; "random" is one-way individual).
    vcov : str, dict or :class:`~clusterecon.panel.covariance.Vcov`
        ``"classical"`` (default), ``"HC1"``, ``"CR1"`` (cluster by entity, Stata/fixest convention), ``"CR0"``,
        ``"CR2"``, ``{"CR1": "col"}``, ``{"CR1": ["a", "b"]}`` (two-way), ``{"CR1": "col", "ssc": "sss"}``,
        ``"driscoll-kraay"``, ``"newey-west"``; see :mod:`clusterecon.panel.covariance`.
    weights : column name or array, optional
        Positive analytic weights (WLS; weighted means in the within transformation).  Not with ``model="random"``.
    tol : float
        Convergence tolerance of the alternating projections (two or more sets of fixed effects).
    _fast : bool
        Internal switch for tests: ``False`` takes the reference path (formulaic design matrices, alternating
        projections).  The fast path -- plain ``y ~ x1 + x2`` formulas read straight from the columns, exact two-way
        demeaning for panels with few periods, normal equations on large samples -- gives the same numbers.

    Returns
    -------
    PanelResults

    Notes
    -----
    Estimand: the slope coefficients of the linear model y_it = x_it'b + a_i (+ l_t) + e_it, under strict exogeneity
    (within, fd) or additionally E[a_i | x] = 0 (pooling, random, between).  Sources: Baltagi (2021) *Econometric
    Analysis of Panel Data*; Croissant and Millo (2008) for plm's conventions.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> rng = np.random.default_rng(1)
    >>> df = pd.DataFrame({"firm": np.repeat(np.arange(8), 5), "year": np.tile(np.arange(2000, 2005), 8)})
    >>> df["x"] = rng.normal(size=40)
    >>> df["y"] = 2.0 * df["x"] + df["firm"] * 0.3 + rng.normal(scale=0.1, size=40)
    >>> res = fit("y ~ x", df, entity="firm", time="year", model="within", effects="twoways")
    >>> round(float(res.params["x"]), 1)
    2.0
    """
    if model not in MODELS:
        raise SpecificationError(f"unknown model {model!r}; use one of {MODELS}")
    if effects not in EFFECTS:
        raise SpecificationError(f"unknown effects {effects!r}; use one of {EFFECTS}")
    if not isinstance(data, pd.DataFrame):
        try:
            data = data.to_pandas()
        except AttributeError as exc:
            raise SpecificationError(f"data must be a pandas DataFrame, got {type(data).__name__}") from exc
    lhs, rhs, extra_fe = parse_formula(formula)
    if extra_fe and model != "within":
        raise SpecificationError(f"absorbed fixed effects ('| {' + '.join(extra_fe)}') need model='within'")
    simple = _simple_terms(rhs, data) if _fast else None
    needed = [lhs, *(sorted(set(simple[0])) if simple is not None else sorted(_required(rhs))), *extra_fe]
    if isinstance(weights, str):
        needed.append(weights)
    missing = [c for c in dict.fromkeys(needed) if c not in data.columns]
    if missing:
        raise SpecificationError(
            f"formula {formula!r} names column(s) not in the data: {missing} (columns: {list(data.columns)})"
        )
    if not pd.api.types.is_numeric_dtype(data[lhs]) or pd.api.types.is_bool_dtype(data[lhs]):
        raise SpecificationError(f"outcome {lhs!r} is not numeric (dtype {data[lhs].dtype})")
    bare = set(re.findall(r"[A-Za-z_][A-Za-z_0-9.]*", rhs))
    for c in [] if simple is not None else sorted(_required(rhs)):
        wrapped = re.search(rf"C\(\s*{re.escape(c)}\s*[,)]", rhs)
        if c in bare and not wrapped and not pd.api.types.is_numeric_dtype(data[c]):
            raise SpecificationError(
                f"regressor {c!r} is not numeric (dtype {data[c].dtype}); write C({c}) to use it as categorical"
            )

    # ---------------------------------------------------------------- sample
    cluster_cols = _vcov_columns(vcov, data)
    cols = list(dict.fromkeys([entity, time, *needed, *cluster_cols]))
    for c in (entity, time):
        if c not in data.columns:
            raise SpecificationError(f"{'entity' if c == entity else 'time'} column {c!r} is not in the data")
    sub = _select(data, cols)
    w_arr = None
    if weights is not None and not isinstance(weights, str):
        w_arr = np.asarray(weights, dtype=float)
        if w_arr.shape != (len(data),):
            raise SpecificationError(f"weights must have one value per row ({len(data)}), got shape {w_arr.shape}")
    use = _complete_rows(sub, [c for c in cols if c not in (entity, time)])
    if w_arr is not None:
        use &= np.isfinite(w_arr)
    if not use.all():
        warnings.warn(
            f"dropped {int((~use).sum())} of {len(use)} rows with missing values in {[c for c in cols if sub[c].isna().any()]}",
            DataWarning,
            stacklevel=2,
        )
        sub = sub.loc[use]
        if w_arr is not None:
            w_arr = w_arr[use]
    if len(sub) == 0:
        raise EstimationError("no complete rows left to estimate on")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataWarning)
        panel = Panel(sub, entity, time, _copy=False)
    if isinstance(weights, str):
        if not pd.api.types.is_numeric_dtype(sub[weights]) or pd.api.types.is_bool_dtype(sub[weights]):
            raise SpecificationError(f"weights column {weights!r} is not numeric (dtype {sub[weights].dtype})")
        w_arr = sub[weights].to_numpy(dtype=float)
    if w_arr is not None and (w_arr <= 0).any():
        raise SpecificationError("weights must be strictly positive")
    if w_arr is not None and model == "random":
        raise SpecificationError("weights are not supported with model='random'")

    Zraw = None
    if simple is not None:
        xcols, with_int = simple
        with_int = with_int and model != "within"  # the within model drops the intercept anyway
        names = (["Intercept"] if with_int else []) + xcols
        # outcome and regressors in one Fortran-ordered block (column 0 = y): no further copy before demeaning
        Zraw = np.empty((len(sub), 1 + len(names)), order="F")
        Zraw[:, 0] = sub[lhs].to_numpy(dtype=float)
        if with_int:
            Zraw[:, 1] = 1.0
        for j, c in enumerate(xcols, start=1 + int(with_int)):
            Zraw[:, j] = sub[c].to_numpy(dtype=float)
        X = Zraw[:, 1:]
    else:
        import formulaic

        try:
            mm = formulaic.model_matrix(rhs, sub.reset_index(drop=True), na_action="raise")
        except Exception as exc:
            raise SpecificationError(f"cannot build the regressors of {formula!r}: {exc}") from exc
        names = [str(c) for c in mm.columns]
        X = np.asarray(mm, dtype=float)
    y = sub[lhs].to_numpy(dtype=float) if Zraw is None else Zraw[:, 0]
    if np.ptp(y) == 0:
        raise EstimationError(f"outcome {lhs!r} has zero variance (all values equal {y[0]!r})")
    has_int = "Intercept" in names
    ent = panel.entity_codes.astype(np.int64, copy=False)
    tval = panel.time_values
    n_ent = panel.n_entities
    frame = sub.reset_index(drop=True)
    extra: dict[str, Any] = {}
    aux: dict[str, Any] = {}
    names_lvl: list[str] | None = None

    if model == "within":
        fe_map: dict[str, np.ndarray] = {}
        if effects in ("individual", "twoways"):
            fe_map[entity] = ent
        if effects in ("time", "twoways"):
            fe_map[time] = panel.time_codes.astype(np.int64, copy=False)
        for f in extra_fe:
            if f in fe_map:
                continue
            fe_map[f] = factorize(sub[f].to_numpy())[0]
        if not fe_map:
            raise SpecificationError("model='within' with effects='none' absorbs nothing; use model='pooling'")
        if "Intercept" in names:
            keep = [i for i, nm in enumerate(names) if nm != "Intercept"]
            X, names = X[:, keep], [names[i] for i in keep]
        fes = list(fe_map.values())
        if Zraw is None or Zraw.shape[1] != 1 + X.shape[1]:
            Zraw = np.column_stack([y, X])
        Z = demean(Zraw, fes, w_arr, tol=tol, method="auto" if _fast else "projections")
        yt, Xt = Z[:, 0], Z[:, 1:]
        if float(yt @ yt) <= 1e-20 * max(float(y @ y), 1e-300):
            raise EstimationError(f"outcome {lhs!r} has no variation left after removing the fixed effects {list(fe_map)}")
        _check_absorbed(X, Xt, names, fe_map, w_arr, tol)
        if list(fe_map) == [entity, time] and panel.balanced:
            df_fe = panel.n_entities + panel.n_periods - 1  # full grid: one connected component
        else:
            df_fe = fe_dof(fes)
        est_frame, ent_e, t_e = frame, ent, tval
        aux = {"within_raw": {"X": X, "y": y, "w": w_arr}}
    elif model == "pooling":
        yt, Xt, df_fe, fe_map = y, X, 0, {}
        est_frame, ent_e, t_e = frame, ent, tval
    elif model == "between":
        counts = np.bincount(ent, minlength=n_ent)
        yt = _entity_means(y, ent, n_ent)
        Xt = _entity_means(X, ent, n_ent)
        if w_arr is not None:
            raise SpecificationError("weights are not supported with model='between'")
        df_fe, fe_map = 0, {}
        first = np.unique(ent, return_index=True)[1]
        est_frame, ent_e, t_e = frame.iloc[first].reset_index(drop=True), np.arange(n_ent), tval[first]
        extra["entity_sizes"] = counts
    elif model == "fd":
        order = np.lexsort((tval, ent))
        e_s, t_s = ent[order], tval[order]
        nxt = np.flatnonzero((e_s[1:] == e_s[:-1]) & (t_s[1:] - t_s[:-1] == 1)) + 1
        if len(nxt) == 0:
            raise EstimationError("no consecutive periods within any entity: first differences are empty")
        keep = [i for i, nm in enumerate(names) if nm != "Intercept"]
        Xs = X[order][:, keep]
        yt = y[order][nxt] - y[order][nxt - 1]
        Xt = Xs[nxt] - Xs[nxt - 1]
        fd_names = [names[i] for i in keep]
        if has_int:
            Xt = np.column_stack([np.ones(len(yt)), Xt])
            fd_names = ["Intercept", *fd_names]
        names_lvl = list(names)
        names = fd_names
        if w_arr is not None:
            w_arr = w_arr[order][nxt]
        dropped = int(len(e_s) - len(np.unique(e_s)) - len(nxt))
        if dropped:
            warnings.warn(f"fd: {dropped} differences across gaps in {time!r} dropped", DataWarning, stacklevel=2)
        df_fe, fe_map = 0, {}
        est_frame, ent_e, t_e = frame.iloc[order[nxt]].reset_index(drop=True), e_s[nxt], t_s[nxt]
        for j, nm in enumerate(names):
            if nm != "Intercept" and np.ptp(Xt[:, j]) == 0 and not np.any(Xt[:, j]):
                raise EstimationError(f"regressor {nm!r} is constant within entities: its first difference is zero")
    else:  # random
        yt, Xt, extra = _swamy_arora(y, X, names, ent, n_ent)
        df_fe, fe_map = 0, {}
        est_frame, ent_e, t_e = frame, ent, tval

    if model in ("pooling", "between", "random"):
        for j, nm in enumerate(names):
            if nm != "Intercept" and np.ptp(X[:, j] if model != "between" else Xt[:, j]) == 0:
                raise EstimationError(f"regressor {nm!r} has zero variance")
    sw = np.sqrt(w_arr) if w_arr is not None else None
    Xw = Xt * sw[:, None] if sw is not None else Xt
    yw = yt * sw if sw is not None else yt
    beta, bread = _lstsq(Xw, yw, names)
    resid_w = yw - Xw @ beta
    df_resid = len(yw) - len(beta) - df_fe
    ctx = FitContext(
        X=Xw, resid=resid_w, bread=bread, df_fe=df_fe, df_resid=df_resid, entity=ent_e, time=t_e,
        frame=est_frame, entity_name=entity, time_name=time, fe=fe_map, model=model, aux=aux,
    )
    aux["beta"] = beta
    aux["weights"] = w_arr
    aux["entity_codes_contiguous"] = model in ("within", "pooling", "random")
    if model == "random":
        aux["gls"] = {"X": X, "e": y - X @ beta, "rho": extra["sigma2_indiv"] / extra["sigma2_idios"], "entity": ent}
    est = resolve_vcov(vcov).compute(ctx)
    names_out = ["(Intercept)" if nm == "Intercept" else nm for nm in names]
    idx = pd.Index(names_out)
    if model == "within":
        r2 = 1.0 - float(resid_w @ resid_w) / float(yw @ yw)
    else:
        r2 = _r2(yw, Xw @ beta, center=model != "fd" or has_int)
    if names_lvl is None:
        names_lvl = names
    known = r2 if (model == "within" and list(fe_map) == [entity] and w_arr is None) else None
    r2w, r2b, r2o = _r2_variants(y, X, names_lvl, beta, names_out, ent, n_ent, model, known)
    return PanelResults(
        params=pd.Series(beta, index=idx, name="estimate"),
        cov=pd.DataFrame(est.cov, index=idx, columns=idx),
        df=est.df,
        model=model,
        effects=effects if model == "within" else "individual",
        vcov_name=est.name,
        nobs=len(yw),
        n_entities=int(np.count_nonzero(np.bincount(ent_e))),
        n_periods=panel.n_periods if model != "fd" else len(np.unique(t_e)),
        df_resid=int(df_resid),
        rsquared=float(r2),
        rsquared_within=r2w,
        rsquared_between=r2b,
        rsquared_overall=r2o,
        formula=formula,
        depvar=lhs,
        fixef_string="+".join(fe_map) if fe_map else None,
        resid=resid_w / sw if sw is not None else resid_w,
        extra=extra,
        vcov_notes=est.notes,
        n_clusters=est.n_clusters,
        _context=ctx,
    )


def _select(data: pd.DataFrame, cols: list[str]) -> pd.DataFrame:
    """The columns ``cols`` of ``data`` as a new frame sharing the caller's memory (read-only use; copy-on-write
    protects the caller), instead of ``data[cols]``, which copies them."""
    if data.columns.has_duplicates or len(set(cols)) != len(cols):
        return data[cols]
    return pd.DataFrame({c: data[c].array for c in cols}, index=data.index, copy=False)


def _complete_rows(sub: pd.DataFrame, cols: list[str]) -> np.ndarray:
    """Boolean mask of rows without missing values in ``cols`` (column by column; numpy integer and bool columns
    cannot hold missing values and are skipped)."""
    use = np.ones(len(sub), dtype=bool)
    for c in cols:
        col = sub[c]
        kind = col.dtype.kind if isinstance(col.dtype, np.dtype) else ""
        if kind in "iub" and kind:
            continue
        if kind == "f":
            arr = col.to_numpy()
            if np.isfinite(np.add.reduce(arr)):  # a NaN or an infinity would make the sum non-finite
                continue
            infinite = np.isinf(arr)
            if infinite.any():
                rows = sub.index[infinite][:5].tolist()
                raise DataError(f"column {c!r} holds infinite values (first rows: {rows}); "
                                "missing values are dropped, infinities are an error")
            miss = np.isnan(arr)
        else:
            miss = col.isna().to_numpy()
        if miss.any():
            use &= ~miss
    return use


def _vcov_columns(vcov: Any, data: pd.DataFrame) -> list[str]:
    """Column names that the vcov spec clusters on (so that the sample keeps them)."""
    out: list[str] = []
    if isinstance(vcov, dict):
        for k, v in vcov.items():
            if k in ("ssc", "cluster_df", "maxlag", "warn"):
                continue
            vals = v if isinstance(v, (list, tuple)) else [v]
            for c in vals:
                if isinstance(c, str) and c not in ("entity", "time"):
                    if c not in data.columns:
                        raise SpecificationError(f"cluster column {c!r} is not in the data")
                    out.append(c)
    else:
        for attr in ("clusters", "cluster"):
            vals = getattr(vcov, attr, None)
            if vals is None:
                continue
            for c in vals if isinstance(vals, list) else [vals]:
                if isinstance(c, str) and c in data.columns:
                    out.append(c)
    return out


def _check_absorbed(X, Xt, names, fe_map, w, tol):
    """Raise naming any regressor that the fixed effects absorb (and which set absorbs it)."""
    for j, nm in enumerate(names):
        x = X[:, j]
        ss1 = float(Xt[:, j] @ Xt[:, j])
        if ss1 > 1e-12 * float(x @ x):  # the uncentred sum of squares bounds the centred one: clearly not absorbed
            continue
        ss0 = float(((x - x.mean()) ** 2).sum())
        if ss1 <= 1e-12 * max(ss0, 1e-300) or ss0 == 0:
            which = [f for f, c in fe_map.items() if float(np.sum(demean(x, [c], w, tol=tol) ** 2)) <= 1e-12 * max(ss0, 1e-300)]
            by = f"the {which[0]!r} fixed effects" if which else f"the combination of fixed effects {list(fe_map)}"
            raise EstimationError(f"regressor {nm!r} is collinear with {by} (no variation left after absorbing them)")


def _swamy_arora(y, X, names, ent, n_ent):
    """Quasi-demeaned data of the Swamy-Arora random-effects model (Baltagi-Chang 1994 for unbalanced panels)."""
    N = len(y)
    if "Intercept" not in names:
        raise SpecificationError("model='random' needs an intercept")
    slopes = [j for j, nm in enumerate(names) if nm != "Intercept"]
    Ti = np.bincount(ent, minlength=n_ent).astype(float)
    # idiosyncratic variance from the within regression
    Xs = X[:, slopes]
    Zw = demean(np.column_stack([y, Xs]), [ent])
    bw, _ = _lstsq(Zw[:, 1:], Zw[:, 0], [names[j] for j in slopes])
    ew = Zw[:, 0] - Zw[:, 1:] @ bw
    K = X.shape[1]
    s2e = float(ew @ ew) / (N - n_ent - len(slopes))
    # between regression at observation level (entity means repeated)
    Py = _entity_means(y, ent, n_ent)[ent]
    PX = _entity_means(X, ent, n_ent)[ent]
    bb, _ = _lstsq(PX, Py, names)
    eb = Py - PX @ bb
    S = np.stack([np.bincount(ent, weights=X[:, j], minlength=n_ent) for j in range(K)], axis=1)  # Z'X
    trace = np.trace(np.linalg.solve(PX.T @ PX, S.T @ S))
    s2u = (float(eb @ eb) - (n_ent - K) * s2e) / (N - trace)
    if s2u < 0:
        warnings.warn("random: negative individual variance estimate set to zero (pooled OLS)", DataWarning, stacklevel=3)
        s2u = 0.0
    theta = 1.0 - np.sqrt(s2e / (Ti * s2u + s2e))
    th = theta[ent]
    yt = y - th * Py
    Xt = X - th[:, None] * _entity_means(X, ent, n_ent)[ent]
    extra = {"sigma2_idios": s2e, "sigma2_indiv": s2u, "theta": theta if np.ptp(Ti) else float(theta[0])}
    return yt, Xt, extra


def _r2_variants(y, X, names, beta, names_out, ent, n_ent, model, known_within=None):
    """Within, between and overall R-squared of the slope estimates (linearmodels' definitions: squared correlation
    free, 1 - SSR/TSS on within-demeaned, entity-mean and raw data, each with its own intercept)."""
    if X is None:
        return float("nan"), float("nan"), float("nan")
    slope_idx = [j for j, nm in enumerate(names) if nm != "Intercept"]
    b = np.array([beta[names_out.index(names[j])] for j in slope_idx]) if model != "within" else beta
    if model == "within":
        slope_idx = list(range(X.shape[1]))
    Xs = X if slope_idx == list(range(X.shape[1])) else X[:, slope_idx]
    fitted = Xs @ b
    counts = np.bincount(ent, minlength=n_ent)
    if len(y) > _QR_MAX_ROWS:
        return _r2_variants_sums(y, fitted, ent, n_ent, counts, known_within)
    yb = np.bincount(ent, weights=y, minlength=n_ent) / counts
    fb = np.bincount(ent, weights=fitted, minlength=n_ent) / counts
    if known_within is None:
        yw = y - yb[ent]
        ew = yw - (fitted - fb[ent])
        r2w = 1 - float(ew @ ew) / float(yw @ yw)
    else:
        r2w = known_within
    eb = (yb - yb.mean()) - (fb - fb.mean())
    r2b = 1 - float(eb @ eb) / float(((yb - yb.mean()) ** 2).sum())
    ym = y.mean()
    eo = (y - ym) - (fitted - fitted.mean())
    dev = y - ym
    r2o = 1 - float(eo @ eo) / float(dev @ dev)
    return float(r2w), float(r2b), float(r2o)


def _r2_variants_sums(y, fitted, ent, n_ent, counts, known_within):
    """The R-squared variants of :func:`_r2_variants` from centred sums (fewer passes over large data): within
    sums of squares as total minus n_i times squared entity means, on data centred at the overall mean."""
    ym = float(y.mean())
    yc = y - ym
    e = yc - fitted
    e -= e.mean()  # e = (y - ym) - (f - fm): the overall-demeaned residual
    sy = np.bincount(ent, weights=yc, minlength=n_ent)
    se = np.bincount(ent, weights=e, minlength=n_ent)
    ss_y, ss_e = float(yc @ yc), float(e @ e)
    if known_within is None:
        wy = ss_y - float((sy * sy / counts).sum())
        we = ss_e - float((se * se / counts).sum())
        r2w = 1 - we / wy
    else:
        r2w = known_within
    yb, eb = sy / counts, se / counts
    yb_c = yb - yb.mean()
    eb_c = eb - eb.mean()
    r2b = 1 - float(eb_c @ eb_c) / float(yb_c @ yb_c)
    r2o = 1 - ss_e / ss_y
    return float(r2w), float(r2b), float(r2o)
