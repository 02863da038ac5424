"""Where a station's instruments are in its file, and which of their ``options`` is at
fault when opening one fails: the message points at the key to correct
(``magnets.x.supply.options``), not at the cable of an instrument that is fine."""

from __future__ import annotations

import re
from typing import Any


def file_key(role: str) -> str:
    """Where an instrument is in the station file: ``instruments.source``, or for a
    magnet's supply and gaussmeter ``magnets.x.supply`` and ``magnets.x.gaussmeter``."""
    for prefix, part in (("magnet_", "supply"), ("gaussmeter_", "gaussmeter")):
        if role.startswith(prefix):
            return f"magnets.{role.removeprefix(prefix)}.{part}"
    return f"instruments.{role}"


def option_at_fault(exc: BaseException, driver: str, options: dict[str, Any]) -> str | None:
    """What is wrong with one of a station entry's driver ``options`` when opening the
    instrument failed because of it (the driver already sets it, or neither the driver
    nor pyvisa knows it); None when the failure names no option."""
    text = str(exc)
    for name in options:
        if not re.search(rf"""['"]{re.escape(str(name))}['"]""", text):
            continue
        if "multiple values" in text:
            return (f"{name!r} is set by the {driver} driver itself and cannot be given "
                    "again; remove it from the options")
        return (f"{name!r} is not an option of the {driver} driver or of its VISA "
                f"connection ({text.strip()[:160]}); correct or remove it")
    return None
