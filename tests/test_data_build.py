"""The build: byte-for-byte reproducibility, atomic writes, raw-directory resolution, CLI."""

from __future__ import annotations

import json

import pytest

import critmin.data as data
from critmin.cli import main
from critmin.data import build as builder
from critmin.data.build import usgs
from critmin.errors import DataError

RAW = builder.default_raw()


def run(argv: list[str]) -> int:
    """Run the CLI as the ``critmin`` script does; return its exit code."""
    try:
        main(argv)
    except SystemExit as exc:
        return int(exc.code or 0)
    return 0
needs_raw = pytest.mark.skipif(RAW is None or not RAW.is_dir(),
                               reason="raw public data (../shared/data or $CRITMIN_RAW_DATA) not present")


@needs_raw
def test_build_reproduces_embedded_bytes(tmp_path):
    files = builder.build_all(RAW, tmp_path / "out")
    embedded = sorted(p.name for p in builder.EMBEDDED.iterdir() if p.is_file())
    assert sorted(files) == embedded
    for name in embedded:
        assert (tmp_path / "out" / name).read_bytes() == (builder.EMBEDDED / name).read_bytes(), name


@needs_raw
def test_failed_validation_writes_nothing(tmp_path, monkeypatch):
    out = tmp_path / "out"
    out.mkdir()
    (out / "marker.txt").write_text("old dataset")

    def broken(tables):
        raise DataError("table 'production', column 'quantity', key x: value -1 is negative")

    monkeypatch.setattr(builder, "validate", broken)
    with pytest.raises(DataError, match="is negative"):
        builder.build_all(RAW, out)
    assert [p.name for p in out.iterdir()] == ["marker.txt"]
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".out-")]


def test_manifest_lists_every_table_without_timestamps():
    manifest = json.loads((builder.EMBEDDED / "manifest.json").read_text())
    assert set(manifest) == {"data_version", "tables", "raw_inputs"}
    assert data.data_version() == manifest["data_version"]
    for name, entry in manifest["tables"].items():
        assert (builder.EMBEDDED / entry["file"]).is_file()
        assert len(data.load(name)) == entry["rows"]


def test_load_unknown_table_lists_tables():
    with pytest.raises(DataError, match=r"unknown dataset table 'nope'; tables: .*production"):
        data.load("nope")


def test_load_returns_a_copy():
    frame = data.load("minerals")
    frame.loc[:, "name"] = "changed"
    assert "changed" not in set(data.load("minerals")["name"])


def test_missing_raw_dir_is_a_data_error(tmp_path, monkeypatch):
    with pytest.raises(DataError, match="raw data directory not found"):
        builder.resolve_raw(tmp_path / "absent")
    monkeypatch.setenv(builder.ENV_RAW, str(tmp_path))
    assert builder.resolve_raw(None) == tmp_path
    with pytest.raises(DataError, match="raw file missing"):
        builder.build_tables(tmp_path)


def test_usgs_number_parsing():
    assert usgs.parse_number("—", "x") == (0.0, "")
    assert usgs.parse_number("W", "x") == (None, "W")
    assert usgs.parse_number(">9,100,000", "x") == (9_100_000.0, ">")
    with pytest.raises(DataError, match="file.json: value '12 kt' is not a number"):
        usgs.parse_number("12 kt", "file.json")


@pytest.mark.parametrize("value, half_unit", [(900_000, 5_000), (2_310_000, 5_000), (3_000, 50), (380_000, 5_000), (2_500, 50), (7, 0.5)])
def test_rounding_tolerance(value, half_unit):
    # Read as rounded to the last nonzero digit, but to at least two significant digits.
    assert usgs.rounding_tolerance(value) == half_unit


@needs_raw
def test_wrong_units_note_is_rejected(tmp_path):
    # A file whose units note says kilograms where metric tons are expected must not be read.
    raw = tmp_path / "raw"
    (raw / usgs.FOLDER).mkdir(parents=True)
    doc = json.loads((RAW / usgs.FOLDER / "cobalt.json").read_text())
    doc["units_note"] = "(Data in kilograms, cobalt content, unless otherwise specified)"
    (raw / usgs.FOLDER / "cobalt.json").write_text(json.dumps(doc))
    spec = next(t for t in usgs.TABLES if t.slug == "cobalt")
    with pytest.raises(DataError, match=r"cobalt.json: field 'units_note'.*kilograms"):
        usgs._check(spec, usgs.load_json(raw, "cobalt"), "usgs-mcs-2026/cobalt.json")


def test_cli_sources_json(capsys):
    assert run(["data", "sources", "--json"]) == 0
    sources = json.loads(capsys.readouterr().out)["sources"]
    by_id = {s["source"]: s for s in sources}
    assert by_id["usgs_mcs_2026"]["licence"].startswith("Public domain")
    assert all(s["licence"] for s in sources)


def test_cli_sources_csv(capsys):
    assert run(["data", "sources", "--csv"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("source,title,publisher,source_year,licence")
    assert any(line.startswith("wmd_2026,") for line in lines)


def test_cli_build_bad_raw_is_one_line_error(tmp_path, capsys):
    assert run(["data", "build", "--raw", str(tmp_path / "absent"), "--out", str(tmp_path / "out")]) == DataError.exit_code
    err = capsys.readouterr().err
    assert err.strip() == f"error: raw data directory not found: {tmp_path / 'absent'}"
    assert not (tmp_path / "out").exists()


@needs_raw
def test_cli_build_check(tmp_path, capsys):
    assert run(["data", "build", "--check"]) == 0
    assert "identical" in capsys.readouterr().out
    (tmp_path / "minerals.csv").write_text("tampered\n")
    assert run(["data", "build", "--check", "--out", str(tmp_path)]) == DataError.exit_code
    assert "minerals.csv" in capsys.readouterr().err


def test_cli_tables_and_validate(capsys):
    assert run(["data", "tables", "--json"]) == 0
    listing = json.loads(capsys.readouterr().out)
    assert listing["data_version"] == data.data_version()
    rows = {t["table"]: t["rows"] for t in listing["tables"]}
    assert rows["production"] == len(data.load("production"))
    assert run(["data", "validate"]) == 0
    assert "passes every check" in capsys.readouterr().out


def test_cli_validate_reports_a_broken_table_in_one_line(monkeypatch, capsys):
    import critmin.data.store as store

    real = store._read

    def tampered(name):
        frame = real(name).copy()
        if name == "production":
            frame.loc[frame.index[0], "quantity"] = -1.0
        return frame

    monkeypatch.setattr(store, "_read", tampered)
    assert run(["data", "validate"]) == DataError.exit_code
    err = capsys.readouterr().err.strip()
    assert "\n" not in err and "column 'quantity'" in err and "is negative" in err


def test_cli_show_filters_and_errors(capsys):
    assert run(["data", "show", "production", "-w", "mineral=cobalt", "-w", "year=2024", "-w", "iso3=COD", "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)["rows"]
    # cobalt.json world_production: Congo (Kinshasa) 226,000 t Co in 2024.
    assert len(rows) == 1 and rows[0]["quantity"] == 226_000 and rows[0]["source"] == "usgs_mcs_2026"
    assert run(["data", "show", "production", "-w", "minerl=cobalt"]) == 2
    assert "unknown column of production 'minerl'; valid choices: mineral" in capsys.readouterr().err
    assert run(["data", "show", "nope"]) == DataError.exit_code
    assert run(["data", "show", "production", "-w", "cobalt"]) == 2
    assert "COLUMN=VALUE" in capsys.readouterr().err
