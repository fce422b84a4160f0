"""Run the ``critmin`` command in-process and capture what a user would see."""

from __future__ import annotations

from critmin.cli import main


def run_cli(capsys, *args: str) -> tuple[int, str, str]:
    """``(exit code, stdout, stderr)`` of ``critmin ARGS``; success exits 0 via SystemExit in click's standalone mode."""
    code = 0
    try:
        main(list(args))
    except SystemExit as exit_:
        code = int(exit_.code or 0)
    out = capsys.readouterr()
    return code, out.out, out.err
