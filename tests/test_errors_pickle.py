"""Errors raised in worker processes (process pool, Dask) must cross the process boundary intact."""

import pickle

import pytest

from critmin.errors import (CritminError, DataError, InputFileError, ScenarioError, SolverError,
                            UnknownChoiceError)

ERRORS = [
    UnknownChoiceError("mineral", "unobtainium", ["lithium", "graphite"]),
    InputFileError("scenarios/x.yaml", "must be positive", field="supply.0.slope", value=-1),
    InputFileError("scenarios/x.yaml", "cannot be read"),
    DataError("trade.csv.gz is missing"),
    ScenarioError("fixed demand cannot be met"),
    SolverError("no equilibrium found"),
]


@pytest.mark.parametrize("err", ERRORS, ids=lambda e: type(e).__name__)
def test_error_round_trips_through_pickle(err: CritminError) -> None:
    back = pickle.loads(pickle.dumps(err))
    assert type(back) is type(err)
    assert str(back) == str(err)
    assert back.exit_code == err.exit_code
    assert back.__dict__ == err.__dict__


def test_a_renamed_message_survives() -> None:
    # compose prefixes the file name by rewriting args; the pickled error keeps the new message
    err = InputFileError("x.yaml", "bad", field="f", value=1)
    err.args = ("scenario.yaml: " + err.args[0],)
    assert str(pickle.loads(pickle.dumps(err))) == str(err)
