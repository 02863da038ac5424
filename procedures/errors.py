"""What the apparatus raises when the station cannot do what a procedure asks."""

from __future__ import annotations


class ApparatusError(RuntimeError):
    """The station cannot do what the procedure asks (missing instrument, wiring)."""


class SourceCompliance(ApparatusError):
    """The 6221 cannot drive the requested current through the bar."""


class LockinOverload(ApparatusError):
    """A lock-in output is at full scale: the reading would be clipped."""
