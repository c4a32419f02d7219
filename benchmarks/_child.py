"""One benchmark case in a fresh process: load the data, run one tool, report time, peak RSS and the estimates.

Usage: ``python benchmarks/_child.py CASE TOOL SOURCE OUT.json [REPEATS]``; SOURCE is a Parquet file or (for the
out-of-core cases) a Parquet file/directory passed to the tool unread.  Before the timed call every tool runs once
on the first 200 units (lazy imports, numba/JIT compilation, first-call caches), so the time is the steady state.  Peak memory is ``ru_maxrss`` of this
process (imports + data + estimator), so peaks of different cases never mix.
"""

from __future__ import annotations

import json
import resource
import sys
import time
import warnings
from pathlib import Path

warnings.simplefilter("ignore")
sys.path.insert(0, str(Path(__file__).resolve().parent))


def rss_mb() -> float:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def main() -> None:
    case, tool, source, out = sys.argv[1:5]
    repeats = int(sys.argv[5]) if len(sys.argv) > 5 else 1

    from cases import CASES, OOC

    rec = {"case": case, "tool": tool, "source": source}
    if case in OOC:
        factory = OOC[case][1][tool]
        data = source
        rec["rows"] = None
    else:
        import pyarrow as pa
        import pyarrow.parquet as pq

        cols, tools, _ = CASES[case]
        factory = tools[tool]
        table = pq.read_table(source, columns=cols)
        data = table.to_pandas(split_blocks=True, self_destruct=True)
        del table
        pa.default_memory_pool().release_unused()
        rec["rows"] = len(data)
    prep, run, extract = factory()
    if case not in OOC:
        # warm-up on the first 200 units (lazy imports, JIT compilation), the same for every tool
        small = data[data["unit"] <= data["unit"].iloc[0] + 199]
        run(small if prep is None else prep(small))
        del small
    if prep is not None:
        data = prep(data)
    rec["rss_after_load_mb"] = rss_mb()
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        res = run(data)
        times.append(time.perf_counter() - t0)
    rec["seconds"] = min(times)
    rec["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    est = extract(res)
    rec["estimates"] = est.to_dict(orient="list")
    if hasattr(res, "info") and isinstance(res.info, dict):
        rec["n_units"] = res.info.get("n_units")
    Path(out).write_text(json.dumps(rec, default=float))


if __name__ == "__main__":
    main()
