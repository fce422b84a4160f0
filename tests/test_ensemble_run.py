"""Ensemble runs on the linear test market: streaming, resume, byte-identical files across executors, summaries."""

from __future__ import annotations

import hashlib
import json

import numpy as np
import pandas as pd
import pytest
from test_ensemble_linear import LinearMarket, experiment, price

from critmin.ensemble import ProcessPoolEvaluator, SerialEvaluator, run_ensemble
from critmin.ensemble.run import chunks
from critmin.ensemble.store import EnsembleFolderError
from critmin.ensemble.uncertainty import draw


def digests(folder):
    """sha256 of every output file except the run log and the report (they name the executor)."""
    names = sorted(p.name for p in folder.iterdir() if p.is_file() and p.name not in ("run-log.jsonl", "report.html"))
    assert {"samples.parquet", "outcomes.parquet", "prices.parquet", "summary.csv", "manifest.json"} <= set(names)
    return {name: hashlib.sha256((folder / name).read_bytes()).hexdigest() for name in names}


def run(exp, folder, html=False, **kw):
    return run_ensemble(exp, folder, scenario="linear", scenario_sha256="0" * 64, html=html, **kw)


class Stop(Exception):
    pass


def test_rows_follow_the_contract_seed_and_the_closed_form(tmp_path):
    exp = experiment(samples=6)
    res = run(exp, tmp_path / "e", chunk_size=4)
    for i in range(6):  # sample i's inputs are the first draws of default_rng([seed, i]) (decision 0050)
        u = np.random.default_rng([7, i]).random(2)
        row = res.tables["samples"].iloc[i]
        assert row["sample"] == i and row["demand slope"] == pytest.approx(0.5 + u[0])
        assert draw(exp.uncertainties, 7, i)[0]["elasticity.demand:x"] == row["demand slope"]
    prices = res.tables["prices"]
    b = prices["sample"].map(res.tables["samples"].set_index("sample")["demand slope"])
    k = np.where(prices["disrupted"], 0.5, 1.0)
    expected = [price(LinearMarket(), bi, ki) for bi, ki in zip(b, k, strict=True)]
    assert prices["price"].to_numpy() == pytest.approx(expected, rel=1e-12)
    assert res.manifest["max_residual"] <= 1e-9 and len(prices) == 6 * 4


def test_summary_quantiles_are_numpys(tmp_path):
    res = run(experiment(samples=40), tmp_path / "e")
    v = res.tables["outcomes"].query("outcome == 'price_max:x'")["value"].to_numpy()
    row = res.summary.set_index("outcome").loc["price_max:x"]
    assert [row["p5"], row["p50"], row["p95"]] == pytest.approx(list(np.percentile(v, [5, 50, 95])), rel=1e-14)
    assert (row["measure"], row["subject"], row["samples"]) == ("price_max", "x", 40)
    on_disk = pd.read_csv(tmp_path / "e" / "summary.csv").set_index("outcome").loc["price_max:x"]
    assert on_disk["p95"] == pytest.approx(np.percentile(v, 95), rel=1e-12)


@pytest.mark.slow
def test_serial_and_process_pool_write_the_same_bytes(tmp_path):
    exp = experiment()
    run(exp, tmp_path / "serial", chunk_size=24)
    run(exp, tmp_path / "pool", evaluator=ProcessPoolEvaluator(2), chunk_size=5)
    assert digests(tmp_path / "serial") == digests(tmp_path / "pool")
    log = [json.loads(x) for x in (tmp_path / "pool" / "run-log.jsonl").read_text().splitlines()]
    assert log[0]["executor"] == "process-pool" and log[0]["workers"] == 2 and log[0]["samples_run"] == 24


def test_an_interrupted_run_resumes_to_the_same_bytes(tmp_path):
    exp = experiment()
    run(exp, tmp_path / "whole")

    def stop_after_two_parts(done, total):
        if done >= 8:
            raise Stop

    with pytest.raises(Stop):
        run(exp, tmp_path / "cut", chunk_size=4, on_chunk=stop_after_two_parts)
    assert sorted(p.name for p in (tmp_path / "cut" / "parts").iterdir()) == ["part-00000000-00000003", "part-00000004-00000007"]
    seen = []
    res = run(exp, tmp_path / "cut", chunk_size=5, on_chunk=lambda done, total: seen.append(done))
    assert seen[0] == 8 and seen[-1] == 24  # only the 16 missing samples ran
    assert digests(tmp_path / "cut") == digests(tmp_path / "whole")
    assert [s["samples_run"] for s in res.sessions] == [8, 16] and res.sessions[1]["resumed_with"] == 8


def test_chunks_never_span_a_gap():
    assert chunks([0, 1, 2, 5, 6, 7, 8, 9], 3) == [(0, 1, 2), (5, 6, 7), (8, 9)]


def test_a_folder_of_another_ensemble_is_refused(tmp_path):
    run(experiment(seed=7), tmp_path / "e")
    with pytest.raises(EnsembleFolderError, match=r"holds a different ensemble \(seed: 7 here, 8 asked\)"):
        run(experiment(seed=8), tmp_path / "e")
    res = run(experiment(seed=8), tmp_path / "e", fresh=True)
    assert res.manifest["identity"]["seed"] == 8 and [s["samples_run"] for s in res.sessions] == [24]
    (tmp_path / "other").mkdir()
    (tmp_path / "other" / "notes.txt").write_text("mine")
    with pytest.raises(EnsembleFolderError, match="holds no critmin ensemble"):
        run(experiment(), tmp_path / "other", fresh=True)
    assert (tmp_path / "other" / "notes.txt").read_text() == "mine"


def test_a_residual_above_tolerance_fails_the_run(tmp_path):
    from dataclasses import replace

    from critmin.errors import SolverError

    with pytest.raises(SolverError, match=r"sample 0 \(seed 7\): certificate residual .* > tolerance 1e-30"):
        run(replace(experiment(samples=2), tolerance=1e-30), tmp_path / "e", evaluator=SerialEvaluator())


def test_latin_hypercube_puts_one_sample_in_each_stratum(tmp_path):
    res = run(experiment(samples=10, design="lhs"), tmp_path / "e")
    u = (res.tables["samples"]["demand slope"].to_numpy() - 0.5) / 1.0  # uniform(0.5, 1.5) back to [0, 1)
    assert sorted(np.floor(u * 10).astype(int)) == list(range(10))


def test_report_and_discovery_of_the_worst_shortfalls(tmp_path):
    """Shortfall rises with the disruption probability (more disrupted periods), so it must score first; the
    default outcome is the shortfall with the widest spread (total and x tie here: sorted name first)."""
    exp = experiment(samples=200)
    res = run(exp, tmp_path / "a", html=True)
    found = res.discovery
    assert found is not None and found.outcome == "shortfall_t:total" and found.worst == 20
    assert found.scores.iloc[0]["input"] == "disruption probability" and found.scores.iloc[0]["p_value"] < 0.01
    assert res.manifest["discovery"]["coverage"] == found.box.coverage
    text = (tmp_path / "a" / "report.html").read_text()
    for part in ("fig-fan-prices", "fig-fan-shortfall", "fig-prim", "fig-scores", "default_rng([7, i])", "serial x1 (200 samples)"):
        assert part in text
    run(exp, tmp_path / "b", html=True)
    assert (tmp_path / "a" / "report.html").read_bytes() == (tmp_path / "b" / "report.html").read_bytes()
    assert len(res.region_summary) == 2 and set(res.region_summary["measure"]) == {"shortfall_t", "price_max"}
