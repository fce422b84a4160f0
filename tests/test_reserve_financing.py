"""Loan financing (decision 0063): the schedule against the closed-form annuity, the Vault figures, bad input."""

from __future__ import annotations

import numpy as np
import pytest

from critmin.errors import ScenarioError
from critmin.reserve.financing import (
    DEFAULT_RATE,
    DEFAULT_YEARS,
    VAULT_LOAN_USD,
    VAULT_RESERVE_USD,
    annuity_payment,
    schedule,
)


def test_project_vault_figures():
    """EXIM Direct Loan of up to $10 billion; 'a nearly $12 billion critical mineral reserve'; 'this record-setting
    15-year loan' (GB Daily citing Bloomberg, gbdaily.news/?p=9518) (Feb 2026 reports, decision 0063)."""
    assert VAULT_LOAN_USD == 10e9
    assert VAULT_RESERVE_USD == 12e9
    assert DEFAULT_YEARS == 15


def test_annuity_payment_closed_form():
    """A = P r / (1 - (1 + r)^-n); for 10e9 at 4.5% over 15 years, 1.045^-15 = 0.516720..."""
    p, r, n = 10e9, 0.045, 15
    assert annuity_payment(p, r, n) == pytest.approx(p * r / (1 - 1.045**-15), rel=1e-14)
    assert annuity_payment(p, r, n) == pytest.approx(0.45e9 / (1 - 0.5167204423), rel=1e-9)  # 931.138 million
    assert annuity_payment(1200.0, 0.0, 12) == 100.0


def test_schedule_repays_the_principal_and_is_worth_it_at_the_rate():
    table = schedule(VAULT_LOAN_USD, DEFAULT_RATE, DEFAULT_YEARS)
    assert len(table) == DEFAULT_YEARS
    assert table["principal"].sum() == pytest.approx(VAULT_LOAN_USD, rel=1e-12)
    assert table["closing"].iloc[-1] == 0.0
    np.testing.assert_allclose(table["payment"], annuity_payment(VAULT_LOAN_USD, DEFAULT_RATE, DEFAULT_YEARS), rtol=1e-12)
    discount = (1 + DEFAULT_RATE) ** -table["year"].to_numpy()
    assert float((table["payment"] * discount).sum()) == pytest.approx(VAULT_LOAN_USD, rel=1e-12)
    # interest is the rate on the opening balance; balances chain
    np.testing.assert_allclose(table["interest"], DEFAULT_RATE * table["opening"], rtol=1e-14)
    np.testing.assert_allclose(table["opening"].iloc[1:].to_numpy(), table["closing"].iloc[:-1].to_numpy())


def test_numpy_integers_are_whole_years():
    assert len(schedule(1e6, 0.03, np.int64(5), grace=np.int64(1))) == 5


def test_grace_years_pay_interest_only_then_an_annuity_over_the_rest():
    table = schedule(1e9, 0.05, 10, grace=3)
    assert (table["principal"].iloc[:3] == 0).all()
    np.testing.assert_allclose(table["interest"].iloc[:3], 5e7)
    np.testing.assert_allclose(table["payment"].iloc[3:], 1e9 * 0.05 / (1 - 1.05**-7), rtol=1e-12)
    assert table["principal"].sum() == pytest.approx(1e9, rel=1e-12)


@pytest.mark.parametrize("kwargs, field", [({"principal": -1.0}, "principal"), ({"rate": 1.5}, "rate"),
                                           ({"years": 0}, "years"), ({"years": 5, "grace": 5}, "grace")])
def test_bad_terms_name_the_field(kwargs, field):
    with pytest.raises(ScenarioError, match=f"field '{field}'"):
        schedule(**kwargs)


def test_cli_finance(capsys):
    import json

    from cli_helpers import run_cli

    code, out, err = run_cli(capsys, "reserve", "finance", "--rate", "0.05", "--years", "10", "--grace", "3", "--json", "-")
    assert code == 0, err
    data = json.loads(out)
    assert data["terms"]["principal"] == 10e9
    assert data["schedule"][-1]["closing"] == 0.0
    code, out, err = run_cli(capsys, "reserve", "finance", "--years", "0")
    assert code == 4 and err.startswith("error: loan: field 'years' (value 0)")
