"""Scenario discovery: PRIM recovers a known box; KS feature scores rank the inputs that define it."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from critmin.ensemble.discovery import feature_scores, prim, worst_flags
from critmin.errors import DataError


def synthetic(n=2000, seed=3):
    """Four uniform inputs; the worst outcomes are exactly the box x1 > 0.7 and x2 < 0.3 (9% of samples)."""
    rng = np.random.default_rng(seed)
    x = pd.DataFrame(rng.random((n, 4)), columns=["x1", "x2", "x3", "x4"])
    return x, ((x["x1"] > 0.7) & (x["x2"] < 0.3)).to_numpy()


def test_prim_recovers_the_box_exactly():
    x, worst = synthetic()
    box = prim(x, worst)
    assert box.restricted() == ["x1", "x2"]
    assert (box.coverage, box.density) == (1.0, 1.0)  # every worst sample inside, nothing else inside
    lim = box.limits.set_index("input")
    inside, outside = x[worst], x[~worst]
    assert outside.loc[outside["x2"] < 0.3, "x1"].max() < lim.loc["x1", "low"] <= inside["x1"].min()
    assert inside["x2"].max() <= lim.loc["x2", "high"] < outside.loc[outside["x1"] > 0.7, "x2"].min()
    assert lim.loc["x1", "low"] == pytest.approx(0.7, abs=0.01) and lim.loc["x2", "high"] == pytest.approx(0.3, abs=0.01)
    traj = box.trajectory
    assert traj["density"].iloc[0] == pytest.approx(worst.mean()) and traj["mass"].iloc[-1] >= 0.05


def test_prim_with_noise_still_finds_the_driving_inputs():
    x, worst = synthetic()
    flip = np.random.default_rng(9).random(len(worst)) < 0.05  # 5% of labels flipped
    box = prim(x, worst ^ flip)
    lim = box.limits.set_index("input")
    assert lim.loc["x1", "low"] == pytest.approx(0.7, abs=0.02) and 0.2 < lim.loc["x2", "high"] <= 0.31
    assert box.density > 0.9 and box.coverage >= 0.5  # the densest box covering at least half the worst


def test_feature_scores_are_scipy_ks_and_rank_the_box_inputs_first():
    x, worst = synthetic()
    scores = feature_scores(x, worst)
    assert set(scores["input"].tolist()[:2]) == {"x1", "x2"}
    ref = stats.ks_2samp(x.loc[worst, "x3"], x.loc[~worst, "x3"])
    row = scores.set_index("input").loc["x3"]
    assert row["ks"] == pytest.approx(ref.statistic) and row["p_value"] == pytest.approx(ref.pvalue)
    assert row["p_value"] > 0.01 and scores.set_index("input").loc["x1", "p_value"] < 1e-20


def test_worst_flags_and_bad_input():
    v = pd.Series(np.arange(100.0))
    assert worst_flags(v, 0.1).sum() == 10 and worst_flags(v, 0.1)[-10:].all()
    assert worst_flags(v, 0.1, higher_is_worse=False)[:10].all()
    with pytest.raises(DataError, match="both worst and other samples"):
        prim(pd.DataFrame({"a": [1.0, 2.0]}), np.array([True, True]))
