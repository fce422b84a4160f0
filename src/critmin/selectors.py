"""The one rule for selector lists, shared by scenario policies and bloc files.

A selector is an item (a region or country id, a bloc id, ``"*"``), ``"not X"``, or a list of
these. A list is read left to right, like an exclusion list: it starts empty, or from every
region when its first item is a ``not`` item; each item adds its members and each ``not X``
removes X's members. So ``[forge, "not CHN"]`` is FORGE without China, ``["not forge", "A"]``
is every non-member plus A, and ``["not forge", "not msp"]`` is everyone in neither bloc.
A single ``"not X"`` is everyone but X. (docs/decisions/0040-selector-lists.md)
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence

NOT = "not "


def negated(item: str) -> str | None:
    """``"not X"`` -> ``"X"``; any other item -> None."""
    return item[len(NOT):].strip() if item.lower().startswith(NOT) else None


def select(items: Sequence[str], universe: Iterable[str], members: Callable[[str], set[str]]) -> set[str]:
    """Apply the list rule; ``members(item)`` expands one positive item (and raises on unknown names)."""
    items = [item.strip() for item in items]
    chosen: set[str] = set(universe) if items and negated(items[0]) is not None else set()
    for item in items:
        excluded = negated(item)
        if excluded is None:
            chosen |= members(item)
        else:
            chosen -= members(excluded)
    return chosen
