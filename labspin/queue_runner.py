"""Running a planned queue with a persistent journal, so that it survives crashes.

The journal is the runs catalog: every run of a queue carries the queue's id and its
index in the plan. ``--resume`` finds the latest queue of the same file, checks that
the plan is unchanged, and runs every index that has no finished run yet: a crash, a
``kill -9`` or a power cut costs at most the run that was going (marked interrupted,
its rows on disk), and a finished run is never repeated.

One process at a time runs a queue (file and data folder): :class:`QueueLock` is held
for the whole run, and a second runner is refused naming the first.
"""

from __future__ import annotations

import logging
import os
import socket
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from labspin.observe import observe_queue
from labspin.procedures import procedure_class
from labspin.queue_lock import QueueLock
from labspin.queues import PlannedRun, QueueFileError, QueuePlan
from labspin.runs import Catalog, RunRecord, run_procedure
from labspin.shutdown import RESTATED

log = logging.getLogger(__name__)


@dataclass
class QueueOutcome:
    queue_id: int
    planned: int
    skipped: int = 0  # finished before (resume)
    finished: int = 0
    failed: int = 0
    stopped_early: bool = False
    records: list[RunRecord] = field(default_factory=list)
    #: what may still be on after the run that stopped the queue (instrument -> line);
    #: empty unless the queue stopped because the bench was not confirmed safe
    unsafe: dict[str, str] = field(default_factory=dict)


def queue_progress(catalog: Catalog, queue_id: int) -> dict[int, str]:
    """Latest status of every index of a queue that has a run."""
    status: dict[int, str] = {}
    for record in catalog.query(queue_id=queue_id):
        if record.queue_index is not None and status.get(record.queue_index) != "finished":
            status[record.queue_index] = record.status
    return status


def check_resumable(catalog: Catalog, plan: QueuePlan) -> tuple[int, set[int]]:
    """The latest queue of the plan's file and its finished indices; QueueFileError when
    there is none or its runs differ (checked before any instrument is opened)."""
    file = str(Path(plan.file).resolve())
    previous = catalog.latest_queue(file)
    if previous is None:
        raise QueueFileError(f"{plan.file}: nothing to resume in {catalog.data_dir} (no queue "
                             "of this file was started there); run it without --resume")
    if previous["plan_hash"] != plan.plan_hash:
        raise QueueFileError(f"{plan.file} has changed since queue {previous['id']} started: "
                             "its runs are not the same. Restore the file to resume, or run "
                             "it without --resume to start a new queue")
    done = {i for i, s in queue_progress(catalog, previous["id"]).items() if s == "finished"}
    return int(previous["id"]), done


def start_or_resume(catalog: Catalog, plan: QueuePlan, resume: bool) -> tuple[int, set[int]]:
    """The queue id to journal into, and the indices already finished."""
    if not resume:
        file = str(Path(plan.file).resolve())
        return catalog.create_queue(plan.name, file, plan.plan_hash, len(plan.runs)), set()
    queue_id, done = check_resumable(catalog, plan)
    catalog.set_queue_status(queue_id, "running")
    return queue_id, done


def run_queue(plan: QueuePlan, station: Any, catalog: Catalog, *, resume: bool = False,
              lock: QueueLock | None = None,
              on_run_start: Callable[[PlannedRun, int], None] | None = None,
              on_run_end: Callable[[PlannedRun, RunRecord], None] | None = None,
              on_row: Callable[[dict[str, Any]], None] | None = None,
              should_stop: Callable[[], bool] | None = None,
              on_progress: Callable[[float], None] | None = None) -> QueueOutcome:
    """Run (or resume) a queue on an open station; journaled in ``catalog``.

    ``lock``: the queue's lock when the caller took it already (before opening the
    station, so that a refused runner touches no instrument); otherwise it is taken
    here, and :class:`~labspin.queue_lock.QueueBusy` raised when another process runs
    the queue. ``on_row`` and ``on_progress`` (percent of the running run) are handed to
    every run. ``should_stop`` (the GUI's Stop button) is polled inside every run and
    between runs: the running run ends aborted, the queue ends "stopped" and resumes
    later at that run, as after Ctrl+C.
    """
    own = lock is None or not lock.held
    if lock is None:
        lock = QueueLock(catalog.data_dir, plan.file)
    lock.acquire()
    try:
        # leftovers of a killed runner: with the lock held, nobody else runs this queue
        catalog.mark_interrupted()
        catalog.interrupt_queue_leftovers(str(Path(plan.file).resolve()))
        return _run_locked(plan, station, catalog, lock, resume, on_run_start, on_run_end,
                           on_row, should_stop, on_progress)
    finally:
        if own:
            lock.release()


def _run_locked(plan: QueuePlan, station: Any, catalog: Catalog, lock: QueueLock,
                resume: bool, on_run_start: Callable[[PlannedRun, int], None] | None,
                on_run_end: Callable[[PlannedRun, RunRecord], None] | None,
                on_row: Callable[[dict[str, Any]], None] | None,
                should_stop: Callable[[], bool] | None,
                on_progress: Callable[[float], None] | None = None) -> QueueOutcome:
    stop = should_stop or (lambda: False)
    watch = observe_queue(plan, station, catalog)  # checks notify settings, publishes plan
    queue_id, done = start_or_resume(catalog, plan, resume)
    lock.note_queue(queue_id)
    assert lock.runner is not None
    catalog.set_queue_runner(queue_id, os.getpid(), socket.gethostname(), lock.runner.since)
    outcome = QueueOutcome(queue_id, len(plan.runs), skipped=len(done))
    log_file = catalog.data_dir / "queues" / f"queue-{queue_id:04d}.log"
    log_file.parent.mkdir(parents=True, exist_ok=True)
    handler = logging.FileHandler(log_file, encoding="utf-8")
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    root.addHandler(handler)
    root.setLevel(min(root.level or logging.INFO, logging.INFO))
    catalog.set_queue_status(queue_id, "running", str(log_file))
    log.info("queue %d (%s): %d runs planned, %d finished before", queue_id, plan.name,
             len(plan.runs), len(done))
    status = "finished"
    try:
        for run in plan.runs:
            if run.index in done:
                continue
            if stop():
                status = "stopped"
                outcome.stopped_early = True
                log.warning("queue %d stopped from the window; resume it later", queue_id)
                break
            if on_run_start is not None:
                on_run_start(run, queue_id)
            procedure = procedure_class(run.procedure)()
            procedure.set_parameters(run.parameters)
            record = run_procedure(procedure, station, catalog, queue_id=queue_id,
                                   queue_index=run.index, on_row=on_row, should_stop=stop,
                                   on_progress=on_progress)
            outcome.records.append(record)
            # run numbers count from 1 as people count; run.index is the 0-based plan index
            log.info("run %d (queue run %d of %d, %s): %s%s", record.id, run.index + 1,
                     len(plan.runs), run.label, record.status,
                     f": {record.error}" if record.error else "")
            if on_run_end is not None:
                on_run_end(run, record)
            if record.status == "finished":
                outcome.finished += 1
            else:
                outcome.failed += 1
            hazards = dict(getattr(station, "hazards", None) or {})
            if hazards:
                # whatever on_error says: the next run would start on a bench that may
                # still carry a field or a current
                outcome.stopped_early = True
                outcome.unsafe = hazards
                status = "stopped"
                log.error("queue %d stops after run %d: the bench is not confirmed safe "
                          "(%s); make it safe, then continue with --resume", queue_id,
                          record.id, "; ".join(hazards.values()), extra={RESTATED: True})
                break
            if record.status != "finished":
                if run.on_error == "stop":
                    outcome.stopped_early = True
                    status = "stopped"
                    log.error("queue %d stops: run %d %s and its step says on_error: stop",
                              queue_id, record.id, record.status)
                    break
        if status == "finished" and outcome.failed:
            status = "finished with failures"
    except KeyboardInterrupt:
        status = "stopped"
        outcome.stopped_early = True
        log.warning("queue %d stopped by Ctrl+C or SIGTERM; resume with --resume", queue_id)
        raise
    finally:
        catalog.set_queue_status(queue_id, status)
        watch.close(outcome, status)  # the queue's end message
        root.removeHandler(handler)
        handler.close()
    return outcome
