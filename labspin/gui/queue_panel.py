"""The Queue view: a queue file, its planned runs and where they stand, run and resume.

Bound to the same journal as ``labspin queue run``: the catalog's latest queue of the
file (by its resolved path) gives each run's status, Resume continues at the first
unfinished run and never repeats a finished one, whichever of the two started it.
Who runs the queue (this window or another process, its pid, host and start) is read
from the queue's lock and shown above the table; Run and Resume refuse while another
process holds it. Runs are counted from 1 (the "#" column), as the live plot and the
Past runs view count them; "Catalog run" is the run's number in the catalog.

Beside the table, :class:`QueueBuilder` makes a new queue file from the Measure view's
procedure (a sweep of one or two of its parameters) and loads it here.
"""

from __future__ import annotations

from pathlib import Path

from PyQt6.QtCore import Qt, QTimer
from PyQt6.QtGui import QColor
from PyQt6.QtWidgets import (
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QProgressBar,
    QPushButton,
    QSplitter,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from labspin.gui.describe import summary
from labspin.gui.message_bar import MessageBar
from labspin.gui.queue_builder import QueueBuilder
from labspin.gui.runs_table import STATUS_COLOURS
from labspin.gui.session import StationSession, safety_sentence, varying_parameters
from labspin.procedures.base import format_duration
from labspin.queue_lock import QueueLockError, Runner, current_runner
from labspin.queue_runner import queue_progress
from labspin.queues import QueueFileError, QueuePlan, load_queue_file, plan_queue

#: the catalog's status colours, and grey for a run not started yet
QUEUE_COLOURS = {**STATUS_COLOURS, "planned": STATUS_COLOURS["queued"]}
_COLUMNS = ["#", "Step", "Procedure", "Settings that vary", "Estimate", "Status",
            "Catalog run"]
_STATUS, _RUN = 5, 6


class QueuePanel(QWidget):
    """Load a queue file, see its runs and their status, run, resume or stop it."""

    def __init__(self, session: StationSession, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.session = session
        self.plan: QueuePlan | None = None
        self.queue_id: int | None = None
        self.statuses: dict[int, str] = {}
        self.message = MessageBar()
        self.file_label = QLabel("No queue loaded")
        self.summary = QLabel("")
        self.runner_label = QLabel("")
        self.runner: Runner | None = None
        self.load_button = QPushButton("Load queue file…")
        self.run_button = QPushButton("Run from the start")
        self.resume_button = QPushButton("Resume")
        self.stop_button = QPushButton("Stop")
        self.progress = QProgressBar()
        self.progress.setTextVisible(True)
        self.progress.setMinimumWidth(260)
        self.progress.setVisible(False)
        self._position = 0  # 1-based place of the running run, 0 when none
        source = session.station.config.source_path
        self.builder = QueueBuilder(session.guard,
                                    source if source and Path(source).is_file() else None)
        self.builder.saved.connect(self._builder_saved)
        self.table = QTableWidget(0, len(_COLUMNS))
        self.table.setHorizontalHeaderLabels(_COLUMNS)
        self.table.verticalHeader().setVisible(False)
        self.table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QTableWidget.SelectionBehavior.SelectRows)
        header = self.table.horizontalHeader()
        for col in range(len(_COLUMNS)):
            header.setSectionResizeMode(col, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(3, QHeaderView.ResizeMode.Stretch)
        buttons = QHBoxLayout()
        buttons.addWidget(self.load_button)
        buttons.addStretch(1)
        for button in (self.run_button, self.resume_button, self.stop_button):
            buttons.addWidget(button)
        foot = QHBoxLayout()
        foot.addWidget(self.summary, 1)
        foot.addWidget(self.progress)
        left = QWidget()
        left_layout = QVBoxLayout(left)
        left_layout.setContentsMargins(0, 0, 4, 0)
        left_layout.addWidget(self.file_label)
        left_layout.addWidget(self.runner_label)
        left_layout.addLayout(buttons)
        left_layout.addWidget(self.table, 1)
        left_layout.addLayout(foot)
        right = QWidget()
        right_layout = QVBoxLayout(right)
        right_layout.setContentsMargins(4, 0, 0, 0)
        right_layout.addWidget(self.builder)
        right_layout.addStretch(1)
        splitter = QSplitter(Qt.Orientation.Horizontal)
        splitter.addWidget(left)
        splitter.addWidget(right)
        splitter.setStretchFactor(0, 1)
        splitter.setStretchFactor(1, 0)
        splitter.setSizes([850, 400])
        splitter.setChildrenCollapsible(False)
        self.file_label.setWordWrap(True)
        layout = QVBoxLayout(self)
        layout.addWidget(self.message)
        layout.addWidget(splitter, 1)
        self.load_button.clicked.connect(self._choose_file)
        self.run_button.clicked.connect(lambda: self.run(resume=False))
        self.resume_button.clicked.connect(lambda: self.run(resume=True))
        self.stop_button.clicked.connect(session.stop)
        session.queue_run_started.connect(self._run_started)
        session.queue_run_finished.connect(self._run_finished)
        session.progress.connect(self._run_progress)
        session.busy_changed.connect(lambda busy: self._update_buttons())
        session.make_safe_started.connect(lambda after: self._update_buttons())
        session.job_finished.connect(self._job_finished)
        self._running_here = False
        self._runner_timer = QTimer(self)
        self._runner_timer.timeout.connect(self.refresh_runner)
        self._runner_timer.start(3000)
        self._update_buttons()

    # -- loading ------------------------------------------------------------------------
    def _choose_file(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Queue file", "", "Queue files (*.yaml "
                                              "*.yml);;All files (*)")
        if path:
            self.load(path)

    def load(self, path: str | Path) -> bool:
        """Read, expand and check ``path`` against this station's limits; on any problem
        show it and keep what was loaded before."""
        try:
            queue = load_queue_file(path)
            plan = plan_queue(queue, str(path), self.session.station.guard,
                              self.session.station.config)
        except QueueFileError as exc:
            self.message.error(f"Queue not loaded: {exc}")
            return False
        self.plan = plan
        self.file_label.setText(f"<b>{plan.name}</b> — {Path(path).resolve()} — checked "
                                f"against the limits of '{self.session.station.config.name}'")
        self.message.clear()
        self._read_journal()
        self._fill_table()
        self.refresh_runner()
        return True

    def _read_journal(self) -> None:
        """Statuses from the latest journaled queue of this file with the same runs."""
        assert self.plan is not None
        self.queue_id, self.statuses = None, {}
        latest = self.session.view_catalog.latest_queue(str(Path(self.plan.file).resolve()))
        if latest is not None and latest["plan_hash"] == self.plan.plan_hash:
            self.queue_id = int(latest["id"])
            self.statuses = queue_progress(self.session.view_catalog, self.queue_id)
        elif latest is not None:
            self.message.info(f"The file changed since queue {latest['id']} ran it: Resume "
                              "is not possible; Run starts a new queue.")

    def _builder_saved(self, path: str) -> None:
        if self._running_here:
            self.message.info(f"Saved {path}; load it here when the queue that runs has "
                              "ended.")
        elif self.load(path):
            self.message.ok(f"Saved {path} and loaded it: Run from the start when ready, or "
                            f"from a shell: labspin queue run {path}")

    def _fill_table(self) -> None:
        assert self.plan is not None
        varying = varying_parameters(self.plan)
        self.table.setRowCount(len(self.plan.runs))
        for run in self.plan.runs:
            settings = summary(run.procedure, run.parameters, varying.get(run.procedure, ()),
                               sep=", ")
            cells = [str(run.index + 1), f"{run.step}: {run.label}", run.procedure,
                     settings, format_duration(run.duration), "", ""]
            for col, text in enumerate(cells):
                self.table.setItem(run.index, col, QTableWidgetItem(text))
            self._set_status(run.index, self.statuses.get(run.index, "planned"))
        self._update_summary()
        self._update_buttons()

    # -- status -------------------------------------------------------------------------
    def status_of(self, index: int) -> str:
        return self.table.item(index, _STATUS).text()

    def _set_status(self, index: int, status: str, run_id: int | None = None) -> None:
        item = QTableWidgetItem(status)
        item.setForeground(QColor(QUEUE_COLOURS.get(status, "#000000")))
        self.table.setItem(index, _STATUS, item)
        if run_id is not None:
            self.table.setItem(index, _RUN, QTableWidgetItem(str(run_id)))

    def _update_summary(self) -> None:
        if self.plan is None:
            return
        counts: dict[str, int] = {}
        for index in range(len(self.plan.runs)):
            status = self.status_of(index)
            counts[status] = counts.get(status, 0) + 1
        parts = [f"{n} {status}" for status, n in sorted(counts.items())]
        self.summary.setText(f"{len(self.plan.runs)} runs, about "
                             f"{format_duration(self.plan.duration)} on hardware: "
                             + ", ".join(parts)
                             + (f" (queue {self.queue_id})" if self.queue_id else ""))

    def refresh_runner(self) -> Runner | None:
        """Read who runs the loaded queue now (its lock) and show it."""
        if self.plan is None:
            return None
        try:
            self.runner = current_runner(self.session.catalog.data_dir, self.plan.file)
        except QueueLockError as exc:
            self.runner = None
            self.runner_label.setText(f"Cannot tell who runs this queue: {exc}")
            return None
        if self.runner is None:
            self.runner_label.setText("Not running now.")
        else:
            where = ("this window" if self._running_here else
                     "another process" if not self.runner.here else "this program, not here")
            self.runner_label.setText(f"Running in {where}: {self.runner.describe()}")
        self._update_buttons()
        return self.runner

    def _update_buttons(self) -> None:
        busy = self.session.busy
        loaded = self.plan is not None
        busy = busy or (self.runner is not None and not self._running_here) \
            or self.session.station.closed
        unfinished = loaded and any(self.statuses.get(r.index) != "finished"
                                    for r in self.plan.runs)
        self.load_button.setEnabled(not self._running_here)
        self.run_button.setEnabled(loaded and not busy)
        self.resume_button.setEnabled(loaded and not busy and self.queue_id is not None
                                      and bool(unfinished))
        self.stop_button.setEnabled(busy and self._running_here
                                    and not self.session.making_safe)

    # -- running ------------------------------------------------------------------------
    def run(self, resume: bool = False) -> bool:
        """Start (or resume) the loaded queue on the station; False if it cannot start."""
        if self.plan is None:
            self.message.error("Load a queue file first.")
            return False
        if self.session.busy or self.session.station.closed:
            self.message.info("The station is closed: nothing more can run."
                              if self.session.station.closed else
                              "The station is busy: wait for the running measurement.")
            return False
        runner = self.refresh_runner()
        if runner is not None:
            self.message.error(f"This queue is already running ({runner.describe()}); "
                               "wait for it to end or stop it there, then Resume.")
            return False
        if not resume:
            self.statuses = {}
            self._fill_table()
        self._running_here = True
        self.message.info("Queue running; Stop ends the current run (aborted) and keeps "
                          "the rest for Resume.")
        self.session.run_queue(self.plan, resume=resume)
        self._update_buttons()
        QTimer.singleShot(300, self.refresh_runner)
        return True

    def _run_started(self, queue_id: int, index: int) -> None:
        if not self._running_here:
            return
        if self.runner is None:
            self.refresh_runner()
        self.queue_id = queue_id
        self.statuses[index] = "running"
        self._set_status(index, "running")
        self.table.scrollToItem(self.table.item(index, 0))
        self._update_summary()
        self._position = index + 1
        self._run_progress(0.0)

    def _run_progress(self, percent: float) -> None:
        """The queue's progress: finished runs plus the part of the running one."""
        if not self._running_here or self.plan is None or not self._position:
            return
        total = len(self.plan.runs)
        done = sum(1 for r in self.plan.runs if self.statuses.get(r.index) == "finished")
        self.progress.setRange(0, 100 * total)
        self.progress.setValue(min(100 * total, round(100 * done + percent)))
        self.progress.setFormat(f"run {self._position} of {total}: {percent:.0f} % "
                                f"(queue %p %)")
        self.progress.setVisible(True)

    def _run_finished(self, index: int, record: object) -> None:
        if not self._running_here:
            return
        self.statuses[index] = record.status
        self._set_status(index, record.status, record.id)
        self._update_summary()

    def _job_finished(self, outcome: str, error: str) -> None:
        if not self._running_here:
            return
        self._running_here = False
        self._position = 0
        self.progress.setVisible(False)
        self.refresh_runner()
        if self.plan is not None:
            self._read_journal()
            for run in self.plan.runs:
                self._set_status(run.index, self.statuses.get(run.index, "planned"))
            self._update_summary()
        complete = self.plan is not None and all(
            self.statuses.get(r.index) == "finished" for r in self.plan.runs)
        if error:
            self.message.error(f"The queue stopped: {error}. {safety_sentence(self.session)} "
                               "Resume continues at the first unfinished run.")
        elif complete:
            self.message.ok(f"{outcome[:1].upper()}{outcome[1:]}.")
        else:
            self.message.info(f"{outcome[:1].upper()}{outcome[1:]}. Resume continues at the "
                              "first unfinished run.")
        self._update_buttons()
