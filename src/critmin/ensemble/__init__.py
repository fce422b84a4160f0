"""Monte Carlo ensembles of the dynamic model (issue 5, sections 4-5; docs/ensembles.md).

- :mod:`~critmin.ensemble.uncertainty`: the ``uncertainties:`` of a scenario and their sampling;
- :mod:`~critmin.ensemble.experiment`: the unit of work (a chunk of samples) every executor runs;
- :mod:`~critmin.ensemble.evaluators`: serial, process pool and Dask executors;
- :mod:`~critmin.ensemble.store`: Parquet parts streamed as chunks finish, resume, consolidation;
- :mod:`~critmin.ensemble.run`: :func:`run_ensemble`, which ties these together;
- :mod:`~critmin.ensemble.summary` and :mod:`~critmin.ensemble.discovery`: quantiles, PRIM, feature scores.

The ensemble machinery knows nothing about markets: it calls ``simulate(model, draws, rng)``
(docs/decisions/0050) and stores what comes back.
"""

from critmin.ensemble.evaluators import (
           DaskEvaluator,
           ProcessPoolEvaluator,
           SerialEvaluator,
           evaluator,
)
from critmin.ensemble.experiment import Experiment
from critmin.ensemble.run import EnsembleResult, run_ensemble
from critmin.ensemble.uncertainty import Uncertainty, parse_uncertainties

__all__ = ["DaskEvaluator", "EnsembleResult", "Experiment", "ProcessPoolEvaluator", "SerialEvaluator", "Uncertainty",
           "evaluator", "parse_uncertainties", "run_ensemble"]
