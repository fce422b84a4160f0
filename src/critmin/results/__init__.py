"""Result files: tables (CSV, Parquet, Excel on request), the run manifest, and comparisons.

``execute(path)`` solves a scenario file into a :class:`Run`; ``write_run(run, dir)`` writes its
tables and ``manifest.json`` atomically; ``load_run(dir)`` reads them back (hash-checked);
``compare(a, b)`` lists the differences that matter
between two results. See docs/outputs.md.
"""

from __future__ import annotations

from critmin.results.compare import Comparison, compare
from critmin.results.execute import Run, execute
from critmin.results.manifest import manifest, scenario_sha256
from critmin.results.read import SavedRun, load_run
from critmin.results.write import OutputExistsError, write_comparison, write_run

__all__ = ["Comparison", "OutputExistsError", "Run", "SavedRun", "compare", "execute", "load_run", "manifest",
           "scenario_sha256", "write_comparison", "write_run"]
