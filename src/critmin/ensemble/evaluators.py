"""Executors of an ensemble: in this process, a local process pool, or a Dask cluster (docs/decisions/0066).

Each takes an :class:`~critmin.ensemble.experiment.Experiment` and chunks of sample ids and yields
``(ids, tables)`` as chunks finish (not in submission order). The experiment (model included) is
shipped once per worker: through the pool initializer, or scattered to every Dask worker. Workers
run with one BLAS/OpenMP thread (threaded OpenBLAS spin-waits on a busy 2-core machine,
docs/decisions/0011), so a worker is one core.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import pickle
from collections.abc import Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import pyarrow as pa

from critmin.ensemble.experiment import Experiment, run_chunk
from critmin.errors import CritminError

Chunk = tuple[tuple[int, ...], dict[str, pa.Table]]
#: Environment variables that pin numerical libraries to one thread in worker processes.
SINGLE_THREAD = {k: "1" for k in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "VECLIB_MAXIMUM_THREADS")}


@contextmanager
def single_threaded_children() -> Iterator[None]:
    """Processes spawned inside this block inherit one-thread BLAS settings; the parent's are restored after."""
    saved = {k: os.environ.get(k) for k in SINGLE_THREAD}
    os.environ.update(SINGLE_THREAD)
    try:
        yield
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


@dataclass(frozen=True)
class SerialEvaluator:
    """Chunks one after the other in this process (the reference executor)."""

    name: str = "serial"
    workers: int = 1

    def __call__(self, exp: Experiment, chunks: Sequence[Sequence[int]]) -> Iterator[Chunk]:
        for ids in chunks:
            yield run_chunk(exp, ids)


_WORKER_EXPERIMENT: Experiment | None = None


def _init_worker(payload: bytes) -> None:
    global _WORKER_EXPERIMENT
    _WORKER_EXPERIMENT = pickle.loads(payload)


def _worker_chunk(ids: tuple[int, ...]) -> Chunk:
    assert _WORKER_EXPERIMENT is not None, "pool worker started without its experiment"
    return run_chunk(_WORKER_EXPERIMENT, ids)


@dataclass(frozen=True)
class ProcessPoolEvaluator:
    """A local pool of ``workers`` spawned processes (spawn: safe with threads and on every OS)."""

    workers: int = 2
    name: str = "process-pool"

    def __call__(self, exp: Experiment, chunks: Sequence[Sequence[int]]) -> Iterator[Chunk]:
        payload = pickle.dumps(exp, protocol=pickle.HIGHEST_PROTOCOL)
        with single_threaded_children():
            pool = ProcessPoolExecutor(max_workers=self.workers, mp_context=multiprocessing.get_context("spawn"),
                                       initializer=_init_worker, initargs=(payload,))
        try:
            pending = {pool.submit(_worker_chunk, tuple(ids)) for ids in chunks}
            while pending:
                done, pending = wait(pending, return_when=FIRST_COMPLETED)
                for future in done:
                    yield future.result()
        finally:
            pool.shutdown(wait=True, cancel_futures=True)


def _dask() -> Any:
    try:
        import dask.distributed as dd
    except ImportError:
        raise CritminError("the Dask executor needs dask.distributed: pip install 'critmin[dask]'") from None
    return dd


@dataclass(frozen=True)
class DaskEvaluator:
    """A Dask cluster: ``address`` of a running scheduler (``workers`` 0: the cluster's own), or ``"local"`` for a
    LocalCluster of ``workers`` processes."""

    address: str = "local"
    workers: int = 2
    name: str = "dask"

    @contextmanager
    def client(self) -> Iterator[Any]:
        dd = _dask()
        if self.address != "local":
            try:
                client = dd.Client(self.address, timeout="10s")
            except OSError as err:
                raise CritminError(f"cannot reach the Dask scheduler at {self.address!r}: {err}") from None
            with client:
                if not client.scheduler_info().get("workers"):
                    raise CritminError(f"the Dask scheduler at {self.address!r} has no workers")
                yield client
            return
        with single_threaded_children():
            cluster = dd.LocalCluster(n_workers=self.workers, threads_per_worker=1, processes=True,
                                      dashboard_address=":0", silence_logs=logging.ERROR)
        with cluster, dd.Client(cluster) as client:
            yield client

    def __call__(self, exp: Experiment, chunks: Sequence[Sequence[int]]) -> Iterator[Chunk]:
        dd = _dask()
        with self.client() as client:
            shipped = client.scatter(exp, broadcast=True, hash=False)
            futures = [client.submit(run_chunk, shipped, tuple(ids), pure=False) for ids in chunks]
            try:
                for _, result in dd.as_completed(futures, with_results=True):
                    yield result
            finally:
                client.cancel(futures)


def evaluator(workers: int | None = None, scheduler: str | None = None) -> SerialEvaluator | ProcessPoolEvaluator | DaskEvaluator:
    """The executor for CLI options: ``--scheduler`` (Dask), ``--workers K`` > 1 (process pool), else serial."""
    if workers is not None and workers < 1:
        raise CritminError(f"--workers must be at least 1, got {workers}")
    if scheduler is not None:
        _dask()
        if scheduler != "local":  # a running cluster: its workers were started with it
            return DaskEvaluator(scheduler, 0)
        return DaskEvaluator(scheduler, workers or 2)
    if workers and workers > 1:
        return ProcessPoolEvaluator(workers)
    return SerialEvaluator()
