"""Writing is atomic and output collisions are refused clearly; Excel on request, reproducible."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pandas as pd
import pytest

from critmin.results import OutputExistsError, execute, write_run
from critmin.results import write as write_module
from critmin.results.write import write_text_atomic

TARIFF = Path(__file__).parent / "fixtures" / "outputs" / "two_region_tariff.yaml"


@pytest.fixture(scope="module")
def run():
    return execute(TARIFF)


def _leftovers(folder: Path) -> list[str]:
    return [p.name for p in folder.iterdir() if p.name.endswith((".partial", ".old"))]


def test_error_midway_leaves_nothing(run, tmp_path, monkeypatch):
    def broken(tables, folder, **kwargs):
        (folder / "prices.csv").write_text("half", encoding="utf-8")
        raise RuntimeError("disk full")

    monkeypatch.setattr(write_module, "write_tables", broken)
    with pytest.raises(RuntimeError):
        write_run(run, tmp_path / "out")
    assert not (tmp_path / "out").exists() and _leftovers(tmp_path) == []


def test_error_midway_keeps_the_previous_output(run, tmp_path, monkeypatch):
    write_run(run, tmp_path / "out")
    before = (tmp_path / "out" / "manifest.json").read_bytes()
    monkeypatch.setattr(write_module, "write_tables", lambda *a, **k: (_ for _ in ()).throw(RuntimeError("boom")))
    with pytest.raises(RuntimeError):
        write_run(run, tmp_path / "out", force=True)
    assert (tmp_path / "out" / "manifest.json").read_bytes() == before and _leftovers(tmp_path) == []


def test_collisions(run, tmp_path):
    target = tmp_path / "file.txt"
    target.write_text("x", encoding="utf-8")
    with pytest.raises(OutputExistsError, match="file.txt: output path exists and is a file"):
        write_run(run, target)
    other = tmp_path / "notes"
    other.mkdir()
    (other / "mine.txt").write_text("keep me", encoding="utf-8")
    with pytest.raises(OutputExistsError, match="is not a critmin output"):
        write_run(run, other, force=True)  # --force never wipes a folder of other files
    assert (other / "mine.txt").read_text(encoding="utf-8") == "keep me"
    write_run(run, tmp_path / "out")
    with pytest.raises(OutputExistsError, match="use --force"):
        write_run(run, tmp_path / "out")
    (tmp_path / "out" / "stale.csv").write_text("old", encoding="utf-8")
    write_run(run, tmp_path / "out", force=True)
    assert not (tmp_path / "out" / "stale.csv").exists() and _leftovers(tmp_path) == []
    empty = tmp_path / "empty"
    empty.mkdir()
    write_run(run, empty)  # an empty folder is fine
    assert (empty / "manifest.json").is_file()


def test_single_file_write_refuses_a_directory(tmp_path):
    with pytest.raises(OutputExistsError, match="is a directory"):
        write_text_atomic(tmp_path, "x")
    write_text_atomic(tmp_path / "r.html", "one")
    write_text_atomic(tmp_path / "r.html", "two")
    assert (tmp_path / "r.html").read_text(encoding="utf-8") == "two" and _leftovers(tmp_path) == []


def test_excel_has_every_table_and_reproducible_bytes(run, tmp_path):
    pytest.importorskip("openpyxl")
    a = write_run(run, tmp_path / "a", excel=True)
    write_run(run, tmp_path / "b", excel=True)
    assert (tmp_path / "a" / "results.xlsx").read_bytes() == (tmp_path / "b" / "results.xlsx").read_bytes()
    assert "results.xlsx" in [f["name"] for f in a["files"]]
    sheets = pd.read_excel(tmp_path / "a" / "results.xlsx", sheet_name=None)
    assert list(sheets) == list(run.tables())
    assert sheets["prices"].set_index("region")["price"]["M"] == pytest.approx(46, abs=1e-8)
    with zipfile.ZipFile(tmp_path / "a" / "results.xlsx") as z:
        assert all(info.date_time == (1980, 1, 1, 0, 0, 0) for info in z.infolist())
