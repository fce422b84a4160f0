"""Test set-up shared by every test module.

- The repository root goes on sys.path so tests can import the benchmark's reference
  (benchmarks.cvxpy_spe).
- Hypothesis runs without per-example deadlines and derandomised: a property test must not fail
  because a busy 2-core machine ran one example slowly, and CI must draw the same examples on
  every run (a failure is then reproducible from the commit alone).
"""

import sys
from pathlib import Path

from hypothesis import settings

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

settings.register_profile("critmin", deadline=None, derandomize=True)
settings.load_profile("critmin")
