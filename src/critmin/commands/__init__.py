"""Command groups of the ``critmin`` CLI; each module adds its commands to :data:`app`."""

from __future__ import annotations

import importlib

import typer

app = typer.Typer(
    name="critmin",
    help="critmin: supply-chain atlas, market equilibrium and policy scenarios for a critical-minerals bloc.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

#: Modules under critmin.commands that register commands on ``app`` when imported.
COMMAND_MODULES: tuple[str, ...] = ("data", "atlas", "solve", "world", "run", "history", "simulate", "reserve", "ensemble")


def register_all() -> None:
    """Import every command module present (a module registers its commands at import)."""
    for name in COMMAND_MODULES:
        try:
            importlib.import_module(f"critmin.commands.{name}")
        except ModuleNotFoundError as err:
            if err.name != f"critmin.commands.{name}":
                raise
