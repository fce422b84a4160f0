"""Loan financing of a reserve: the yearly schedule of an annuity loan with an optional grace period.

Project Vault (announced 2 February 2026) is a nearly 12 billion USD critical-minerals reserve, of
which the Export-Import Bank of the United States (EXIM) lends up to 10 billion USD over a reported
15 years (decision 0063 cites all three). The rate has not been published, so :data:`DEFAULT_RATE`
is a critmin assumption; every function lets the caller override every term.
"""

from __future__ import annotations

import math
from numbers import Integral

import pandas as pd

from critmin.errors import ScenarioError

#: Project Vault's reserve, USD ("a nearly $12 billion critical mineral reserve")
VAULT_RESERVE_USD = 12e9
VAULT_RESERVE_SOURCE = ("'US launches critical minerals initiative to counter China', news report of the 4 Feb 2026 "
                        "Critical Minerals Ministerial: 'On Monday, Trump announced Project Vault, a nearly $12 billion "
                        "critical mineral reserve'")
#: EXIM's direct loan to Project Vault, USD ("a Direct Loan of up to $10 billion")
VAULT_LOAN_USD = 10e9
VAULT_LOAN_SOURCE = ("WorldTribune, 'White House convenes 54 nations to counter China's rare earths dominance', "
                     "5 Feb 2026, quoting the State Department: 'The EXIM Board of Directors approved a Direct Loan "
                     "of up to $10 billion for Project Vault'")
#: assumed yearly interest rate of the loan (not published; a critmin assumption)
DEFAULT_RATE = 0.045
#: term in years, as reported (Bloomberg via gbdaily.news, 2 Feb 2026)
DEFAULT_YEARS = 15
DEFAULT_YEARS_SOURCE = ("GB Daily, 'Trump Initiates $12B Project Vault for Strategic Mineral Stockpile' (source: "
                        "Bloomberg), https://gbdaily.news/?p=9518: 'The Ex-Im Bank board gave the green light for this "
                        "record-setting 15-year loan on Monday'")


def annuity_payment(principal: float, rate: float, years: int) -> float:
    """Level yearly payment that repays ``principal`` over ``years`` at ``rate``: P r / (1 - (1 + r)**-n)."""
    _check(principal, rate, years, 0)
    if rate == 0.0:
        return principal / years
    return principal * rate / (1.0 - (1.0 + rate) ** -years)


def schedule(principal: float = VAULT_LOAN_USD, rate: float = DEFAULT_RATE, years: int = DEFAULT_YEARS,
             grace: int = 0) -> pd.DataFrame:
    """Yearly schedule: interest only during ``grace`` years, then level annuity payments to zero.

    Columns: year (1..years), opening balance, interest, principal repaid, payment, closing balance.
    The last closing balance is exactly zero (the final principal is the opening balance, so
    rounding does not leave a residue).
    """
    _check(principal, rate, years, grace)
    payment = annuity_payment(principal, rate, years - grace)
    rows, balance = [], float(principal)
    for year in range(1, years + 1):
        interest = balance * rate
        if year <= grace:
            repaid = 0.0
        elif year == years:
            repaid = balance
        else:
            repaid = payment - interest
        rows.append({"year": year, "opening": balance, "interest": interest, "principal": repaid,
                     "payment": interest + repaid, "closing": balance - repaid})
        balance -= repaid
    table = pd.DataFrame(rows)
    table.loc[table.index[-1], "closing"] = 0.0
    return table


def _check(principal: float, rate: float, years: int, grace: int) -> None:
    if not (math.isfinite(principal) and principal > 0):
        raise ScenarioError(f"loan: field 'principal' (value {principal!r}) must be a positive amount")
    if not (math.isfinite(rate) and 0.0 <= rate < 1.0):
        raise ScenarioError(f"loan: field 'rate' (value {rate!r}) must be a yearly rate in [0, 1)")
    if not (isinstance(years, Integral) and years >= 1):
        raise ScenarioError(f"loan: field 'years' (value {years!r}) must be a whole number of years >= 1")
    if not (isinstance(grace, Integral) and 0 <= grace < years):
        raise ScenarioError(f"loan: field 'grace' (value {grace!r}) must be a whole number of years in [0, years)")
