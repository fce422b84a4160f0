"""The world model tested against history (issue 4, section 4).

Small markets calibrated to the year before a Chinese export control, the control applied with
the engine, and the model's price and trade changes set against src/critmin/history/observed.csv:
:func:`build` returns everything, :func:`critmin.history.render.markdown` writes
docs/history/comparison.md.
"""

from critmin.history.compare import History, build

__all__ = ["History", "build"]
