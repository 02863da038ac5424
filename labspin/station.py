"""Opening a probe station, real or simulated, from one station file; closing it safely.

``Station.open("station.yaml")`` validates the file before any instrument is touched,
opens every instrument by role with its driver, and checks that each answers. With
``sim=True`` (or ``backend: sim``) the same file runs on the simulated bench, reached
through pyvisa's ``@labspin`` backend so that drivers cannot tell the difference.

Closing always leaves the hardware safe, also after an exception, Ctrl+C or SIGTERM:
current outputs off, pulse generator off, magnets ramped to zero at the allowed rate.
"""

from __future__ import annotations

import contextlib
import itertools
import logging
import signal
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from labspin.drivers import driver_class
from labspin.instrument_io import (  # noqa: F401  (re-exported: the station's errors)
    ExchangeLog,
    InstrumentDisconnected,
    InstrumentFault,
    InstrumentReplyError,
    InstrumentReportedError,
    InstrumentTimeout,
    StationError,
    guard,
)
from labspin.station_guard import StationGuard, station_guard  # noqa: F401 (re-exported)
from labspin.station_keys import file_key, option_at_fault
from labspin.station_options import construct_driver, driver_option_problems, option_refusal
from labspin.station_sim import EXAMPLES, default_sim_config  # noqa: F401 (re-exported)
from labspin.stationfile import StationFile, StationFileError, load_station_file

log = logging.getLogger(__name__)

_bench_ids = itertools.count(1)


class Terminated(KeyboardInterrupt):
    """SIGTERM arrived: stop like Ctrl+C, making the bench safe on the way out."""


class _Talking:
    """The context manager of :meth:`Station.talking_to` (a class: it is entered a dozen
    times a point, and a generator-based one costs several times more)."""

    __slots__ = ("doing", "role", "station")

    def __init__(self, station: Station, role: str, doing: str) -> None:
        self.station, self.role, self.doing = station, role, doing

    def __enter__(self) -> Any:
        return self.station[self.role]

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None,
                 traceback: Any) -> bool:
        if exc is None:
            return False
        station = self.station
        station.io.invalidate()  # what a run remembers of the instruments is void now
        attributed = station._attributed(exc, self.role, self.doing)
        if attributed is exc:
            return False
        raise attributed from None


class Station:
    """An open station: instruments by role, magnets by axis, limits, clock."""

    def __init__(self, config: StationFile, *, sim: bool | None = None,
                 seed: int | None = None, preset: Any = None) -> None:
        self.config = config
        self.sim = config.backend == "sim" if sim is None else sim
        self.guard = station_guard(config)
        #: the bar a run without a sample of its own measures (``use_sample(None)``)
        self.default_sample = config.sample.id
        self._preset = preset
        #: the simulated device of each bar the probes have been on, by sample id
        self._devices: dict[str, Any] = {}
        self.instruments: dict[str, Any] = {}
        self.magnets: dict[str, Any] = {}
        self.bench = None
        self.bench_name: str | None = None
        self.closed = False
        #: every warning any make_safe gave (what may still be on), oldest first
        self.safety_failures: list[str] = []
        #: what may still be on after the latest make_safe, by role: empty when safe
        self.hazards: dict[str, str] = {}
        #: every exchange with the instruments, attributed (labspin.instrument_io)
        self.io = ExchangeLog(self._describe)
        #: the *IDN? reply of each instrument when it was opened, by role
        self.identities: dict[str, str] = {}
        #: the instrument locks this process holds (hardware only)
        self._locks: list[Any] = []
        if self.sim:
            from labspin.simulated_instruments.visa import register_bench

            self.bench = config.build_bench(seed=seed, preset=preset)
            self.bench_name = f"labspin-station-{next(_bench_ids)}"
            register_bench(self.bench_name, self.bench)
            self._devices[config.sample.id] = self.bench.device

    # -- opening ------------------------------------------------------------------------
    @classmethod
    def open(cls, path: str | Path | None = None, *, sim: bool = False, preset: Any = None,
             seed: int | None = None, realtime: bool | None = None,
             device: Any = None, sample: str | None = None) -> Station:
        """Validate the station file (or take the built-in simulated station when no file
        is given), then open and check every instrument. ``realtime`` overrides the
        simulated bench's clock (real waits for GUI demos, virtual time otherwise).
        ``device`` (a device file, its keys, or a DeviceParameters; ``preset`` a preset
        name or a device file) replaces the file's simulated device; ``sample`` names
        the bar of the chip to start on (default: the file's)."""
        if device is not None and preset is not None:
            raise StationFileError("give a preset or a device, not both: a device file "
                                   "starts from a preset with `base: PRESET`")
        chosen = device if device is not None else preset
        if path is None:
            if not sim:
                raise StationFileError("no station file given: pass --station FILE for the "
                                       "probe station, or --sim for the simulated bench")
            config = default_sim_config(chosen or "py-nio", 0 if seed is None else seed)
        else:
            config = load_station_file(path, device=chosen)
            if chosen is not None and not (sim or config.backend == "sim"):
                raise StationFileError(
                    f"{path}: a device preset or device file describes the simulated bench, "
                    "but this station opens the hardware (backend: visa): add --sim")
        if realtime is not None:
            config = config.model_copy(
                update={"sim": config.sim.model_copy(update={"realtime": realtime})})
        if sample is not None:
            config = config.model_copy(update={"sample": config.sample_by_id(sample)})
        problems = driver_option_problems(config)  # before any instrument is opened
        if problems:
            raise StationError("\n".join(problems))
        station = cls(config, sim=sim or config.backend == "sim", seed=seed)
        station.connect()
        return station

    def _visa_library(self, entry: Any) -> str:
        if self.sim:
            return f"{self.bench_name}@labspin"
        return entry.visa_library or ""

    def _open_instrument(self, role: str, entry: Any) -> Any:
        cls = driver_class(entry.driver)
        try:
            instrument = construct_driver(cls, entry.resource, self._visa_library(entry),
                                          entry.options)
            idn = instrument.ask("*IDN?").strip()
        except Exception as exc:  # pyvisa, serial and OS errors all mean the same here
            key = file_key(role)
            option = option_at_fault(exc, entry.driver, entry.options)
            if option is not None:  # not the instrument: the station file's options
                raise StationError(option_refusal(self.config, role, option)) from None
            if _library_missing(exc):  # this computer, not the instrument
                library = entry.visa_library or "pyvisa's default"
                raise StationError(
                    f"station '{self.config.name}': instrument '{role}' ({entry.driver} "
                    f"at {entry.resource}) cannot be reached from this computer: the VISA "
                    f"library ({library}) has no support for this kind of address: "
                    f"{str(exc).splitlines()[0]} Install what it names, or give another "
                    f"library as {key}.visa_library (e.g. '@ivi' for NI-VISA or Keysight "
                    "VISA)") from None
            raise StationError(
                f"station '{self.config.name}': instrument '{role}' ({entry.driver} at "
                f"{entry.resource}) does not answer: {exc}. Check that it is on, its cable "
                f"and its address, or correct {key}.resource") from None
        log.info("opened %s: %s at %s (%s)", role, entry.driver, entry.resource, idn)
        self.identities[role] = idn
        return guard(instrument, role, self.io)

    def connect(self) -> None:
        """Lock (hardware only) and open every instrument; on any failure close those
        already open, release the locks and raise."""
        try:
            self._lock_instruments()
            for role, entry in self.config.instruments.items():
                self.instruments[role] = self._open_instrument(role, entry)
            for axis, magnet in self.config.magnets.items():
                supply = self._open_instrument(f"magnet_{axis}", magnet.supply)
                self.instruments[f"magnet_{axis}"] = supply
                gaussmeter = None
                if magnet.gaussmeter is not None:
                    gaussmeter = self._open_instrument(f"gaussmeter_{axis}", magnet.gaussmeter)
                    self.instruments[f"gaussmeter_{axis}"] = gaussmeter
                self.magnets[axis] = self._electromagnet(axis, magnet, supply, gaussmeter)
        except BaseException:
            self.close()
            raise

    def _lock_instruments(self) -> None:
        """On hardware, hold every instrument's lock (labspin.station_lock) before the
        first message: a second labspin process on this bench is refused, not mixed in."""
        if self.sim:
            return
        from labspin.station_lock import InstrumentBusy, InstrumentLock

        for role, entry in self.config.entries().items():
            lock = InstrumentLock(role, entry.resource)
            try:
                lock.acquire()
            except InstrumentBusy as exc:
                raise StationError(f"station '{self.config.name}': {exc}") from None
            self._locks.append(lock)

    def _release_instruments(self) -> None:
        locks, self._locks = self._locks, []
        for lock in locks:
            lock.release()

    def _electromagnet(self, axis: str, magnet: Any, supply: Any, gaussmeter: Any) -> Any:
        from labspin.drivers.electromagnet import Electromagnet

        electromagnet = Electromagnet(
            supply, gaussmeter, coil_constant=magnet.coil_constant,
            max_field=self.config.limits.max_field[axis],
            max_ramp_rate=self.config.limits.max_ramp_rate,
            max_current=magnet.max_current, sleep=self.sleep, name=f"magnet {axis}")
        self.io.listeners.append(electromagnet.forget_state)
        return electromagnet

    # -- using ----------------------------------------------------------------------------
    def __getitem__(self, role: str) -> Any:
        try:
            return self.instruments[role]
        except KeyError:
            raise StationError(f"station '{self.config.name}' has no instrument '{role}'; "
                               f"it has {', '.join(self.instruments) or 'none'}. Add it to "
                               "instruments: in the station file") from None

    def has(self, role: str) -> bool:
        return role in self.instruments

    # -- the bar under the probes -----------------------------------------------------------
    @property
    def sample(self) -> Any:
        """The bar being measured (a :class:`labspin.samples.Sample`)."""
        return self.config.sample

    @property
    def samples(self) -> dict[str, Any]:
        """Every bar of the station, by id (one for a station of one sample)."""
        return {s.id: s for s in self.config.chip()}

    def use_sample(self, sample_id: str | None) -> Any:
        """Measure bar ``sample_id`` from now on (None: stay on the present one): its
        geometry sets the current-density limits and the run metadata, its calibration
        goes into the run headers and, on the simulated bench, its device goes under the
        probes (the bench keeps its clock, instruments and safety state).

        StationError naming the station's bars for an unknown id, or when the probes
        cannot move (a current or RF still reaches the bar)."""
        if sample_id is None or str(sample_id) == self.config.sample.id:
            return self.config.sample
        try:
            sample = self.config.sample_by_id(str(sample_id))
        except StationFileError as exc:
            raise StationError(str(exc)) from None
        if self.bench is not None:
            from labspin.sample_devices import put_under_probes

            put_under_probes(self, sample)
        self.config = self.config.model_copy(update={"sample": sample})
        self.guard = station_guard(self.config)
        log.info("station '%s': now on sample %s", self.config.name, sample.id)
        return sample

    def _describe(self, role: str) -> str:
        entry = self.config.entries().get(role)
        if entry is None:
            return f"'{role}'"
        return f"'{role}' ({entry.driver} at {entry.resource})"

    def talking_to(self, role: str, doing: str = "a command") -> _Talking:
        """Use an instrument (``with station.talking_to(role, doing) as instrument``). A
        failure names the instrument that actually failed (a gaussmeter inside a magnet's
        ramp), the command and ``doing``; a reply that cannot be read becomes an
        InstrumentReplyError quoting it. Any exception also voids what the run remembers
        of the instruments' state (``ExchangeLog.invalidate``)."""
        return _Talking(self, role, doing)

    def _attributed(self, exc: BaseException, role: str, doing: str) -> BaseException:
        """The exception ``talking_to`` raises for ``exc``: attributed and explained."""
        from pyvisa.errors import VisaIOError

        if isinstance(exc, InstrumentFault):
            if exc.context is None:
                exc.context = doing
            return exc
        if isinstance(exc, VisaIOError | OSError):  # an instrument the station did not guard
            return self.io.fault(role, doing, exc, reading=True)
        if isinstance(exc, ValueError | TypeError | KeyError | IndexError):
            unreadable = self.io.unreadable_reply(exc)
            if unreadable is not None:
                unreadable.context = doing
                return unreadable
        return exc

    def explain(self, exc: BaseException) -> BaseException:
        """``exc``, or the InstrumentReplyError behind it when it came from parsing the
        last reply of an instrument (for errors raised outside ``talking_to``)."""
        if isinstance(exc, InstrumentFault):
            return exc
        return self.io.unreadable_reply(exc) or exc

    def check_errors(self, role: str, after: str) -> None:
        """Read the instrument's error queue (SYST:ERR?) until it is empty; raise
        :class:`InstrumentReportedError` with the instrument's own text if it held any."""
        errors = []
        with self.talking_to(role, f"reading its error queue after {after}") as instrument:
            for _ in range(32):
                reply = str(instrument.ask("SYST:ERR?")).strip()
                code = reply.split(",", 1)[0].strip()
                if float(code) == 0:  # a garbled reply is an InstrumentReplyError
                    break
                errors.append(reply)
        if errors:
            self.io.invalidate()
            raise InstrumentReportedError(
                f"{self._describe(role)} reports {'; '.join(errors)} after {after}",
                "What it reports was not done as asked: correct the setting it names",
                role=role)

    def read_number(self, role: str, attribute: str) -> float:
        """Read a numeric property (``voltage``, ``x``...) and insist that it is a number."""
        with self.talking_to(role, f"a reading of {attribute}") as instrument:
            value = getattr(instrument, attribute)
        return self.as_number(role, attribute, value)

    def as_number(self, role: str, what: str, value: Any) -> float:
        """A reading as a float, or InstrumentReplyError naming the instrument."""
        if isinstance(value, list | tuple) and len(value) == 1:
            value = value[0]
        try:
            number = float(value)
        except (TypeError, ValueError):
            last = self.io.last
            asked = f" to {last.command!r}" if last is not None and last.role == role \
                and last.reply is not None else ""
            raise InstrumentReplyError(
                f"{self._describe(role)} answered {str(value)[:40]!r}{asked} when asked for "
                f"{what}; expected a number",
                "Check the cable and the termination settings, and that no other program "
                "talks to it", role=role, reply=str(value)) from None
        if number != number:
            raise InstrumentReplyError(f"{self._describe(role)} returned NaN for {what}",
                                       role=role, reply=str(value))
        return number

    def magnet(self, axis: str) -> Any:
        try:
            return self.magnets[axis]
        except KeyError:
            raise StationError(f"station '{self.config.name}' has no magnet along {axis}; "
                               f"add magnets.{axis} to the station file") from None

    def sleep(self, seconds: float) -> None:
        """Wait: real time on hardware, bench time on the simulated bench."""
        if seconds <= 0:
            return
        if self.bench is not None:
            self.bench.advance(seconds)
        else:
            time.sleep(seconds)

    def now(self) -> float:
        return self.bench.now() if self.bench is not None else time.monotonic()

    @property
    def description(self) -> str:
        """What the instruments are: 'hardware', or the simulated device and seed."""
        if self.bench is None:
            return "hardware"
        from labspin.sample_devices import describe_device

        return (f"simulated: {describe_device(self.bench.device.params)}, seed "
                f"{self.bench.seed}")

    def snapshot(self) -> dict[str, Any]:
        """Settings of the station for run metadata: file, sample, limits, instruments."""
        from labspin.station_snapshot import instrument_settings

        snap: dict[str, Any] = {
            "station": self.config.name,
            "backend": "sim" if self.sim else "visa",
            "sample": self.config.sample.model_dump(),
            "samples": [s.id for s in self.config.chip()],
            "limits": self.config.limits.model_dump(),
            "instruments": {},
        }
        for role, instrument in self.instruments.items():
            entry = self.config.entries()[role]
            snap["instruments"][role] = {"driver": entry.driver, "resource": entry.resource,
                                         **instrument_settings(entry.driver, instrument)}
        if self.bench is not None:
            snap["sim"] = {"preset": self.bench.device.params.name, "seed": self.bench.seed,
                           "sample": self.config.sample.id,
                           "device": self.bench.device.params.as_dict()}
        return snap

    # -- safety ---------------------------------------------------------------------------
    def make_safe(self) -> list[str]:
        """Current outputs off, pulser and RF off, magnets ramped to zero at the allowed
        rate, each confirmed by reading it back (``labspin.shutdown``).

        Every item is tried even if an earlier one fails; nothing is raised, so that an
        exception already on its way out is not masked. Returns the warnings, one line per
        instrument not confirmed safe, saying what may still be on (empty: safe); they
        are also kept in ``hazards`` until the next make_safe.
        """
        from labspin.shutdown import make_safe

        self.io.invalidate()  # the shutdown changes what the instruments do
        self.hazards = make_safe(self)
        self.io.invalidate()
        self.safety_failures.extend(self.hazards.values())
        return list(self.hazards.values())

    def close(self) -> None:
        """Make safe, then release every instrument. Safe to call twice."""
        if self.closed:
            return
        self.make_safe()
        for instrument in self.instruments.values():
            with contextlib.suppress(Exception):
                instrument.adapter.close()
        self._release_instruments()
        self.closed = True
        if self.bench_name is not None:
            from labspin.simulated_instruments.visa import unregister_bench

            unregister_bench(self.bench_name)

    def __enter__(self) -> Station:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _library_missing(exc: BaseException) -> bool:
    """Whether opening failed for want of VISA support on this computer (pyvisa-py
    without linux-gpib for a GPIB address, no VISA implementation at all), not because
    the instrument did not answer."""
    text = str(exc)
    return isinstance(exc, (ValueError, OSError, ImportError)) and (
        "Please install" in text or "VISA implementation" in text
        or "No module named" in text)


@contextlib.contextmanager
def terminate_on_sigterm() -> Iterator[None]:
    """Turn SIGTERM into :class:`Terminated` (a KeyboardInterrupt) inside the block, so
    that the same clean-up that Ctrl+C runs also runs when a queue is killed politely."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def handler(signum: int, frame: object) -> None:
        raise Terminated(f"signal {signum}")

    previous = signal.signal(signal.SIGTERM, handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)
