"""The comparison table: model versus observed for every row of src/critmin/history/observed.csv.

Each observed row is matched (by episode, variable, region and period) with a row of
``comparisons.csv`` that either names the market, experiment and model variable it is compared
with, or says why it is not compared. Model numbers are percent changes from the calibrated
baseline at the central elasticities, with the range over the elastic and inelastic ends.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from critmin.errors import InputFileError
from critmin.history.chain import ChainMarket
from critmin.history.experiments import VARIABLES, Outcome, load_experiments, run_market
from critmin.history.gap import gaps
from critmin.history.markets import FOLDER, Market, load_markets, read_table

KEY = ["episode", "variable", "region", "period"]
#: the observed episodes (shipped with the package; docs/history/README.md describes the columns).
OBSERVED = Path(__file__).resolve().parent / "observed.csv"


@dataclass(frozen=True)
class History:
    """Everything the command shows: markets, outcomes, the compared rows and the rows left out."""

    markets: list[Market | ChainMarket]
    outcomes: list[Outcome]
    experiments: pd.DataFrame
    table: pd.DataFrame        # compared rows
    not_compared: pd.DataFrame  # observed rows with the reason they are not compared
    gaps: pd.DataFrame         # price rows outside China: the demand elasticity that would reproduce them

    @property
    def max_residual(self) -> float:
        return max(max(o.residual, o.baseline_residual) for o in self.outcomes)

    @property
    def max_fit(self) -> float:
        return max(o.baseline_fit for o in self.outcomes)


def load_observed(path: Path = OBSERVED) -> pd.DataFrame:
    """``observed.csv`` as text cells plus a numeric ``change_pct`` (NaN where empty)."""
    if not path.is_file():
        raise InputFileError(path, "observed history not found (the package ships it beside critmin.history)")
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    for column in KEY + ["change_pct", "unit", "source"]:
        if column not in frame.columns:
            raise InputFileError(path, "missing column", field=column)
    frame["observed"] = pd.to_numeric(frame["change_pct"].replace("", None), errors="raise")
    return frame


def _match(observed: pd.DataFrame, comparisons: pd.DataFrame, path: Path) -> pd.DataFrame:
    keys_o = observed[KEY].apply(tuple, axis=1)
    keys_c = comparisons[KEY].apply(tuple, axis=1)
    missing = sorted(set(keys_o) - set(keys_c))
    if missing:
        raise InputFileError(path, "observed row without a comparison entry", field="/".join(KEY), value=missing[0])
    extra = sorted(set(keys_c) - set(keys_o))
    if extra:
        raise InputFileError(path, "entry for a row not in observed.csv", field="/".join(KEY), value=extra[0])
    return observed.merge(comparisons, on=KEY, how="left", validate="one_to_one")


def build(observed_path: Path = OBSERVED, folder: Path = FOLDER) -> History:
    """Calibrate every market, run every experiment and assemble the comparison."""
    markets = load_markets(folder)
    experiments = load_experiments(folder)
    outcomes = [o for m in markets for o in run_market(m, experiments, folder)]
    comparisons = read_table("comparisons.csv", tuple(KEY) + ("market", "experiment", "model_variable", "explanation"),
                             folder)
    rows = _match(load_observed(observed_path), comparisons, folder / "comparisons.csv")
    index = {(o.market, o.experiment, o.bound): o.changes for o in outcomes}
    records = []
    for i, row in rows[rows.market != ""].iterrows():
        if row["model_variable"] not in VARIABLES:
            raise InputFileError(folder / "comparisons.csv", f"model_variable must be one of {VARIABLES}",
                                 field="model_variable", value=row["model_variable"])
        runs = [index.get((row["market"], row["experiment"], b)) for b in ("value", "elastic", "inelastic")]
        if runs[0] is None:
            raise InputFileError(folder / "comparisons.csv", "no such market/experiment",
                                 field="market/experiment", value=f"{row['market']}/{row['experiment']}")
        if row["model_variable"] not in runs[0]:
            raise InputFileError(folder / "comparisons.csv", f"market {row['market']} has no such variable",
                                 field="model_variable", value=row["model_variable"])
        values = [r[row["model_variable"]] for r in runs]
        sized = experiments[(experiments.market == row["market"]) & (experiments.experiment == row["experiment"])]
        is_input = (sized.sized_from == " / ".join(row[k] for k in ("episode", "variable", "period"))).any()
        records.append({**{k: row[k] for k in KEY}, "market": row["market"], "experiment": row["experiment"],
                        "model_variable": row["model_variable"], "model": values[0], "model_low": min(values),
                        "model_high": max(values), "observed": row["observed"], "unit": "% change",
                        "gap": values[0] - row["observed"], "input": bool(is_input), "source": row["source"],
                        "explanation": row["explanation"]})
    table = pd.DataFrame.from_records(records)
    left = rows[rows.market == ""][KEY + ["observed", "explanation"]].rename(columns={"explanation": "reason"})
    return History(markets, outcomes, experiments, table, left.reset_index(drop=True),
                   gaps(markets, experiments, table, outcomes, folder))
