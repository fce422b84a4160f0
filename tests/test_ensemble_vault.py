"""vault-2026 as an ensemble on a short horizon: an interrupted serial run resumed on a process pool gives the
bytes of an uninterrupted serial run; the outcomes cover shortfall, prices, reserve use and fiscal cost."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from test_ensemble_run import Stop, digests

from critmin.ensemble import ProcessPoolEvaluator, run_ensemble
from critmin.ensemble.scenario import experiment
from critmin.scenario.loader import read_scenario_file

pytestmark = pytest.mark.slow  # the world is built once; 4 samples x 2 years solved twice, partly on a 2-process pool

VAULT = Path(__file__).resolve().parents[1] / "scenarios" / "vault-2026.yaml"


@pytest.fixture(scope="module")
def short(tmp_path_factory):
    data = read_scenario_file(VAULT)
    data["horizon"] = {"start": 2026, "end": 2027, "step": "year"}
    path = tmp_path_factory.mktemp("vault") / "vault-short.yaml"
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    return experiment(path, 4, 11)


def test_vault_ensemble_resumes_across_executors_to_the_same_bytes(short, tmp_path):
    exp, name, sha = short
    assert [u.name for u in exp.uncertainties] == ["share_withheld", "probability", "magnet_demand_elasticity"]
    whole = run_ensemble(exp, tmp_path / "whole", scenario=name, scenario_sha256=sha, chunk_size=1)

    def stop(done, total):
        if done >= 2:
            raise Stop

    with pytest.raises(Stop):
        run_ensemble(exp, tmp_path / "cut", scenario=name, scenario_sha256=sha, chunk_size=1, on_chunk=stop)
    resumed = run_ensemble(exp, tmp_path / "cut", scenario=name, scenario_sha256=sha, html=False,
                           evaluator=ProcessPoolEvaluator(2), chunk_size=1)
    assert [s["samples_run"] for s in resumed.sessions] == [2, 2]
    assert digests(tmp_path / "cut") == digests(tmp_path / "whole")

    outcomes = set(whole.summary["outcome"])
    for needed in ("shortfall_t:ndfeb_magnet", "price_max:tb_oxide", "reserve_released_t:ndfeb_magnet", "fiscal_cost_usd:total"):
        assert needed in outcomes
    assert whole.manifest["max_residual"] <= 1e-6 and len(whole.tables["prices"]["sample"].unique()) == 4
    assert {"dy_oxide", "tb_oxide"} <= set(whole.region_summary["product"])
    html = (tmp_path / "whole" / "report.html").read_text(encoding="utf-8")
    assert 'id="ensemble"' in html and "fig-fan-prices" in html and "vault-2026" in html
