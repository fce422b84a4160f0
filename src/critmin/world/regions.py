"""Which countries the world model keeps as regions, and how it groups the rest.

``regions: auto`` keeps every country with at least :data:`THRESHOLD` of world production or
consumption of any modelled product, plus :data:`ALWAYS` (the FORGE convenor and the dominant
supplier). The rest are grouped by bloc membership, first match wins: EU member states into
``REST_EU27`` (the EU is one trade-policy actor), other ``forge`` members into ``REST_FORGE``,
everyone else into ``REST_WORLD``, so a policy on either bloc still reaches the grouped members.
``ROW`` rows of the dataset (countries the source does not itemise) go to ``REST_WORLD``: their
membership is unknown.
See docs/decisions/0024-world-regions.md.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import pandas as pd

from critmin.errors import UnknownChoiceError

THRESHOLD = 0.02
ALWAYS: tuple[str, ...] = ("USA", "CHN")
#: (bloc, group region) in order of precedence; countries in none go to REST_OUT.
GROUPS: tuple[tuple[str, str], ...] = (("eu27", "REST_EU27"), ("forge", "REST_FORGE"))
REST_OUT = "REST_WORLD"
GROUP_NAMES = {"REST_EU27": "Rest of the EU-27 (grouped)", "REST_FORGE": "Rest of FORGE (grouped)",
               REST_OUT: "Rest of world (grouped)"}


def significant(shares: pd.DataFrame, threshold: float = THRESHOLD) -> list[str]:
    """Countries whose share (columns ``iso3``, ``share``) reaches ``threshold`` anywhere."""
    hit = shares.loc[(shares["share"] >= threshold) & (shares["iso3"] != "ROW"), "iso3"]
    return sorted(set(hit))


def assign(countries: Iterable[str], kept: Iterable[str], members: Mapping[str, set[str]]) -> dict[str, str]:
    """Map every country code to its model region: itself if kept, else a rest group."""
    keep = set(kept)
    out = {}
    for iso3 in sorted(set(countries)):
        if iso3 in keep:
            out[iso3] = iso3
            continue
        out[iso3] = next((group for bloc, group in GROUPS if iso3 != "ROW" and iso3 in members.get(bloc, set())), REST_OUT)
    return out


def choose(spec_regions: str | list[str], shares: pd.DataFrame, known: Iterable[str]) -> list[str]:
    """The kept countries: automatic selection, or the user's list checked against ``known``."""
    if spec_regions == "auto":
        return sorted(set(significant(shares)) | set(ALWAYS))
    valid = set(known)
    for code in spec_regions:
        if code not in valid or code == "ROW":
            raise UnknownChoiceError("world.regions entry", code, sorted(valid - {"ROW"}))
    return sorted(set(spec_regions))


def region_blocs(mapping: Mapping[str, str], members: Mapping[str, set[str]]) -> dict[str, list[str]]:
    """Blocs over model regions: a kept country by its own membership, a group only when every
    country in it is a member (so ``REST_EU27`` belongs to ``eu27`` and ``forge``)."""
    groups: dict[str, set[str]] = {}
    for iso3, region in mapping.items():
        groups.setdefault(region, set()).add(iso3)
    out = {}
    for bloc, codes in sorted(members.items()):
        regions = sorted(r for r, cs in groups.items() if cs and cs <= codes)
        if regions:
            out[bloc] = regions
    return out
