"""User-facing errors.

Every mistake a user can make (a bad file, an unknown mineral, an impossible scenario)
raises a subclass of :class:`CritminError`. The CLI prints its message on one line and
exits with its ``exit_code``; it never shows a traceback for these. Internal bugs are
*not* CritminErrors and do show a traceback.
"""

from __future__ import annotations

from collections.abc import Iterable


class CritminError(Exception):
    """Base class: a problem the user can fix. ``str(err)`` is the whole message."""

    exit_code = 2

    def __reduce__(self):
        """Pickle as message plus attributes, so an error raised in a worker process (process pool,
        Dask) arrives intact; the default would call ``cls(*args)``, which fails for subclasses
        whose constructors take other arguments than the message."""
        return _rebuild, (type(self), self.args, dict(self.__dict__))


def _rebuild(cls: type[CritminError], args: tuple, state: dict) -> CritminError:
    """Recreate a pickled :class:`CritminError` without calling its constructor."""
    err = cls.__new__(cls)
    Exception.__init__(err, *args)
    err.__dict__.update(state)
    return err


class UnknownChoiceError(CritminError, ValueError):
    """A name (mineral, stage, year, country, bloc, product...) that is not among the valid ones."""

    def __init__(self, field: str, value: object, choices: Iterable[object]):
        self.field, self.value = field, value
        self.choices = [str(c) for c in choices]
        shown = ", ".join(self.choices[:60]) + (", ..." if len(self.choices) > 60 else "")
        super().__init__(f"unknown {field} {value!r}; valid choices: {shown}")


class InputFileError(CritminError):
    """A file that cannot be read or does not validate; names the file, field path and value."""

    def __init__(self, path: object, message: str, field: str | None = None, value: object = None):
        self.path, self.field, self.value = str(path), field, value
        where = f"{self.path}"
        if field is not None:
            where += f": field '{field}'"
            if value is not None:
                where += f" (value {value!r})"
        super().__init__(f"{where}: {message}")


class DataError(CritminError):
    """The embedded or raw dataset is missing, malformed or fails validation."""

    exit_code = 3


class ScenarioError(CritminError):
    """A scenario that is valid as a file but impossible as a market (e.g. unmet fixed demand)."""

    exit_code = 4


class SolverError(CritminError):
    """The solver did not reach an equilibrium whose certificate passes the tolerance."""

    exit_code = 5
