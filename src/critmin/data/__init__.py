"""The embedded real-data dataset: tidy tables with provenance on every row.

``load(name)`` returns a table, ``table_names()`` lists them, ``data_version()`` identifies the
build. The contract (tables, columns, units, provenance) is docs/decisions/0001-embedded-dataset.md;
``critmin data build`` regenerates the files from the raw public sources.
"""

from __future__ import annotations

from critmin.data.store import data_version, load, table_names

__all__ = ["data_version", "load", "table_names"]
