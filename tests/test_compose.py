"""critmin.load_scenario / critmin.solve: world files are built, FORGE instruments compiled, errors name the file."""

from __future__ import annotations

from pathlib import Path

import pytest

import critmin
from critmin.compose import compose, needs_pipeline
from critmin.errors import InputFileError

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "scenarios" / "examples" / "two-region-tariff.yaml"
FORGE = ROOT / "scenarios" / "forge-2026.yaml"


def test_needs_pipeline_only_for_world_or_instruments():
    assert needs_pipeline({"world": {"year": 2024}})
    assert needs_pipeline({"policies": [{"kind": "reference_price"}]})
    assert needs_pipeline({"policies": [{"kind": "export_controls"}]})
    assert not needs_pipeline({"policies": [{"kind": "tariff"}]})
    assert not needs_pipeline(["not", "a", "mapping"])


def test_self_contained_market_is_loaded_as_is():
    composed = compose(EXAMPLE)
    assert composed.world is None and composed.compiled == {}
    assert composed.scenario.source == str(EXAMPLE)


def test_world_file_is_built_compiled_and_solved():
    """forge-2026 has a world: section and reference prices; the composed scenario has only engine kinds."""
    composed = compose(FORGE)
    assert composed.world is not None
    assert composed.scenario.source == str(FORGE)
    kinds = {p.kind for p in composed.scenario.policies}
    assert kinds and kinds.isdisjoint({"reference_price", "export_controls"})
    assert "chain" in composed.compiled
    result = critmin.solve(FORGE)
    assert result.residual <= result.tolerance
    # the fixed NdPr reference price (110,000 USD/t) caps the bloc's landed import price
    assert 55_000 < result.price("USA", "ndpr_oxide") <= 110_000 + 1e-6


def test_errors_in_world_files_name_the_file(tmp_path):
    bad = tmp_path / "bad-world.yaml"
    bad.write_text("name: bad\nworld: {year: 2024, minerals: [unobtainium]}\n", encoding="utf-8")
    with pytest.raises(critmin.errors.CritminError) as err:
        critmin.load_scenario(bad)
    assert str(err.value).startswith(f"{bad}: ") and "unobtainium" in str(err.value)


def test_missing_file_is_a_one_line_error(tmp_path):
    with pytest.raises(InputFileError, match="file not found"):
        critmin.load_scenario(tmp_path / "nope.yaml")
