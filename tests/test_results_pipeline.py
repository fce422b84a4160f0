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
