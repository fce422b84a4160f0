"""Human-readable output: the self-contained HTML report (``render``) and the progress display (``steps``)."""

from __future__ import annotations

from critmin.reports.html import SECTIONS, render
from critmin.reports.progress import steps

__all__ = ["SECTIONS", "render", "steps"]
