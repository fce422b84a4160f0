"""Impossible scenarios get one clear error (never a traceback or a wrong answer); the CLI contract."""

from __future__ import annotations

import json

import pytest
import yaml

import critmin
from critmin.cli import main
from critmin.errors import InputFileError, ScenarioError, SolverError
from critmin.engine.certificate import certify

TWO = {
    "name": "two", "products": [{"id": "g"}], "regions": ["X", "M"],
    "supply": [{"region": "X", "product": "g", "intercept": 10, "slope": 1, "capacity": 10}],
    "demand": [{"region": "M", "product": "g", "quantity": 8}],
    "transport": [{"product": "g", "origin": "X", "destination": "M", "cost": 2}],
}


def test_feasible_fixed_demand_is_served():
    """Fixed demand 8 within capacity 10: the supply price is 10 + 8 = 18, landed 20."""
    r = critmin.solve(TWO)
    assert r.price("M", "g") == pytest.approx(20, abs=1e-8)


@pytest.mark.parametrize(
    "change",
    [
        {"demand": [{"region": "M", "product": "g", "quantity": 20}]},  # above capacity
        {"transport": []},  # no route
        {"policies": [{"kind": "export_ban", "origin": "X"}]},
        {"policies": [{"kind": "export_quota", "origin": "X", "quantity": 5}]},
        {"policies": [{"kind": "stockpile", "region": "X", "product": "g", "purchase": 5}]},
    ],
)
def test_unmeetable_fixed_demand(change):
    with pytest.raises(ScenarioError, match="cannot be met"):
        critmin.solve({**TWO, **change})


def test_empty_market():
    sc = {**TWO, "products": [{"id": "g"}, {"id": "h"}]}
    with pytest.raises(ScenarioError, match="'h' is an empty market"):
        critmin.solve(sc)


def test_overlapping_floors():
    sc = {**TWO, "blocs": {"b": ["X"]}, "policies": [
        {"kind": "price_floor", "product": "g", "scope": "X", "price": 5, "mechanism": "cfd"},
        {"kind": "price_floor", "product": "g", "scope": "b", "price": 6, "mechanism": "purchase"}]}
    with pytest.raises(ScenarioError, match="two price floors"):
        critmin.solve(sc)


def test_certificate_rejects_a_wrong_solution():
    """The certificate is computed from tables: moving one price must show up as a violation."""
    r = critmin.solve(TWO)
    sc = critmin.load_scenario(TWO)
    tables = {k: getattr(r, k).copy() for k in ("prices", "producer_prices", "supply", "demand", "processing", "flows",
                                                "policies", "policy_details")}
    tables["prices"].loc[tables["prices"]["region"] == "M", "price"] += 1.0
    tables["producer_prices"] = tables["prices"].copy()
    cert = certify(sc, tables, P=10.0, Q=10.0)
    assert cert.residual == pytest.approx(0.1, abs=1e-9)  # 1 unit of price on the price scale P = 10
    assert cert.worst in {"arbitrage", "flow complementarity"}


def test_solver_failure_is_a_user_error():
    with pytest.raises(SolverError, match="no equilibrium found"):
        critmin.solve(critmin.load_scenario(TWO), max_iter=0)


def run(argv, capsys):
    with pytest.raises(SystemExit) as exc:
        main(argv)
        raise SystemExit(0)
    out = capsys.readouterr()
    return exc.value.code, out.out, out.err


def test_cli_json_contract(tmp_path, capsys):
    path = tmp_path / "two.yaml"
    path.write_text(yaml.safe_dump(TWO))
    code, out, err = run(["solve", str(path), "--json"], capsys)
    assert code == 0
    data = json.loads(out)
    for key in ("status", "prices", "producer_prices", "supply", "demand", "processing", "flows", "policies", "welfare",
                "residual"):
        assert key in data
    assert set(data["prices"][0]) == {"region", "product", "price"}
    assert set(data["flows"][0]) == {"product", "origin", "destination", "quantity"}
    assert data["residual"] <= data["tolerance"]
    # the same input gives the same bytes (no timings in the JSON)
    out_file = tmp_path / "a.json"
    code2, _, _ = run(["solve", str(path), "--json", str(out_file)], capsys)
    assert code2 == 0
    assert out_file.read_text() == out


def test_cli_summary(tmp_path, capsys):
    path = tmp_path / "two.yaml"
    path.write_text(yaml.safe_dump(TWO))
    code, out, _ = run(["solve", str(path)], capsys)
    assert code == 0
    assert "residual" in out and "prices" in out and "welfare" in out


@pytest.mark.parametrize(
    ("content", "exit_code", "fragment"),
    [
        (None, InputFileError.exit_code, "file not found"),
        ("name: x\nproducts: [{id: g}]\nregions: [A]\nsupply: [{region: A, product: g, intercept: 1, slope: -1}]\n",
         InputFileError.exit_code, "supply[0].slope"),
        (yaml.safe_dump({**TWO, "demand": [{"region": "M", "product": "g", "quantity": 99}]}),
         ScenarioError.exit_code, "cannot be met"),
    ],
)
def test_cli_errors_are_one_line(tmp_path, capsys, content, exit_code, fragment):
    path = tmp_path / "s.yaml"
    if content is not None:
        path.write_text(content)
    code, out, err = run(["solve", str(path)], capsys)
    assert code == exit_code != 0
    assert err.count("\n") == 1 and err.startswith("error: ")
    assert fragment in err
    assert "Traceback" not in err


def test_json_bytes_do_not_depend_on_the_hash_seed(tmp_path):
    """Same input, same bytes, in separate processes with different PYTHONHASHSEED (sets of ids
    are iterated in the selector and topological-order code)."""
    import os
    import subprocess
    import sys

    scenario = dict(TWO, blocs={"club": ["X", "M"]}, policies=[
        {"kind": "tariff", "product": "*", "origin": "not club", "destination": "club", "specific": 1},
        {"kind": "export_tax", "origin": ["X", "club"], "specific": 0.5}])
    path = tmp_path / "s.yaml"
    path.write_text(yaml.safe_dump(scenario))
    outputs = []
    for seed in ("1", "2"):
        env = dict(os.environ, PYTHONHASHSEED=seed)
        run_ = subprocess.run([sys.executable, "-m", "critmin.cli", "solve", str(path), "--json"], env=env,
                              capture_output=True, text=True, check=True)
        outputs.append(run_.stdout)
    assert outputs[0] == outputs[1]
    assert json.loads(outputs[0])["status"] == "optimal"
