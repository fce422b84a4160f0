"""Excel output (optional extra ``critmin[excel]``): one sheet per table, reproducible bytes.

openpyxl stamps the save time into ``docProps/core.xml`` and into every zip entry; both are
reset to a fixed date so that the same tables give the same file.
"""

from __future__ import annotations

import re
import zipfile
from pathlib import Path

import pandas as pd

from critmin.errors import CritminError

FIXED_ZIP_TIME = (1980, 1, 1, 0, 0, 0)
FIXED_W3CDTF = "1980-01-01T00:00:00Z"


def write_excel(tables: dict[str, pd.DataFrame], path: Path) -> None:
    """Write ``tables`` to ``path`` (one sheet each, named like the table), then normalise timestamps."""
    try:
        import openpyxl  # noqa: F401
    except ModuleNotFoundError:
        raise CritminError("Excel output needs openpyxl: pip install 'critmin[excel]'") from None
    with pd.ExcelWriter(path, engine="openpyxl") as writer:
        for name, frame in tables.items():
            frame.to_excel(writer, sheet_name=name[:31], index=False)
    _normalise(path)


def _normalise(path: Path) -> None:
    with zipfile.ZipFile(path) as src:
        entries = [(info, src.read(info.filename)) for info in src.infolist()]
    with zipfile.ZipFile(path, "w") as dst:
        for info, data in entries:
            if info.filename == "docProps/core.xml":
                text = re.sub(r"(<dcterms:(created|modified)[^>]*>)[^<]*(<)", rf"\g<1>{FIXED_W3CDTF}\g<3>",
                              data.decode("utf-8"))
                data = text.encode("utf-8")
            fixed = zipfile.ZipInfo(info.filename, date_time=FIXED_ZIP_TIME)
            fixed.compress_type = zipfile.ZIP_DEFLATED
            fixed.external_attr = 0o644 << 16
            dst.writestr(fixed, data)
