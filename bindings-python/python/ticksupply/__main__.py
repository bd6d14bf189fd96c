"""``python -m ticksupply``: the ``ticksupply`` command."""

from ticksupply._cli import main

if __name__ == "__main__":
    main()
