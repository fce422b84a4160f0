"""``critmin world`` end to end: the written scenario re-solves to the observed prices, the
JSON has the calibration and sources, and a bad mineral is a one-line error."""

from __future__ import annotations

import json

import pytest
from cli_helpers import run_cli as run


def test_world_writes_a_scenario_that_reproduces_the_observed_prices(capsys, tmp_path):
    from critmin.engine import solve

    path = tmp_path / "world.yaml"
    code, out, _ = run(capsys, "world", "--minerals", "graphite", "--scenario", str(path))
    assert code == 0 and "passed" in out
    res = solve(path)
    # USGS MCS 2026: flake graphite 1,050 USD/t in 2024, the exporters' price (China exports)
    assert res.price("CHN", "natural_graphite") == pytest.approx(1050, rel=1e-6)
    # importers pay the freight share (trade_costs.csv: 5 % of value for concentrates)
    assert res.price("USA", "natural_graphite") == pytest.approx(1050 * 1.05, rel=1e-6)


def test_world_json_has_calibration_and_sources(capsys):
    code, out, _ = run(capsys, "world", "--minerals", "graphite", "--json", "-")
    assert code == 0
    obj = json.loads(out)
    assert list(obj) == ["spec", "market", "calibration", "sources"]
    kinds = {row["kind"] for row in obj["calibration"]}
    assert {"production", "consumption", "flow", "price", "trade"} <= kinds
    assert any(row["source"] == "usgs_mcs_2026" for row in obj["sources"])


def test_world_bad_mineral_year_is_one_line_error(capsys):
    # cobalt calibrates for 2024 only: its refining margin rests on the 2024 hydroxide payable (decision 0077)
    code, out, err = run(capsys, "world", "--minerals", "cobalt", "--year", "2023")
    assert code == 2
    assert err.startswith("error: ") and "world.year for cobalt" in err and "[2024]" in err and "Traceback" not in err


def test_world_json_bytes_do_not_depend_on_hash_seed(tmp_path):
    import os
    import subprocess
    import sys

    outs = []
    for seed in ("1", "2"):
        path = tmp_path / f"w{seed}.json"
        env = {**os.environ, "PYTHONHASHSEED": seed}
        subprocess.run([sys.executable, "-m", "critmin.cli", "world", "--minerals", "graphite,lithium", "--json", str(path)],
                       check=True, env=env, capture_output=True)
        outs.append(path.read_bytes())
    assert outs[0] == outs[1]
