"""critmin: design, test and operate a critical-minerals trade bloc.

Layers (each a subpackage, read top to bottom):

- ``critmin.data``     the embedded real-data dataset (tables with provenance) and its build step
- ``critmin.atlas``    concentration, bloc shares, import dependence, exposure, GeoPolRisk
- ``critmin.scenario`` scenario files (pydantic schema) and policy selectors
- ``critmin.engine``   spatial price equilibrium with policy instruments and its certificate
- ``critmin.world``    calibrated world markets built from the dataset
- ``critmin.reports``  human-readable output
- ``critmin.cli``      the ``critmin`` command
"""

from __future__ import annotations

from typing import Any

__version__ = "0.1.0"

__all__ = ["Result", "Scenario", "__version__", "load_scenario", "solve"]

# Lazy attributes: ``import critmin`` stays light (no scipy/pydantic until first use).
_LAZY = {
    "load_scenario": ("critmin.compose", "load_scenario"),
    "Scenario": ("critmin.scenario", "Scenario"),
    "solve": ("critmin.compose", "solve"),
    "Result": ("critmin.engine", "Result"),
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        import importlib

        module, attr = _LAZY[name]
        return getattr(importlib.import_module(module), attr)
    raise AttributeError(f"module 'critmin' has no attribute {name!r}")
