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
    """Entry point of the ``critmin`` script."""
    try:
        app(args=argv, standalone_mode=False)
    except CritminError as err:
        typer.echo(f"error: {err}", err=True)
        sys.exit(err.exit_code)
    except typer.Abort:
        typer.echo("aborted", err=True)
        sys.exit(130)
    except SystemExit:
        raise
    except Exception as err:  # click usage errors arrive here in non-standalone mode
        from click.exceptions import ClickException

        if isinstance(err, ClickException):
            err.show()
            sys.exit(err.exit_code)
        raise


if __name__ == "__main__":  # pragma: no cover
    main()
