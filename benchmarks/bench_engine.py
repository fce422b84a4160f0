"""Benchmark critmin's engine against the cvxpy formulation on the same seeded markets.

    python benchmarks/bench_engine.py            # full grid x 3 rounds, writes its section of benchmarks/RESULTS.md (~10 min)
    python benchmarks/bench_engine.py --quick    # three sizes, prints the table only
    python benchmarks/bench_engine.py --profile 60 40   # where critmin spends its time

Every (market, method) pair runs in a fresh child process so that timings and peak memory of
one method cannot leak into another: the child imports everything, builds the market from its
seed, then measures. Time is the median wall-clock of ``--repeat`` solves (each from a freshly
validated scenario), starting from the validated scenario for critmin and from the scenario
dict for cvxpy (cvxpy's time includes building and canonicalising the problem, which is part
of solving with it). Peak memory is the growth of the child's maximum resident set size
(``resource.getrusage``) during the first solve, so it counts native allocations in the
solvers too. Each method's answer is then checked with the independent certificate
(benchmarks/certificate.py) and its prices compared with critmin's where demand pins them.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

#: (regions, products, neighbours or None for every pair): the full grid.
FULL = [
    (10, 1, 6), (10, 10, 6), (30, 10, 6), (60, 10, 6), (60, 40, 6), (60, 40, None),
    (100, 40, 6), (200, 40, 6), (300, 40, 6),
]
QUICK = [(10, 1, 6), (30, 10, 6), (60, 40, 6)]
METHODS = ["critmin", "cvxpy-default", "cvxpy-clarabel"]
SEED = 2026
#: Once a method has spent this long on one market, its remaining repeats are skipped.
SLOW = 20.0
#: RESULTS.md is shared with other benchmarks: this one writes only between these markers.
ENGINE_START, ENGINE_END = "<!-- engine:start -->", "<!-- engine:end -->"


def _rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0  # Linux: kilobytes


def child(method: str, n: int, k: int, neighbours: int | None, repeat: int) -> dict:
    """Run one method on one market in this (fresh) process and return measurements."""
    from benchmarks import certificate, cvxpy_spe
    from benchmarks.generate import generate_market

    market = generate_market(n, k, SEED, neighbours=neighbours if neighbours is not None else n - 1)
    times, first = [], None
    extra: dict = {}
    if method == "critmin":
        import critmin

        solve = critmin.solve  # resolve the lazy attribute (imports the engine) before any timing
        for i in range(repeat):
            if sum(times) > SLOW:
                break
            scenario = critmin.load_scenario(market)
            rss0 = _rss_mb()
            t0 = time.perf_counter()
            res = solve(scenario)
            times.append(time.perf_counter() - t0)
            if i == 0:
                first = (res, _rss_mb() - rss0)
        res, mem = first
        tables = (res.prices, res.supply, res.demand, res.processing, res.flows)
        extra["residual"] = float(res.residual)
        extra["critmin_path"] = str(Path(critmin.__file__).resolve().parent)
        solver = "critmin"
    else:
        name = None if method == "cvxpy-default" else "CLARABEL"
        for i in range(repeat):
            if sum(times) > SLOW:
                break
            rss0 = _rss_mb()
            t0 = time.perf_counter()
            res = cvxpy_spe.solve(market, solver=name)
            times.append(time.perf_counter() - t0)
            if i == 0:
                first = (res, _rss_mb() - rss0)
        res, mem = first
        tables = (res.prices, res.supply, res.demand, res.processing, res.flows)
        solver = res.solver
        extra["variables"], extra["arcs"], extra["markets"] = (
            res.extra["n_variables"], res.extra["n_arcs"], res.extra["n_markets"],
        )
    cert = certificate.violations(market, *tables)
    prices, demand = tables[0], tables[2]
    pinned = demand[demand["quantity"] > 1e-2][["region", "product"]].merge(prices, on=["region", "product"])
    return {
        "method": method,
        "solver": solver,
        "time_s": statistics.median(times),
        "times_s": times,
        "peak_mb": mem,
        "certificate": max(cert.values()),
        "certificate_detail": cert,
        "pinned_prices": {f"{r}|{p}": float(v) for r, p, v in pinned.itertuples(index=False)},
        **extra,
    }


def run_child(method: str, n: int, k: int, neighbours: int | None, repeat: int, timeout: float, src: Path | None) -> dict:
    """Measure in a fresh process; ``src``: a snapshot of critmin's sources to import instead of the tree."""
    cmd = [sys.executable, __file__, "--child", method, str(n), str(k), str(neighbours), str(repeat)]
    env = dict(os.environ)
    if src is not None:
        env["PYTHONPATH"] = os.pathsep.join([str(src), env.get("PYTHONPATH", "")]).rstrip(os.pathsep)
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT, timeout=timeout, env=env)
    except subprocess.TimeoutExpired:
        return {"method": method, "error": f"timeout (> {timeout:.0f} s)"}
    if proc.returncode != 0:
        tail = (proc.stderr.strip().splitlines() or ["?"])[-1]
        return {"method": method, "error": tail}
    return json.loads(proc.stdout.strip().splitlines()[-1])


def _snapshot(rev: str, into: Path) -> str:
    """Extract critmin's sources at git revision ``rev`` into ``into``; return the short commit."""
    commit = subprocess.run(
        ["git", "rev-parse", "--short", rev], capture_output=True, text=True, cwd=ROOT, check=True
    ).stdout.strip()
    archive = subprocess.run(["git", "archive", commit, "src"], capture_output=True, cwd=ROOT, check=True).stdout
    subprocess.run(["tar", "-x", "-C", str(into)], input=archive, check=True)
    return commit


def _versions(engine: str) -> dict[str, str]:
    import clarabel
    import cvxpy
    import numpy
    import osqp
    import scipy

    return {
        "python": platform.python_version(),
        "numpy": numpy.__version__,
        "scipy": scipy.__version__,
        "cvxpy": cvxpy.__version__,
        "clarabel": clarabel.__version__,
        "osqp": getattr(osqp, "__version__", "?"),
        "critmin": engine,
    }


def _machine() -> str:
    cpu = "?"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return f"{cpu}; {os.cpu_count()} logical cores; {mem:.0f} GiB RAM; {platform.system()} {platform.release()}"


def _fmt(x: float | None, spec: str) -> str:
    return "n/a" if x is None else format(x, spec)


def table(rows: list[dict]) -> str:
    """Markdown table: one line per market, critmin vs both cvxpy solvers."""
    head = (
        "| market (regions x products, arcs) | critmin s | cvxpy default s (solver) | cvxpy Clarabel s "
        "| default / critmin | Clarabel / critmin | peak MB critmin / default / Clarabel "
        "| certificate critmin / default / Clarabel | max abs price gap vs critmin: default / Clarabel |\n"
        "|---|---|---|---|---|---|---|---|---|\n"
    )
    lines = []
    for row in rows:
        c, d, cl = (row["results"].get(m, {}) for m in METHODS)
        ct, dt, clt = (r.get("time_s") for r in (c, d, cl))

        def gap(other: dict) -> float | None:
            a, b = c.get("pinned_prices"), other.get("pinned_prices")
            if not a or not b:
                return None
            common = a.keys() & b.keys()
            return max((abs(a[key] - b[key]) for key in common), default=0.0)

        label = f"{row['n']} x {row['k']}{' all pairs' if row['neighbours'] is None else ''}, {cl.get('arcs', d.get('arcs', '?'))}"
        lines.append(
            f"| {label} | {_fmt(ct, '.3f')} | {_fmt(dt, '.3f')} ({d.get('solver', d.get('error', '?'))}) | {_fmt(clt, '.3f')} "
            f"| {_fmt(dt / ct if ct and dt else None, '.1f')} | {_fmt(clt / ct if ct and clt else None, '.1f')} "
            f"| {_fmt(c.get('peak_mb'), '.0f')} / {_fmt(d.get('peak_mb'), '.0f')} / {_fmt(cl.get('peak_mb'), '.0f')} "
            f"| {_fmt(c.get('certificate'), '.1e')} / {_fmt(d.get('certificate'), '.1e')} / {_fmt(cl.get('certificate'), '.1e')} "
            f"| {_fmt(gap(d), '.1e')} / {_fmt(gap(cl), '.1e')} |"
        )
    return head + "\n".join(lines) + "\n"


def profile(n: int, k: int, top: int = 20) -> None:
    """Print where critmin's solve spends its time on one market (cProfile, by own time)."""
    import cProfile
    import pstats

    import critmin
    from benchmarks.generate import generate_market

    scenario = critmin.load_scenario(generate_market(n, k, SEED, neighbours=6))
    solve = critmin.solve
    solve(scenario)  # warm: imports and first-call set-up are not the engine's steady cost
    prof = cProfile.Profile()
    prof.enable()
    res = solve(scenario)
    prof.disable()
    print(f"{n} x {k}: {res.solver}")
    pstats.Stats(prof).sort_stats("tottime").print_stats(top)


def measure(
    grid: list[tuple[int, int, int | None]], repeat: int, timeout: float, src: Path | None, rounds: int
) -> list[dict]:
    """Every method on every market of the grid, each in its own child process, ``rounds`` times.

    Rounds go over the whole grid and methods alternate within a market, so that a burst of load
    from other work on the machine hits all methods alike; a market's time per method is the
    median over rounds (each round's own value is the median of ``repeat`` solves).
    """
    runs: dict[tuple, list[dict]] = {}
    for r in range(rounds):
        for n, k, nb in grid:
            for method in METHODS:
                res = run_child(method, n, k, nb, repeat, timeout, src)
                runs.setdefault((n, k, nb, method), []).append(res)
                shown = f"{res['time_s']:.3f} s" if "time_s" in res else f"error: {res['error']}"
                print(f"round {r + 1} {n:>4} x {k:<3} {'all' if nb is None else nb:>4} {method:<15} {shown}", flush=True)
    rows = []
    for n, k, nb in grid:
        row = {"n": n, "k": k, "neighbours": nb, "results": {}}
        for method in METHODS:
            done = [x for x in runs[(n, k, nb, method)] if "time_s" in x]
            if not done:
                row["results"][method] = runs[(n, k, nb, method)][0]
                continue
            best = dict(done[0])
            best["round_times_s"] = [x["time_s"] for x in done]
            best["time_s"] = statistics.median(best["round_times_s"])
            row["results"][method] = best
        rows.append(row)
    return rows


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="three sizes only; print, do not write RESULTS.md")
    ap.add_argument("--repeat", type=int, default=3, help="solves per measurement (median reported)")
    ap.add_argument("--rounds", type=int, default=3, help="passes over the whole grid (median reported)")
    ap.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "RESULTS.md")
    ap.add_argument("--rev", default="HEAD", help="git revision of critmin to measure (default HEAD)")
    ap.add_argument("--worktree", action="store_true", help="measure the working tree instead of a commit")
    ap.add_argument("--timeout", type=float, default=240.0, help="seconds allowed per (market, method) child")
    ap.add_argument("--json", type=Path, default=None, help="also write the raw measurements here")
    ap.add_argument("--profile", nargs=2, type=int, metavar=("REGIONS", "PRODUCTS"), help="profile critmin on one market")
    ap.add_argument("--child", nargs=5, metavar=("METHOD", "N", "K", "NEIGHBOURS", "REPEAT"), help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.profile:
        profile(*args.profile)
        return
    if args.child:
        method, n, k, nb, rep = args.child
        out = child(method, int(n), int(k), None if nb == "None" else int(nb), int(rep))
        print(json.dumps(out))
        return
    started = time.perf_counter()
    load_before = os.getloadavg()
    with tempfile.TemporaryDirectory(prefix="critmin-bench-") as tmp:
        if args.worktree:
            src, engine = None, "working tree (may include uncommitted changes)"
        else:
            engine = f"commit {_snapshot(args.rev, Path(tmp))} (sources extracted with git archive)"
            src = Path(tmp) / "src"
        rows = measure(QUICK if args.quick else FULL, args.repeat, args.timeout, src, args.rounds)
    md = table(rows)
    print(md)
    if args.json:
        args.json.write_text(json.dumps(rows, indent=1))
    if args.quick:
        return
    target = next((r for r in rows if (r["n"], r["k"], r["neighbours"]) == (60, 40, 6)), None)
    verdict = ""
    if target:
        c = target["results"]["critmin"].get("time_s")
        d = target["results"]["cvxpy-default"].get("time_s")
        cl = target["results"]["cvxpy-clarabel"].get("time_s")
        if c:
            fastest = min(x for x in (d, cl) if x)
            per_round = [
                min(x for x in (dd, cc) if x) / t
                for t, dd, cc in zip(
                    target["results"]["critmin"]["round_times_s"],
                    target["results"]["cvxpy-default"].get("round_times_s", []),
                    target["results"]["cvxpy-clarabel"].get("round_times_s", []),
                )
            ]
            verdict = (
                f"Target (issue 3, section 5) on 60 regions x 40 products: critmin {c:.3f} s "
                f"({'meets' if c < 1 else 'misses'} < 1 s); fastest cvxpy {fastest:.3f} s, ratio {fastest / c:.1f} "
                f"({'meets' if fastest / c >= 3 else 'misses'} >= 3x); the ratio in each round: "
                + ", ".join(f"{x:.1f}" for x in per_round) + ".\n"
            )
        else:
            verdict = "Target: critmin could not be measured (see the error column).\n"
    text = (
        "# Engine benchmark: critmin vs a cvxpy formulation of the same markets\n\n"
        f"Generated by `python benchmarks/bench_engine.py` (`make bench`) on "
        f"{datetime.now(timezone.utc).strftime('%Y-%m-%d %H:%M UTC')}; total run {time.perf_counter() - started:.0f} s.\n\n"
        f"Machine: {_machine()}. Load average (1, 5, 15 min) before the run "
        f"{'/'.join(f'{x:.1f}' for x in load_before)}, after {'/'.join(f'{x:.1f}' for x in os.getloadavg())} "
        "(other work on the machine slows every method alike and widens the spread).\n\n"
        "Versions: " + ", ".join(f"{k} {v}" for k, v in _versions(engine).items()) + ".\n\n"
        f"Markets: `benchmarks/generate.py`, seed {SEED}; synthetic supply chains (ore -> refined -> "
        "component chains, concentrated mining, a bloc with a common external tariff and a "
        "preferential zone, an export tax, ban and quota); arcs from every producing region to every "
        "region plus 6 nearest neighbours each way, or every ordered pair where marked 'all pairs'.\n\n"
        f"Times: median over {args.rounds} rounds through the whole grid (methods alternating) of the median of "
        f"{args.repeat} solves (fewer once a method has spent {SLOW:.0f} s on a market), "
        f"in a fresh child process per method, market and round, killed after {args.timeout:.0f} s; critmin from a "
        "validated scenario, cvxpy including problem construction and canonicalisation. Peak MB: growth "
        "of the process's maximum resident set during the first solve. Certificate: largest violation "
        "of any equilibrium condition recomputed by benchmarks/certificate.py from the method's tables "
        "(natural residuals, quantity or price units). Price gap: largest absolute difference from "
        "critmin's price over markets with positive demand.\n\n"
        + verdict + "\n" + md
    )
    write_section(args.out, text)
    print(f"wrote the engine section of {args.out}")


def write_section(path: Path, text: str) -> None:
    """Replace the engine section of ``path`` (between ENGINE_START and ENGINE_END) with ``text``,
    leaving everything outside the markers (e.g. the ensemble benchmark's section) as it is; a
    file without the markers gets the section at its top."""
    section = f"{ENGINE_START}\n{text.rstrip()}\n{ENGINE_END}"
    old = path.read_text() if path.exists() else ""
    start, end = old.find(ENGINE_START), old.find(ENGINE_END)
    if start >= 0 and end > start:
        new = old[:start] + section + old[end + len(ENGINE_END):]
    else:
        new = section + "\n" + ("\n" + old if old else "")
    path.write_text(new)


if __name__ == "__main__":
    main()
