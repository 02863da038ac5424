"""pymeasure ``Procedure`` classes, one per measurement, and their registry.

``PROCEDURES`` maps the names used on the command line and in queue files to the
classes; they are imported when first used.
"""

from __future__ import annotations

import importlib

PROCEDURES: dict[str, str] = {
    "HallLoop": "labspin.procedures.loops:HallLoop",
    "USMRLoop": "labspin.procedures.loops:USMRLoop",
    "SwitchingLoop": "labspin.procedures.switching:SwitchingLoop",
    "PulseSequence": "labspin.procedures.switching:PulseSequence",
    "SwitchingProbability": "labspin.procedures.switching:SwitchingProbability",
    "HarmonicHall": "labspin.procedures.harmonic:HarmonicHall",
    "STFMR": "labspin.procedures.stfmr:STFMR",
}


class UnknownProcedureError(KeyError):
    def __str__(self) -> str:
        return str(self.args[0])


def procedure_class(name: str) -> type:
    """The procedure class registered under ``name``."""
    try:
        module_name, class_name = PROCEDURES[name].split(":")
    except KeyError:
        raise UnknownProcedureError(
            f"unknown procedure {name!r}; choose one of {', '.join(PROCEDURES)}") from None
    return getattr(importlib.import_module(module_name), class_name)
