"""A published strategic-reserve model with a published optimum: Teisberg's SPR model (decision 0061).

Teisberg, T. J. (1981), "A Dynamic Programming Model of the U.S. Strategic Petroleum Reserve",
Bell Journal of Economics 12(2), 526-546, as transcribed in the GAMS Model Library, model MARKOV
("Strategic Petroleum Reserve", SEQ=82; https://www.gams.com/latest/gamslib_ml/libhtml/gamslib_markov.html).
Every parameter below is the library file's. Its LP minimises the present value of expected cost
over a uniform start (beta = 0.0625 on each of the 16 states); GAMS reports the optimum
pvcost = 2401.5773 (recorded from a GAMS solve, model status 1 "Optimal", in the public
repository jeffreyhorn/nlp2mcp, data/gamslib/gamslib_status.json, entry "markov",
convexity.objective_value, commit 0061a1c6515f3d3b55a58783770c916cdd398fce).
"""

from __future__ import annotations

import numpy as np

from critmin.reserve.mdp import IsoelasticDemand, ReserveProblem, market_problem

#: optimum of the GAMS Model Library MARKOV LP (pvcost), as solved by GAMS (see the module docstring)
TEISBERG_PVCOST = 2401.5773
TEISBERG_SOURCE = ("GAMS Model Library MARKOV (SEQ=82), after Teisberg (1981), Bell J. Econ. 12(2) 526-546; "
                   "optimum pvcost 2401.5773 from jeffreyhorn/nlp2mcp data/gamslib/gamslib_status.json")


def teisberg() -> ReserveProblem:
    """The MARKOV model: reserve 0..21 million barrels in steps of 3, oil market normal or disrupted.

    World supply is fixed at q = 110 (million bbl per year in the file's units) and falls by 11 in a
    disruption; world demand is d + k p**-e with d = -130, k = 342, e = 0.1; the U.S. bears g = 0.25
    of the consumer-surplus loss against the normal price 34.526 USD/bbl; storage costs 0.32 per
    unit; the discount factor is 0.95; the reserve may not be filled while disrupted, and any jump
    on the grid is allowed otherwise.
    """
    levels = 3.0 * np.arange(8)
    transition = np.array([[0.8, 0.2], [0.5, 0.5]])
    demand = IsoelasticDemand(scale=342.0, elasticity=0.1, shift=-130.0)
    weights = np.full((2, len(levels)), 0.0625)
    return market_problem(levels, demand, supply={"normal": 110.0, "disrupted": 99.0}, transition=transition,
                          discount=0.95, holding=0.32, base_price=34.526, share=0.25, weights=weights)
