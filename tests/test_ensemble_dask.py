"""The Dask executor (a LocalCluster of 2 worker processes) writes the same bytes as the serial run."""

from __future__ import annotations

import pytest
from test_ensemble_linear import experiment
from test_ensemble_run import digests, run

from critmin.ensemble import DaskEvaluator

pytest.importorskip("dask.distributed")


@pytest.mark.slow
def test_dask_local_cluster_writes_the_serial_bytes(tmp_path):
    exp = experiment()
    run(exp, tmp_path / "serial")
    res = run(exp, tmp_path / "dask", evaluator=DaskEvaluator("local", 2), chunk_size=3)
    assert digests(tmp_path / "dask") == digests(tmp_path / "serial")
    assert res.sessions[0]["executor"] == "dask" and res.sessions[0]["samples_run"] == 24
