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

from pymeasure.experiment import Metadata, Parameter, Procedure

from labspin import __version__
from labspin.configfiles import QuantityError, parse_quantity
from labspin.procedures.apparatus import Apparatus
from labspin.procedures.timing import stage_settling_seconds
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


#: the stage temperature of a run that leaves the chuck as it is
OFF = "off"
_OFF_WORDS = {"off", "none", "leave", "unset", ""}
#: run-header labels and units of a sample's calibration (labspin.samples.Calibration),
#: read back by labspin.analysis.calibration
CALIBRATION_HEADER = {"r_ahe": ("Calibration R_AHE", "ohm"),
                      "r_phe": ("Calibration R_PHE", "ohm"),
                      "m_eff": ("Calibration M_eff", "T"),
                      "m_s": ("Calibration M_s", "A/m"),
                      "dr_dt": ("Calibration dR/dT", "ohm/K"),
                      "threshold_temperature_coefficient": ("Calibration d ln I_c0/dT", "1/K")}
NOT_GIVEN = "not given"


def _stage_input(parameter: Parameter) -> Any:
    """The window's box for the stage temperature: text, "off" or "300 K"."""
    from pymeasure.display.inputs import StringInput

    class StageTemperatureInput(StringInput):
        def setValue(self, value: Any) -> None:
            super().setValue(stage_text(value))

    return StageTemperatureInput(parameter)


def stage_text(value: Any) -> str:
    """"off" or "300 K"."""
    if isinstance(value, str) or value is None:
        return OFF if value in (None, OFF) else str(value)
    return f"{value:g} K"


class StageTemperatureParameter(Parameter):
    """The chuck temperature to settle at before measuring (K), or "off": leave the stage
    as it is. The header says "300 K" or "off", never a temperature that was not set;
    "0 K" in files and queues of earlier versions (which meant "leave it") reads as off."""

    def __init__(self, name: str, minimum: float = 1.0, maximum: float = 1000.0,
                 **kwargs: Any) -> None:
        self.units = "K"
        self.minimum, self.maximum = minimum, maximum
        super().__init__(name, ui_class=_stage_input, **kwargs)

    def describe(self) -> str:
        """Unit and range, as ``labspin.settings`` puts them after a refusal."""
        return f"K, {self.minimum:g} K to {self.maximum:g} K, or off"

    def convert(self, value: Any) -> Any:
        if value is None or (isinstance(value, str) and value.strip().lower() in _OFF_WORDS):
            return OFF
        if isinstance(value, bool):
            raise ValueError(f"{value!r} is not a temperature: give one like '300 K', or off")
        try:
            number = parse_quantity(value, "K", "'300 K' or off", finite=False)
        except QuantityError as exc:
            raise ValueError(f"{str(value)[:40]!r} {exc.reason}: give a temperature like "
                             "'300 K', or off") from None
        if math.isnan(number) or number == 0:
            return OFF  # an earlier version's "0 K" (and a missing value) mean off
        if not math.isfinite(number):
            raise ValueError(f"{number} K is not a temperature: give one like '300 K', or off")
        if number < self.minimum:
            raise ValueError(f"{number:g} K is below its minimum {self.minimum:g} K (write "
                             "off to leave the stage as it is)")
        if number > self.maximum:
            raise ValueError(f"{number:g} K is above its maximum {self.maximum:g} K")
        return number

    convert_setting = convert  # labspin.settings converts through it

    def __str__(self) -> str:
        return stage_text(self._value) if self.is_set() else ""


def stage_setpoint(procedure: Any) -> float | None:
    """The stage temperature a procedure asks for (K), or None when it leaves the stage
    alone; tolerant of a value assigned as text or an old 0."""
    value = getattr(procedure, "stage_temperature", OFF)
    try:
        value = StageTemperatureParameter("Stage temperature").convert(value)
    except ValueError:
        return None
    return None if value == OFF else float(value)


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
    afmi_thickness = Metadata("AFMI thickness", default=NOT_GIVEN)  # "2e-09 m"
    # the sample's calibration (station file), so an offline fit needs no station file;
    # "<value> <unit>" or "not given", each with its standard uncertainty
    calibration_r_ahe = Metadata("Calibration R_AHE", default=NOT_GIVEN)
    calibration_r_ahe_stderr = Metadata("Calibration R_AHE stderr", default=NOT_GIVEN)
    calibration_r_phe = Metadata("Calibration R_PHE", default=NOT_GIVEN)
    calibration_r_phe_stderr = Metadata("Calibration R_PHE stderr", default=NOT_GIVEN)
    calibration_m_eff = Metadata("Calibration M_eff", default=NOT_GIVEN)
    calibration_m_eff_stderr = Metadata("Calibration M_eff stderr", default=NOT_GIVEN)
    calibration_m_s = Metadata("Calibration M_s", default=NOT_GIVEN)
    calibration_m_s_stderr = Metadata("Calibration M_s stderr", default=NOT_GIVEN)
    calibration_dr_dt = Metadata("Calibration dR/dT", default=NOT_GIVEN)
    calibration_dr_dt_stderr = Metadata("Calibration dR/dT stderr", default=NOT_GIVEN)
    calibration_threshold_temperature_coefficient = Metadata("Calibration d ln I_c0/dT",
                                                             default=NOT_GIVEN)
    calibration_threshold_temperature_coefficient_stderr = Metadata(
        "Calibration d ln I_c0/dT stderr", default=NOT_GIVEN)
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

    stage_temperature = StageTemperatureParameter("Stage temperature", default=OFF)
    """Chuck temperature to settle at before measuring (K), or off: leave it as it is."""

    station: Any = None  # set by the runner or window before startup
    #: the bar of the station's chip this run measures (None: the station's present one);
    #: a queue's ``sample:`` arrives through set_parameters
    sample: str | None = None

    def set_parameters(self, parameters: dict[str, Any], except_missing: bool = True) -> None:
        """pymeasure's, and ``sample`` (which bar; not a measurement parameter)."""
        parameters = dict(parameters)
        if "sample" in parameters:
            value = parameters.pop("sample")
            self.sample = None if value in (None, "") else str(value)
        super().set_parameters(parameters, except_missing)

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
    #: the stage setpoint (K) the run starts from, for its settling estimate: the queue
    #: planner sets the previous run's; None: room temperature
    stage_start: float | None = None

    def estimated_duration(self) -> float:
        """Seconds the run takes on hardware (overhead included): its points and, when it
        sets the stage temperature, the stage settling there from ``stage_start``."""
        return (10.0 + self.planned_points() * self.seconds_per_point()
                + stage_settling_seconds(stage_setpoint(self), self.stage_start))

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
        if self.sample is not None and hasattr(self.station, "use_sample"):
            self.station.use_sample(self.sample)  # the runner has done so already
        setpoint = stage_setpoint(self)
        if setpoint is not None:
            self.station.guard.check_temperature(setpoint)
        self.check_limits(self.station.guard)
        self.apparatus = Apparatus(self.station)
        if setpoint is not None:
            self.apparatus.set_temperature(setpoint)
        config = self.station.config
        self._record_sample(config.sample)
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

    def _record_sample(self, sample: Any) -> None:
        """The bar's id, geometry and calibration into the header, so that offline fits
        need no station file."""
        self.sample_id = sample.id
        self.sample_stack = sample.stack
        self.bar_width, self.bar_length = sample.width, sample.length
        self.fm_thickness = sample.fm_thickness
        self.conducting_thickness = sample.conducting_thickness or sample.fm_thickness
        afmi = getattr(sample, "afmi_thickness", None)
        self.afmi_thickness = NOT_GIVEN if afmi is None else f"{afmi:.10g} m"
        calibration = getattr(sample, "calibration", None)
        for key, (_, unit) in CALIBRATION_HEADER.items():
            measured = getattr(calibration, key, None)
            value = stderr = NOT_GIVEN
            if measured is not None:
                value = f"{measured.value:.10g} {unit}"
                if measured.stderr > 0:
                    stderr = f"{measured.stderr:.10g} {unit}"
            setattr(self, f"calibration_{key}", value)
            setattr(self, f"calibration_{key}_stderr", stderr)

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
