"""Multi-year dynamics: demand growth, a pipeline of projects, recycling, disruptions and reserve
operation, one certified equilibrium per period (decisions 0050-0059, docs/dynamics.md)."""

from critmin.dynamics.loop import simulate
from critmin.dynamics.model import DynamicModel, prepare
from critmin.dynamics.trajectory import Trajectory

__all__ = ["DynamicModel", "Trajectory", "prepare", "simulate"]
