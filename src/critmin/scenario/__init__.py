"""Scenario files: the pydantic schema, the loader and policy selectors."""

from critmin.scenario.loader import load_scenario
from critmin.scenario.schema import Scenario

__all__ = ["Scenario", "load_scenario"]
