"""Sant'Anna and Zhao (2020) two-period DiD estimators and their influence functions (private).

Each function takes numpy arrays for one 2x2 comparison and returns ``(att, influence)``: the estimate of the ATT
and its influence function, one value per unit (panel) or per observation (repeated cross-sections), scaled so
that ``var(att) ~= mean(influence**2) / n``.  The formulas follow Sant'Anna and Zhao (2020), "Doubly robust
difference-in-differences estimators", Journal of Econometrics 219(1), 101-122, as implemented in the R package
DRDID (the functions ``drdid_panel``, ``std_ipw_did_panel``, ``reg_did_panel``, ``drdid_rc``, ``std_ipw_did_rc``
and ``reg_did_rc``), which R's ``did::att_gt`` calls cell by cell.

Conventions
-----------
``x`` is the covariate matrix *including* the intercept column; ``w`` are sampling weights (normalised here to mean
one); ``d`` is the treated-group indicator; for repeated cross-sections ``post`` marks the post period.
The propensity score is a weighted logit fitted by Newton-Raphson; as in DRDID it is capped at ``1 - 1e-6`` and
control units with a score of at least ``trim_level`` (0.995) are trimmed.
"""

from __future__ import annotations

import numpy as np

from ..errors import EstimationError

__all__ = ["logit_fit", "ipt_fit", "panel_did", "rc_did", "EST_METHODS", "EST_METHODS_2X2"]

EST_METHODS = ("dr", "ipw", "reg")
EST_METHODS_2X2 = ("dr", "dr_imp", "ipw", "reg")
TRIM_LEVEL = 0.995


def _solve(a: np.ndarray, b: np.ndarray, what: str) -> np.ndarray:
    try:
        return np.linalg.solve(a, b)
    except np.linalg.LinAlgError as exc:
        raise EstimationError(f"singular design in the {what} (collinear covariates or too few units)") from exc


def logit_fit(x: np.ndarray, d: np.ndarray, w: np.ndarray, *, maxiter: int = 50, tol: float = 1e-11):
    """Weighted logit of ``d`` on ``x`` by Newton-Raphson.

    Returns ``(beta, ps, hessian_inv)`` where ``hessian_inv = (X' diag(w p (1-p)) X)^{-1}`` (the GLM covariance
    with dispersion one, as R's ``vcov(glm(..., family=binomial))``).
    """
    k = x.shape[1]
    beta = np.zeros(k)
    # start from the intercept-only solution when the first column is the intercept
    pbar = np.sum(w * d) / np.sum(w)
    if 0.0 < pbar < 1.0 and np.all(x[:, 0] == 1.0):
        beta[0] = np.log(pbar / (1.0 - pbar))
    for _ in range(maxiter):
        eta = x @ beta
        p = 1.0 / (1.0 + np.exp(-eta))
        grad = x.T @ (w * (d - p))
        h = (x * (w * p * (1.0 - p))[:, None]).T @ x
        step = _solve(h, grad, "propensity-score logit")
        beta = beta + step
        if np.max(np.abs(step)) < tol * (1.0 + np.max(np.abs(beta))):
            break
    eta = x @ beta
    p = 1.0 / (1.0 + np.exp(-eta))
    h = (x * (w * p * (1.0 - p))[:, None]).T @ x
    hinv = _solve(h, np.eye(k), "propensity-score logit")
    if not np.all(np.isfinite(beta)):
        raise EstimationError("the propensity-score logit did not converge (perfect separation?)")
    return beta, p, hinv


def ipt_fit(x: np.ndarray, d: np.ndarray, w: np.ndarray, *, maxiter: int = 100, tol: float = 1e-12):
    """Inverse probability tilting propensity score (Graham, Pinto and Egel 2012) used by the improved DR.

    Minimises the convex loss ``mean(w * ((1 - d) exp(x'g) - d x'g))``, whose first-order condition
    ``sum w (d - (1 - d) exp(x'g)) x = 0`` makes the odds-weighted control means of ``x`` equal the treated ones.
    Returns the fitted score ``plogis(x'g)``.
    """
    g, _, _ = logit_fit(x, d, w)
    for _ in range(maxiter):
        e = np.exp(x @ g)
        grad = x.T @ (w * ((1 - d) * e - d))
        h = (x * (w * (1 - d) * e)[:, None]).T @ x
        step = _solve(h, grad, "inverse-probability-tilting propensity score")
        # damped Newton on a convex loss
        loss0 = np.sum(w * ((1 - d) * e - d * (x @ g)))
        t = 1.0
        while t > 1e-8:
            gn = g - t * step
            loss = np.sum(w * ((1 - d) * np.exp(x @ gn) - d * (x @ gn)))
            if np.isfinite(loss) and loss <= loss0 + 1e-12 * abs(loss0):
                break
            t /= 2
        g = gn
        if np.max(np.abs(t * step)) < tol * (1.0 + np.max(np.abs(g))):
            break
    return 1.0 / (1.0 + np.exp(-(x @ g)))


def _ols_lin_rep(x: np.ndarray, y: np.ndarray, wsub: np.ndarray, what: str):
    """Weighted OLS on the units with ``wsub > 0``; returns (beta, asymptotic linear representation n x k)."""
    n = x.shape[0]
    xw = x * wsub[:, None]
    xtx = xw.T @ x
    beta = _solve(xtx, xw.T @ y, what)
    resid = y - x @ beta
    lin_rep = (xw * resid[:, None]) @ _solve(xtx / n, np.eye(x.shape[1]), what)
    return beta, lin_rep


def _ols_projector(x: np.ndarray, wsub: np.ndarray, what: str):
    """What a weighted OLS on fixed regressors needs for any outcome: X'W and (X'WX / n)^{-1}."""
    n = x.shape[0]
    xw = x * wsub[:, None]
    return xw, _solve(xw.T @ x / n, np.eye(x.shape[1]), what)


def _ols_lin_rep_cached(proj, x: np.ndarray, y: np.ndarray):
    """``_ols_lin_rep`` from a precomputed ``_ols_projector`` (same numbers up to rounding)."""
    xw, inv = proj
    n = x.shape[0]
    beta = inv @ (xw.T @ y) / n
    resid = y - x @ beta
    return beta, (xw * resid[:, None]) @ inv


def _ps_pieces(x, d, w):
    _, ps, hinv = logit_fit(x, d, w)
    n = x.shape[0]
    ps = np.minimum(ps, 1.0 - 1e-6)
    trim = np.where(d == 1, ps < 1.01, ps < TRIM_LEVEL).astype(float)
    score = x * (w * (d - ps))[:, None]
    lin_rep_ps = score @ (hinv * n)
    return ps, trim, lin_rep_ps


def panel_did(dy: np.ndarray, d: np.ndarray, x: np.ndarray, w: np.ndarray | None = None, method: str = "dr",
              *, nuisance: dict | None = None):
    """Two-period panel DiD (Sant'Anna and Zhao 2020): ``method`` in {"dr", "ipw", "reg"}.

    ``dy`` is the change in the outcome of each unit; returns ``(att, influence)`` with one influence value per
    unit.  "dr" is the (traditional) doubly robust estimator ``drdid_panel``; "ipw" the normalised (Hajek) IPW
    estimator ``std_ipw_did_panel``; "reg" the outcome-regression estimator ``reg_did_panel``.

    ``nuisance``: a dict the caller keeps for calls that share ``d``, ``x`` and ``w`` (only ``dy`` differs, as for
    the cells of one cohort against one control group in ``att_gt``); the propensity score and the outcome
    regression's design are then computed once and reused.
    """
    dy = np.asarray(dy, float)
    d = np.asarray(d, float)
    x = np.asarray(x, float)
    n = dy.shape[0]
    w = np.ones(n) if w is None else np.asarray(w, float)
    w = w / w.mean()
    def ols(y):
        if nuisance is None:
            return _ols_lin_rep(x, y, w * (1.0 - d), "outcome regression")
        if "ols" not in nuisance:
            nuisance["ols"] = _ols_projector(x, w * (1.0 - d), "outcome regression")
        return _ols_lin_rep_cached(nuisance["ols"], x, y)

    if method == "reg":
        beta, lin_ols = ols(dy)
        out = x @ beta
        w_t = w * d
        w_c = w * d
        att_t = w_t * dy
        att_c = w_c * out
        eta_t = att_t.mean() / w_t.mean()
        eta_c = att_c.mean() / w_c.mean()
        inf_t = (att_t - w_t * eta_t) / w_t.mean()
        m1 = (w_c[:, None] * x).mean(axis=0)
        inf_c = (att_c - w_c * eta_c + lin_ols @ m1) / w_c.mean()
        return eta_t - eta_c, inf_t - inf_c
    if method == "dr_imp":
        # improved DR (DRDID's drdid_imp_panel): IPT score and odds-weighted regression make the estimation
        # effects of both nuisance fits vanish, so the influence function is the leading term only
        ps = np.minimum(ipt_fit(x, d, w), 1.0 - 1e-6)
        trim = np.where(d == 1, ps < 1.01, ps < TRIM_LEVEL).astype(float)
        odds = ps / (1.0 - ps)
        xw = x * (w * (1.0 - d) * odds)[:, None]
        beta = _solve(xw.T @ x, xw.T @ dy, "outcome regression")
        r = dy - x @ beta
        w_t = trim * w * d
        w_c = trim * w * odds * (1.0 - d)
        eta_t = (w_t * r).mean() / w_t.mean()
        eta_c = (w_c * r).mean() / w_c.mean()
        inf = (w_t * r - w_t * eta_t) / w_t.mean() - (w_c * r - w_c * eta_c) / w_c.mean()
        return eta_t - eta_c, inf
    if nuisance is None:
        ps, trim, lin_ps = _ps_pieces(x, d, w)
    else:
        if "ps" not in nuisance:
            nuisance["ps"] = _ps_pieces(x, d, w)
        ps, trim, lin_ps = nuisance["ps"]
    if method == "ipw":
        w_t = trim * w * d
        w_c = trim * w * ps * (1.0 - d) / (1.0 - ps)
        att_t = w_t * dy
        att_c = w_c * dy
        eta_t = att_t.mean() / w_t.mean()
        eta_c = att_c.mean() / w_c.mean()
        inf_t = (att_t - w_t * eta_t) / w_t.mean()
        m2 = (w_c * (dy - eta_c))[:, None] * x
        inf_c = (att_c - w_c * eta_c + lin_ps @ m2.mean(axis=0)) / w_c.mean()
        return eta_t - eta_c, inf_t - inf_c
    if method != "dr":
        raise ValueError(method)
    beta, lin_ols = ols(dy)
    out = x @ beta
    w_t = trim * w * d
    w_c = trim * w * ps * (1.0 - d) / (1.0 - ps)
    r = dy - out
    dr_t = w_t * r
    dr_c = w_c * r
    eta_t = dr_t.mean() / w_t.mean()
    eta_c = dr_c.mean() / w_c.mean()
    m1 = (w_t[:, None] * x).mean(axis=0)
    inf_t = (dr_t - w_t * eta_t - lin_ols @ m1) / w_t.mean()
    m2 = ((w_c * (r - eta_c))[:, None] * x).mean(axis=0)
    m3 = (w_c[:, None] * x).mean(axis=0)
    inf_c = (dr_c - w_c * eta_c + lin_ps @ m2 - lin_ols @ m3) / w_c.mean()
    return eta_t - eta_c, inf_t - inf_c


def rc_did(y: np.ndarray, post: np.ndarray, d: np.ndarray, x: np.ndarray, w: np.ndarray | None = None,
           method: str = "dr"):
    """Two-period DiD with repeated cross-sections (Sant'Anna and Zhao 2020).

    One row per observation; returns ``(att, influence)`` with one influence value per observation.  "dr" is the
    locally efficient doubly robust estimator (DRDID's ``drdid_rc``), "ipw" the normalised IPW estimator
    (``std_ipw_did_rc``), "reg" the outcome-regression estimator (``reg_did_rc``).
    """
    y = np.asarray(y, float)
    post = np.asarray(post, float)
    d = np.asarray(d, float)
    x = np.asarray(x, float)
    n = y.shape[0]
    w = np.ones(n) if w is None else np.asarray(w, float)
    w = w / w.mean()
    xm = lambda v: (v[:, None] * x).mean(axis=0)  # noqa: E731

    if method == "reg":
        b_pre, lin_pre = _ols_lin_rep(x, y, w * (1 - d) * (1 - post), "outcome regression (controls, pre)")
        b_post, lin_post = _ols_lin_rep(x, y, w * (1 - d) * post, "outcome regression (controls, post)")
        out_pre, out_post = x @ b_pre, x @ b_post
        w_tpre = w * d * (1 - post)
        w_tpost = w * d * post
        w_c = w * d
        a_tpre = w_tpre * y / w_tpre.mean()
        a_tpost = w_tpost * y / w_tpost.mean()
        a_c = w_c * (out_post - out_pre) / w_c.mean()
        e_tpre, e_tpost, e_c = a_tpre.mean(), a_tpost.mean(), a_c.mean()
        att = e_tpost - e_tpre - e_c
        inf_tpre = a_tpre - w_tpre * e_tpre / w_tpre.mean()
        inf_tpost = a_tpost - w_tpost * e_tpost / w_tpost.mean()
        inf_c1 = a_c - w_c * e_c / w_c.mean()
        m1 = xm(w_c) / w_c.mean()
        inf_c = inf_c1 + lin_post @ m1 - lin_pre @ m1
        return att, (inf_tpost - inf_tpre) - inf_c

    ps, trim, lin_ps = _ps_pieces(x, d, w)
    w_tpre = trim * w * d * (1 - post)
    w_tpost = trim * w * d * post
    w_cpre = trim * w * ps * (1 - d) * (1 - post) / (1 - ps)
    w_cpost = trim * w * ps * (1 - d) * post / (1 - ps)

    if method == "ipw":
        def part(wv):
            eta = wv * y / wv.mean()
            a = eta.mean()
            return a, eta - wv * a / wv.mean()
        a_tpre, i_tpre = part(w_tpre)
        a_tpost, i_tpost = part(w_tpost)
        a_cpre, i_cpre = part(w_cpre)
        a_cpost, i_cpost = part(w_cpost)
        att = (a_tpost - a_tpre) - (a_cpost - a_cpre)
        m2_pre = xm(w_cpre * (y - a_cpre)) / w_cpre.mean()
        m2_post = xm(w_cpost * (y - a_cpost)) / w_cpost.mean()
        inf_c = (i_cpost - i_cpre) + lin_ps @ (m2_post - m2_pre)
        return att, (i_tpost - i_tpre) - inf_c

    if method != "dr":
        raise ValueError(method)
    b_cpre, lin_cpre = _ols_lin_rep(x, y, w * (1 - d) * (1 - post), "outcome regression (controls, pre)")
    b_cpost, lin_cpost = _ols_lin_rep(x, y, w * (1 - d) * post, "outcome regression (controls, post)")
    b_tpre, lin_tpre = _ols_lin_rep(x, y, w * d * (1 - post), "outcome regression (treated, pre)")
    b_tpost, lin_tpost = _ols_lin_rep(x, y, w * d * post, "outcome regression (treated, post)")
    o_cpre, o_cpost, o_tpre, o_tpost = x @ b_cpre, x @ b_cpost, x @ b_tpre, x @ b_tpost
    o_c = post * o_cpost + (1 - post) * o_cpre
    w_d = trim * w * d
    w_dt1 = trim * w * d * post
    w_dt0 = trim * w * d * (1 - post)

    def eta(wv, v):
        e = wv * v / wv.mean()
        return e, e.mean()

    e_tpre, a_tpre = eta(w_tpre, y - o_c)
    e_tpost, a_tpost = eta(w_tpost, y - o_c)
    e_cpre, a_cpre = eta(w_cpre, y - o_c)
    e_cpost, a_cpost = eta(w_cpost, y - o_c)
    e_dpost, a_dpost = eta(w_d, o_tpost - o_cpost)
    e_dt1post, a_dt1post = eta(w_dt1, o_tpost - o_cpost)
    e_dpre, a_dpre = eta(w_d, o_tpre - o_cpre)
    e_dt0pre, a_dt0pre = eta(w_dt0, o_tpre - o_cpre)
    att = (a_tpost - a_tpre) - (a_cpost - a_cpre) + (a_dpost - a_dt1post) - (a_dpre - a_dt0pre)

    i_tpre = e_tpre - w_tpre * a_tpre / w_tpre.mean()
    i_tpost = e_tpost - w_tpost * a_tpost / w_tpost.mean()
    m1_post = -xm(w_tpost * post) / w_tpost.mean()
    m1_pre = -xm(w_tpre * (1 - post)) / w_tpre.mean()
    inf_t = (i_tpost - i_tpre) + lin_cpost @ m1_post + lin_cpre @ m1_pre

    i_cpre = e_cpre - w_cpre * a_cpre / w_cpre.mean()
    i_cpost = e_cpost - w_cpost * a_cpost / w_cpost.mean()
    m2_pre = xm(w_cpre * (y - o_c - a_cpre)) / w_cpre.mean()
    m2_post = xm(w_cpost * (y - o_c - a_cpost)) / w_cpost.mean()
    m3_post = -xm(w_cpost * post) / w_cpost.mean()
    m3_pre = -xm(w_cpre * (1 - post)) / w_cpre.mean()
    inf_c = (i_cpost - i_cpre) + lin_ps @ (m2_post - m2_pre) + lin_cpost @ m3_post + lin_cpre @ m3_pre
    inf1 = inf_t - inf_c

    i_e1 = e_dpost - w_d * a_dpost / w_d.mean()
    i_e2 = e_dt1post - w_dt1 * a_dt1post / w_dt1.mean()
    i_e3 = e_dpre - w_d * a_dpre / w_d.mean()
    i_e4 = e_dt0pre - w_dt0 * a_dt0pre / w_dt0.mean()
    inf_eff = (i_e1 - i_e2) - (i_e3 - i_e4)
    mom_post = xm(w_d / w_d.mean() - w_dt1 / w_dt1.mean())
    mom_pre = xm(w_d / w_d.mean() - w_dt0 / w_dt0.mean())
    inf_or = (lin_tpost - lin_cpost) @ mom_post - (lin_tpre - lin_cpre) @ mom_pre
    return att, inf1 + inf_eff + inf_or
