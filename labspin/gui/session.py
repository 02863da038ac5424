"""The window's hold on the station: one open station, one catalog, one worker thread.

Instruments are not thread-safe and a VISA exchange must not be split by another, so
every job that talks to the station (a run, a queue, Make safe, closing, a poll of the
live readings) holds ``lock``. Runs and queues go through ``labspin.runs.run_procedure``
and ``labspin.queue_runner.run_queue`` in a ``QThread``, exactly as on the command line,
so the window journals, writes and shuts down the same way; its signals carry rows and
progress back to the GUI thread (queued connections). Make safe and closing run on the
same worker too: a magnet ramps to zero at its allowed rate (tens of seconds for 1 T), and
the window must keep drawing and logging meanwhile.

``run_started`` carries a :class:`RunInfo` as soon as the catalog has given the run its
id (the worker's catalog is wrapped to say so), so the window names every run by the
number the Past runs view and ``labspin runs`` show, and a queued run by its place in
the queue, counted from 1.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from PyQt6.QtCore import QObject, QThread, pyqtSignal

from labspin.gui.readings import Reading, read_station
from labspin.gui.run_info import AnnouncingCatalog, RunInfo, varying_parameters
from labspin.runs import Catalog, RunRecord

__all__ = ["Reading", "RunInfo", "SafetyReport", "StationSession", "safety_sentence",
           "varying_parameters"]

log = logging.getLogger(__name__)

#: a job's outcome when the bench could not be made safe before the window's first run
NOTHING_MEASURED = ("nothing measured: the bench could not be confirmed safe before the "
                    "first run")


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
    """Runs ``work`` once, off the GUI thread. ``kind``: "run" (runs and queues), "safe"
    (a make-safe) or "close" (the station closed, which makes it safe)."""

    def __init__(self, work: Callable[[], str], kind: str = "run",
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._work = work
        self.kind = kind
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
    #: a SafetyReport: at the end of every make-safe announced by ``make_safe_started``
    #: (Make safe pressed, the pass after a stopped or failed job, closing), and after any
    #: job that left the bench not confirmed safe
    safety_report = pyqtSignal(object)
    busy_changed = pyqtSignal(bool)
    #: a make-safe starts on the worker thread (Make safe pressed while idle, the pass
    #: after a job that was stopped by Make safe or failed, or the station closing): the
    #: job it follows ("run 3 aborted"), or "" when the station was idle; busy until its
    #: SafetyReport (or ``station_closed``)
    make_safe_started = pyqtSignal(str)
    closing = pyqtSignal()  # the station is about to close: stop polling it
    #: ``close_later`` has closed the station (made safe, instruments released)
    station_closed = pyqtSignal()

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
        #: the job whose end is reported when the make-safe pass after it has ended, and
        #: whether Make safe was pressed during it
        self._ended: tuple[_Job, bool] | None = None
        self._close_pending = False
        #: whether the bench was checked (and made safe) before this window's first run
        self._checked = False
        #: the procedure about to run and its queue context, until the catalog names it
        self._next: tuple[Any, dict[str, Any]] | None = None
        self._announcing = AnnouncingCatalog(catalog, self._announce)

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
    def making_safe(self) -> bool:
        """A make-safe (or the closing of the station) runs on the worker thread: it
        cannot be stopped, and nothing else may start until it has ended."""
        return self._job is not None and self._job.kind != "run"

    @property
    def close_pending(self) -> bool:
        """``close_later`` was called and the station is not closed yet."""
        return self._close_pending

    @property
    def stop_requested(self) -> bool:
        return self._stop.is_set()

    def stop(self) -> None:
        """Ask the running job to stop at the next point (the run ends aborted)."""
        self._stop.set()

    # -- jobs -----------------------------------------------------------------------------
    def _start(self, work: Callable[[], str], kind: str = "run",
               then: bool = False) -> None:
        """Run ``work`` on the worker thread, holding the lock. ``then``: it follows the
        job that has just ended without the station going idle in between (no
        ``busy_changed``, and the stop request stays as it was)."""
        if self._job is not None:
            raise RuntimeError("the station is busy: wait for the running job or abort it")
        if kind == "run" and (self._close_pending or self.station.closed):
            raise RuntimeError("the station is closing: nothing more can start")
        if not then:
            self._stop.clear()

        def locked() -> str:
            with self.lock:
                return work()

        job = _Job(locked, kind, self)
        job.finished.connect(self._job_done)
        self._job = job
        if not then:
            self.busy_changed.emit(True)
        job.start()

    def _start_make_safe(self, after: str, then: bool) -> None:
        began = time.monotonic()

        def work() -> str:
            warnings = self.station.make_safe()
            took = time.monotonic() - began
            if warnings:
                log.warning("make safe: NOT confirmed safe after %.1f s: %s", took,
                            "; ".join(warnings))
                return "NOT confirmed safe"
            log.info("make safe: confirmed safe in %.1f s", took)
            return "confirmed safe"

        log.info("making safe%s: switching the current, pulse and RF outputs off and "
                 "ramping the magnets to zero at the allowed rate",
                 f" after {after}" if after else "")
        self._start(work, "safe", then)
        self.make_safe_started.emit(after)

    @staticmethod
    def _after(job: _Job) -> str:
        return job.outcome or (f"the job failed: {job.error}" if job.error else "")

    def _job_done(self) -> None:
        job, self._job = self._job, None
        if job is None:
            return
        if job.kind == "close":
            self._close_done(job)
            return
        if job.kind == "run":
            requested, self._safe_after_job = self._safe_after_job, False
            if (requested or job.error) and not self._close_pending:
                # the job's own shutdown made the bench safe, or tried to; Make safe asks
                # for it once more now that nothing else talks to the instruments (on the
                # worker: a magnet ramp takes tens of seconds), and what is reported is
                # what that second pass found (the failures are the point)
                self._ended = (job, requested)
                self._start_make_safe(self._after(job), then=True)
                return
            ended, warnings = job, list(self.station.hazards.values())
            requested = requested and not self._close_pending  # closing reports instead
        else:  # a make-safe
            (ended, requested), self._ended = self._ended or (None, True), None
            warnings = self._found(job)
        self.busy_changed.emit(False)  # the panels read the bench again
        if ended is not None:
            self.job_finished.emit(ended.outcome, ended.error or "")
        if requested or warnings or job.kind == "safe":  # each make-safe is reported
            after = self._after(ended) if ended is not None else ""
            self.safety_report.emit(SafetyReport(requested, tuple(warnings), after))
        if self._close_pending and self._job is None:
            self._start_close()

    def _found(self, job: _Job) -> list[str]:
        """What may still be on after the make-safe ``job``: the station's hazards, and a
        line for a make-safe that stopped on an error of its own."""
        warnings = list(self.station.hazards.values())
        if job.error:
            warnings.append(f"making safe stopped on {job.error}: check every current "
                            "output and magnet supply by hand")
        return warnings

    def _check_once(self) -> bool:
        """Before this window's first run, on the worker: what a previous process left
        on (a kill -9, a crash) is read, made safe and logged in the words of ``labspin
        station check``, as ``labspin run`` does. False when the bench could not be made
        safe: nothing may be measured (the job's end reports what may still be on)."""
        if self._checked:
            return True
        from labspin.station_check import check_and_make_safe, found_lines

        report = check_and_make_safe(self.station)
        for line in found_lines(report):
            log.warning("%s", line)
        self._checked = not report.hazards
        return self._checked

    def run_procedures(self, procedures: Sequence[Any]) -> None:
        """Run ``procedures`` one after the other (configured instances)."""
        from labspin.runs import run_procedure

        def work() -> str:
            if not self._check_once():
                return NOTHING_MEASURED
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
            if not self._check_once():
                return NOTHING_MEASURED
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
    def make_safe(self) -> str:
        """Outputs off and magnets ramped to zero, on the worker thread (the GUI thread
        never waits for a ramp); a ``SafetyReport`` says how it ended. Returns:

        - "started": the station was idle; the make-safe has started;
        - "after the job": a run or queue is asked to stop (its shutdown makes the bench
          safe) and the station is made safe again when it has ended;
        - "under way": a make-safe runs already; nothing more is started;
        - "closed": the station is closed (nothing can reach it from here).
        """
        if self.station.closed:
            return "closed"
        if self._job is None:
            self._start_make_safe("", then=False)
            return "started"
        if self._job.kind != "run":
            log.info("make safe pressed again: the make-safe under way goes on")
            return "under way"
        self._safe_after_job = True
        self.stop()
        return "after the job"

    # -- live readings (only when idle) ----------------------------------------------------
    def poll(self) -> Reading | None:
        """The live readings, or None while a job holds the station."""
        if self._job is not None or self.station.closed \
                or not self.lock.acquire(blocking=False):
            return None
        try:
            return read_station(self.station)
        finally:
            self.lock.release()

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
        """Stop any job, wait for it, and close the station (which makes it safe); blocks
        (for closing without an event loop; the window uses ``close_later``)."""
        self.closing.emit()
        if self._job is not None:
            self.stop()
            self._job.wait()
            self._job = None
        with self.lock:
            self.station.close()
        self._close_pending = False
        self.view_catalog.close()

    def close_later(self) -> None:
        """Close without blocking the GUI thread: a running job is asked to stop, a
        make-safe goes on to its end, then the station is closed on the worker thread
        (made safe, instruments released); ``station_closed`` follows, after a
        ``SafetyReport`` if it was not confirmed safe."""
        if self.station.closed:
            self.station_closed.emit()
            return
        if self._close_pending:
            return
        self._close_pending = True
        if self._job is None:
            self._start_close()
        elif self._job.kind == "run":
            self.stop()

    def _start_close(self) -> None:
        log.info("closing the station: making it safe first")
        self._start(lambda: self.station.close() or "station closed", "close")
        self.make_safe_started.emit("")

    def _close_done(self, job: _Job) -> None:
        self._close_pending = False
        warnings = self._found(job)
        self.busy_changed.emit(False)
        self.safety_report.emit(SafetyReport(False, tuple(warnings), "closing the station"))
        self.station_closed.emit()


def safety_sentence(session: StationSession) -> str:
    """What the latest make-safe found, in one sentence for a view's message."""
    if session.station.hazards:
        return ("The station is NOT confirmed safe: see the Station view for what may "
                "still be on.")
    return "The station was made safe."
