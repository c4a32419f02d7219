"""Benchmarks of clusterecon against its peers: ``python benchmarks/run.py`` (``make bench``).

Every (case, tool, size) runs in a fresh child process (:mod:`_child`) on the same Parquet file, so peak memory
(``ru_maxrss``) is per case and nothing is cached between tools.  Estimates of every tool are compared with those
of clusterecon on the same data (``max_abs_diff``, ``max_rel_diff_se``) and the comparison is reported next to the
times.  Writes ``benchmarks/results.csv`` and ``benchmarks/results.md`` (machine, load, versions, table, ratios,
log-log slopes, targets).

Options: ``--quick`` (10^4 and 10^5 rows only, a smoke test), ``--sizes``, ``--cases``, ``--timeout`` (seconds per
child; longer runs are stopped and reported as capped), ``--budget`` (seconds for the whole run: cases left when it
runs out are reported as skipped), ``--ooc-rows`` (rows of the out-of-core run, 0 to skip).  Must be run with the
peers importable (see benchmarks/README.md: ``benchmarks/.venv`` from ``requirements-peers.txt``).
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import platform
import subprocess
import sys
import time
from importlib import metadata
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from cases import CASES, OOC  # noqa: E402

from data import big_dir, panel_path  # noqa: E402

E = 10
PLAN = {  # case -> sizes (rows); peers whose projected time exceeds the cap are skipped at larger sizes
    "attgt_analytic": [10**5, 10**6, 10**7],
    "attgt_boot999": [10**5, 10**6, 10**7],
    "attgt_dr_cov": [10**5, 10**6],
    "twfe_3reg": [10**5, 10**6, 10**7],
    "twfe_treated_only": [10**5, 10**6, 10**7],
    "event_study": [10**6, 10**7],
    "imputation": [10**6, 10**7],
}
VERSIONS = ["clusterecon", "numpy", "pandas", "scipy", "duckdb", "pyarrow", "dask", "pyfixest", "linearmodels",
            "diff-diff", "moderndid", "csdid", "differences"]


def machine() -> dict:
    info = {"python": platform.python_version(), "platform": platform.platform(), "cores": os.cpu_count()}
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                info["cpu"] = line.split(":", 1)[1].strip()
                break
        for line in open("/proc/meminfo"):
            if line.startswith("MemTotal"):
                info["ram_gb"] = round(int(line.split()[1]) / 1024**2, 1)
    except OSError:
        pass
    info["load"] = os.getloadavg()
    info["versions"] = {}
    for p in VERSIONS:
        try:
            info["versions"][p] = metadata.version(p)
        except metadata.PackageNotFoundError:
            info["versions"][p] = "not installed"
    return info


def run_child(case, tool, source, timeout, repeats, tmpdir) -> dict:
    out = Path(tmpdir) / f"{case}-{tool}-{abs(hash(str(source)))}.json"
    cmd = [sys.executable, str(HERE / "_child.py"), case, tool, str(source), str(out), str(repeats)]
    load1 = round(os.getloadavg()[0], 2)
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return {"case": case, "tool": tool, "status": f"capped at {timeout:.0f} s", "seconds": None, "load1": load1}
    if proc.returncode != 0 or not out.exists():
        err = (proc.stderr or proc.stdout).strip().splitlines()
        msg = err[-1] if err else f"exit {proc.returncode}"
        return {"case": case, "tool": tool, "status": f"error: {msg[:160]}", "seconds": None, "load1": load1}
    rec = json.loads(out.read_text())
    rec["status"] = "ok"
    rec["load1"] = load1
    rec["utc"] = time.strftime("%H:%M", time.gmtime())
    return rec


def compare(rec, ref) -> tuple[float, float, int]:
    """Max |estimate difference| and max relative SE difference over common keys, and the number of keys."""
    if not rec.get("estimates") or not ref.get("estimates"):
        return np.nan, np.nan, 0
    a = {k: (e, s) for k, e, s in zip(*(rec["estimates"][c] for c in ("key", "estimate", "std_error")))}
    b = {k: (e, s) for k, e, s in zip(*(ref["estimates"][c] for c in ("key", "estimate", "std_error")))}
    keys = [k for k in b if k in a and np.isfinite(b[k][0])]
    if not keys:
        return np.nan, np.nan, 0
    de = max(abs(a[k][0] - b[k][0]) for k in keys)
    rs = [abs(a[k][1] / b[k][1] - 1) for k in keys if np.isfinite(b[k][1]) and b[k][1] > 0 and np.isfinite(a[k][1])]
    return float(de), float(max(rs)) if rs else np.nan, len(keys)


def slope(rows, secs) -> float:
    ok = [(r, s) for r, s in zip(rows, secs) if s and r and r >= 10**5]
    if len(ok) < 2:
        return np.nan
    x, y = np.log10([o[0] for o in ok]), np.log10([o[1] for o in ok])
    return float(np.polyfit(x, y, 1)[0])


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--sizes", default=None, help="comma-separated row counts (override the plan)")
    ap.add_argument("--cases", default=",".join(PLAN))
    ap.add_argument("--tools", default=None, help="comma-separated subset of tools")
    ap.add_argument("--timeout", type=float, default=240.0)
    ap.add_argument("--budget", type=float, default=3 * 3600.0)
    ap.add_argument("--ooc-rows", type=float, default=1e8)
    ap.add_argument("--out", default=str(HERE))
    ap.add_argument("--merge", action="store_true",
                    help="keep the records of an earlier results.json, replacing those measured again")
    ap.add_argument("--rewrite", action="store_true", help="only rewrite results.md/csv from results.json")
    args = ap.parse_args(argv)
    if args.rewrite:
        old = json.loads((Path(args.out) / "results.json").read_text())
        recs = old["records"]
        write([r for r in recs if not r["case"].startswith("ooc")], [r for r in recs if r["case"].startswith("ooc")],
              old["machine"], Path(args.out))
        return 0
    start = time.perf_counter()
    info = machine()
    tmpdir = Path(os.environ.get("CLUSTERECON_BENCH_DATA", "/work/bench-data")) / "results-tmp"
    tmpdir.mkdir(parents=True, exist_ok=True)
    sizes_override = [int(float(s)) for s in args.sizes.split(",")] if args.sizes else None
    tools_sel = set(args.tools.split(",")) if args.tools else None
    records = []
    earlier = []
    if args.merge and (Path(args.out) / "results.json").exists():
        earlier = json.loads((Path(args.out) / "results.json").read_text())["records"]

    def left():
        return args.budget - (time.perf_counter() - start)

    for case in [c for c in args.cases.split(",") if c]:
        cols, tools, reftool = CASES[case]
        sizes = sizes_override or ([s for s in PLAN[case] if s <= 10**5] if args.quick else PLAN[case])
        last_time: dict[str, float | None] = {}
        for r in sorted((r for r in earlier if r["case"] == case and r.get("rows") and r["rows"] < min(sizes)),
                        key=lambda r: r["rows"]):  # projection from earlier runs at smaller sizes
            last_time[r["tool"]] = r.get("seconds") if r.get("status") == "ok" else None
        for rows in sizes:
            src = panel_path(rows)
            ref = None
            # the reference (clusterecon) first, then the peers
            order = [reftool] + [t for t in tools if t != reftool]
            for tool in order:
                if tools_sel and tool not in tools_sel and tool != reftool:
                    continue
                base = {"case": case, "tool": tool, "rows": rows}
                prev = last_time.get(tool, 0.0)
                if prev is None or (prev and prev * 12 > args.timeout):
                    records.append({**base, "status": "skipped: projected time above the cap"})
                    last_time[tool] = None
                    continue
                if left() < 30:
                    records.append({**base, "status": "skipped: run budget exhausted"})
                    continue
                rec = run_child(case, tool, src, min(args.timeout, max(left(), 30)), 3 if rows <= 10**5 else 1,
                                tmpdir)
                rec.update(base)
                last_time[tool] = rec.get("seconds") if rec["status"] == "ok" else None
                if tool == reftool:
                    ref = rec if rec["status"] == "ok" else None
                if ref is not None and rec["status"] == "ok":
                    rec["max_abs_diff"], rec["max_rel_diff_se"], rec["n_compared"] = compare(rec, ref)
                records.append(rec)
                print(f"[{time.perf_counter() - start:7.1f}s] {case:18s} {tool:26s} {rows:>10,d} "
                      f"{rec['status']:10.10s} {rec.get('seconds') or float('nan'):8.2f} s "
                      f"{rec.get('peak_rss_mb') or float('nan'):8.0f} MB  diff={rec.get('max_abs_diff', '')}",
                      flush=True)
    # out of core
    ooc = []
    if args.ooc_rows and not args.quick and left() > 120:
        rows = int(args.ooc_rows)
        d = big_dir(rows)
        sample = d / "part-0000.parquet"
        for case, (_, tools, _) in OOC.items():
            for tool in tools:
                r_big = run_child(case, tool, d, max(min(1800, left()), 60), 1, tmpdir)
                r_big.update({"case": case, "tool": tool, "rows": rows, "source": str(d)})
                r_smp = run_child(case, tool, sample, 600, 1, tmpdir)
                r_mem = run_child("attgt_analytic", "clusterecon", sample, 600, 1, tmpdir)
                import pandas as pd

                n_sample = len(pd.read_parquet(sample, columns=["time"]))
                for r in (r_smp, r_mem):
                    r["rows"] = n_sample
                r_smp.update({"case": case + " (sample)", "tool": tool})
                r_mem.update({"case": case + " (sample)", "tool": "clusterecon (in memory)"})
                if r_smp["status"] == "ok" and r_mem["status"] == "ok":
                    r_smp["max_abs_diff"], r_smp["max_rel_diff_se"], r_smp["n_compared"] = compare(r_smp, r_mem)
                ooc += [r_big, r_smp, r_mem]
                for r in (r_big, r_smp, r_mem):
                    print(f"[{time.perf_counter() - start:7.1f}s] {r['case']:30s} {r['tool']:26s} "
                          f"{r.get('rows') or 0:>12,d} {r['status']:10.10s} {r.get('seconds') or float('nan'):8.2f} s "
                          f"{r.get('peak_rss_mb') or float('nan'):8.0f} MB", flush=True)
    info["load_end"] = os.getloadavg()
    info["total_seconds"] = time.perf_counter() - start
    prev = Path(args.out) / "results.json"
    if args.merge and prev.exists():
        old = json.loads(prev.read_text())
        new_keys = {(r["case"], r["tool"], r.get("rows")) for r in records + ooc}
        kept = [r for r in old["records"] if (r["case"], r["tool"], r.get("rows")) not in new_keys]
        records = [r for r in kept if not r["case"].startswith("ooc")] + records
        ooc = [r for r in kept if r["case"].startswith("ooc")] + ooc
        order = {c: i for i, c in enumerate(PLAN)}
        records.sort(key=lambda r: (order.get(r["case"], 99), r.get("rows") or 0))
        info["earlier_runs"] = old["machine"].get("earlier_runs", []) + [
            {k: old["machine"].get(k) for k in ("load", "load_end", "total_seconds")}]
    write(records, ooc, info, Path(args.out))
    return 0


def targets(records) -> list[str]:
    def get(case, tool, rows):
        for r in records:
            if r["case"] == case and r["tool"] == tool and r["rows"] == rows and r.get("seconds"):
                return r
        return None

    def fastest_peer(case, rows, peers):
        best = None
        for p in peers:
            r = get(case, p, rows)
            if r and (best is None or r["seconds"] < best["seconds"]):
                best = r
        return best

    cs_peers = ["diff-diff", "moderndid", "csdid", "differences"]
    out = []

    def line(name, ok, text):
        out.append(f"- {'MET' if ok else ('MISSED' if ok is False else 'NOT MEASURED')}: {name}: {text}")

    for case, rows, need, label in (("attgt_analytic", 10**7, 5.0, "att_gt no covariates, analytic SEs, 10^7 rows"),
                                    ("attgt_boot999", 10**7, 5.0, "att_gt with 999 bootstrap draws, 10^7 rows"),
                                    ("attgt_dr_cov", 10**6, 2.0, "att_gt with covariates (dr), 10^6 rows")):
        me, peer = get(case, "clusterecon", rows), fastest_peer(case, rows, cs_peers)
        if me and peer:
            ratio = peer["seconds"] / me["seconds"]
            txt = (f"{me['seconds']:.2f} s vs fastest peer {peer['tool']} {peer['seconds']:.2f} s: {ratio:.1f}x "
                   f"(target {need:g}x)")
            ok = ratio >= need
            if case == "attgt_analytic":
                txt += f"; peak {me['peak_rss_mb']:.0f} MB (target < 1500 MB)"
                ok = ok and me["peak_rss_mb"] < 1500
                sc = get(case, "clusterecon.scale", rows)
                if sc:
                    txt += (f"; clusterecon.scale (moments) {sc['seconds']:.2f} s, {peer['seconds'] / sc['seconds']:.1f}x,"
                            f" peak {sc['peak_rss_mb']:.0f} MB")
            line(label, ok, txt)
        else:
            line(label, None, "a run is missing (see the table)")
    me, pf = get("twfe_3reg", "clusterecon", 10**7), get("twfe_3reg", "pyfixest", 10**7)
    if me and pf:
        d = pf.get("max_abs_diff")
        ok = me["seconds"] <= pf["seconds"] and d is not None and d <= 1e-8
        line("TWFE 10^7 rows, 3 regressors, no slower than pyfixest, coefficients equal to 1e-8", ok,
             f"clusterecon {me['seconds']:.2f} s vs pyfixest {pf['seconds']:.2f} s (ratio {pf['seconds'] / me['seconds']:.2f}); "
             f"max coefficient difference {d:.2g}")
    else:
        line("TWFE 10^7 rows vs pyfixest", None, "a run is missing")
    for case in ("event_study", "imputation"):
        r = get(case, "clusterecon", 10**7)
        if me and r:
            q = r["seconds"] / me["seconds"]
            line(f"{case} on 10^7 rows within 2x of the TWFE time", q <= 2,
                 f"{r['seconds']:.2f} s = {q:.2f} x TWFE ({me['seconds']:.2f} s)")
        else:
            line(f"{case} within 2x of TWFE", None, "a run is missing")
    return out


FIELDS = ["case", "tool", "rows", "status", "utc", "load1", "seconds", "ratio_to_clusterecon", "peak_rss_mb", "rss_after_load_mb",
          "max_abs_diff", "max_rel_diff_se", "n_compared"]


def write(records, ooc, info, outdir: Path) -> None:
    # ratios: tool time / clusterecon time at the same case and size (>1: clusterecon faster)
    reft = {(r["case"], r["rows"]): r.get("seconds") for r in records if r["tool"] == "clusterecon"}
    for r in records:
        t0 = reft.get((r["case"], r["rows"]))
        r["ratio_to_clusterecon"] = (r["seconds"] / t0) if r.get("seconds") and t0 else None
    rows_out = records + ooc
    tmp = outdir / "results.csv.tmp"
    with open(tmp, "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=FIELDS, extrasaction="ignore")
        w.writeheader()
        for r in rows_out:
            w.writerow({k: r.get(k) for k in FIELDS})
    os.replace(tmp, outdir / "results.csv")

    def fmt(v, d=2):
        if v is None or (isinstance(v, float) and not np.isfinite(v)):
            return ""
        if isinstance(v, float):
            return f"{v:.{d}g}" if abs(v) < 1e-3 and v != 0 else f"{v:,.{d}f}"
        return f"{v:,}" if isinstance(v, int) else str(v)

    L = ["# Benchmark results", "",
         "Written by `python benchmarks/run.py` (`make bench`). Every case ran in a fresh process on the same "
         "Parquet file; time is the wall time of the estimator call only (data already loaded); peak memory is the "
         "child's peak RSS (imports + data + estimator). `ratio` = tool time / clusterecon time (above 1: clusterecon "
         "is faster). `diff` = max |estimate - clusterecon's| over the common ATT(g,t) or coefficients; `se diff` = "
         "max relative SE difference.", "",
         "## Machine", "",
         f"- CPU: {info.get('cpu')} ({info.get('cores')} cores), RAM {info.get('ram_gb')} GB, {info.get('platform')}",
         f"- Python {info['python']}; " + ", ".join(f"{k} {v}" for k, v in info["versions"].items()),
         f"- load average (1, 5, 15 min) at start {tuple(round(x, 2) for x in info['load'])}, at end "
         f"{tuple(round(x, 2) for x in info['load_end'])}; total run {info['total_seconds'] / 60:.1f} min"
         + (f"; merged with {len(info.get('earlier_runs', []))} earlier run(s) (UTC and 1-min load of each row "
            "in the table)" if info.get("earlier_runs") else ""), "",
         "## Results", "",
         "| case | tool | rows | status | UTC | load | seconds | ratio | peak MB | MB after load | diff | se diff |",
         "|---|---|---:|---|---|---:|---:|---:|---:|---:|---:|---:|"]
    for r in rows_out:
        L.append("| " + " | ".join([r["case"], r["tool"], fmt(r.get("rows")), r["status"], r.get("utc", ""),
                                     fmt(r.get("load1")), fmt(r.get("seconds")),
                                     fmt(r.get("ratio_to_clusterecon")), fmt(r.get("peak_rss_mb"), 0),
                                     fmt(r.get("rss_after_load_mb"), 0), fmt(r.get("max_abs_diff"), 2),
                                     fmt(r.get("max_rel_diff_se"), 2)]) + " |")
    big = [r for r in ooc if r.get("status") == "ok" and r.get("source") and Path(r["source"]).is_dir()]
    if big:
        L += ["", "## Out of core", ""]
        for r in big:
            disk = sum(p.stat().st_size for p in Path(r["source"]).glob("*.parquet")) / 1e9
            mem = r["rows"] * 7 * 8 / 1e9
            L.append(f"- {r['rows']:,} rows in {r['source']}: {disk:.1f} GB of Parquet on disk, {mem:.1f} GB as a "
                     f"7-column float64/int64 frame in memory; att_gt through DuckDB (memory_limit "
                     f"{os.environ.get('CLUSTERECON_BENCH_DUCKDB_MEMORY', '2GB')}; DuckDB spills to disk beyond it) took "
                     f"{r['seconds']:.0f} s with a peak RSS of {r['peak_rss_mb'] / 1024:.2f} GB. Memory is bounded "
                     "by DuckDB's memory_limit, not by the number of rows.")
        smp = [r for r in ooc if r["case"].endswith("(sample)") and r.get("max_abs_diff") is not None]
        for r in smp:
            L.append(f"- Same numbers as in memory on a chunk that fits ({r['rows']:,} rows): max |ATT(g,t) "
                     f"difference| {r['max_abs_diff']:.2g}, max relative SE difference {r['max_rel_diff_se']:.2g} "
                     f"over {r['n_compared']} cells.")
    L += ["", "## Targets (issue 8)", ""] + targets(records) + [
        "", "## Growth of time with rows (slope of log10 seconds on log10 rows, sizes >= 10^5)", "",
          "Rows measured in different runs may have run at different loads (UTC and 1-minute load columns above): "
          "a slope across such rows is indicative only. Fixed costs (validation, imports warmed up) flatten slopes "
          "at 10^5 rows; slopes above 1 mean superlinear growth.", "",
          "| case | tool | slope | sizes |", "|---|---|---:|---|"]
    groups = {}
    for r in records:
        groups.setdefault((r["case"], r["tool"]), []).append(r)
    for (case, tool), rs in groups.items():
        rr = [r for r in rs if r.get("seconds")]
        s = slope([r["rows"] for r in rr], [r["seconds"] for r in rr])
        sizes = ", ".join(f"{r['rows']:.0e}" for r in rr)
        L.append(f"| {case} | {tool} | {fmt(s)} | {sizes} |")
    (outdir / "results.md.tmp").write_text("\n".join(L) + "\n")
    os.replace(outdir / "results.md.tmp", outdir / "results.md")
    (outdir / "results.json").write_text(json.dumps({"machine": info, "records": rows_out}, default=str, indent=1))


if __name__ == "__main__":
    raise SystemExit(main())
