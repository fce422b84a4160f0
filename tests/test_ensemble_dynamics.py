"""``critmin ensemble`` on a dynamic scenario (critmin.dynamics): the two-region market of the README with a
random export-control event and sampled demand elasticity and event probability (executors and resumption on
the real model: tests/test_ensemble_vault.py)."""

from __future__ import annotations

import pandas as pd
import pytest
import yaml
from cli_helpers import run_cli
from markets import TWO_REGION

SCENARIO = {
    "name": "two-region-ensemble",
    **TWO_REGION,
    "horizon": {"start": 2024, "end": 2027},
    "disruptions": [{"id": "ban", "supplier": "X", "products": ["good"], "destinations": "M", "share_withheld": 0.5,
                     "probability": 0.3, "duration": {"distribution": "uniform", "low": 0.5, "high": 2}}],
    "uncertainties": [
        {"name": "demand elasticity", "target": "elasticity.demand:good", "distribution": "uniform",
         "parameters": {"low": -1.5, "high": -0.3}, "unit": "1", "reason": "test range"},
        {"name": "event probability", "target": "disruption:ban.probability", "distribution": "uniform",
         "parameters": {"low": 0.0, "high": 0.8}, "unit": "per year", "reason": "test range"},
    ],
}


@pytest.fixture
def scenario(tmp_path):
    path = tmp_path / "s.yaml"
    path.write_text(yaml.safe_dump(SCENARIO), encoding="utf-8")
    return path


def test_cli_ensemble_writes_tables_summary_and_report(capsys, scenario, tmp_path):
    code, out, err = run_cli(capsys, "ensemble", str(scenario), "--samples", "8", "--seed", "3", "-o", str(tmp_path / "a"))
    assert code == 0, err
    assert "p50" in out and "shortfall_t:good" in out and "largest residual" in out
    samples = pd.read_parquet(tmp_path / "a" / "samples.parquet")
    assert samples["sample"].tolist() == list(range(8)) and (samples["residual"] <= 1e-6).all()
    assert samples.columns.tolist() == ["sample", "demand elasticity", "event probability", "residual"]
    prices = pd.read_parquet(tmp_path / "a" / "prices.parquet")
    assert sorted(prices["sample"].unique()) == list(range(8)) and len(prices) == 8 * 4 * 2  # samples x years x regions
    assert (tmp_path / "a" / "report.html").stat().st_size > 1_000_000  # plotly inlined: opens offline
    summary = pd.read_csv(tmp_path / "a" / "summary.csv").set_index("outcome")
    outcomes = pd.read_parquet(tmp_path / "a" / "outcomes.parquet")
    v = outcomes.loc[outcomes["outcome"] == "price_max:good", "value"].to_numpy()
    assert summary.loc["price_max:good", "p50"] == pytest.approx(float(pd.Series(v).median()), rel=1e-12)


def test_cli_ensemble_refuses_another_seed_in_the_same_folder(capsys, scenario, tmp_path):
    assert run_cli(capsys, "ensemble", str(scenario), "-n", "2", "-o", str(tmp_path / "a"))[0] == 0
    code, _, err = run_cli(capsys, "ensemble", str(scenario), "-n", "2", "--seed", "1", "-o", str(tmp_path / "a"))
    assert code == 2 and err.startswith("error: ") and "seed: 0 here, 1 asked" in err and "Traceback" not in err
    code, _, err = run_cli(capsys, "ensemble", str(scenario), "-n", "2", "--share", "1.5", "-o", str(tmp_path / "c"))
    assert code == 2 and err == "error: --share must be between 0 and 1, got 1.5\n"


def test_cli_ensemble_names_a_bad_uncertainty(capsys, scenario, tmp_path):
    data = yaml.safe_load(scenario.read_text())
    data["uncertainties"][1]["target"] = "disruption:nope.probability"
    scenario.write_text(yaml.safe_dump(data))
    code, _, err = run_cli(capsys, "ensemble", str(scenario), "-n", "2", "-o", str(tmp_path / "a"))
    assert code == 2 and "field 'uncertainties[1].target' (value 'disruption:nope.probability')" in err


def test_cli_ensemble_executor_options_are_checked_before_any_work(capsys, scenario, tmp_path):
    code, _, err = run_cli(capsys, "ensemble", str(scenario), "-n", "2", "--workers", "0", "-o", str(tmp_path / "a"))
    assert code == 2 and err == "error: --workers must be at least 1, got 0\n"
    code, _, err = run_cli(capsys, "ensemble", str(scenario), "-n", "2", "--workers", "3", "--scheduler", "tcp://10.0.0.5:8786",
                           "-o", str(tmp_path / "a"))
    assert code == 2 and "a remote scheduler's workers are started with it" in err
    assert not (tmp_path / "a").exists()
