"""Country blocs: the embedded groupings plus the user's own, and a selector resolver.

A user file (YAML) adds blocs::

    blocs:
      my_bloc: [JPN, KOR]
      other: [forge, "not CHN"]

Members are ISO3 codes, names of other blocs (embedded or from the same file), or ``"not X"``
(X a code or a bloc), read left to right by the rule of :mod:`critmin.selectors` (the same
rule as scenario selectors). So ``[forge, "not CHN"]`` is FORGE without China, and
``["not CHN"]`` is every country but China.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path

import pandas as pd
import yaml

from critmin.errors import DataError, InputFileError, UnknownChoiceError
from critmin.selectors import select

ALL = "*"


def _embedded(name: str) -> pd.DataFrame:
    from critmin import data  # late import: the loader lives in the package root

    load = getattr(data, "load", None)
    if load is None:
        raise DataError("critmin.data.load is not available: the embedded dataset is not installed")
    return load(name)


def country_codes(regions: pd.DataFrame | None = None) -> list[str]:
    """Sorted ISO3 codes of all countries (``kind == 'country'`` when regions give kinds)."""
    regions = _embedded("regions") if regions is None else regions
    if "kind" in regions.columns:
        regions = regions[regions["kind"] == "country"]
    return sorted(regions["iso3"].astype(str))


def _read_user_file(path: Path) -> dict[str, list[str]]:
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as err:
        raise InputFileError(path, f"cannot read the bloc file ({err.strerror or err})") from None
    try:
        doc = yaml.safe_load(text)
    except yaml.YAMLError as err:
        raise InputFileError(path, f"not valid YAML ({str(err).splitlines()[0]})") from None
    if not isinstance(doc, Mapping) or not isinstance(doc.get("blocs"), Mapping):
        raise InputFileError(path, "expected a mapping with a 'blocs' key: {blocs: {my_bloc: [JPN, KOR]}}", field="blocs")
    out: dict[str, list[str]] = {}
    for name, members in doc["blocs"].items():
        field = f"blocs.{name}"
        if not isinstance(name, str) or not name.strip():
            raise InputFileError(path, "a bloc name must be a non-empty string", field="blocs", value=name)
        if isinstance(members, str):
            members = [members]
        if not isinstance(members, list) or not members:
            raise InputFileError(path, "members must be a non-empty list of ISO3 codes or bloc names", field=field, value=members)
        for member in members:
            if not isinstance(member, str) or not member.strip():
                raise InputFileError(path, "each member must be an ISO3 code, a bloc name or 'not <code or bloc>'", field=field, value=member)
        out[name] = [m.strip() for m in members]
    return out


class BlocSet:
    """Blocs (embedded and user-defined) over a universe of country codes."""

    def __init__(self, definitions: Mapping[str, list[str]], countries: Iterable[str], origin: Mapping[str, str] | None = None):
        self.definitions = dict(definitions)
        self.countries = sorted(set(countries))
        self.origin = dict(origin or {})  # bloc -> file it came from (user blocs)
        self._cache: dict[str, list[str]] = {}

    def _unknown(self, value: object, bloc: str | None) -> Exception:
        choices = [*sorted(self.definitions), *self.countries]
        if bloc is not None and bloc in self.origin:
            return InputFileError(self.origin[bloc], "unknown country code or bloc", field=f"blocs.{bloc}", value=value)
        if bloc is not None:
            return DataError(f"embedded bloc {bloc!r}: member {value!r} is not a known country")
        return UnknownChoiceError("country or bloc", value, choices)

    def _item(self, item: str, bloc: str | None, stack: tuple[str, ...]) -> set[str]:
        if item == ALL:
            return set(self.countries)
        if item in self.definitions:
            return set(self._bloc(item, stack))
        code = item.upper()
        if code in self.countries or code == "EUU":
            return {code}
        raise self._unknown(item, bloc)

    def _list(self, items: Iterable[str], bloc: str | None, stack: tuple[str, ...]) -> set[str]:
        return select(list(items), self.countries, lambda item: self._item(item, bloc, stack))

    def _bloc(self, name: str, stack: tuple[str, ...]) -> list[str]:
        if name in self._cache:
            return self._cache[name]
        if name in stack:
            cycle = " -> ".join((*stack[stack.index(name):], name))
            where = self.origin.get(name)
            if where:
                raise InputFileError(where, f"blocs refer to each other in a cycle ({cycle})", field=f"blocs.{name}")
            raise DataError(f"bloc definitions form a cycle: {cycle}")
        members = sorted(self._list(self.definitions[name], name, (*stack, name)))
        self._cache[name] = members
        return members

    def resolve(self, selector: str | Iterable[str]) -> list[str]:
        """Region id, bloc id, ``"*"``, ``"not <bloc or code>"`` or a list of these -> sorted ISO3 list."""
        items = [selector] if isinstance(selector, str) else list(selector)
        if not items:
            raise UnknownChoiceError("country or bloc", "", [*sorted(self.definitions), *self.countries])
        return sorted(self._list([str(i).strip() for i in items], None, ()))

    def as_dict(self) -> dict[str, list[str]]:
        return {name: self._bloc(name, ()) for name in sorted(self.definitions)}


def bloc_set(extra: Path | None = None, *, members: pd.DataFrame | None = None, regions: pd.DataFrame | None = None) -> BlocSet:
    """The embedded blocs (``bloc_members``) plus those of ``extra``; tables may be passed in."""
    members = _embedded("bloc_members") if members is None else members
    countries = country_codes(regions)
    definitions = {b: sorted(g["iso3"].astype(str)) for b, g in members.groupby("bloc")}
    origin: dict[str, str] = {}
    if extra is not None:
        for name, items in _read_user_file(Path(extra)).items():
            if name in definitions:
                raise InputFileError(extra, "a bloc with this name is already defined (choose another name)", field=f"blocs.{name}", value=name)
            if name.upper() in countries:
                raise InputFileError(extra, "a bloc name must not be a country code", field=f"blocs.{name}", value=name)
            definitions[name] = items
            origin[name] = str(extra)
    blocs = BlocSet(definitions, countries, origin)
    blocs.as_dict()  # validate every bloc now, so a bad file fails at load time
    return blocs


def load_blocs(extra: Path | None = None, *, members: pd.DataFrame | None = None, regions: pd.DataFrame | None = None) -> dict[str, list[str]]:
    """Every bloc id -> sorted ISO3 members (embedded blocs plus those of the YAML file ``extra``)."""
    return bloc_set(extra, members=members, regions=regions).as_dict()


def resolve(selector: str | Iterable[str], extra: Path | None = None, *, members: pd.DataFrame | None = None,
            regions: pd.DataFrame | None = None) -> list[str]:
    """Resolve a region id, bloc id, ``"*"``, ``"not <bloc>"`` or a list of these to sorted ISO3 codes."""
    return bloc_set(extra, members=members, regions=regions).resolve(selector)
