"""Spatial price equilibrium with processing stages and trade-policy instruments, and its certificate."""

from critmin.engine.result import Result
from critmin.engine.solve import solve

__all__ = ["Result", "solve"]
