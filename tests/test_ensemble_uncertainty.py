"""The uncertainties: section: validation errors name file, field and value; inverse CDFs match closed forms."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from critmin.ensemble.uncertainty import parse_uncertainties
from critmin.errors import InputFileError


def one(distribution, parameters, **kw):
    item = {"name": "u", "target": "growth:x", "distribution": distribution, "parameters": parameters,
            "unit": "1", "reason": "test", **kw}
    return parse_uncertainties([item], "s.yaml")[0]


U = np.array([0.05, 0.25, 0.5, 0.75, 0.95])


def test_inverse_cdfs():
    assert one("uniform", {"low": 2, "high": 4}).ppf(U) == pytest.approx(2 + 2 * U)
    # triangular(0, 1, 1): F(x) = x^2, so x = sqrt(u)
    assert one("triangular", {"low": 0, "mode": 1, "high": 1}).ppf(U) == pytest.approx(np.sqrt(U))
    assert one("normal", {"mean": 1, "sd": 2}).ppf(np.array([0.5, 0.975]))[1] == pytest.approx(1 + 2 * 1.959963985)
    assert one("lognormal", {"median": 3, "sigma": 0.5}).ppf(np.array([0.5]))[0] == pytest.approx(3.0)
    tn = one("truncnormal", {"mean": 0, "sd": 1, "low": 0, "high": 10}).ppf(U)  # half-normal below 10
    assert tn == pytest.approx(stats.halfnorm.ppf(U), rel=1e-9)
    assert one("choice", {"values": [1, 2, 3], "weights": [1, 1, 2]}).ppf(U).tolist() == [1, 2, 3, 3, 3]
    assert one("bernoulli", {"p": 0.3}).ppf(U).tolist() == [1, 1, 0, 0, 0]


@pytest.mark.parametrize(("distribution", "parameters", "extra", "message"), [
    ("uniform", {"low": 4, "high": 2}, {}, r"s\.yaml: field 'uncertainties\[0\]\.parameters' \(value \"\{'low': 4, 'high': 2\}\"\): low \(4\.0\) must be below high"),
    ("gamma", {"k": 1}, {}, r"field 'uncertainties\[0\]\.distribution' \(value 'gamma'\): Input should be"),
    ("normal", {"mean": 1}, {}, "normal takes parameters mean, sd; missing sd"),
    ("choice", {"values": [1, 2], "weights": [1]}, {}, "weights must be 2 non-negative numbers"),
    ("bernoulli", {"p": 1.5}, {}, r"p must be in \[0, 1\], got 1.5"),
    ("uniform", {"low": 0, "high": 1}, {"reason": None}, r"field 'uncertainties\[0\]\.source': give a source or a reason"),
    ("uniform", {"low": 0, "high": 1}, {"spread": 2}, r"uncertainties\[0\]\.spread.*Extra inputs are not permitted"),
])
def test_bad_uncertainties_name_file_field_and_value(distribution, parameters, extra, message):
    with pytest.raises(InputFileError, match=message):
        one(distribution, parameters, **extra)


def test_duplicates_and_non_lists_are_refused():
    item = {"name": "u", "target": "growth:x", "distribution": "uniform", "parameters": {"low": 0, "high": 1},
            "unit": "1", "source": "doc"}
    with pytest.raises(InputFileError, match=r"uncertainties\[1\]\.target' \(value 'growth:x'\): duplicate target"):
        parse_uncertainties([item, {**item, "name": "v"}], "s.yaml")
    with pytest.raises(InputFileError, match="must be a list of uncertainties, got dict"):
        parse_uncertainties({"a": 1}, "s.yaml")
    assert parse_uncertainties(None, "s.yaml") == ()
