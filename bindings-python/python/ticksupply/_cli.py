"""The ``ticksupply`` command (the wheel's console script and ``python -m ticksupply``).

It is the Rust program of the ``ticksupply-cli`` crate, run in this process: ``main`` hands the
arguments to ``_native.cli_main`` and exits with the code it returns. See ``ticksupply --help``.
"""

from __future__ import annotations

import signal
import sys
from collections.abc import Sequence

from ticksupply._native import cli_main

PROG = "ticksupply"


def run(args: Sequence[str]) -> int:
    """Runs ``ticksupply ARGS...`` and returns its exit code (0 success, 1 an API, export or I/O
    error, 2 a usage or configuration error, 130 a sync stopped by Ctrl-C)."""
    return cli_main([PROG, *args])


def main() -> None:
    """Entry point: the command line's arguments, then ``sys.exit`` with the command's code."""
    # Ctrl-C does what it does to the native binary: `sync` stops cleanly (exit 130), other
    # commands end at once. Python's own handler would only raise after the command returned.
    try:
        signal.signal(signal.SIGINT, signal.SIG_DFL)
    except (ValueError, OSError):  # not the main thread, or no such signal here
        pass
    sys.exit(run(sys.argv[1:]))
