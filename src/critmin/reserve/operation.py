"""Operating a reserve period by period: the book of holdings and the rule-based decisions.

Each period the dynamics loop solves the market without reserve action, asks :func:`decide` what
the rules want for each holding (buy, release or nothing, with a cap on the rate and a target
price), sizes the action exactly with :func:`size_action` (the rate at which the engine's price
meets the target, found by bracketing root search on warm-started solves) and books it with
:meth:`Book.apply`. Quantities in tonnes, rates per year, money in USD (decision 0055).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from critmin.errors import SolverError
from critmin.reserve.financing import annuity_payment
from critmin.reserve.rules import Holding, Reserve

#: relative tolerance of the sized rate (of its cap) and of the target price
XTOL = 1e-7


@dataclass(frozen=True)
class Decision:
    """What the rules ask of one holding this period, before sizing."""

    kind: str  # "buy", "release" or "hold"
    cap: float  # largest rate (t/year) allowed by fill/draw rates, holdings, capacity and budget
    target: float  # price the action should reach (not exceed for a purchase, not stay above for a release)
    reason: str


def decide(h: Holding, held: float, price: float, undisrupted: float, dt: float, budget_left: float | None) -> Decision:
    """The rule for one holding given the price without action and the undisrupted price.

    Release first: in a shortage (price above the undisrupted price, with ``release_in_shortage``)
    towards the undisrupted price; above ``release_above`` towards that level; when both hold,
    towards the lower of the two. Otherwise buy at or below ``buy_at_or_below``, never lifting the price above it.
    """
    draw = min(h.max_draw_per_year, held / dt)
    shortage = h.release_in_shortage and price > undisrupted * (1 + XTOL)
    above = h.release_above is not None and price > h.release_above
    if (shortage or above) and draw > 0:
        levels = ([undisrupted] if shortage else []) + ([float(h.release_above)] if above else [])
        target = min(levels)
        return Decision("release", draw, target, "shortage" if shortage else "price above release level")
    if h.buy_at_or_below is not None and price <= h.buy_at_or_below and not shortage:
        room = (h.capacity - held) / dt
        fill = min(h.max_fill_per_year, room)
        if budget_left is not None and price > 0:
            fill = min(fill, budget_left / (price * dt))
        if fill > 0:
            return Decision("buy", fill, float(h.buy_at_or_below), "price at or below buy level")
    return Decision("hold", 0.0, price, "")


def size_action(price_at: Callable[[float], float], d: Decision, dt: float, budget_left: float | None) -> float:
    """The rate in [0, cap] at which the market price meets ``d.target`` (or the cap if it cannot).

    ``price_at(x)`` solves the market with the holding's action at rate ``x``. A release lowers
    the price and a purchase raises it (monotone), and with linear curves the price is piecewise
    linear in ``x``, so regula falsi (Illinois) lands on the root in one step inside one trade
    regime and in a few when the regime changes; it stops when the price is within ``XTOL`` of the
    target. A purchase is then cut so that ``x dt price(x)`` stays within the budget.
    """
    if d.kind == "hold" or d.cap <= 0:
        return 0.0
    sign = 1.0 if d.kind == "buy" else -1.0
    gap = lambda r: sign * (d.target - price_at(r))  # >= 0: not yet at the target
    x = d.cap if gap(d.cap) >= 0 else _falsi(gap, 0.0, d.cap, XTOL * max(abs(d.target), 1.0))
    if d.kind == "buy" and budget_left is not None:
        spend = lambda r: budget_left - r * dt * price_at(r)
        if spend(x) < 0:
            x = _falsi(spend, 0.0, x, XTOL * max(budget_left, 1.0), keep_sign=True)
    return float(x)


def _falsi(f: Callable[[float], float], a: float, b: float, ftol: float, keep_sign: bool = False,
           max_iter: int = 60) -> float:
    """Root of ``f`` on [a, b] with f(a) >= 0 > f(b) by Illinois regula falsi; with ``keep_sign``
    the returned point has f >= 0 (e.g. spending within the budget)."""
    fa, fb = f(a), f(b)
    if fa < 0:
        raise SolverError(f"reserve sizing: no sign change on [{a:g}, {b:g}] (f(a) = {fa:g} < 0)")
    side = 0
    for _ in range(max_iter):
        c = b - fb * (b - a) / (fb - fa)
        fc = f(c)
        if abs(fc) <= ftol or abs(b - a) <= XTOL * max(abs(b), 1.0):
            if keep_sign and fc < 0:
                return a
            return c
        if fc >= 0:
            a, fa = c, fc
            if side == -1:
                fb *= 0.5
            side = -1
        else:
            b, fb = c, fc
            if side == 1:
                fa *= 0.5
            side = 1
    raise SolverError(f"reserve sizing did not converge on [{a:g}, {b:g}] in {max_iter} steps")


@dataclass
class Book:
    """Holdings per (product, region), purchases and spending so far, and the loan."""

    reserve: Reserve
    held: dict[tuple[str, str], float] = field(default_factory=dict)
    spent_usd: float = 0.0
    loan_payment_usd_per_year: float = 0.0
    loan_years_left: float = 0.0

    @classmethod
    def open(cls, reserve: Reserve) -> Book:
        book = cls(reserve, {(h.product, h.region): float(h.initial) for h in reserve.holdings})
        if reserve.loan is not None:
            ln = reserve.loan
            book.loan_payment_usd_per_year = annuity_payment(ln.principal_usd, ln.rate, ln.years)
            book.loan_years_left = float(ln.years)
        return book

    def budget_left(self) -> float | None:
        b = self.reserve.budget_usd
        return None if b is None else max(0.0, b - self.spent_usd)

    def apply(self, h: Holding, kind: str, rate: float, price: float, dt: float) -> dict[str, float]:
        """Book one period's action on ``h`` at ``rate`` (t/year) and market ``price``; return its cash flows."""
        key = (h.product, h.region)
        before = self.held[key]
        qty = rate * dt
        bought = qty if kind == "buy" else 0.0
        released = qty if kind == "release" else 0.0
        after = before + bought - released
        if after < -XTOL * max(h.capacity, 1.0) or after > h.capacity * (1 + XTOL):
            raise SolverError(f"reserve {h.product}/{h.region}: holdings would leave [0, capacity]: {after:g}")
        after = min(max(after, 0.0), h.capacity)
        self.held[key] = after
        purchase_usd = bought * price
        self.spent_usd += purchase_usd
        mean_held = 0.5 * (before + after)
        return {"held_start_t": before, "bought_t": bought, "released_t": released, "held_end_t": after,
                "purchase_usd": purchase_usd, "sales_usd": released * price,
                "storage_usd": h.storage_usd_per_t_year * mean_held * dt,
                "carrying_usd": self.reserve.carrying_rate * mean_held * price * dt,
                "valuation_usd": after * price}

    def loan_outstanding(self) -> float:
        """Principal still owed: the present value at the loan's rate of the payments not yet due."""
        ln = self.reserve.loan
        if ln is None or self.loan_years_left <= 0:
            return 0.0
        if ln.rate == 0:
            return self.loan_payment_usd_per_year * self.loan_years_left
        return self.loan_payment_usd_per_year * (1.0 - (1.0 + ln.rate) ** (-self.loan_years_left)) / ln.rate

    def loan_payment(self, dt: float) -> float:
        """Instalments falling due in a period of ``dt`` years (none after the loan's term)."""
        due = min(dt, self.loan_years_left)
        self.loan_years_left = max(0.0, self.loan_years_left - dt)
        return self.loan_payment_usd_per_year * due
