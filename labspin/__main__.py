"""``python -m labspin`` is the ``labspin`` command."""

from labspin.cli import main

main()
