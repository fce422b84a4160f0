"""An ensemble of a scenario file: the dynamic model (critmin.dynamics) prepared once, its uncertainties sampled.

This is the only module of critmin.ensemble that knows the dynamic model; it follows the contract of
docs/decisions/0050 (``prepare(source)``, ``simulate(model, draws, rng)``, ``model.uncertainties``).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from pathlib import Path

from critmin.ensemble.experiment import Experiment
from critmin.errors import InputFileError


def scenario_hash(path: Path) -> str:
    """sha256 of the canonical JSON of the file's content (comments and key order do not count)."""
    from critmin.results.manifest import canonical_json
    from critmin.scenario.loader import read_scenario_file

    return hashlib.sha256(canonical_json(read_scenario_file(path)).encode("utf-8")).hexdigest()


def experiment(path: Path, samples: int, seed: int, design: str = "random",
               step: Callable[[str], None] | None = None) -> tuple[Experiment, str, str]:
    """The experiment of ``samples`` draws of the scenario at ``path`` with ``seed``; also its name and hash."""
    from critmin.dynamics import prepare, simulate
    from critmin.engine.certificate import TOLERANCE

    if samples < 1:
        raise InputFileError(path, f"--samples must be at least 1, got {samples}")
    if seed < 0:
        raise InputFileError(path, f"--seed must be a non-negative integer, got {seed}")
    model = prepare(path, step) if step is not None else prepare(path)
    exp = Experiment.plan(model, simulate, tuple(model.uncertainties), seed, samples, TOLERANCE, design)
    return exp, str(model.name), scenario_hash(path)
