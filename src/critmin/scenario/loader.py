"""Read a scenario from YAML/JSON (or a dict) and validate it, with errors naming file, field, value."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from critmin.errors import InputFileError
from critmin.scenario.checks import check
from critmin.scenario.schema import Scenario

_KINDS = {"tariff", "export_tax", "export_ban", "export_quota", "price_floor", "stockpile"}


def _field_path(loc: tuple[Any, ...]) -> str:
    """``('policies', 0, 'tariff', 'specific')`` -> ``policies[0].specific`` (drops union tags)."""
    out = ""
    for i, part in enumerate(loc):
        if isinstance(part, int):
            out += f"[{part}]"
        elif i >= 2 and isinstance(loc[i - 1], int) and loc[0] == "policies" and part in _KINDS:
            continue
        elif isinstance(part, str) and part.startswith(("function-", "union")):
            continue
        else:
            out += ("." if out else "") + str(part)
    return out or "(top level)"


def read_scenario_file(path: Path) -> Any:
    """The parsed YAML/JSON of a scenario file; a missing or malformed file is an InputFileError."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InputFileError(path, "file not found") from None
    except (OSError, UnicodeDecodeError) as err:
        raise InputFileError(path, f"cannot read file ({err})") from None
    try:
        if path.suffix.lower() == ".json":
            return json.loads(text)
        return yaml.safe_load(text)
    except (yaml.YAMLError, json.JSONDecodeError) as err:
        first = " ".join(str(err).split())
        raise InputFileError(path, f"not valid {'JSON' if path.suffix.lower() == '.json' else 'YAML'}: {first}") from None


def load_scenario(source: str | Path | dict[str, Any] | Scenario, *, where: str | None = None) -> Scenario:
    """Read and validate a self-contained market: a scenario file (YAML or JSON), a dict with the same
    keys, or a Scenario. ``where`` names a dict's origin in errors (e.g. the file it was built from).
    Files with a ``world:`` section go through :func:`critmin.load_scenario` (critmin.compose)."""
    if isinstance(source, Scenario):
        return source
    if isinstance(source, dict):
        data, where = source, where or "<dict>"
    else:
        path = Path(source)
        data, where = read_scenario_file(path), str(path)
    if not isinstance(data, dict):
        raise InputFileError(where, f"a scenario must be a mapping of fields, got {type(data).__name__}")
    if "world" in data:
        raise InputFileError(where, "a world scenario (built from the embedded dataset) is loaded with "
                                    "critmin.load_scenario, which builds the world first", "world")
    try:
        scenario = Scenario.model_validate(data)
    except ValidationError as err:
        first = err.errors()[0]
        more = f" (and {err.error_count() - 1} more problems)" if err.error_count() > 1 else ""
        value = None if first["type"] == "missing" else first.get("input")  # a missing field's input is its parent
        shown = value if isinstance(value, (str, int, float, bool)) or value is None else str(value)[:80]
        msg = first["msg"].removeprefix("Value error, ")
        raise InputFileError(where, msg + more, _field_path(first["loc"]), shown) from None
    scenario._source = where
    check(scenario)
    return scenario
