"""Policy selectors: which regions (or products) a policy field refers to.

A selector is an id, a bloc id (regions only), ``"*"`` (all), ``"not X"`` (all but the id or
bloc ``X``), or a list of these, read left to right by the rule of :mod:`critmin.selectors`
(``[forge, "not A"]`` is the bloc without A). Resolution returns a boolean mask in the order
of the scenario's ids, so that model assembly can broadcast it over arrays.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

from critmin.errors import UnknownChoiceError
from critmin.selectors import select


def _members(token: str, ids: Sequence[str], groups: Mapping[str, Sequence[str]], what: str) -> set[str]:
    if token == "*":
        return set(ids)
    if token in groups:
        return set(groups[token])
    if token in ids:
        return {token}
    raise UnknownChoiceError(what, token, ["*", *groups, *ids])


def resolve(
    selector: str | Sequence[str],
    ids: Sequence[str],
    groups: Mapping[str, Sequence[str]] | None = None,
    what: str = "region or bloc",
) -> np.ndarray:
    """Boolean mask over ``ids`` of the items ``selector`` picks; unknown names raise UnknownChoiceError."""
    groups = groups or {}
    tokens = [selector] if isinstance(selector, str) else list(selector)
    chosen = select(tokens, ids, lambda token: _members(token, ids, groups, what))
    return np.fromiter((i in chosen for i in ids), dtype=bool, count=len(ids))


def describe(selector: str | Sequence[str] | None) -> str:
    """A selector as short text for tables (``"A|not forge"`` for a list)."""
    if selector is None:
        return ""
    return selector if isinstance(selector, str) else "|".join(selector)
