"""The ``critmin`` command line.

Each command group lives in its own module under :mod:`critmin.commands` and registers
itself on :data:`app`. :func:`main` turns every :class:`~critmin.errors.CritminError` into a
one-line message on stderr and its exit code: a user mistake never shows a traceback.
"""

from __future__ import annotations

import sys

import typer

from critmin.commands import app, register_all
from critmin.errors import CritminError

register_all()


def main(argv: list[str] | None = None) -> None:
    """Entry point of the ``critmin`` script.

    Typer/click handle usage errors themselves (standalone mode: message and exit code 2);
    our own user errors propagate out of the command and are reported here on one line.
    """
    try:
        app(args=argv, standalone_mode=True)
    except CritminError as err:
        typer.echo(f"error: {err}", err=True)
        sys.exit(err.exit_code)


if __name__ == "__main__":  # pragma: no cover
    main()
