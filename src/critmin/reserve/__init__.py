"""Strategic reserves: optimal operation and size (MDP), loan financing and budget allocation.

- :mod:`critmin.reserve.mdp`: finite MDP over stock levels and market states, solved by value
  iteration and by LP (decision 0060);
- :mod:`critmin.reserve.published`: Teisberg's SPR model, the published optimum it is checked against (0061);
- :mod:`critmin.reserve.products`: parameters for real products and their MDPs (0062);
- :mod:`critmin.reserve.financing`: loan annuity schedules (0063);
- :mod:`critmin.reserve.allocation`: a budget across products by marginal analysis (0064).
"""

from __future__ import annotations

from critmin.reserve.mdp import (
    IsoelasticDemand,
    LinearDemand,
    ReserveProblem,
    Solution,
    market_problem,
    solve,
)

__all__ = ["IsoelasticDemand", "LinearDemand", "ReserveProblem", "Solution", "market_problem", "solve"]
