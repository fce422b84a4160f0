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

__version__ = "0.1.0"

__all__ = ["__version__"]
