"""Scenario discovery: which uncertainties drive the worst outcomes (docs/decisions/0069).

- :func:`prim`: the Patient Rule Induction Method of Friedman and Fisher (1999), "Bump hunting in
  high-dimensional data", Statistics and Computing 9:123-143. Starting from the box holding every
  sample, each peeling step removes the ``alpha`` share of the box's samples at the low or high end of
  one input, whichever leaves the highest share of "worst" samples (density) in the box, until the
  box holds fewer than ``mass_min`` of all samples. The chosen box is the densest one on that
  trajectory that still covers ``min_coverage`` of the worst samples (ties: the larger coverage); it is
  then pasted (each edge widened while density rises, as in the paper, or while it stays and coverage rises).
- :func:`feature_scores`: regional sensitivity analysis (Spear and Hornberger 1980, Water Research
  14:43-49): the Kolmogorov-Smirnov distance between each input's distribution among the worst
  samples and among the rest, with its p-value; 0 means the input does not matter for being worst.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

from critmin.errors import DataError

#: Fewest worst samples worth a box: below this PRIM only describes individual samples.
MIN_WORST = 5


@dataclass(frozen=True)
class Box:
    """The chosen box (``limits``: input, low, high, restricted), its coverage, density and mass, and the peeling trajectory."""

    limits: pd.DataFrame
    coverage: float
    density: float
    mass: float
    trajectory: pd.DataFrame

    def restricted(self) -> list[str]:
        return self.limits.loc[self.limits["restricted"], "input"].tolist()


def _stats(inside: np.ndarray, y: np.ndarray) -> tuple[float, float, float]:
    n_in, hits = int(inside.sum()), float(y[inside].sum())
    return hits / y.sum(), (hits / n_in if n_in else 0.0), n_in / len(y)  # coverage, density, mass


def _inside(x: np.ndarray, low: np.ndarray, high: np.ndarray) -> np.ndarray:
    return np.all((x >= low) & (x <= high), axis=1)


def _peel_candidates(x: np.ndarray, inside: np.ndarray, low: np.ndarray, high: np.ndarray, alpha: float):
    """Each (dimension, side) peel of about ``alpha`` of the box: (new low, new high) for that dimension."""
    for j in range(x.shape[1]):
        col = x[inside, j]
        lo_cut = np.quantile(col, alpha, method="lower")
        if lo_cut <= col.min():  # ties at the minimum: peel the whole lowest value
            lo_cut = np.min(col[col > col.min()], initial=np.inf)
        else:
            lo_cut = np.min(col[col >= lo_cut])
        hi_cut = np.quantile(col, 1 - alpha, method="higher")
        if hi_cut >= col.max():
            hi_cut = np.max(col[col < col.max()], initial=-np.inf)
        else:
            hi_cut = np.max(col[col <= hi_cut])
        if np.isfinite(lo_cut):
            yield j, lo_cut, high[j]
        if np.isfinite(hi_cut):
            yield j, low[j], hi_cut


def prim(x: pd.DataFrame, worst: np.ndarray, alpha: float = 0.05, mass_min: float = 0.05,
         min_coverage: float = 0.5) -> Box:
    """PRIM box of the samples flagged ``worst`` (bool, one per row of ``x``, the inputs by column)."""
    y = np.asarray(worst, dtype=bool)
    if len(y) != len(x) or not y.any() or y.all():
        raise DataError(f"PRIM needs {len(x)} flags with both worst and other samples; got {int(y.sum())} worst of {len(y)}")
    values = x.to_numpy(dtype=float)
    low, high = values.min(axis=0).copy(), values.max(axis=0).copy()
    steps = [(low.copy(), high.copy())]
    inside = _inside(values, low, high)
    while True:
        best = None
        for j, lo, hi in _peel_candidates(values, inside, low, high, alpha):
            trial_low, trial_high = low.copy(), high.copy()
            trial_low[j], trial_high[j] = lo, hi
            trial = inside & (values[:, j] >= lo) & (values[:, j] <= hi)
            if not trial.any():
                continue
            density = y[trial].mean()
            if best is None or density > best[0] + 1e-12:
                best = (density, trial_low, trial_high, trial)
        if best is None or best[3].mean() < mass_min:
            break
        _, low, high, inside = best
        steps.append((low.copy(), high.copy()))
    rows = [(i, *_stats(_inside(values, lo, hi), y)) for i, (lo, hi) in enumerate(steps)]
    trajectory = pd.DataFrame(rows, columns=["step", "coverage", "density", "mass"])
    eligible = trajectory[trajectory["coverage"] >= min_coverage - 1e-12]
    chosen = int(eligible.sort_values(["density", "coverage", "step"], ascending=[False, False, True]).iloc[0]["step"])
    low, high = _paste(values, y, *steps[chosen], alpha)
    full_low, full_high = values.min(axis=0), values.max(axis=0)
    restricted = (low > full_low) | (high < full_high)
    limits = pd.DataFrame({"input": list(x.columns), "low": low, "high": high, "restricted": restricted})
    coverage, density, mass = _stats(_inside(values, low, high), y)
    return Box(limits, coverage, density, mass, trajectory)


def _paste(values: np.ndarray, y: np.ndarray, low: np.ndarray, high: np.ndarray, alpha: float) -> tuple[np.ndarray, np.ndarray]:
    """Widen one edge at a time, by about ``alpha`` of the box's samples or by one sample, while that raises the
    density, or keeps it and adds worst samples (coverage rises at no cost in density)."""
    low, high = low.copy(), high.copy()
    while True:
        inside = _inside(values, low, high)
        current = (float(y[inside].mean()), int(y[inside].sum()))
        n_add = max(1, round(alpha * int(inside.sum())))
        best = None
        for j in range(values.shape[1]):
            others = np.all(np.delete((values >= low) & (values <= high), j, axis=1), axis=1)
            below = np.sort(values[others & (values[:, j] < low[j]), j])[::-1]
            above = np.sort(values[others & (values[:, j] > high[j]), j])
            for side, edge in (("low", below), ("high", above)):
                for k in sorted({1, min(n_add, len(edge))}) if len(edge) else ():
                    lo, hi = (edge[k - 1], high[j]) if side == "low" else (low[j], edge[k - 1])
                    trial = others & (values[:, j] >= lo) & (values[:, j] <= hi)
                    score = (float(y[trial].mean()), int(y[trial].sum()))
                    better = score[0] > current[0] + 1e-12 or (score[0] >= current[0] - 1e-12 and score[1] > current[1])
                    if better and (best is None or score > best[0]):
                        best = (score, j, lo, hi)
        if best is None:
            return low, high
        _, j, low[j], high[j] = best


def worst_flags(values: pd.Series, share: float = 0.1, higher_is_worse: bool = True) -> np.ndarray:
    """The samples in the worst ``share`` of an outcome (ties at the cut are included unless that takes every sample)."""
    v = values.to_numpy(dtype=float)
    if not higher_is_worse:
        v = -v
    cut = np.quantile(v, 1 - share)
    flags = v >= cut
    return v > cut if flags.all() else flags  # a cut at the minimum (ties) would flag every sample


def feature_scores(x: pd.DataFrame, worst: np.ndarray) -> pd.DataFrame:
    """Per input: KS distance (and p-value) between its values in the worst samples and in the others, largest first."""
    y = np.asarray(worst, dtype=bool)
    rows = []
    for name in x.columns:
        col = x[name].to_numpy(dtype=float)
        res = stats.ks_2samp(col[y], col[~y])
        rows.append({"input": name, "ks": float(res.statistic), "p_value": float(res.pvalue),
                     "median_worst": float(np.median(col[y])), "median_rest": float(np.median(col[~y]))})
    return pd.DataFrame(rows).sort_values(["ks", "input"], ascending=[False, True], ignore_index=True)


@dataclass(frozen=True)
class Discovery:
    """Which inputs drive the worst ``share`` of ``outcome``: the PRIM box and the KS scores."""

    outcome: str
    share: float
    worst: int
    box: Box
    scores: pd.DataFrame


def default_outcome(wide: pd.DataFrame) -> str | None:
    """The outcome to explain by default: the shortfall (else any outcome) with the largest spread relative to its median."""
    spread = (wide.quantile(0.95) - wide.quantile(0.05)) / wide.median().abs().clip(lower=1e-12)
    spread = spread[spread > 0]
    if spread.empty:
        return None
    shortfalls = spread[[c.startswith("shortfall_t:") for c in spread.index]]
    pick = shortfalls if len(shortfalls) else spread
    return str(pick.sort_values(ascending=False, kind="stable").index[0])


def discover(inputs: pd.DataFrame, wide: pd.DataFrame, outcome: str, share: float = 0.1) -> Discovery:
    """PRIM and KS scores of the samples in the worst ``share`` (highest values) of ``outcome``, over the varying inputs."""
    if outcome not in wide.columns:
        from critmin.errors import UnknownChoiceError

        raise UnknownChoiceError("outcome", outcome, wide.columns)
    varying = inputs.loc[:, inputs.nunique() > 1]
    if varying.empty:
        raise DataError("scenario discovery needs at least one uncertainty that varies across samples")
    worst = worst_flags(wide[outcome], share)
    if worst.all() or not worst.any():
        raise DataError(f"outcome {outcome!r} does not vary across samples; nothing to discover")
    if worst.sum() < MIN_WORST:
        raise DataError(f"scenario discovery needs at least {MIN_WORST} worst samples, got {int(worst.sum())} "
                        f"(the worst {100 * share:g}% of {len(worst)}); run more samples or raise --share")
    x = varying.loc[wide.index]
    return Discovery(outcome, share, int(worst.sum()), prim(x, worst), feature_scores(x, worst))
