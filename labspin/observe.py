"""What the runner tells those who are not at the bench: notifications and the status page.

Two hooks, called by the runner: :func:`run_ended` after every run (``run_procedure``)
and :func:`observe_queue` around a queue (``run_queue``). After each run the bench's
state is read back from the instruments; it goes into the run's message and into
``<data dir>/watch/bench.json``, which ``labspin watch`` shows. A queue also leaves its
plan (labels and estimated durations) in ``<data dir>/watch/plan-<hash>.json``, so the
page can tell the time left. None of these files holds a secret.

A hook never raises into the measurement (notification settings are checked before the
first run instead): a message that cannot be sent is logged, the night goes on.
"""

from __future__ import annotations

import contextvars
import json
import logging
import os
import socket
import time
import weakref
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from labspin.bench_state import BenchState, read_bench_state
from labspin.notify import Notifier, NotifySettings
from labspin.shutdown import RESTATED

log = logging.getLogger(__name__)

WATCH_DIR = "watch"
_seen_failures: weakref.WeakKeyDictionary[Any, int] = weakref.WeakKeyDictionary()
_station_notifiers: weakref.WeakKeyDictionary[Any, Notifier | None] = \
    weakref.WeakKeyDictionary()
_queue: contextvars.ContextVar[QueueObserver | None] = contextvars.ContextVar(
    "labspin_queue_observer", default=None)


def write_json(path: Path, data: Any) -> None:
    """Replace ``path`` atomically (a reader never sees half a file)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(json.dumps(data, indent=1, default=str), encoding="utf-8")
    os.replace(tmp, path)


def station_notifier(station: Any) -> Notifier | None:
    """The notifier of the station file's ``notify:`` section (None without one); built
    once per open station. Raises NotifyConfigError (a variable not set, ...)."""
    if station in _station_notifiers:
        return _station_notifiers[station]
    settings: NotifySettings | None = getattr(station.config, "notify", None)
    source = station.config.source_path or station.config.name
    notifier = Notifier(settings, source) if settings is not None else None
    _station_notifiers[station] = notifier
    return notifier


def _new_safety_failures(station: Any) -> list[str]:
    failures = list(getattr(station, "safety_failures", []))
    seen = _seen_failures.get(station, 0)
    _seen_failures[station] = len(failures)
    return failures[seen:]


def _minutes(seconds: float | None) -> str:
    if seconds is None or seconds < 0:
        return "?"
    h, rest = divmod(round(seconds), 3600)
    return f"{h}:{rest // 60:02d}:{rest % 60:02d}"


def is_limit_refusal(record: Any) -> bool:
    return bool(record.error) and ("LimitError" in record.error
                                   or "exceeds limits." in record.error)


def events_of(record: Any, state: BenchState) -> list[str]:
    """What a run's end is, most severe first: safety, failure, end."""
    events = []
    if is_limit_refusal(record) or not state.safe:
        events.append("safety")
    if record.status in ("failed", "interrupted"):
        events.append("failure")
    events.append("end")
    return events


def run_message(record: Any, state: BenchState, event: str, where: str = "") -> tuple[str, str]:
    """Title and body of a run's message: the run, the error, the bench's state."""
    what = {"safety": "SAFETY", "failure": "failed", "end": record.status}[event]
    title = f"labspin: run {record.id} ({record.procedure}) {what} on {state.station}"
    if event == "safety":
        title = f"labspin SAFETY: run {record.id} ({record.procedure}) on {state.station}" \
                + (": limit refused" if is_limit_refusal(record) else ": bench not confirmed safe")
    took = (record.finished or time.time()) - (record.started or record.created)
    lines = [f"Run {record.id}: {record.procedure}, sample {record.sample}{where}.",
             f"Status: {record.status} after {_minutes(took)}, {record.rows} rows on disk"
             + (f" in {record.file}" if record.file else "") + "."]
    if record.error:
        lines.append(f"Error: {record.error}")
    lines.append(f"Bench: {state.describe()}")
    if record.file:
        lines.append(f"Host: {socket.gethostname()}; data folder: {Path(record.file).parent}")
    return title, "\n".join(lines)


def _station_file(station: Any) -> str | None:
    """The station file, for the page's advice (``labspin station check FILE``)."""
    path = getattr(getattr(station, "config", None), "source_path", None)
    try:  # the built-in station's "path" is its description
        return str(Path(path).resolve()) if path and Path(path).is_file() else None
    except (OSError, ValueError):
        return None


def _publish(data_dir: Path, state: BenchState, record: Any, station: Any = None) -> None:
    write_json(data_dir / WATCH_DIR / "bench.json",
               {**state.as_dict(), "after_run": record.id, "run_status": record.status,
                "station_file": _station_file(station)})


def bench_checked(station: Any, data_dir: str | Path, as_of: str) -> None:
    """After the check a command makes before its first run (``labspin.station_check``):
    the bench read back and published, so that the status page says the state it left
    (not the state of before a process was killed). Never raises."""
    try:
        state = read_bench_state(station, _new_safety_failures(station))
        write_json(Path(data_dir) / WATCH_DIR / "bench.json",
                   {**state.as_dict(), "after_run": None, "run_status": None,
                    "as_of": as_of, "station_file": _station_file(station)})
    except Exception as exc:  # the page's problem must not keep the command from running
        log.warning("could not publish the bench state after the check at the start: %s",
                    exc)
        log.debug("details", exc_info=True)


def run_ended(station: Any, catalog: Any, record: Any) -> None:
    """Hook of ``run_procedure``: read the bench, publish it, notify. Never raises."""
    try:
        state = read_bench_state(station, _new_safety_failures(station))
        unread = {what: why for what, why in state.unread.items()
                  if what != "stage temperature"}
        if unread:  # the shutdown confirmed the bench; an instrument failed since
            # (or it did not, and the run's make-safe warnings name each instrument already)
            hazards = getattr(station, "hazards", None) or {}
            named = bool(hazards) and all(
                any(f"'{role}'" in why for role in hazards) for why in unread.values())
            log.warning("after run %s the bench could not be read back: %s", record.id,
                        "; ".join(f"{what}: {why}" for what, why in unread.items()),
                        extra={RESTATED: named})
        _publish(Path(catalog.data_dir), state, record, station)
        observer = _queue.get()
        if record.queue_id is not None and observer is not None \
                and observer.queue_id in (None, record.queue_id):
            observer.run_ended(record, state)
        elif record.queue_id is None:
            notifier = station_notifier(station)
            if notifier is not None:
                event = next(e for e in events_of(record, state) if notifier.wants(e)
                             or e == "end")
                notifier.send(event, *run_message(record, state, event))
    except Exception as exc:  # the run is recorded already; a watcher's problem must not hide it
        log.warning("run %s: could not publish the bench state or notify: %s", record.id, exc)
        log.debug("details", exc_info=True)


@dataclass
class QueueObserver:
    """Notifications and the published plan of one running queue."""

    plan: Any
    station: Any
    data_dir: Path
    notifier: Notifier | None
    queue_id: int | None = None
    started: float = field(default_factory=time.time)
    problems: list[str] = field(default_factory=list)  # one line per failed run
    unsent: int = 0  # failure messages held back by max_failure_messages
    state: BenchState | None = None
    _token: Any = None

    def _label(self, record: Any) -> str:
        index = record.queue_index
        label = self.plan.runs[index].label if index is not None \
            and index < len(self.plan.runs) else ""
        return (f", queue {record.queue_id} '{self.plan.name}' run {index + 1} of "
                f"{len(self.plan.runs)}" + (f" ({label})" if label else "")) \
            if index is not None else ""

    def run_ended(self, record: Any, state: BenchState) -> None:
        self.queue_id = record.queue_id
        self.state = state
        events = events_of(record, state)
        if events[0] == "end":
            return
        self.problems.append(f"run {record.id}{self._label(record)}: {record.status}"
                             + (f": {record.error}" if record.error else ""))
        if self.notifier is None:
            return
        event = next((e for e in events if e != "end" and self.notifier.wants(e)), None)
        if event is None:
            return
        if self.notifier.failures_sent >= self.notifier.settings.max_failure_messages:
            self.unsent += 1
            return
        self.notifier.failures_sent += 1
        title, body = run_message(record, state, event, self._label(record))
        if self.notifier.failures_sent == self.notifier.settings.max_failure_messages:
            body += ("\nThis is the last failure message of this queue "
                     "(notify.max_failure_messages); the rest are summed up at its end.")
        self.notifier.send(event, title, body)

    def close(self, outcome: Any, status: str) -> None:
        """Hook of ``run_queue`` (its ``finally``): the end message. Never raises."""
        try:
            _queue.reset(self._token)
        except ValueError:  # closed in another context than opened: nothing to restore
            _queue.set(None)
        try:
            self._end_message(outcome, status)
            if self.notifier is not None:
                self.notifier.flush()  # before the queue's command returns and prints
        except Exception as exc:
            log.warning("queue %s: could not send its end message: %s", outcome.queue_id, exc)
            log.debug("details", exc_info=True)

    def _end_message(self, outcome: Any, status: str) -> None:
        if self.notifier is None:
            return
        troubled = bool(outcome.failed or outcome.stopped_early)
        event = "end" if self.notifier.wants("end") else "failure" if troubled else None
        if event is None:
            return
        state = read_bench_state(self.station, _new_safety_failures(self.station))
        if state.unread and self.state is not None and not getattr(self.station, "closed",
                                                                   False):
            state = self.state
        finished = outcome.skipped + outcome.finished
        not_run = max(outcome.planned - finished - outcome.failed, 0)
        title = (f"labspin: queue {outcome.queue_id} '{self.plan.name}' {status}: "
                 f"{finished} of {outcome.planned} finished, {outcome.failed} failed")
        lines = [f"Queue {outcome.queue_id} '{self.plan.name}' ({self.plan.file}) on "
                 f"{state.station}: {status} after {_minutes(time.time() - self.started)}.",
                 f"{outcome.finished} finished now, {outcome.skipped} before, "
                 f"{outcome.failed} failed, {not_run} not run."]
        if self.problems:
            lines.append("Runs that did not finish:")
            lines += [f"  {line}" for line in self.problems[:30]]
            if len(self.problems) > 30:
                lines.append(f"  ... and {len(self.problems) - 30} more (labspin runs "
                             f"--queue {outcome.queue_id})")
        if self.unsent:
            lines.append(f"({self.unsent} failure messages were held back by "
                         "notify.max_failure_messages.)")
        lines.append(f"Bench: {state.describe()}")
        if finished < outcome.planned and status != "finished":
            lines.append(f"Resume with: labspin queue run {self.plan.file} --resume")
        self.notifier.send(event, title, "\n".join(lines))


def plan_file(data_dir: Path, plan_hash: str) -> Path:
    return Path(data_dir) / WATCH_DIR / f"plan-{plan_hash[:16]}.json"


def observe_queue(plan: Any, station: Any, catalog: Any) -> QueueObserver:
    """Hook of ``run_queue``, before anything runs: check the notify settings (the queue
    file's, else the station file's; raises NotifyConfigError), publish the plan."""
    settings = getattr(plan, "notify", None)
    if settings is not None:
        notifier: Notifier | None = Notifier(settings, str(plan.file))
    else:
        notifier = station_notifier(station)
    write_json(plan_file(Path(catalog.data_dir), plan.plan_hash),
               {"name": plan.name, "file": str(plan.file), "plan_hash": plan.plan_hash,
                "runs": [{"index": r.index, "label": r.label, "procedure": r.procedure,
                          "estimate": r.duration} for r in plan.runs]})
    observer = QueueObserver(plan, station, Path(catalog.data_dir), notifier)
    observer._token = _queue.set(observer)
    return observer
