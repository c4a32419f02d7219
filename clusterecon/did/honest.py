"""Rambachan and Roth (2023) sensitivity of event-study conclusions to violations of parallel trends.

Implemented: the smoothness class ``Delta^SD(M)`` (the slope of the differential trend may change by at most ``M``
between consecutive periods) with the fixed-length confidence interval (FLCI, Armstrong and Kolesar 2018 as used by
Rambachan and Roth); the relative-magnitudes class ``Delta^RM(Mbar)`` with the conditional / least-favourable hybrid
moment-inequality test of Andrews, Roth and Pakes; and breakdown values.
"""

from __future__ import annotations

import functools

import numpy as np
import pandas as pd
from scipy import optimize, stats

from ..errors import DataError, SpecificationError
from .results import DiDResults

__all__ = ["honest_did", "flci_smoothness", "relative_magnitudes_cs", "event_study_inputs"]


def _sd_maps(num_pre: int, num_post: int) -> np.ndarray:
    """Matrix A with delta (pre then post, reference period 0 excluded, delta_0 = 0) = A @ (eta, slope), where eta
    are the second differences at every interior period and slope = delta_0 - delta_{-1}."""
    periods = np.r_[np.arange(-num_pre, 0), np.arange(1, num_post + 1)]
    full = np.arange(-num_pre, num_post + 1)
    m = periods.size
    rows = []
    for r in full[1:-1]:  # second differences delta_{r+1} - 2 delta_r + delta_{r-1}
        row = np.zeros(m)
        for off, c in ((-1, 1.0), (0, -2.0), (1, 1.0)):
            p = r + off
            if p != 0:
                row[np.flatnonzero(periods == p)[0]] = c
        rows.append(row)
    slope = np.zeros(m)
    if num_pre:
        slope[np.flatnonzero(periods == -1)[0]] = -1.0
    else:
        slope[np.flatnonzero(periods == 1)[0]] = 1.0
    rows.append(slope)
    return np.linalg.inv(np.array(rows))


def _folded_normal_cv(bias_over_sd: float, alpha: float) -> float:
    """1 - alpha quantile of |N(b, 1)|."""
    b = abs(bias_over_sd)
    if b < 1e-10:
        return float(stats.norm.ppf(1 - alpha / 2))
    return float(np.sqrt(stats.ncx2.ppf(1 - alpha, 1, b * b)))


def flci_smoothness(betahat, sigma, num_pre: int, num_post: int, M: float, l_vec=None, alpha: float = 0.05):
    """FLCI for ``theta = l' tau_post`` under ``Delta^SD(M)``: returns ``(low, high, v)`` with ``v`` the optimal
    weights of the affine estimator ``v' betahat`` (post-period weights fixed at ``l_vec``)."""
    beta = np.asarray(betahat, dtype=float)
    sig = np.asarray(sigma, dtype=float)
    lv = np.zeros(num_post) if l_vec is None else np.asarray(l_vec, dtype=float)
    if l_vec is None:
        lv[0] = 1.0
    if beta.size != num_pre + num_post or sig.shape != (beta.size, beta.size) or lv.size != num_post:
        raise SpecificationError(f"betahat ({beta.size}), sigma {sig.shape} and l_vec ({lv.size}) do not match "
                                 f"num_pre={num_pre}, num_post={num_post}")
    if num_pre < 1:
        raise SpecificationError("the smoothness restriction needs at least one pre-period coefficient")
    a = _sd_maps(num_pre, num_post)
    n_eta = a.shape[1] - 1
    # linear-trend invariance: (A'v)[slope] = 0, linear in v_pre
    c_pre, c_post = a[:num_pre, -1], a[num_pre:, -1]
    rhs = -float(c_post @ lv)
    if np.allclose(c_pre, 0):
        raise SpecificationError("cannot remove a linear trend with these periods")
    v0 = c_pre * rhs / float(c_pre @ c_pre)
    null = np.linalg.svd(c_pre[None, :])[2][1:].T  # num_pre x (num_pre - 1)

    b_eta = a[:, :n_eta]  # bias = M * || b_eta' v ||_1
    sig_pp, sig_pq = sig[:num_pre, :num_pre], sig[:num_pre, num_pre:]

    def var_of(vp):
        v = np.r_[vp, lv]
        return float(v @ sig @ v)

    def bias_of(vp):
        return M * float(np.abs(b_eta.T @ np.r_[vp, lv]).sum())

    # minimum-variance weights under the trend-invariance constraint (closed form via the null space)
    q = null.T @ sig_pp @ null if null.size else np.zeros((0, 0))
    lin = null.T @ (sig_pp @ v0 + sig_pq @ lv) if null.size else np.zeros(0)
    z_mv = -np.linalg.solve(q, lin) if null.size else np.zeros(0)
    vp_mv = v0 + null @ z_mv
    eq = {"type": "eq", "fun": lambda x: np.array([c_pre @ x[:num_pre] - rhs])}

    def min_var_given_bias(budget, x0):
        """min v'Sigma v s.t. sum|B'v| <= budget / M (convex QP in (v_pre, u))."""
        def fun(x):
            return var_of(x[:num_pre])

        def jac(x):
            g = np.zeros_like(x)
            g[:num_pre] = 2 * (sig_pp @ x[:num_pre] + sig_pq @ lv)
            return g

        cons = [eq,
                {"type": "ineq", "fun": lambda x: x[num_pre:] - (b_eta.T @ np.r_[x[:num_pre], lv])},
                {"type": "ineq", "fun": lambda x: x[num_pre:] + (b_eta.T @ np.r_[x[:num_pre], lv])},
                {"type": "ineq", "fun": lambda x: np.array([budget / M - x[num_pre:].sum()])}]
        r = optimize.minimize(fun, x0, jac=jac, constraints=cons, method="SLSQP",
                              options={"ftol": 1e-16, "maxiter": 2000})
        return r.x

    def half_of(vp):
        sd = np.sqrt(max(var_of(vp), 1e-300))
        return sd * _folded_normal_cv(bias_of(vp) / sd, alpha)

    if M == 0 or bias_of(vp_mv) <= 1e-14:
        best_vp = vp_mv
    else:
        b_max = bias_of(vp_mv)
        # smallest achievable bias (variance ignored): LP over v_pre
        n_u = n_eta
        c = np.r_[np.zeros(num_pre), np.ones(n_u)]
        bp, bq = b_eta[:num_pre].T, b_eta[num_pre:].T @ lv
        a_ub = np.block([[bp, -np.eye(n_u)], [-bp, -np.eye(n_u)]])
        b_ub = np.r_[-bq, bq]
        lp = optimize.linprog(c, A_ub=a_ub, b_ub=b_ub, A_eq=np.r_[c_pre, np.zeros(n_u)][None, :], b_eq=[rhs],
                              bounds=[(None, None)] * (num_pre + n_u), method="highs")
        b_min = M * float(lp.fun)
        x_start = np.r_[vp_mv, np.abs(b_eta.T @ np.r_[vp_mv, lv])]
        cache = {}

        def objective(budget):
            x = min_var_given_bias(budget, x_start)
            cache[budget] = x[:num_pre]
            return half_of(x[:num_pre])

        r = optimize.minimize_scalar(objective, bounds=(b_min, b_max), method="bounded",
                                     options={"xatol": 1e-10 * max(b_max, 1e-12)})
        candidates = [vp_mv, cache.get(r.x, vp_mv)] + list(cache.values())
        best_vp = min(candidates, key=half_of)
    best = (best_vp, half_of(best_vp))
    v = np.r_[best[0], lv]
    centre = float(v @ beta)
    return centre - best[1], centre + best[1], v


def event_study_inputs(results) -> tuple[np.ndarray, np.ndarray, int, int]:
    """``(betahat, sigma, num_pre, num_post)`` from an :func:`event_study` result with a single reference period."""
    tab = results.table
    if "event_time" not in tab.columns or results.vcov is None:
        raise SpecificationError("need an event-study result with event times and a covariance matrix")
    is_ref = tab["reference"].to_numpy(bool) if "reference" in tab.columns else np.zeros(len(tab), bool)
    if is_ref.sum() != 1:
        raise SpecificationError("honest_did needs an event study with exactly one reference period")
    est = tab[~is_ref & tab["event_time"].notna().to_numpy()]
    ref = float(tab.loc[is_ref, "event_time"].iloc[0])
    k = len(est)
    pre = int((est["event_time"] < ref).sum())
    return est["estimate"].to_numpy(), np.asarray(results.vcov)[:k, :k], pre, k - pre


def honest_did(
    betahat,
    sigma,
    *,
    num_pre: int,
    num_post: int,
    M=(0.0,),
    restriction: str = "smoothness",
    l_vec=None,
    alpha: float = 0.05,
    breakdown: bool | None = None,
    seed=0,
) -> DiDResults:
    """Robust confidence sets for an event-study effect when parallel trends may fail (Rambachan and Roth 2023).

    Estimand
        ``theta = l' tau_post`` (default: the first post-period effect), where the event-study coefficients are
        ``beta = tau + delta`` with ``delta`` the differential trend (``tau_pre = 0``), normalised to zero at the
        reference period between the pre and post coefficients.
    Assumptions
        ``restriction="smoothness"``: ``delta in Delta^SD(M)``, ``|delta_{t+1} - 2 delta_t + delta_{t-1}| <= M``
        (M = 0: exactly linear differential trends); interval = FLCI, the shortest ``v' betahat +- half`` with
        worst-case coverage ``1 - alpha`` (HonestDiD's default for this class).
        ``restriction="relative_magnitudes"``: ``delta in Delta^RM(Mbar)``, every post-period first difference of
        ``delta`` is at most ``Mbar`` times the largest pre-period one in absolute value; confidence set = the
        conditional / least-favourable hybrid test of Andrews, Roth and Pakes (HonestDiD's "C-LF"), with
        ``kappa = alpha / 10`` and a seeded simulated least-favourable critical value (1000 draws).
        In both cases ``betahat`` is approximately normal with covariance ``sigma``.

    Parameters
    ----------
    betahat, sigma : event-study coefficients ordered pre (earliest first) then post, without the reference period,
        and their covariance (see :func:`event_study_inputs`)
    num_pre, num_post : numbers of pre and post coefficients
    M : values of M (smoothness) or Mbar (relative magnitudes)
    l_vec : weights on the post coefficients (default first post period)
    breakdown : also compute the breakdown value (largest M whose interval excludes zero); default True for
        smoothness, False for relative magnitudes (each evaluation there solves many LPs)
    seed : seed of the least-favourable critical value simulation (relative magnitudes)

    References
    ----------
    Rambachan, A. and Roth, J. (2023), "A more credible approach to parallel trends", Review of Economic Studies;
    Andrews, I., Roth, J. and Pakes, A. (2023), "Inference for linear conditional moment inequalities", Review of
    Economic Studies; Armstrong, T. and Kolesar, M. (2018), Econometrica.

    Examples
    --------
    >>> import numpy as np
    >>> from clusterecon.did.honest import honest_did
    >>> res = honest_did([0.0, 0.0, 1.0], np.eye(3) * 0.01, num_pre=2, num_post=1, M=[0.0, 0.1], breakdown=False)
    >>> bool(res.table.ci_high[1] - res.table.ci_low[1] > res.table.ci_high[0] - res.table.ci_low[0])
    True
    """
    if restriction not in ("smoothness", "relative_magnitudes"):
        raise SpecificationError(f"restriction must be 'smoothness' or 'relative_magnitudes', got {restriction!r}")
    sd_case = restriction == "smoothness"
    if breakdown is None:
        breakdown = sd_case
    b_arr = np.asarray(betahat, dtype=float).ravel()
    s_arr = np.asarray(sigma, dtype=float)
    if not np.isfinite(b_arr).all():
        raise DataError(f"betahat has non-finite entries at positions {np.flatnonzero(~np.isfinite(b_arr)).tolist()}")
    if not np.isfinite(s_arr).all():
        raise DataError("sigma has non-finite entries")
    if s_arr.ndim == 2 and s_arr.shape[0] == s_arr.shape[1]:
        if not np.allclose(s_arr, s_arr.T, rtol=1e-8, atol=1e-12 * max(1.0, float(np.abs(s_arr).max()))):
            raise DataError("sigma is not symmetric")
        eig = np.linalg.eigvalsh((s_arr + s_arr.T) / 2)
        if eig.min() < -1e-10 * max(1.0, float(np.abs(eig).max())):
            raise DataError(f"sigma is not positive semi-definite (smallest eigenvalue {eig.min():.3g})")
    if not 0 < alpha < 1:
        raise SpecificationError(f"alpha must be in (0, 1), got {alpha!r}")
    ms = [float(m) for m in np.atleast_1d(M)]
    if not all(np.isfinite(ms)):
        raise SpecificationError(f"M must be finite, got {ms}")
    if any(m < 0 for m in ms):
        raise SpecificationError(f"M must be non-negative, got {ms}")
    name, method, delta = ("M", "FLCI", "DeltaSD") if sd_case else ("Mbar", "C-LF", "DeltaRM")

    def interval(m):
        if sd_case:
            lo, hi, _ = flci_smoothness(betahat, sigma, num_pre, num_post, m, l_vec, alpha)
            return lo, hi
        return relative_magnitudes_cs(betahat, sigma, num_pre, num_post, m, l_vec, alpha, seed=seed)

    rows = []
    for m in ms:
        lo, hi = interval(m)
        rows.append({"term": f"theta ({name}={m:g})", "estimate": 0.5 * (lo + hi), "std_error": np.nan,
                     "statistic": np.nan, "p_value": np.nan, "ci_low": lo, "ci_high": hi, name: m,
                     "method": method, "delta": delta})
    table = pd.DataFrame(rows)
    info = {"alpha": alpha, "num_pre": num_pre, "num_post": num_post, "restriction": restriction}
    caveats = ["estimate = midpoint of the robust confidence set (not a point estimate of theta)"]
    if breakdown:
        def excludes_zero(m):
            lo, hi = interval(m)
            return bool(np.isfinite(lo)) and (lo > 0 or hi < 0)

        if not excludes_zero(0.0):
            info["breakdown"] = 0.0
            caveats.append(f"the interval includes zero already at {name} = 0: breakdown value 0")
        else:
            lo_m = 0.0
            hi_m = 1e-3 * max(1.0, float(np.abs(np.asarray(betahat)).max())) if sd_case else 0.25
            while excludes_zero(hi_m) and hi_m < 1e6:
                lo_m, hi_m = hi_m, hi_m * 2
            for _ in range(40):
                if hi_m - lo_m <= (2e-3 if sd_case else 2e-2) * hi_m:
                    break
                mid = 0.5 * (lo_m + hi_m)
                lo_m, hi_m = (mid, hi_m) if excludes_zero(mid) else (lo_m, mid)
            info["breakdown"] = lo_m
            caveats.append(f"breakdown value: {name} = {lo_m:.4g} (largest value whose set excludes zero, "
                           f"to {hi_m - lo_m:.2g})")
    title = "Honest DiD (Rambachan-Roth), " + ("smoothness restriction" if sd_case else "relative magnitudes")
    return DiDResults(table=table, method=title, info=info, caveats=caveats)


# ---------------------------------------------------------------------------------------------------------------------
# relative magnitudes: Delta^RM(Mbar) with the conditional / least-favourable hybrid test (Andrews, Roth, Pakes 2023)


def _rm_constraints(num_pre: int, num_post: int, mbar: float, s: int, positive: bool) -> np.ndarray:
    """Rows A of ``A delta <= 0`` for Delta^RM_{s,sign}(Mbar): every first difference is bounded in absolute value
    by the pre-period first difference ending at period ``s`` (times Mbar after the reference period).  Columns:
    periods -num_pre..num_post including 0, which is dropped at the end (delta_0 = 0)."""
    n = num_pre + num_post
    diffs = np.zeros((n, n + 1))
    for r in range(n):
        diffs[r, r], diffs[r, r + 1] = -1.0, 1.0
    vmax = np.zeros(n + 1)
    vmax[num_pre + s - 1], vmax[num_pre + s] = -1.0, 1.0
    if not positive:
        vmax = -vmax
    ub = np.vstack([np.tile(vmax, (num_pre, 1)), np.tile(mbar * vmax, (num_post, 1))])
    a = np.vstack([diffs - ub, -diffs - ub])
    a = a[(a * a).sum(axis=1) > 1e-10]
    return np.delete(a, num_pre, axis=1)


def _gamma_basis(lv: np.ndarray) -> np.ndarray:
    """An invertible matrix whose first row is l' (completed greedily with unit vectors)."""
    rows = [lv]
    for i in range(lv.size):
        e = np.zeros(lv.size)
        e[i] = 1.0
        if np.linalg.matrix_rank(np.vstack(rows + [e])) > len(rows):
            rows.append(e)
        if len(rows) == lv.size:
            break
    return np.vstack(rows)


def _eta_lp(y, x, sd):
    """min eta s.t. y - x tau <= eta sd: value, tau, duals (lambda >= 0, sum lambda sd = 1); None if unbounded."""
    m, k = x.shape
    if k == 1:
        fast = _eta_lp_1d(y, x[:, 0], sd)
        if fast is not None:
            return fast
    c = np.r_[1.0, np.zeros(k)]
    a_ub = -np.column_stack([sd, x])
    res = optimize.linprog(c, A_ub=a_ub, b_ub=-y, bounds=[(None, None)] * (k + 1), method="highs")
    if res.status != 0:
        return None
    return res.fun, res.x[1:], -res.ineqlin.marginals


def _eta_lp_1d(y, x, sd):
    """Closed form of :func:`_eta_lp` with one nuisance parameter when exactly two constraints bind (else None)."""
    z, slope = y / sd, x / sd
    pos, neg = np.flatnonzero(slope > 1e-12), np.flatnonzero(slope < -1e-12)
    if pos.size == 0 or neg.size == 0:
        return None
    i, j = np.meshgrid(pos, neg, indexing="ij")
    i, j = i.ravel(), j.ravel()
    tau = (z[i] - z[j]) / (slope[i] - slope[j])
    vals = (z[:, None] - slope[:, None] * tau[None, :]).max(axis=0)
    b = int(np.argmin(vals))
    eta, t_star = float(vals[b]), float(tau[b])
    active = np.flatnonzero(np.abs(z - slope * t_star - eta) <= 1e-9 * max(1.0, abs(eta)))
    if active.size != 2:
        return None
    p_, q_ = active
    # duals: lambda_p sd_p + lambda_q sd_q = 1 and lambda_p x_p + lambda_q x_q = 0
    mat = np.array([[sd[p_], sd[q_]], [x[p_], x[q_]]])
    if abs(np.linalg.det(mat)) <= 1e-14 * max(1.0, float(np.abs(mat).max()) ** 2):
        return None  # degenerate vertex (parallel active constraints): let the LP find the duals
    lam_pq = np.linalg.solve(mat, np.array([1.0, 0.0]))
    if (lam_pq < -1e-12).any():
        return None
    lam = np.zeros(y.size)
    lam[[p_, q_]] = lam_pq
    return eta, np.array([t_star]), lam


@functools.lru_cache(maxsize=64)
def _pairs(m: int) -> tuple[np.ndarray, np.ndarray]:
    """Index pairs (i, j), i < j, of m items (cached: the same sizes recur in every test inversion)."""
    ii, jj = np.triu_indices(m, 1)
    ii.setflags(write=False)
    jj.setflags(write=False)
    return ii, jj


def _eta_draws(xi, x, sd):
    """eta for many right-hand sides at once (columns of xi); exact for at most one nuisance parameter."""
    n_draws = xi.shape[1]
    z = xi / sd[:, None]
    if x.shape[1] == 0:
        return z.max(axis=0)
    if x.shape[1] == 1:
        slope = x[:, 0] / sd
        # eta(tau) = max_j z_j - slope_j tau; its minimum is at a crossing of two lines (or unbounded)
        if not ((slope > 1e-12).any() and (slope < -1e-12).any()):
            return np.full(n_draws, np.nan)
        best = np.full(n_draws, np.inf)
        ii, jj = _pairs(slope.size)  # every pair of lines (i < j), vectorised over pairs and draws
        ds = slope[ii] - slope[jj]
        ok = np.abs(ds) >= 1e-14
        ii, jj, ds = ii[ok], jj[ok], ds[ok]
        step = max(1, 2_000_000 // max(1, slope.size * n_draws))  # pairs per block: bounded memory
        for s0 in range(0, ii.size, step):
            sl = slice(s0, s0 + step)
            tau = (z[ii[sl]] - z[jj[sl]]) / ds[sl, None]  # pairs x draws
            val = (z[None, :, :] - slope[None, :, None] * tau[:, None, :]).max(axis=1)
            best = np.minimum(best, val.min(axis=0))
        return best
    out = np.empty(n_draws)
    for b in range(n_draws):  # general case: one LP per draw
        r = _eta_lp(xi[:, b], x, sd)
        out[b] = np.nan if r is None else r[0]
    return out


def _truncnorm_quantile(p, lo, hi):
    if not np.isfinite(lo) and not np.isfinite(hi):
        return float(stats.norm.ppf(p))
    q = float(stats.truncnorm.ppf(p, lo, hi))
    if not np.isfinite(q):  # far tail: fall back to the bound
        q = hi if p > 0.5 else lo
    return q


def _dual_bounds(eta, y, x, sig, sd, gam):
    """Truncation bounds [vlo, vup] for the dual approach (degenerate primal): c is admissible when the maximum of
    g'(s + b c) over dual vertices g equals c (ARP 2023, appendix)."""
    w = np.column_stack([sd, x])
    b = sig @ gam / float(gam @ sig @ gam)
    s_t = y - b * float(gam @ y)
    beq = np.r_[1.0, np.zeros(w.shape[1] - 1)]

    def max_value(c):
        if x.shape[1] <= 1:  # LP duality: the dual maximum is the primal eta at y = s + b c (closed form here)
            v = _eta_draws((s_t + b * c)[:, None], x, sd)[0]
            return None if not np.isfinite(v) else float(v)
        res = optimize.linprog(-(s_t + b * c), A_eq=w.T, b_eq=beq, bounds=[(0, None)] * w.shape[0], method="highs")
        return None if res.status != 0 else -res.fun

    def is_sol(c):
        v = max_value(c)
        return v is not None and abs(c - v) <= 1e-6

    if not is_sol(eta):
        return eta, np.inf
    sig_b = float(np.sqrt(gam @ sig @ gam))
    bounds = []
    for direction in (1.0, -1.0):
        far = eta + direction * max(100.0, 20 * sig_b)
        if is_sol(far):
            bounds.append(direction * np.inf)
            continue
        good, bad = eta, far
        for _ in range(200):
            mid = 0.5 * (good + bad)
            if is_sol(mid):
                good = mid
            else:
                bad = mid
            if abs(bad - good) < 1e-7:
                break
        bounds.append(good)
    vup, vlo = bounds
    return vlo, vup


def _arp_hybrid_rejects(y, x, sig, alpha, kappa, lf_cv) -> bool:
    """Conditional least-favourable hybrid test of E[y - x tau] <= 0 for some tau (ARP 2023)."""
    sd = np.sqrt(np.diag(sig))
    sol = _eta_lp(y, x, sd)
    if sol is None:
        return False
    eta, _, lam = sol
    if eta > lf_cv:
        return True
    mod_size = (alpha - kappa) / (1 - kappa)
    k = x.shape[1]
    binding = lam > 1e-6
    xb = x[binding]
    full_rank = xb.shape[0] > 0 and np.linalg.matrix_rank(xb) == min(xb.shape) if k else True
    degenerate = binding.sum() != k + 1
    if degenerate or not full_rank:
        sig_b = float(np.sqrt(max(lam @ sig @ lam, 0.0)))
        if sig_b < 1e-10:
            return eta > 0
        vlo, vup = _dual_bounds(eta, y, x, sig, sd, lam)
        zlo, zup, stat = vlo / sig_b, min(vup, lf_cv) / sig_b, eta / sig_b
    else:
        m = y.size
        wb = np.column_stack([sd[binding], xb])
        wbc = np.column_stack([sd[~binding], x[~binding]])
        sb = np.eye(m)[binding]
        sbc = np.eye(m)[~binding]
        wb_inv = np.linalg.inv(wb)
        gamma_b = wbc @ wb_inv @ sb - sbc
        v_b = (wb_inv @ sb)[0]
        s2 = float(v_b @ sig @ v_b)
        sig_b = np.sqrt(s2)
        rho = gamma_b @ sig @ v_b / s2
        cand = (-gamma_b @ y) / np.where(rho == 0, np.nan, rho) + float(v_b @ y)
        vlo = np.nanmax(cand[rho > 0]) if (rho > 0).any() else -np.inf
        vup = np.nanmin(cand[rho < 0]) if (rho < 0).any() else np.inf
        zlo, zup, stat = vlo / sig_b, min(vup, lf_cv) / sig_b, eta / sig_b
    if not (zlo <= stat <= zup):
        return False
    return stat > max(0.0, _truncnorm_quantile(1 - mod_size, zlo, zup))


def relative_magnitudes_cs(betahat, sigma, num_pre: int, num_post: int, mbar: float, l_vec=None,
                           alpha: float = 0.05, *, n_sims: int = 1000, grid_points: int = 41, seed=0):
    """Conditional-LF hybrid confidence set for ``theta = l' tau_post`` under Delta^RM(Mbar): the union over the
    location and sign of the largest pre-period first difference of ARP hybrid confidence sets, using only the
    moments that involve post-period coefficients (as HonestDiD).  Returns ``(low, high)``: the extreme accepted
    values, located on a grid over ``+- 20 sd(theta_hat)`` and refined by bisection."""
    beta = np.asarray(betahat, dtype=float)
    sig = np.asarray(sigma, dtype=float)
    lv = np.zeros(num_post) if l_vec is None else np.asarray(l_vec, dtype=float)
    if l_vec is None:
        lv[0] = 1.0
    if num_pre < 1:
        raise SpecificationError("relative magnitudes need at least one pre-period coefficient")
    kappa = alpha / 10
    sd_theta = float(np.sqrt(lv @ sig[num_pre:, num_pre:] @ lv))
    gamma = _gamma_basis(lv)
    rng = np.random.default_rng(seed)
    problems = []
    for s in range(-(num_pre - 1), 1):
        for positive in (True, False):
            a = _rm_constraints(num_pre, num_post, mbar, s, positive)
            rows = np.flatnonzero(np.abs(a[:, num_pre:]).sum(axis=1) > 0) if num_post > 1 else np.arange(len(a))
            a = a[rows]
            agi = a[:, num_pre:] @ np.linalg.inv(gamma)
            y = a @ beta
            sy = a @ sig @ a.T
            x = agi[:, 1:]
            draws = rng.multivariate_normal(np.zeros(len(sy)), sy, size=n_sims, method="eigh").T
            etas = _eta_draws(-draws, x, np.sqrt(np.diag(sy)))
            lf_cv = float(np.nanquantile(etas, 1 - kappa))
            problems.append((y, agi[:, 0], x, sy, lf_cv))

    def accepted(theta):
        return any(not _arp_hybrid_rejects(y - a1 * theta, x, sy, alpha, kappa, cv) for y, a1, x, sy, cv in problems)

    grid = np.linspace(-20 * sd_theta, 20 * sd_theta, grid_points)
    acc = np.array([accepted(th) for th in grid])
    if not acc.any():
        return np.nan, np.nan
    idx = np.flatnonzero(acc)

    def refine(inside, outside):
        for _ in range(30):
            mid = 0.5 * (inside + outside)
            if accepted(mid):
                inside = mid
            else:
                outside = mid
        return inside

    lo = grid[idx[0]] if idx[0] == 0 else refine(grid[idx[0]], grid[idx[0] - 1])
    hi = grid[idx[-1]] if idx[-1] == grid.size - 1 else refine(grid[idx[-1]], grid[idx[-1] + 1])
    return float(lo), float(hi)
