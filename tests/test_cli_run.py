"""run / compare / report end to end through critmin.cli.main: files, JSON/CSV contracts, one-line errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from cli_helpers import run_cli as cli

FIXTURES = Path(__file__).parent / "fixtures"
FREE = str(FIXTURES / "outputs" / "two_region_free.yaml")
TARIFF = str(FIXTURES / "outputs" / "two_region_tariff.yaml")




def test_run_writes_tables_and_manifest(capsys, tmp_path):
    code, out, err = cli(capsys, "run", TARIFF, "-o", str(tmp_path / "out"))
    assert code == 0 and err == "" and "two-region-tariff: optimal" in out
    manifest = json.loads((tmp_path / "out" / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["scenario"]["name"] == "two-region-tariff"
    assert (tmp_path / "out" / "prices.csv").read_text(encoding="utf-8").splitlines()[0] == "region,product,price"
    code, _, err = cli(capsys, "run", TARIFF, "-o", str(tmp_path / "out"))
    assert code == 2 and err.count("\n") == 1 and "already holds a critmin output; use --force" in err
    code, _, _ = cli(capsys, "run", TARIFF, "-o", str(tmp_path / "out"), "--force", "--excel")
    assert code == 0 and (tmp_path / "out" / "results.xlsx").is_file()


def test_compare_json_csv_and_directory(capsys, tmp_path):
    code, out, _ = cli(capsys, "compare", FREE, TARIFF, "--json")
    obj = json.loads(out)
    assert code == 0 and obj["a"]["name"] == "two-region-free" and obj["b"]["name"] == "two-region-tariff"
    m = next(r for r in obj["prices"] if r["region"] == "M")
    assert m["change"] == pytest.approx(6, abs=1e-8) and m["change_pct"] == pytest.approx(15, abs=1e-8)  # 9 x 1/(1 + 0.5)
    code, out, _ = cli(capsys, "compare", FREE, TARIFF, "--csv")
    lines = out.splitlines()
    assert code == 0 and lines[0] == "table,key,measure,a,b,change,change_pct" and lines[1].startswith("prices,M/oxide,price,40")
    code, out, _ = cli(capsys, "compare", FREE, TARIFF, "-o", str(tmp_path / "cmp"))
    assert code == 0 and "prices" in out and "written to" in out
    assert (tmp_path / "cmp" / "flows.csv").is_file() and (tmp_path / "cmp" / "manifest.json").is_file()


def test_report_writes_one_html(capsys, tmp_path):
    target = tmp_path / "r.html"
    code, out, _ = cli(capsys, "report", TARIFF, "--against", FREE, "-o", str(target))
    assert code == 0 and "written to" in out
    assert target.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")


@pytest.mark.parametrize(
    "args, needle",
    [
        (("run", "missing.yaml", "-o", "OUT"), "missing.yaml: file not found"),
        (("compare", FREE, "missing.yaml"), "missing.yaml: file not found"),
        (("report", "missing.yaml", "-o", "OUT/r.html"), "missing.yaml: file not found"),
        (("compare", FREE, TARIFF, "--json", "--csv"), "choose one of --json and --csv"),
        (("run", "BAD", "-o", "OUT"), "field 'supply[0].slope' (value -1): Input should be greater than or equal to 0"),
        (("run", TARIFF, "-o", "FILE"), "FILE: output path exists and is a file"),
        (("report", TARIFF, "-o", "OUT"), "OUT: output path is a directory"),
    ],
)
def test_errors_are_one_line(capsys, tmp_path, args, needle):
    bad = tmp_path / "bad.yaml"
    bad.write_text(Path(FREE).read_text(encoding="utf-8").replace("intercept: 10, slope: 1", "intercept: 10, slope: -1"),
                   encoding="utf-8")
    (tmp_path / "FILE").write_text("x", encoding="utf-8")
    (tmp_path / "OUT").mkdir()
    subst = {"BAD": str(bad), "FILE": str(tmp_path / "FILE"), "OUT": str(tmp_path / "OUT"),
             "OUT/r.html": str(tmp_path / "OUT" / "r.html"), "missing.yaml": str(tmp_path / "missing.yaml")}
    code, out, err = cli(capsys, *[subst.get(a, a) for a in args])
    assert code != 0 and err.startswith("error: ") and err.count("\n") == 1 and "Traceback" not in err
    assert needle.replace("OUT", str(tmp_path / "OUT")).replace("FILE", str(tmp_path / "FILE")).replace(
        "missing.yaml", str(tmp_path / "missing.yaml")) in err


def test_compare_saved_run_folders(capsys, tmp_path):
    assert cli(capsys, "run", FREE, "-o", str(tmp_path / "free"))[0] == 0
    assert cli(capsys, "run", TARIFF, "-o", str(tmp_path / "tariff"))[0] == 0
    code, out, _ = cli(capsys, "compare", str(tmp_path / "free"), str(tmp_path / "tariff"), "--json")
    m = next(r for r in json.loads(out)["prices"] if r["region"] == "M")
    assert code == 0 and m["change"] == pytest.approx(6, abs=1e-8)  # the same closed form, read back from the CSVs
    code, _, err = cli(capsys, "compare", str(tmp_path), str(tmp_path / "tariff"))
    assert code == 2 and "not a critmin run output (no manifest.json)" in err


def test_same_bytes_across_processes_and_hash_seeds(tmp_path):
    # Two separate interpreters with different hash seeds (set and dict order of strings differ):
    # the report, the CSVs and the manifest must still be byte-identical.
    import os
    import subprocess
    import sys

    script = ("import sys\nfrom critmin.cli import main\n"
              "for args in (sys.argv[1:7], sys.argv[7:]):  # the report, then the run\n"
              "    try:\n        main(args)\n    except SystemExit as exit_:\n        assert not exit_.code, exit_.code\n")
    for seed in ("1", "2"):
        args = ["report", TARIFF, "--against", FREE, "-o", str(tmp_path / f"r{seed}.html"),
                "run", TARIFF, "-o", str(tmp_path / f"run{seed}")]
        subprocess.run([sys.executable, "-c", script, *args], env={**os.environ, "PYTHONHASHSEED": seed}, check=True,
                       capture_output=True)
    assert (tmp_path / "r1.html").read_bytes() == (tmp_path / "r2.html").read_bytes()
    for path in (tmp_path / "run1").iterdir():
        assert path.read_bytes() == (tmp_path / "run2" / path.name).read_bytes(), path.name
