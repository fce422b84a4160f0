"""The atlas commands end to end through critmin.cli.main: JSON keys, values, error paths."""

from __future__ import annotations

import json

import pytest
from cli_helpers import run_cli as run


def test_atlas_json_contract(capsys):
    code, out, _ = run(capsys, "atlas", "--mineral", "rare_earths", "--stage", "mining", "--year", "2024", "--bloc", "forge", "--json")
    assert code == 0
    obj = json.loads(out)
    for key in ("mineral", "stage", "year", "unit", "total", "hhi", "top_share", "countries", "bloc", "sources"):
        assert key in obj
    assert (obj["mineral"], obj["stage"], obj["year"], obj["unit"], obj["total"]) == ("rare_earths", "mining", 2024, "t REO", 380000.0)
    china = obj["countries"][0]
    assert set(china) >= {"iso3", "name", "quantity", "share"}
    # USGS MCS 2026 rare earths: China 270,000 of 380,000 t REO in 2024
    assert china["iso3"] == "CHN" and china["share"] == pytest.approx(270 / 380)
    assert obj["top_share"] == pytest.approx(270 / 380)
    assert set(obj["bloc"]) >= {"id", "share", "self_sufficiency"} and obj["bloc"]["id"] == "forge"
    assert obj["bloc"]["self_sufficiency"] is None and "no trade data" in obj["bloc"]["note"]
    assert obj["sources"][0]["source"] == "usgs_mcs_2026"


def test_atlas_empty_stage_is_explicit(capsys):
    code, out, _ = run(capsys, "atlas", "--mineral", "cobalt", "--stage", "recycling", "--year", "2024", "--json")
    obj = json.loads(out)
    assert code == 0 and obj["coverage"] == "empty" and obj["countries"] == [] and obj["hhi"] is None and obj["total"] is None
    code, out, _ = run(capsys, "atlas", "--mineral", "cobalt", "--stage", "recycling")  # no --year: none exists
    assert code == 0 and "no data (coverage 'empty')" in out


@pytest.mark.parametrize(
    "args, needle",
    [
        (("atlas", "--mineral", "unobtainium", "--year", "2024"), "unknown mineral 'unobtainium'; valid choices: antimony"),
        (("atlas", "--mineral", "cobalt", "--stage", "smelting", "--year", "2024"), "unknown stage 'smelting'; valid choices: mining"),
        (("atlas", "--mineral", "cobalt", "--year", "1990"), "valid choices: 2018"),
        (("atlas", "--mineral", "cobalt", "--year", "2024", "--bloc", "atlantis"), "atlantis"),
        (("exposure", "--importer", "XXX", "--supplier", "CHN", "--mineral", "cobalt"), "XXX"),
        (("exposure", "--importer", "JPN", "--supplier", "ZZZ", "--mineral", "cobalt"), "unknown country 'ZZZ'"),
        (("exposure", "--importer", "JPN", "--supplier", "CHN", "--mineral", "gallium"), "no trade data for gallium"),
        (("exposure", "--importer", "JPN", "--supplier", "CHN", "--mineral", "rare_earths", "--basis", "quantity"), "single HS code"),
        (("exposure", "--importer", "JPN", "--supplier", "CHN", "--mineral", "rare_earths", "--hs6", "123456"), "valid choices: 280530, 284610, 284690"),
    ],
)
def test_errors_are_one_line(capsys, args, needle):
    code, out, err = run(capsys, *args)
    assert code != 0
    assert needle in err
    assert err.count("\n") == 1 and "Traceback" not in err


def test_exposure_json(capsys):
    code, out, _ = run(capsys, "exposure", "--importer", "JPN", "--supplier", "COD", "--mineral", "cobalt", "--year", "2024", "--json")
    obj = json.loads(out)
    assert code == 0 and obj["importer"] == "JPN" and obj["supplier"] == "COD" and obj["year"] == 2024 and obj["note"] is None
    (refining,) = obj["stages"]
    # Japan buys no cobalt chemicals from the DRC directly, but the DRC mined 226,000 of 302,000 t
    # (USGS MCS 2026, 2024), so under the world-pool assumption chain = sum_o x_o x 226/302 = 226/302
    assert refining["direct"] == 0.0
    assert refining["chain"] == pytest.approx(226 / 302)
    assert obj["geopolrisk"]["score"] == pytest.approx(obj["geopolrisk"]["hhi"] * obj["geopolrisk"]["import_risk"])


def test_blocs_and_overview(capsys):
    code, out, _ = run(capsys, "blocs", "--json")
    blocs = {b["bloc"]: b for b in json.loads(out)["blocs"]}
    assert code == 0 and "USA" in blocs["forge"]["members"] and len(blocs["forge"]["members"]) == 70
    # membership rows carry their own sources (decision 0007): every bloc lists at least one besides its definition
    assert all(len(b["sources"]) >= 2 and all(s["source"] for s in b["sources"]) for b in blocs.values())
    assert blocs["forge"]["estimate"] is True  # FORGE membership is a planning assumption
    code, out, _ = run(capsys, "overview", "--json")
    rows = {r["mineral"]: r for r in json.loads(out)["minerals"]}
    assert code == 0 and rows["rare_earths"]["mining_top"] == "CHN"
    # USGS MCS 2026 cobalt 2025e: DRC 230,000 of 310,000 t
    assert rows["cobalt"]["mining_top"] == "COD" and rows["cobalt"]["mining_top_share"] == pytest.approx(230 / 310)
    imports = {(r["mineral"], r["stage"]): r for r in json.loads(out)["imports"]}
    graphite = imports[("graphite", "mining")]
    # ores have no upstream stage, so exposure through the chain equals the direct share
    assert graphite["top_supplier"] == "CHN" and graphite["chain"] == graphite["direct"] == graphite["top_share"]
    assert 0 < imports[("rare_earths", "refining")]["geopolrisk"] < 1
    code, out, _ = run(capsys, "overview")
    assert code == 0 and "cobalt" in out and max(len(line) for line in out.splitlines()) <= 100


def test_csv_outputs(capsys):
    code, out, _ = run(capsys, "atlas", "--mineral", "cobalt", "--year", "2024", "--csv")
    lines = out.splitlines()
    assert code == 0 and lines[0] == "iso3,name,quantity,share,estimate"
    # USGS MCS 2026 cobalt 2024: Congo (Kinshasa) 226,000 t, first by size
    assert lines[1].startswith("COD,") and ",226000.0," in lines[1]
    code, out, _ = run(capsys, "exposure", "--importer", "JPN", "--supplier", "CHN", "--mineral", "rare_earths",
                       "--year", "2024", "--basis", "quantity", "--hs6", "284690", "--csv")
    header, row = out.splitlines()[:2]
    assert code == 0 and header.startswith("stage,basis,total_imports,direct,chain") and row.startswith("refining,quantity,")


def test_json_bytes_do_not_depend_on_hash_seed():
    """Same inputs, same bytes: bloc sums must not follow set iteration order (which changes with
    PYTHONHASHSEED between processes)."""
    import os
    import subprocess
    import sys

    args = ["atlas", "--mineral", "nickel", "--year", "2025", "--bloc", "forge", "--json"]
    outputs = set()
    for seed in ("1", "2", "3"):
        env = dict(os.environ, PYTHONHASHSEED=seed)
        done = subprocess.run([sys.executable, "-c", "from critmin.cli import main; main()", *args],
                              env=env, capture_output=True, check=True)
        outputs.add(done.stdout)
    assert len(outputs) == 1
