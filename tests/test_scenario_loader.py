"""Scenario files: valid files load; every mistake is one clear error naming file, field and value."""

from __future__ import annotations

import json

import numpy as np
import pytest

from critmin.errors import InputFileError, UnknownChoiceError
from critmin.scenario import Scenario, load_scenario
from critmin.scenario.selectors import resolve

BASE = {
    "name": "base",
    "products": [{"id": "ore"}, {"id": "oxide", "inputs": {"ore": 1.25}}],
    "regions": ["A", {"id": "B", "name": "Bee"}, "C"],
    "blocs": {"forge": ["A", "B"]},
    "supply": [{"region": "A", "product": "ore", "intercept": 9, "slope": 1, "capacity": 500}],
    "demand": [{"region": "C", "product": "oxide", "intercept": 54, "slope": 3}],
    "processing": [{"region": "B", "product": "oxide", "intercept": 4, "slope": 0.1, "capacity": 200}],
    "transport": [{"product": "ore", "origin": "A", "destination": "B", "cost": 3}],
    "default_transport_cost": None,
    "policies": [
        {"kind": "tariff", "product": "oxide", "origin": "*", "destination": "C", "specific": 2},
        {"kind": "tariff", "product": "*", "origin": "not forge", "destination": "forge", "ad_valorem": 0.25, "exempt": "forge"},
        {"kind": "export_tax", "product": "ore", "origin": "A", "destination": "*", "specific": 1},
        {"kind": "export_ban", "product": "oxide", "origin": "C", "destination": "forge"},
        {"kind": "export_quota", "product": "ore", "origin": "A", "destination": "*", "quantity": 30},
        {"kind": "price_floor", "product": "oxide", "scope": "forge", "price": 110, "mechanism": "variable_levy"},
        {"kind": "stockpile", "region": "B", "product": "oxide", "release": 10},
    ],
}


def with_(path: str, value):
    """A copy of BASE with one field (dotted path, list indices as ints) replaced."""
    data = json.loads(json.dumps(BASE))
    keys = path.split(".")
    node = data
    for k in keys[:-1]:
        node = node[int(k)] if k.isdigit() else node[k]
    last = keys[-1]
    node[int(last) if last.isdigit() else last] = value
    return data


def test_issue_example_loads_from_yaml_and_json(tmp_path):
    """The example of issue 3 section 1 (all instruments) validates, from YAML and from JSON."""
    import yaml

    y = tmp_path / "s.yaml"
    y.write_text(yaml.safe_dump(BASE))
    j = tmp_path / "s.json"
    j.write_text(json.dumps(BASE))
    a, b = load_scenario(y), load_scenario(j)
    assert isinstance(a, Scenario)
    assert a.model_dump() == b.model_dump()
    assert a.region_ids == ["A", "B", "C"]
    assert a.regions[1].name == "Bee"
    assert a.source == str(y)


@pytest.mark.parametrize(
    ("path", "value", "field", "fragment"),  # the message shows the offending value (for blocs: the member)
    [
        ("supply.0.slope", -1, "supply[0].slope", "greater than or equal to 0"),
        ("supply.0.region", "Z", "supply[0].region", "unknown region"),
        ("demand.0.product", "gold", "demand[0].product", "unknown product"),
        ("demand.0.slope", 0, "demand[0].slope", "greater than 0"),
        ("policies.0.destination", "nowhere", "policies[0].destination", "unknown region or bloc"),
        ("policies.1.origin", "not pact", "policies[1].origin", "unknown region or bloc"),
        ("policies.0.specific", -2, "policies[0].specific", "greater than or equal to 0"),
        ("policies.5.mechanism", "subsidy", "policies[5].mechanism", "Input should be"),
        ("policies.6.product", "gold", "policies[6].product", "unknown product"),
        ("transport.0.cost", -3, "transport[0].cost", "greater than or equal to 0"),
        ("blocs.forge.1", "Q", "blocs.forge[1]", "unknown region"),
        ("processing.0.product", "ore", "processing[0].product", "no inputs"),
    ],
)
def test_bad_values_name_file_field_and_value(path, value, field, fragment):
    with pytest.raises(InputFileError) as err:
        load_scenario(with_(path, value))
    msg = str(err.value)
    assert msg.startswith("<dict>: field ")
    assert f"'{field}'" in msg
    assert repr(value) in msg
    assert fragment in msg
    assert "\n" not in msg


def test_unknown_key_is_rejected():
    data = with_("supply.0", {"region": "A", "product": "ore", "intercept": 9, "slop": 1})
    with pytest.raises(InputFileError, match=r"supply\[0\]\.(slope|slop)"):
        load_scenario(data)


def test_demand_needs_one_form():
    with pytest.raises(InputFileError, match="either intercept and slope"):
        load_scenario(with_("demand.0", {"region": "C", "product": "oxide", "intercept": 5, "slope": 1, "quantity": 3}))
    with pytest.raises(InputFileError, match="needs both intercept and slope"):
        load_scenario(with_("demand.0", {"region": "C", "product": "oxide", "intercept": 5}))


def test_stockpile_needs_exactly_one_of_release_purchase():
    with pytest.raises(InputFileError, match="exactly one of release or purchase"):
        load_scenario(with_("policies.6", {"kind": "stockpile", "region": "B", "product": "oxide"}))


def test_budget_only_for_purchase():
    with pytest.raises(InputFileError, match="budget applies only"):
        load_scenario(with_("policies.5.budget", 100))


def test_cyclic_inputs():
    data = with_("products", [{"id": "ore", "inputs": {"oxide": 1}}, {"id": "oxide", "inputs": {"ore": 1.25}}])
    with pytest.raises(InputFileError, match="cyclic product inputs"):
        load_scenario(data)


def test_duplicate_and_clashing_ids():
    with pytest.raises(InputFileError, match="duplicate id"):
        load_scenario(with_("regions", ["A", "B", "A"]))
    with pytest.raises(InputFileError, match="bloc id must differ"):
        load_scenario(with_("blocs", {"A": ["B"]}))


def test_file_errors(tmp_path):
    with pytest.raises(InputFileError, match="file not found"):
        load_scenario(tmp_path / "missing.yaml")
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: [unclosed\n")
    with pytest.raises(InputFileError, match="not valid YAML") as err:
        load_scenario(bad)
    assert str(bad) in str(err.value)
    lst = tmp_path / "list.yaml"
    lst.write_text("- 1\n- 2\n")
    with pytest.raises(InputFileError, match="must be a mapping"):
        load_scenario(lst)


def test_selectors():
    ids, blocs = ["A", "B", "C", "D"], {"forge": ["A", "B"], "south": ["D"]}
    assert resolve("*", ids, blocs).tolist() == [True] * 4
    assert resolve("C", ids, blocs).tolist() == [False, False, True, False]
    assert resolve("forge", ids, blocs).tolist() == [True, True, False, False]
    assert resolve("not forge", ids, blocs).tolist() == [False, False, True, True]
    assert resolve(["forge", "south"], ids, blocs).tolist() == [True, True, False, True]
    assert resolve(["not forge", "A"], ids, blocs).tolist() == [True, False, True, True]
    with pytest.raises(UnknownChoiceError):
        resolve("E", ids, blocs)
    assert resolve("not *", ids, blocs).dtype == np.bool_


def test_world_scenarios_are_pointed_to_the_composing_loader():
    """The market-level loader does not build worlds; critmin.load_scenario (critmin.compose) does."""
    with pytest.raises(InputFileError, match="critmin.load_scenario") as err:
        load_scenario({**BASE, "world": {"year": 2024}})
    assert "field 'world'" in str(err.value)


def test_missing_field_does_not_print_the_whole_document():
    data = {k: v for k, v in BASE.items() if k != "regions"}
    with pytest.raises(InputFileError) as err:
        load_scenario(data)
    assert str(err.value) == "<dict>: field 'regions': Field required"
