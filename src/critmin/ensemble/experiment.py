"""What one ensemble evaluates: a picklable model, its simulate function and the sampling plan.

:func:`run_chunk` is the unit of work every executor runs (in this process, a worker process or a
Dask worker): it draws each sample's inputs from ``default_rng([seed, i])``, simulates, checks the
certificate and returns long tables tagged with the sample id. Nothing here depends on where it runs,
so every executor produces the same rows (docs/decisions/0050, 0066).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np
import pandas as pd
import pyarrow as pa

from critmin.ensemble.uncertainty import Uncertainty, draw, unit_design
from critmin.errors import SolverError

#: Tables every chunk returns besides the trajectory's own.
SAMPLES, OUTCOMES = "samples", "outcomes"


class Trajectory(Protocol):
    """What a simulate function returns (critmin.dynamics.Trajectory satisfies it)."""

    tables: dict[str, pd.DataFrame]
    outcomes: dict[str, float]
    residual: float


@dataclass(frozen=True)
class Experiment:
    """``simulate(model, draws, rng)`` for samples ``0..samples-1`` of seed ``seed``.

    ``simulate`` must be a module-level function (pickled by reference); ``model`` is shipped once
    to each worker. ``tolerance`` bounds each sample's certificate residual.
    """

    model: Any
    simulate: Callable[[Any, dict[str, float], np.random.Generator], Trajectory]
    uncertainties: tuple[Uncertainty, ...]
    seed: int
    samples: int
    tolerance: float
    design: str = "random"
    lhs: np.ndarray | None = field(default=None, compare=False, repr=False)

    @classmethod
    def plan(cls, model: Any, simulate: Callable[..., Trajectory], uncertainties: Sequence[Uncertainty], seed: int,
             samples: int, tolerance: float, design: str = "random") -> Experiment:
        """An experiment with its Latin hypercube drawn up front (``design="lhs"``), so workers only index it."""
        lhs = unit_design(len(uncertainties), samples, seed, design)
        return cls(model, simulate, tuple(uncertainties), seed, samples, tolerance, design, lhs)


def run_sample(exp: Experiment, sample: int) -> dict[str, pa.Table]:
    """One sample's tables: its draws and residual (``samples``), its scalar ``outcomes`` and the trajectory's
    non-empty tables, each with a leading ``sample`` column."""
    values, rng = draw(exp.uncertainties, exp.seed, sample, exp.lhs)
    traj = exp.simulate(exp.model, values, rng)
    residual = float(traj.residual)
    if not residual <= exp.tolerance:
        raise SolverError(f"sample {sample} (seed {exp.seed}): certificate residual {residual:.3g} > tolerance {exp.tolerance:g}")
    row = {"sample": sample, **{u.name: values[u.target] for u in exp.uncertainties}, "residual": residual}
    names = sorted(traj.outcomes)
    out = {SAMPLES: pa.Table.from_pylist([row]),
           OUTCOMES: pa.table({"sample": pa.array([sample] * len(names), pa.int64()), "outcome": names,
                               "value": pa.array([float(traj.outcomes[n]) for n in names], pa.float64())})}
    for name, frame in traj.tables.items():
        if name in out:
            raise ValueError(f"trajectory table name {name!r} is reserved by the ensemble")
        if len(frame):  # an empty table adds no rows; dropping it keeps the schema independent of chunking
            table = pa.Table.from_pandas(frame, preserve_index=False).replace_schema_metadata(None)
            out[name] = table.add_column(0, "sample", pa.array(np.full(len(frame), sample, dtype=np.int64)))
    return out


def concat(pieces: Sequence[pa.Table]) -> pa.Table:
    """Tables of consecutive samples, in order; columns in order of first appearance, types promoted (null -> any)."""
    return pa.concat_tables(pieces, promote_options="permissive").combine_chunks()


def run_chunk(exp: Experiment, ids: Sequence[int]) -> tuple[tuple[int, ...], dict[str, pa.Table]]:
    """Samples ``ids`` (ascending) as one set of tables, concatenated in sample order."""
    parts = [run_sample(exp, i) for i in ids]
    names = list(dict.fromkeys(n for p in parts for n in p))
    return tuple(ids), {n: concat([p[n] for p in parts if n in p]) for n in names}
