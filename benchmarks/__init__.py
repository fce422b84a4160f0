"""Benchmarks and the independent cvxpy reference used to validate critmin's engine."""
