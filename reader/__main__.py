"""Run reader with `python -m reader`."""

from reader.cli import main

main()
