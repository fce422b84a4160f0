"""The left-to-right rule for selector lists (docs/decisions/0040-selector-lists.md)."""

from __future__ import annotations

import pytest

from critmin.errors import UnknownChoiceError
from critmin.scenario.selectors import resolve

IDS = ["A", "B", "C", "D"]
BLOCS = {"forge": ["A", "B"], "msp": ["B", "C"]}


@pytest.mark.parametrize(
    "selector, expected",
    [
        ("not forge", {"C", "D"}),
        (["forge", "not B"], {"A"}),  # the bloc without B (the bloc-file reading)
        (["not forge", "A"], {"A", "C", "D"}),  # non-members plus A (the union reading)
        (["not forge", "not msp"], {"D"}),  # in neither bloc
        (["A", "not forge"], set()),  # A, then every forge member removed
        (["*", "not msp", "B"], {"A", "B", "D"}),
    ],
)
def test_lists_read_left_to_right(selector, expected):
    mask = resolve(selector, IDS, BLOCS)
    assert {i for i, keep in zip(IDS, mask) if keep} == expected


def test_unknown_item_in_a_list_is_named():
    with pytest.raises(UnknownChoiceError, match="'nowhere'"):
        resolve(["forge", "not nowhere"], IDS, BLOCS)


def test_bloc_files_use_the_same_rule():
    """critmin.data.blocs resolves over ISO3 codes with the same function."""
    from critmin.data.blocs import BlocSet

    blocs = BlocSet({"club": ["JPN", "KOR", "USA"]}, ["CHN", "JPN", "KOR", "USA"])
    assert blocs.resolve(["not club", "JPN"]) == ["CHN", "JPN"]
    assert blocs.resolve(["club", "not USA"]) == ["JPN", "KOR"]
