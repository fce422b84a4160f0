"""The run manifest and result files: fields, hashes that match the bytes, canonical scenario hash, values."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pandas as pd
import pytest
import yaml

import critmin
from critmin.data import data_version
from critmin.results import execute, scenario_sha256, write_run
from critmin.scenario import load_scenario

FIXTURES = Path(__file__).parent / "fixtures"
FREE = FIXTURES / "outputs" / "two_region_free.yaml"
TARIFF = FIXTURES / "outputs" / "two_region_tariff.yaml"
CHAIN = FIXTURES / "scenarios" / "chain_policies.yaml"


@pytest.fixture(scope="module")
def tariff_run():
    return execute(TARIFF)


def test_manifest_fields_and_file_hashes(tariff_run, tmp_path):
    out = tmp_path / "run"
    data = write_run(tariff_run, out)
    on_disk = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert on_disk == data
    assert list(data) == ["format", "critmin_version", "data_version", "scenario", "status", "residual", "tolerance",
                          "worst_condition", "solver", "calibration", "files"]
    assert data["critmin_version"] == critmin.__version__ and data["data_version"] == data_version()
    assert data["scenario"]["name"] == "two-region-tariff" and data["scenario"]["file"] == "two_region_tariff.yaml"
    assert data["scenario"]["file_sha256"] == hashlib.sha256(TARIFF.read_bytes()).hexdigest()
    assert data["status"] == "optimal" and 0 <= data["residual"] <= data["tolerance"]
    assert "seconds" not in data["solver"]  # run time would break byte reproducibility
    assert data["calibration"] is None  # a self-contained market has no calibration
    names = [f["name"] for f in data["files"]]
    for table in ("prices", "producer_prices", "supply", "demand", "processing", "flows", "policies", "policy_details", "welfare"):
        assert f"{table}.csv" in names and f"{table}.parquet" in names
    for entry in data["files"]:
        path = out / entry["name"]
        assert hashlib.sha256(path.read_bytes()).hexdigest() == entry["sha256"] and path.stat().st_size == entry["bytes"]
    assert sorted(p.name for p in out.iterdir()) == sorted([*names, "manifest.json"])


def test_scenario_hash_is_the_canonical_json(tariff_run, tmp_path):
    data = write_run(tariff_run, tmp_path / "run")
    text = (tmp_path / "run" / "scenario.json").read_bytes()
    assert hashlib.sha256(text).hexdigest() == data["scenario"]["sha256"] == scenario_sha256(load_scenario(TARIFF))
    # The same market as JSON with keys in another order and no comments has the same hash ...
    raw = yaml.safe_load(TARIFF.read_text(encoding="utf-8"))
    shuffled = tmp_path / "same.json"
    shuffled.write_text(json.dumps(dict(reversed(list(raw.items())))), encoding="utf-8")
    assert scenario_sha256(load_scenario(shuffled)) == data["scenario"]["sha256"]
    # ... and a different market (no tariff) does not.
    assert scenario_sha256(load_scenario(FREE)) != data["scenario"]["sha256"]


def test_tables_hold_the_hand_computed_equilibrium(tariff_run, tmp_path):
    # Hand computation in the fixture's header: 10 + q + 9 = 100 - 2q -> q = 27, p_X = 37, p_M = 46, revenue 9 x 27.
    write_run(tariff_run, tmp_path / "run")
    prices = pd.read_csv(tmp_path / "run" / "prices.csv").set_index("region")["price"]
    assert prices["M"] == pytest.approx(46, abs=1e-8) and prices["X"] == pytest.approx(37, abs=1e-8)
    flows = pd.read_csv(tmp_path / "run" / "flows.csv")
    assert flows[["product", "origin", "destination"]].values.tolist() == [["oxide", "X", "M"]]
    assert flows["quantity"].iloc[0] == pytest.approx(27, abs=1e-8)
    policies = pd.read_csv(tmp_path / "run" / "policies.csv")
    assert policies["revenue"].iloc[0] == pytest.approx(243, abs=1e-6)
    # Parquet holds the same table as the CSV.
    parquet = pd.read_parquet(tmp_path / "run" / "prices.parquet")
    assert parquet["price"].tolist() == pd.read_csv(tmp_path / "run" / "prices.csv")["price"].tolist()
    assert parquet["region"].tolist() == ["X", "M"]


def test_same_inputs_same_bytes(tmp_path):
    first, second = execute(CHAIN), execute(CHAIN)  # two independent solves
    write_run(first, tmp_path / "a")
    write_run(second, tmp_path / "b")
    files = sorted(p.name for p in (tmp_path / "a").iterdir())
    assert files == sorted(p.name for p in (tmp_path / "b").iterdir())
    for name in files:
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes(), name


def test_calibration_table_is_written_and_summarised(tmp_path):
    run = execute(FREE)
    # A calibration table in the shape critmin.world.fit produces (relative errors chosen by hand).
    run.result.calibration = pd.DataFrame({
        "kind": ["production", "price", "trade"], "product": ["oxide"] * 3, "region": ["X", "M", "X"],
        "destination": ["", "", "M"], "observed": [30.0, 40.0, 25.0], "model": [30.0, 40.0, 30.0],
        "error": [0.0, 0.0, 5.0], "relative": [2e-7, -3e-6, 5 / 30]})
    data = write_run(run, tmp_path / "run")
    fit = data["calibration"]
    assert fit["rows"] == 3 and fit["max_abs_relative_error"] == 3e-6 and fit["tolerance"] == 1e-4
    # trade rows are reported only (critmin.world.fit.CHECKED), not held to the tolerance
    assert fit["reported_only_rows"] == 1 and fit["reported_only_max_abs_relative_error"] == pytest.approx(5 / 30)
    assert (tmp_path / "run" / "calibration.csv").is_file()
