"""Ensemble benchmark (issue 5, section 5): scenario-years per second of the default world, the speed-up from
warm starts, parallel efficiency from 1 to 2 Dask workers, and the wall time of a 10,000 scenario-year run.

A scenario-year is one period of one sample (every equilibrium of that period solved and certified).
It is a measurement, not a test; it writes its table into benchmarks/RESULTS.md between
``<!-- ensemble:start -->`` and ``<!-- ensemble:end -->`` with ``--write`` (docs/ensembles.md).

    .venv/bin/python benchmarks/bench_ensemble.py --write            # about 15 minutes on 2 cores
    .venv/bin/python benchmarks/bench_ensemble.py --samples 4 --target 0   # quick look, prints only
"""

from __future__ import annotations

import argparse
import contextlib
import math
import os
import platform
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
START, END = "<!-- ensemble:start -->", "<!-- ensemble:end -->"


@contextlib.contextmanager
def cold_starts() -> Iterator[None]:
    """Every equilibrium of the period loop solved from the engine's default start (warm starts dropped)."""
    from critmin.dynamics import loop

    warm = loop.solve

    def cold(scenario, warm_start=None, **kw):
        return warm(scenario, **kw)

    loop.solve = cold
    try:
        yield
    finally:
        loop.solve = warm


def serial(exp, ids) -> tuple[dict[int, float], dict[int, object]]:
    """Seconds and price table per sample, in this process; a sample whose solve fails is left out (SolverError)."""
    from critmin.ensemble.experiment import run_sample
    from critmin.errors import SolverError

    seconds, prices = {}, {}
    for i in ids:
        t = time.perf_counter()
        try:
            tables = run_sample(exp, i)
        except SolverError:
            continue
        seconds[i], prices[i] = time.perf_counter() - t, tables["prices"].to_pandas()
    return seconds, prices


def dask_time(exp, ids, workers: int) -> float:
    """Seconds from submitting the samples (one per task) to the last result, on a ready LocalCluster."""
    import dask.distributed as dd

    from critmin.ensemble.evaluators import DaskEvaluator
    from critmin.ensemble.experiment import run_chunk

    with DaskEvaluator("local", workers).client() as client:
        shipped = client.scatter(exp, broadcast=True, hash=False)
        client.submit(run_chunk, shipped, (ids[0],), pure=False).result()  # every import done before timing
        client.run(lambda: None)
        t = time.perf_counter()
        futures = [client.submit(run_chunk, shipped, (i,), pure=False) for i in ids]
        for _ in dd.as_completed(futures):
            pass
        return time.perf_counter() - t


def target_run(scenario: Path, samples: int, seed: int, workers: int) -> float:
    """Wall time of ``critmin ensemble`` end to end (prepare, samples, Parquet, summary, report) in a fresh process."""
    with tempfile.TemporaryDirectory() as tmp:
        cmd = [str(ROOT / ".venv/bin/critmin"), "ensemble", str(scenario), "--samples", str(samples), "--seed", str(seed),
               "--scheduler", "local", "--workers", str(workers), "-o", str(Path(tmp) / "e")]
        t = time.perf_counter()
        done = subprocess.run(cmd, capture_output=True, text=True, check=False)
        wall = time.perf_counter() - t
        if done.returncode:
            raise SystemExit(f"target run failed: {done.stderr.strip()}")
        return wall


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--scenario", type=Path, default=ROOT / "scenarios/vault-2026.yaml")
    ap.add_argument("--samples", type=int, default=12, help="samples per timing (serial warm/cold, Dask 1 and 2 workers)")
    ap.add_argument("--seed", type=int, default=2026)
    ap.add_argument("--rounds", type=int, default=3, help="alternating Dask 1-worker / 2-worker timings")
    ap.add_argument("--target", type=int, default=10_000, help="scenario-years of the end-to-end run (0: skip)")
    ap.add_argument("--write", action="store_true", help="write the table into benchmarks/RESULTS.md")
    ap.add_argument("--sources", default=None, help="what critmin is measured (default: this checkout's commit)")
    args = ap.parse_args()

    import critmin
    from critmin.ensemble.scenario import experiment

    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
    load_before = os.getloadavg()
    t = time.perf_counter()
    exp, name, _ = experiment(args.scenario, max(args.samples, 1), args.seed)
    prepare_s = time.perf_counter() - t
    periods = int(exp.model.periods.size)
    ids = list(range(args.samples))
    years = args.samples * periods

    warm, warm_prices = serial(exp, ids)
    if len(warm) < len(ids):
        raise SystemExit(f"samples {sorted(set(ids) - set(warm))} failed with warm starts")
    warm_s = sum(warm.values())
    with cold_starts():
        cold, cold_prices = serial(exp, ids)
    both = sorted(cold)
    keys = ["period", "region", "product"]
    gap = max((float(np.max(np.abs(a - b) / np.maximum(1.0, np.abs(b))))
               for i in both
               for a, b in [(warm_prices[i].sort_values(keys)["price"].to_numpy(),
                             cold_prices[i].sort_values(keys)["price"].to_numpy())]), default=float("nan"))
    speedup = sum(cold[i] for i in both) / sum(warm[i] for i in both) if both else float("nan")
    rounds = [(dask_time(exp, ids, 1), dask_time(exp, ids, 2)) for _ in range(args.rounds)]  # alternating: load hits both
    one, two = float(np.median([r[0] for r in rounds])), float(np.median([r[1] for r in rounds]))
    each = ", ".join(f"{a / (2 * b):.2f}" for a, b in rounds)
    rows = [("prepare (compose the world, solve the base year), s", f"{prepare_s:.2f}"),
            ("periods per sample", f"{periods}"),
            (f"serial, warm starts: {years} scenario-years, s", f"{warm_s:.1f}"),
            ("serial, warm starts: scenario-years per second", f"{years / warm_s:.2f}"),
            ("serial, cold starts: samples whose every solve converged from the default start", f"{len(both)} of {len(ids)}"),
            ("serial, cold starts: scenario-years per second (those samples)",
             f"{len(both) * periods / sum(cold[i] for i in both):.2f}" if both else "n/a"),
            ("speed-up from warm starts (cold time / warm time, same samples)", f"{speedup:.2f}"),
            ("largest relative price difference, warm vs cold (same samples)", f"{gap:.1e}"),
            (f"Dask LocalCluster, 1 worker: scenario-years per second (median of {args.rounds} rounds)", f"{years / one:.2f}"),
            (f"Dask LocalCluster, 2 workers: scenario-years per second (median of {args.rounds} rounds)", f"{years / two:.2f}"),
            ("parallel efficiency 1 -> 2 workers (median t1 / (2 median t2))", f"{one / (2 * two):.2f}"),
            ("parallel efficiency in each round", each)]
    if args.target:
        samples = math.ceil(args.target / periods)
        wall = target_run(args.scenario, samples, args.seed, 2)
        rows += [((f"end to end: critmin ensemble, {samples} samples x {periods} periods = {samples * periods} "
                  "scenario-years, Dask 2 workers, s"), f"{wall:.0f}"),
                 ("end to end: scenario-years per second", f"{samples * periods / wall:.2f}"),
                 ("target: 10,000 scenario-years in under 10 minutes on 2 cores",
                  "met" if wall * 10_000 / (samples * periods) < 600 else "missed")]
    load_after = os.getloadavg()
    commit = args.sources or "commit " + subprocess.run(["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"],
                                                        capture_output=True, text=True, check=False).stdout.strip() + " (working tree)"
    import dask

    text = "\n".join([
        "# Ensemble benchmark: scenario-years per second, warm starts, Dask workers",
        "",
        (f"Generated by `python benchmarks/bench_ensemble.py` on {datetime.now(UTC):%Y-%m-%d %H:%M} UTC; "
        f"scenario `{args.scenario.relative_to(ROOT) if args.scenario.is_relative_to(ROOT) else args.scenario}` ({name}), "
        f"seed {args.seed}, {args.samples} samples per timing."),
        "",
        (f"Machine: {os.cpu_count()} logical cores; {platform.platform()}; load average (1, 5, 15 min) before "
        f"{'/'.join(f'{x:.1f}' for x in load_before)}, after {'/'.join(f'{x:.1f}' for x in load_after)} (other work on "
        "the machine slows every timing). Versions: python "
        f"{platform.python_version()}, numpy {np.__version__}, dask {dask.__version__}, critmin {critmin.__version__} "
        f"at {commit}."),
        "",
        ("A scenario-year is one period of one sample: the undisrupted, no-action and final equilibria of that period, "
        "each certified. Serial timings run the same samples in this process, first with the period loop's warm starts, "
        "then with every solve started cold. Dask timings: one task per sample on a ready LocalCluster "
        "(threads_per_worker=1), from submission to the last result, 1 and 2 workers alternating over the rounds."),
        "",
        "| measure | value |",
        "|---|---|",
        *(f"| {k} | {v} |" for k, v in rows),
        "",
        ("Why warm and cold starts can differ (measured at fd5c7f2, sample 10, period 3, Japan's Tb oxide price, "
         "0.3% apart with identical quotas, quantities equal to 1e-9 and both solves certified to 5e-14): magnets use "
         "Dy and Tb oxide in fixed proportions, and when the export licences on both bind, Japan's magnet makers "
         "receive both oxides in exactly the licensed amounts. Only the value of the pair per tonne of magnet is then "
         "determined; how it splits between the Dy and the Tb price (and between the two quota rents) is not. "
         "Quantities, welfare and the pair's value are unique; the individual prices are an interval "
         "(docs/engine.md, Uniqueness). Outside such periods warm and cold agree to about 1e-10."),
    ])
    print(text)
    if args.write:
        path = ROOT / "benchmarks/RESULTS.md"
        body = path.read_text(encoding="utf-8")
        block = f"{START}\n{text}\n{END}"
        if START in body and END in body:
            body = body[:body.index(START)] + block + body[body.index(END) + len(END):]
        else:
            body = body.rstrip("\n") + "\n\n" + block + "\n"
        path.write_text(body, encoding="utf-8")
        print(f"wrote {path}", file=sys.stderr)


if __name__ == "__main__":
    main()
