"""The window's hold on the station: one open station, one catalog, one worker thread.

Instruments are not thread-safe and a VISA exchange must not be split by another, so
every job that talks to the station (a run, a queue, Make safe, a poll of the live
readings) holds ``lock``. Runs and queues go through ``labspin.runs.run_procedure`` and
``labspin.queue_runner.run_queue`` in a ``QThread``, exactly as on the command line, so
the window journals, writes and shuts down the same way; its signals carry rows and
progress back to the GUI thread (queued connections).

``run_started`` carries a :class:`RunInfo` as soon as the catalog has given the run its
id (the worker's catalog is wrapped to say so), so the window names every run by the
number the Past runs view and ``labspin runs`` show, and a queued run by its place in
the queue, counted from 1.
"""

from __future__ import annotations

import logging
import math
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from PyQt6.QtCore import QObject, QThread, pyqtSignal

from labspin.runs import Catalog, RunRecord

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class RunInfo:
    """A run that is starting: what the window shows about it."""

    procedure: Any  # the configured procedure (read it, do not change it)
    run_id: int  # catalog id
    parameters: dict[str, Any]  # name -> value in SI units, as the catalog records them
    queue_id: int | None = None
    queue_name: str = ""
    queue_position: int | None = None  # 1-based place in the queue
    queue_total: int | None = None
    varying: tuple[str, ...] = ()  # parameters that differ between the queue's runs

    @property
    def procedure_name(self) -> str:
        return type(self.procedure).__name__


class _AnnouncingCatalog:
    """The worker's catalog, calling ``announce(run_id)`` when a run is created (before
    its first row); everything else goes to the catalog unchanged."""

    def __init__(self, catalog: Catalog, announce: Callable[[int], None]) -> None:
        self._catalog = catalog
        self._announce = announce

    def create_run(self, *args: Any, **kwargs: Any) -> int:
        run_id = self._catalog.create_run(*args, **kwargs)
        self._announce(run_id)
        return run_id

    def __getattr__(self, name: str) -> Any:
        return getattr(self._catalog, name)


@dataclass
class Reading:
    """What the station panel shows: live field per axis, stage temperature, source."""

    fields: dict[str, float] = field(default_factory=dict)  # T, per magnet axis
    temperature: float = math.nan  # K
    source_on: bool | None = None  # current source output
    rf_on: bool | None = None  # RF generator output (ST-FMR stations)
    errors: list[str] = field(default_factory=list)
    #: what may still be on after the latest make-safe (a run's shutdown or Make safe),
    #: one line each as the CLI's WARNING says it; empty when the bench was confirmed safe
    hazards: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class SafetyReport:
    """How a make-safe ended, as the window reports it.

    ``requested``: Make safe was pressed (else the report comes from the shutdown of a
    job that ended with the bench not confirmed safe); ``warnings``: what may still be on,
    one line per instrument (empty: confirmed safe); ``after``: the job that was stopped
    first ("run 3 aborted"), or "" when the station was idle."""

    requested: bool
    warnings: tuple[str, ...]
    after: str = ""
    when: float = field(default_factory=time.time)

    @property
    def safe(self) -> bool:
        return not self.warnings


class _Job(QThread):
    """Runs ``work`` once, off the GUI thread."""

    def __init__(self, work: Callable[[], str], parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._work = work
        self.outcome = ""
        self.error: str | None = None

    def run(self) -> None:
        try:
            self.outcome = self._work()
        except Exception as exc:  # shown in the window; the station is made safe below
            log.exception("GUI job failed")
            self.error = f"{type(exc).__name__}: {exc}"


class StationSession(QObject):
    """An open station and its catalog, shared by the window's panels."""

    row = pyqtSignal(dict)  # one measured row of the running run
    progress = pyqtSignal(float)  # percent of the running run
    run_started = pyqtSignal(object)  # RunInfo of the run that starts
    run_finished = pyqtSignal(object)  # its RunRecord
    queue_run_started = pyqtSignal(int, int)  # queue id, index of the planned run
    queue_run_finished = pyqtSignal(int, object)  # index, RunRecord
    job_finished = pyqtSignal(str, str)  # outcome, error ("" when none)
    #: a SafetyReport: after Make safe (at once when idle, else when the stopped job has
    #: ended and the station was made safe again), and after any job that left the bench
    #: not confirmed safe
    safety_report = pyqtSignal(object)
    busy_changed = pyqtSignal(bool)
    closing = pyqtSignal()  # the station is about to close: stop polling it

    def __init__(self, station: Any, catalog: Catalog, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.station = station
        self.catalog = catalog  # written by the worker thread
        #: the same catalog on its own connection, for reads in the GUI thread
        self.view_catalog = Catalog(catalog.data_dir)
        self.lock = threading.RLock()
        self._stop = threading.Event()
        self._job: _Job | None = None
        self._safe_after_job = False
        #: the procedure about to run and its queue context, until the catalog names it
        self._next: tuple[Any, dict[str, Any]] | None = None
        self._announcing = _AnnouncingCatalog(catalog, self._announce)

    def _announce(self, run_id: int) -> None:
        """Called in the worker thread when the catalog creates a run."""
        pending, self._next = self._next, None
        if pending is None:
            return
        procedure, context = pending
        parameters = {name: param.value
                      for name, param in procedure.parameter_objects().items()}
        info = RunInfo(procedure, run_id, parameters, **context)
        where = (f" (queue {info.queue_id} '{info.queue_name}', run {info.queue_position} "
                 f"of {info.queue_total})" if info.queue_position is not None else "")
        log.info("run %d: %s starts%s", run_id, info.procedure_name, where)
        self.run_started.emit(info)

    # -- state ----------------------------------------------------------------------------
    @property
    def busy(self) -> bool:
        return self._job is not None

    @property
    def stop_requested(self) -> bool:
        return self._stop.is_set()

    def stop(self) -> None:
        """Ask the running job to stop at the next point (the run ends aborted)."""
        self._stop.set()

    # -- jobs -----------------------------------------------------------------------------
    def _start(self, work: Callable[[], str]) -> None:
        if self._job is not None:
            raise RuntimeError("the station is busy: wait for the running job or abort it")
        self._stop.clear()

        def locked() -> str:
            with self.lock:
                return work()

        job = _Job(locked, self)
        job.finished.connect(self._job_done)
        self._job = job
        self.busy_changed.emit(True)
        job.start()

    def _job_done(self) -> None:
        job, self._job = self._job, None
        if job is None:
            return
        requested, self._safe_after_job = self._safe_after_job, False
        if requested or job.error:
            # the job's own shutdown made the bench safe, or tried to; Make safe asks for
            # it once more now that nothing else talks to the instruments, and what is
            # reported is what that second pass found (the failures are the point)
            with self.lock:
                warnings = self.station.make_safe()
        else:
            warnings = list(self.station.hazards.values())
        self.busy_changed.emit(False)  # the panels read the bench again
        self.job_finished.emit(job.outcome, job.error or "")
        if requested or warnings:
            after = job.outcome or (f"the job failed: {job.error}" if job.error else "")
            self.safety_report.emit(SafetyReport(requested, tuple(warnings), after))

    def run_procedures(self, procedures: Sequence[Any]) -> None:
        """Run ``procedures`` one after the other (configured instances)."""
        from labspin.runs import run_procedure

        def work() -> str:
            done: list[str] = []
            for procedure in procedures:
                if self._stop.is_set():
                    break
                self._next = (procedure, {})
                record = run_procedure(procedure, self.station, self._announcing,
                                       on_row=self.row.emit, on_progress=self.progress.emit,
                                       should_stop=self._stop.is_set)
                self.run_finished.emit(record)
                log.info("run %d: %s %s, %d rows%s", record.id, record.procedure,
                         record.status, record.rows,
                         f": {record.error}" if record.error else "")
                done.append(f"run {record.id} {record.status}")
            return ", ".join(done) or "nothing ran"

        self._start(work)

    def run_queue(self, plan: Any, resume: bool = False) -> None:
        """Run or resume ``plan`` with the same journal as ``labspin queue run``."""
        from labspin.procedures import procedure_class
        from labspin.queue_runner import run_queue

        varying = varying_parameters(plan)

        def started(run: Any, queue_id: int) -> None:
            procedure = procedure_class(run.procedure)()
            procedure.set_parameters(run.parameters)
            self._next = (procedure, {
                "queue_id": queue_id, "queue_name": plan.name,
                "queue_position": run.index + 1, "queue_total": len(plan.runs),
                "varying": varying.get(run.procedure, ())})
            self.queue_run_started.emit(queue_id, run.index)

        def ended(run: Any, record: RunRecord) -> None:
            self.queue_run_finished.emit(run.index, record)
            self.run_finished.emit(record)

        def work() -> str:
            outcome = run_queue(plan, self.station, self._announcing, resume=resume,
                                on_run_start=started, on_run_end=ended, on_row=self.row.emit,
                                on_progress=self.progress.emit,
                                should_stop=self._stop.is_set)
            text = (f"queue {outcome.queue_id}: {outcome.finished} finished now, "
                    f"{outcome.skipped} before, {outcome.failed} failed or aborted")
            return text + (" — stopped early" if outcome.stopped_early else "")

        self._start(work)

    @property
    def guard(self) -> Any:
        """The station's limits (SafetyGuard), for checks before anything runs."""
        return self.station.guard

    def wait(self, timeout_ms: int = 60_000) -> bool:
        """Block until the running job ends (tests, closing the window)."""
        job = self._job
        return True if job is None else job.wait(timeout_ms)

    # -- safety ---------------------------------------------------------------------------
    def make_safe(self) -> list[str] | None:
        """Outputs off and magnets ramped to zero. While a job runs it is stopped first
        (its shutdown makes the bench safe) and the station is made safe again after it;
        returns None then, else the list of failures (empty when all went well)."""
        if self._job is not None:
            self._safe_after_job = True
            self.stop()
            return None
        with self.lock:
            warnings = self.station.make_safe()
        self.safety_report.emit(SafetyReport(True, tuple(warnings)))
        return warnings

    # -- live readings (only when idle) ----------------------------------------------------
    def poll(self) -> Reading | None:
        """The live readings, or None while a job holds the station."""
        if self._job is not None or self.station.closed \
                or not self.lock.acquire(blocking=False):
            return None
        try:
            return self._read()
        finally:
            self.lock.release()

    def _read(self) -> Reading:
        reading = Reading(hazards=list(self.station.hazards.values()))
        for axis, magnet in self.station.magnets.items():
            try:
                with self.station.talking_to(f"magnet_{axis}", "a field reading"):
                    reading.fields[axis] = float(magnet.field)
            except Exception as exc:  # shown in the panel; a poll never raises
                reading.errors.append(f"magnet {axis}: {exc}")
        if self.station.has("temperature"):
            try:
                reading.temperature = self._temperature()
            except Exception as exc:
                reading.errors.append(f"temperature: {exc}")
        if self.station.has("source"):
            try:
                with self.station.talking_to("source", "a query of its output") as source:
                    reading.source_on = bool(source.source_enabled)
            except Exception as exc:
                reading.errors.append(f"source: {exc}")
        if self.station.has("rf_source"):
            from labspin.drivers.agilent8257d import rf_enabled

            try:
                with self.station.talking_to("rf_source", "a query of its output") as rf:
                    reading.rf_on = rf_enabled(rf)
            except Exception as exc:
                reading.errors.append(f"rf_source: {exc}")
        return reading

    def _temperature(self) -> float:
        with self.station.talking_to("temperature", "a temperature reading") as controller:
            value = controller.input_A.kelvin
        return self.station.as_number("temperature", "the stage temperature", value)

    def identify(self) -> dict[str, str]:
        """``*IDN?`` of every instrument: role -> answer, or the error (only when idle)."""
        if self._job is not None:
            raise RuntimeError("the station is busy with a run; check it afterwards")
        answers: dict[str, str] = {}
        with self.lock:
            for role in self.station.instruments:
                try:
                    with self.station.talking_to(role, "*IDN?") as instrument:
                        answers[role] = str(instrument.ask("*IDN?")).strip()
                except Exception as exc:  # any failure means: does not answer
                    answers[role] = f"no answer: {exc}"
        return answers

    def close(self) -> None:
        """Stop any job, wait for it, and close the station (which makes it safe)."""
        self.closing.emit()
        if self._job is not None:
            self.stop()
            self._job.wait()
            self._job = None
        with self.lock:
            self.station.close()
        self.view_catalog.close()


def safety_sentence(session: StationSession) -> str:
    """What the latest make-safe found, in one sentence for a view's message."""
    if session.station.hazards:
        return ("The station is NOT confirmed safe: see the Station view for what may "
                "still be on.")
    return "The station was made safe."


def varying_parameters(plan: Any) -> dict[str, tuple[str, ...]]:
    """Per procedure of a queue plan, the parameters whose values differ between its
    runs (in the order the procedure lists them)."""
    first: dict[str, dict[str, Any]] = {}
    varying: dict[str, list[str]] = {}
    for run in plan.runs:
        reference = first.setdefault(run.procedure, run.parameters)
        names = varying.setdefault(run.procedure, [])
        names.extend(k for k, v in run.parameters.items()
                     if reference.get(k) != v and k not in names)
    return {name: tuple(k for k in first[name] if k in names)
            for name, names in varying.items()}
