"""execute(): FORGE instruments are compiled before the engine, and what they compiled to is written."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from critmin.results import execute, write_run
from critmin.results.execute import header_comments

FIXTURES = Path(__file__).parent / "fixtures" / "outputs"


def test_reference_price_is_compiled_and_reported(tmp_path):
    run = execute(FIXTURES / "two_region_reference.yaml")
    # Hand computation in the fixture's header: p_M = 52, p_X = 34, levy 18 x 24 = 432.
    assert run.result.price("M", "oxide") == pytest.approx(52, abs=1e-8)
    assert run.result.price("X", "oxide") == pytest.approx(34, abs=1e-8)
    levy = run.result.policies
    assert levy["kind"].tolist() == ["price_floor"] and levy["revenue"].iloc[0] == pytest.approx(432, abs=1e-6)
    assert run.world is None and run.calibration is None  # no world: section
    data = write_run(run, tmp_path / "out")
    names = [f["name"] for f in data["files"]]
    assert "instruments.csv" in names and "reference_chain.csv" in names
    instruments = pd.read_csv(tmp_path / "out" / "instruments.csv")
    assert instruments[["kind", "product", "method", "price"]].values.tolist() == [["reference_price", "oxide", "fixed", 52.0]]
    chain = pd.read_csv(tmp_path / "out" / "reference_chain.csv")
    assert chain["reference_price"].tolist() == [52.0]
    # The hashed scenario is the compiled engine scenario: its policy is the engine's variable levy.
    assert '"kind":"price_floor"' in (tmp_path / "out" / "scenario.json").read_text(encoding="utf-8")


def test_header_comments():
    text = "\n# first line\n#   indented\n#\n# last\nname: x\n# not header\n"
    assert header_comments(text) == "first line\n  indented\n\nlast"
    assert header_comments("name: x\n") == ""


def test_shipped_baseline_world_runs_with_its_calibration(tmp_path):
    # The shipped baseline (scenarios/baseline-2024.yaml) builds and fits the calibrated 2024 world;
    # its fit must be written and summarised, within critmin.world.fit's tolerance for checked kinds.
    from critmin.reports import render
    from critmin.world import fit

    run = execute(Path(__file__).resolve().parents[1] / "scenarios" / "baseline-2024.yaml")
    assert run.world is not None and run.calibration is run.world.calibration
    data = write_run(run, tmp_path / "out")
    assert data["calibration"]["rows"] == len(run.calibration) > 0
    assert data["calibration"]["max_abs_relative_error"] <= fit.TOLERANCE
    written = pd.read_csv(tmp_path / "out" / "calibration.csv", keep_default_na=False)
    assert len(written) == len(run.calibration) and list(written.columns) == list(run.calibration.columns)
    page = render(run)
    assert "Every dataset table and parameter row behind the world market" in page and 'id="fig-map-production"' in page
