"""FORGE instruments as scenario policies: reference prices, their enforcement, export controls.

Instruments are data in a scenario's ``policies:`` list; :func:`compile_policies` turns them into
the engine's primitives (price floors, export bans and quotas) before the engine validates the
scenario, and :mod:`critmin.policies.outcomes` compares a policy run with its baseline.
See docs/forge-instruments.md.
"""

from critmin.policies.chain import chain_table
from critmin.policies.compile import compile_policies, engine_scenario
from critmin.policies.instruments import KINDS
from critmin.policies.outcomes import outcomes

__all__ = ["KINDS", "chain_table", "compile_policies", "engine_scenario", "outcomes"]
