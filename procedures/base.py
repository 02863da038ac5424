"""The base of every labspin procedure: station access, limits first, safe shutdown.

A procedure is a pymeasure ``Procedure`` so that the GUI, the queue and the console run
the same class. The runner (``labspin.runs``) or the window hands it a station in the
``station`` attribute before ``startup``. ``startup`` checks every requested current,
pulse, field and temperature against the station limits *before* the first command
reaches an instrument; ``execute`` emits one row per measured point and honours
``should_stop``; ``shutdown`` always leaves the bench safe.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable
from typing import Any, ClassVar

from pymeasure.experiment import FloatParameter, Metadata, Procedure

from labspin import __version__
from labspin.procedures.apparatus import Apparatus
from labspin.provenance import provenance
from labspin.safety import SafetyGuard
from labspin.shutdown import UnsafeShutdown

log = logging.getLogger(__name__)


def cleanup_quietly(action: Callable[[], Any]) -> None:
    """Run a clean-up step while an exception is already on its way out: a failure of the
    clean-up is logged, never raised over the error that ended the run (which names the
    instrument that failed first)."""
    try:
        action()
    except Exception as exc:
        log.error("clean-up after a failure also failed: %s", exc)


class ProcedureError(RuntimeError):
    """A procedure cannot run as configured."""


def format_duration(seconds: float) -> str:
    if not math.isfinite(seconds):
        return "unknown"
    seconds = round(seconds)
    h, rest = divmod(seconds, 3600)
    m, s = divmod(rest, 60)
    return f"{h}:{m:02d}:{s:02d}"


class SpintronicsProcedure(Procedure):
    """Base class; subclasses set ``DATA_COLUMNS`` and implement ``check_limits``,
    ``planned_points``, ``seconds_per_point`` and ``execute``."""

    #: one-line description shown by ``labspin procedures`` and the GUI
    DESCRIPTION: ClassVar[str] = ""

    sample_id = Metadata("Sample", default="")
    sample_stack = Metadata("Sample stack", default="")
    bar_width = Metadata("Bar width", units="m", default=0.0)
    bar_length = Metadata("Bar length", units="m", default=0.0)
    fm_thickness = Metadata("FM thickness", units="m", default=0.0)
    conducting_thickness = Metadata("Conducting thickness", units="m", default=0.0)
    station_name = Metadata("Station", default="")
    bench_description = Metadata("Bench", default="")
    labspin_version = Metadata("labspin version", default=__version__)
    labspin_commit = Metadata("labspin commit", default="")  # provenance, set in startup
    dependencies = Metadata("Dependencies", default="")
    host = Metadata("Host", default="")
    station_file_hash = Metadata("Station file sha256", default="")
    coil_constants = Metadata("Coil constants", default="")  # calibration, per magnet axis
    started_at = Metadata("Started", default="")
    #: rows the run will write, so an analysis can tell a file cut short
    planned_rows = Metadata("Planned points", default=0)

    stage_temperature = FloatParameter(
        "Stage temperature", units="K", default=0.0, minimum=0.0, maximum=1000.0,
        group_by=None)
    """Chuck temperature to settle at before measuring; 0 leaves it as it is."""

    station: Any = None  # set by the runner or window before startup

    # -- to implement ------------------------------------------------------------------
    def check_limits(self, guard: SafetyGuard) -> None:
        """Raise LimitError for anything this run would apply beyond the limits."""
        raise NotImplementedError

    def planned_points(self) -> int:
        """How many rows the run will emit."""
        raise NotImplementedError

    def seconds_per_point(self) -> float:
        """Typical instrument time per row on hardware, s."""
        raise NotImplementedError

    # -- estimates -----------------------------------------------------------------------
    def estimated_duration(self) -> float:
        """Seconds the run takes on hardware (overhead included)."""
        return 10.0 + self.planned_points() * self.seconds_per_point()

    def get_estimates(self) -> list[tuple[str, str]]:
        """For pymeasure's estimator widget in the GUI."""
        try:
            return [("Points", str(self.planned_points())),
                    ("Duration", format_duration(self.estimated_duration()))]
        except Exception as exc:  # bad parameters while the user is still typing
            return [("Duration", f"? ({exc})")]

    # -- lifecycle ---------------------------------------------------------------------
    def startup(self) -> None:
        if self.station is None:
            raise ProcedureError(f"{type(self).__name__} needs a station: run it with "
                                 "'labspin run', a queue or the GUI")
        if self.stage_temperature > 0:
            self.station.guard.check_temperature(self.stage_temperature)
        self.check_limits(self.station.guard)
        self.apparatus = Apparatus(self.station)
        if self.stage_temperature > 0:
            self.apparatus.set_temperature(self.stage_temperature)
        config = self.station.config
        sample = config.sample
        self.sample_id = sample.id
        # the geometry goes into every file, so offline fits need no station file
        self.sample_stack = sample.stack
        self.bar_width, self.bar_length = sample.width, sample.length
        self.fm_thickness = sample.fm_thickness
        self.conducting_thickness = sample.conducting_thickness or sample.fm_thickness
        self.station_name = config.name
        self.bench_description = self.station.description
        self.started_at = time.strftime("%Y-%m-%d %H:%M:%S")
        self.planned_rows = self.planned_points()
        trace = provenance(config)
        self.labspin_commit = trace["labspin commit"] or "not a checkout"
        self.dependencies, self.host = trace["Dependencies"], trace["Host"]
        self.station_file_hash = trace["Station file sha256"]
        self.coil_constants = ", ".join(f"{axis} {magnet.coil_constant:g} T/A"
                                        for axis, magnet in config.magnets.items())
        self._t0 = self.station.now()

    def shutdown(self) -> None:
        """Make the bench safe; raise :class:`UnsafeShutdown` saying what may still be on
        where that could not be confirmed (the run then cannot count as finished)."""
        if self.station is not None:
            warnings = self.station.make_safe()
            if warnings:
                raise UnsafeShutdown("; ".join(warnings))

    # -- helpers for execute -------------------------------------------------------------
    def elapsed(self) -> float:
        """Seconds since startup on the station's clock (virtual on the bench)."""
        return self.station.now() - self._t0

    def emit_row(self, row: dict[str, Any]) -> None:
        """Emit one measured point; columns not given are NaN, time is added."""
        unknown = set(row) - set(self.DATA_COLUMNS)
        if unknown:
            raise ProcedureError(f"{type(self).__name__} emitted unknown columns "
                                 f"{sorted(unknown)}")
        full = {column: row.get(column, math.nan) for column in self.DATA_COLUMNS}
        if "Time (s)" in full and "Time (s)" not in row:
            full["Time (s)"] = self.elapsed()
        self.emit("results", full)

    def report_progress(self, done: int, total: int) -> None:
        self.emit("progress", 100.0 * done / max(total, 1))
