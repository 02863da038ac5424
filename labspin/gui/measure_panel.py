"""The Measure view: choose a procedure, set its parameters, run or line up runs, watch.

The parameters are a :class:`ParameterForm`: values with units, each problem (not a
number, outside the parameter's range, beyond the station limits) shown under its box
as it is typed, with the same check as a queue plan. A run that would be refused never
starts. The plot is a :class:`LivePlot` headed by the running run: its number, its
place in a queue, and its parameters (whoever started it, this view or the Queue view).
"""

from __future__ import annotations

import html
import logging
from typing import Any

from PyQt6.QtCore import Qt, pyqtSignal
from PyQt6.QtGui import QAction
from PyQt6.QtWidgets import (
    QComboBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QMenu,
    QProgressBar,
    QPushButton,
    QScrollArea,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from labspin.gui.describe import changed_from_defaults, summary
from labspin.gui.live_plot import LivePlot
from labspin.gui.message_bar import MessageBar
from labspin.gui.parameter_form import FormCheck, ParameterForm, parameter_names
from labspin.gui.session import RunInfo, StationSession, safety_sentence
from labspin.procedures import PROCEDURES, procedure_class
from labspin.procedures.base import format_duration

__all__ = ["MeasurePanel", "describe_run", "parameter_names"]

log = logging.getLogger(__name__)

#: past runs offered in the plot's "Past runs" menu
OVERLAY_MENU_RUNS = 25


def describe_run(procedure: Any) -> str:
    """One line for the list of runs to do: the procedure and the settings that differ
    from its defaults, with units."""
    name = type(procedure).__name__
    values = {key: param.value for key, param in procedure.parameter_objects().items()}
    changed = changed_from_defaults(name, values)
    sample = getattr(procedure, "sample", None)
    return (f"{name}" + (f" on {sample}" if sample else "") + ": "
            + (summary(name, values, changed, sep=", ") if changed else "defaults"))


class MeasurePanel(QWidget):
    """Procedure, parameters, runs to do, and the live plot of the running one."""

    #: a procedure and parameters were put in the form: (procedure, names left out)
    parameters_loaded = pyqtSignal(str, list)
    #: the procedure or a parameter changed (``last_check`` holds the form checked)
    settings_changed = pyqtSignal()

    def __init__(self, session: StationSession, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.session = session
        self.procedure_name = ""
        self.form: ParameterForm | None = None
        self.last_check = FormCheck(None)
        self.todo: list[Any] = []  # configured procedures waiting to run
        self._running_here = False

        self.procedure_combo = QComboBox()
        self.procedure_combo.addItems(list(PROCEDURES))
        # the bar of the station's chip the run measures (station file samples:)
        self.sample_combo = QComboBox()
        samples = getattr(session.station, "samples", None) or {}
        self.sample_combo.addItems(list(samples))
        current = getattr(session.station, "sample", None)
        if current is not None:
            self.sample_combo.setCurrentText(current.id)
        self.sample_combo.setEnabled(len(samples) > 1)
        self.description = QLabel()
        self.description.setWordWrap(True)
        self.description.setStyleSheet("color:#444;")
        self.estimate = QLabel()
        self.estimate.setWordWrap(True)
        self.message = MessageBar()
        self.run_button = QPushButton("Run")
        self.queue_button = QPushButton("Add to runs to do")
        self.abort_button = QPushButton("Abort")
        self.defaults_button = QPushButton("Defaults")
        self.defaults_button.setToolTip("Put every parameter back to its default")
        self.remove_button = QPushButton("Remove")
        self.todo_list = QListWidget()
        self.todo_list.setWordWrap(True)
        self.progress = QProgressBar()
        self.progress.setRange(0, 100)
        self.progress.setValue(0)
        self.progress.setFormat("%p %")
        self.progress.setTextVisible(True)
        self.progress.setMinimumWidth(220)
        self.status = QLabel("Idle")
        self.plot = LivePlot()
        self.overlay_menu = QMenu(self)
        self.plot.overlay_button.setMenu(self.overlay_menu)
        self._build()

        self.procedure_combo.currentTextChanged.connect(self.select_procedure)
        self.sample_combo.currentTextChanged.connect(lambda _: self.update_estimate())
        self.run_button.clicked.connect(self.run_current)
        self.queue_button.clicked.connect(self.queue_current)
        self.abort_button.clicked.connect(self.abort)
        self.remove_button.clicked.connect(self.remove_selected)
        self.defaults_button.clicked.connect(lambda: self.form.reset())
        self.plot.use_button.clicked.connect(self.use_running_parameters)
        self.overlay_menu.aboutToShow.connect(self._fill_overlay_menu)
        session.run_started.connect(self._run_started)
        session.row.connect(self.plot.add_row)
        session.progress.connect(self._progress)
        session.run_finished.connect(self._run_finished)
        session.busy_changed.connect(self._busy_changed)
        session.job_finished.connect(self._job_finished)
        session.make_safe_started.connect(lambda after: self._busy_changed(True))
        self.select_procedure(self.procedure_combo.currentText())
        self._busy_changed(session.busy)

    def _build(self) -> None:
        #: what a run is of, above its parameters (one row each: procedure, sample, ...)
        self.run_form = QFormLayout()
        self.run_form.addRow("Procedure", self.procedure_combo)
        self.run_form.addRow("Sample", self.sample_combo)
        self._inputs_box = QGroupBox("Parameters")
        self._scroll = QScrollArea()
        self._scroll.setWidgetResizable(True)
        self._scroll.setFrameShape(QScrollArea.Shape.NoFrame)
        box_layout = QVBoxLayout(self._inputs_box)
        box_layout.setContentsMargins(6, 6, 6, 6)
        box_layout.addWidget(self._scroll, 1)
        buttons = QHBoxLayout()
        for button in (self.run_button, self.queue_button, self.abort_button):
            buttons.addWidget(button)
        todo_box = QGroupBox("Runs to do (run one after the other)")
        todo_layout = QVBoxLayout(todo_box)
        todo_layout.addWidget(self.todo_list)
        todo_layout.addWidget(self.remove_button, 0, Qt.AlignmentFlag.AlignRight)
        estimate_row = QHBoxLayout()
        estimate_row.addWidget(self.estimate, 1)
        estimate_row.addWidget(self.defaults_button, 0, Qt.AlignmentFlag.AlignTop)
        left = QWidget()
        left_layout = QVBoxLayout(left)
        left_layout.setContentsMargins(0, 0, 4, 0)
        left_layout.addLayout(self.run_form)
        left_layout.addWidget(self.description)
        left_layout.addWidget(self._inputs_box, 4)
        left_layout.addLayout(estimate_row)
        left_layout.addLayout(buttons)
        left_layout.addWidget(todo_box, 1)
        right = QWidget()
        right_layout = QVBoxLayout(right)
        right_layout.setContentsMargins(4, 0, 0, 0)
        right_layout.addWidget(self.plot, 1)
        bottom = QHBoxLayout()
        bottom.addWidget(self.status, 1)
        bottom.addWidget(self.progress)
        right_layout.addLayout(bottom)
        splitter = QSplitter()
        splitter.addWidget(left)
        splitter.addWidget(right)
        splitter.setStretchFactor(0, 0)
        splitter.setStretchFactor(1, 1)
        splitter.setSizes([420, 840])
        splitter.setChildrenCollapsible(False)
        layout = QVBoxLayout(self)
        layout.addWidget(self.message)
        layout.addWidget(splitter, 1)

    # -- parameters ---------------------------------------------------------------------
    def select_procedure(self, name: str) -> None:
        """Show the parameters of procedure ``name`` (a key of PROCEDURES)."""
        if name != self.procedure_combo.currentText():
            self.procedure_combo.setCurrentText(name)  # re-enters through the signal
            return
        cls = procedure_class(name)
        self.form = ParameterForm(cls)
        self.form.changed.connect(self.update_estimate)
        self._scroll.setWidget(self.form)  # deletes the old form
        self.procedure_name = name
        self.description.setText(getattr(cls, "DESCRIPTION", "") or "")
        self.message.clear()
        self.plot.prepare(self.form._template)
        self.update_estimate()

    def set_parameters(self, values: dict[str, Any]) -> list[str]:
        """Fill the form with ``values`` (parameter name -> value in SI units); returns
        the names the procedure does not have."""
        return self.form.set_values(values)

    def use_parameters(self, procedure: str, values: dict[str, Any], source: str) -> bool:
        """Put a run's procedure and parameters in the form (``source`` names the run in
        the message); False when labspin does not know the procedure."""
        if procedure not in PROCEDURES:
            self.message.error(f"{source} is a {procedure} run, a procedure this labspin "
                               f"does not have ({', '.join(PROCEDURES)}).")
            return False
        self.select_procedure(procedure)
        unknown = self.set_parameters(values)
        check = self.update_estimate()
        text = f"Parameters of {source} in the form."
        if unknown:
            text += f" Left out (not parameters of {procedure} now): {', '.join(unknown)}."
        if check.ok:
            self.message.ok(text)
        else:
            self.message.warning(f"{text} They would not run here: {check.summary}")
        self.parameters_loaded.emit(procedure, unknown)
        return True

    def use_running_parameters(self) -> None:
        info = self.plot.info
        if info is not None:
            self.use_parameters(info.procedure_name, info.parameters, f"run {info.run_id}")

    def _station_config(self) -> Any:
        station = getattr(self.session, "station", None)
        return getattr(station, "config", None)

    def make_procedure(self) -> Any | None:
        """The procedure as set in the form, checked against the station limits; None
        (and a message saying why) when it would not be allowed to run."""
        check = self._check(fresh=True)
        self._show_estimate(check)
        if not check.ok:
            self.message.error(f"{self.procedure_name} not started: {check.summary}")
            return None
        self.message.clear()
        return check.procedure

    def update_estimate(self) -> FormCheck:
        """Check the form as it stands and say what it would do (or why it would not)."""
        check = self._check()
        self._show_estimate(check)
        return check

    def _check(self, fresh: bool = False) -> FormCheck:
        """The form checked against the limits of the bar chosen in the Sample box."""
        sample = self.sample_combo.currentText() or None
        guard = self.session.guard
        if sample is not None and hasattr(guard, "for_sample"):
            guard = guard.for_sample(sample)  # its cross-section sets the densities
        check = self.form.check(guard, fresh=fresh, config=self._station_config())
        if check.procedure is not None:
            check.procedure.sample = sample
        return check

    def _show_estimate(self, check: FormCheck) -> None:
        self.last_check = check
        self.settings_changed.emit()
        if not check.ok:
            boxes = [self.form.fields[name].param.name for name in check.problems
                     if name in self.form.fields]
            text = (f"Would not run: see under {', '.join(boxes)}." if boxes
                    else f"Would not run: {html.escape(check.summary)}")
            self.estimate.setText(f"<span style='color:#b35900'>{text}</span>")
            return
        procedure = check.procedure
        self.estimate.setText(
            f"{procedure.planned_points()} points, about "
            f"{format_duration(procedure.estimated_duration())} on hardware; "
            "<span style='color:#2e7d32'>within the station limits</span>")

    # -- runs ---------------------------------------------------------------------------
    def queue_current(self) -> bool:
        """Add the procedure as set to the runs to do; False (and a message) if refused."""
        procedure = self.make_procedure()
        if procedure is None:
            return False
        self.todo.append(procedure)
        self.todo_list.addItem(describe_run(procedure))
        return True

    def run_current(self) -> bool:
        """Add the procedure as set and start the runs to do unless the station is busy."""
        if self.session.making_safe or self.session.station.closed:
            self.message.info("The station is closed: nothing more can run."
                              if self.session.station.closed else
                              "The station is being made safe: runs can start when it has "
                              "ended (Station view).")
            return False
        if not self.queue_current():
            return False
        if not self.session.busy:
            self.start_next()
        else:
            self.message.info("The station is busy: the run waits in the list.")
        return True

    def start_next(self) -> None:
        if not self.todo or self.session.busy or self.session.close_pending \
                or self.session.station.closed:
            return
        procedure = self.todo.pop(0)
        self.todo_list.takeItem(0)
        self._running_here = True
        self.session.run_procedures([procedure])

    def abort(self) -> None:
        """Stop the running run (it ends aborted, the bench is made safe); the runs to
        do stay in the list."""
        if self.session.busy and not self.session.making_safe:
            self.session.stop()
            self.status.setText("Aborting…")

    def remove_selected(self) -> None:
        row = self.todo_list.currentRow()
        if 0 <= row < len(self.todo):
            self.todo.pop(row)
            self.todo_list.takeItem(row)

    # -- past runs beside the live one ----------------------------------------------------
    def overlay_run(self, run_id: int) -> bool:
        """Draw run ``run_id`` of the catalog beside the live curves; False (and a
        message) when it cannot be read."""
        from labspin.analysis.loaders import RunFileError, load_run
        from labspin.runs import CatalogError

        try:
            record = self.session.view_catalog.get(run_id)
            if not record.file:
                raise CatalogError(f"run {run_id} has no data file")
            data = load_run(record.file).data
        except (CatalogError, RunFileError, OSError) as exc:
            self.message.error(f"Run {run_id} cannot be drawn: {exc}")
            return False
        self.plot.show_overlay(run_id, f"{run_id}: {record.procedure} (past)", data)
        xcol, ycol = self.plot.x_column.currentText(), self.plot.y_column.currentText()
        missing = [c for c in (xcol, ycol) if c not in data.columns]
        if missing:
            self.message.warning(f"Run {run_id} ({record.procedure}) has no column "
                                 f"{' or '.join(missing)}: choose axes it has to see it.")
        elif not self.plot.overlay_data(run_id)[0].size:
            self.message.warning(f"Run {run_id} has no values in {ycol} against {xcol}: "
                                 "choose other axes to see it.")
        return True

    def _fill_overlay_menu(self) -> None:
        from labspin.runs import CatalogError

        menu = self.overlay_menu
        menu.clear()
        try:
            records = self.session.view_catalog.query(limit=OVERLAY_MENU_RUNS)
        except CatalogError as exc:
            menu.addAction(f"Cannot read the catalog: {exc}").setEnabled(False)
            return
        shown = set(self.plot.overlay_ids)
        records = [r for r in reversed(records) if r.file and r.status != "running"]
        if not records:
            menu.addAction("No past runs in the catalog yet").setEnabled(False)
        for record in records:
            values = changed_from_defaults(record.procedure, record.parameters)
            text = f"{record.id}: {record.procedure} on {record.sample or '?'}, " \
                   f"{record.status}"
            if values:
                text += " — " + summary(record.procedure, record.parameters, values[:3],
                                        sep=", ")
            action = QAction(text, menu)
            action.setCheckable(True)
            action.setChecked(record.id in shown)
            action.toggled.connect(lambda on, run_id=record.id: self.overlay_run(run_id)
                                   if on else self.plot.remove_overlay(run_id))
            menu.addAction(action)
        if shown:
            menu.addSeparator()
            menu.addAction("Remove all past runs", self.plot.clear_overlays)

    # -- session events -----------------------------------------------------------------
    def _run_started(self, info: RunInfo) -> None:
        self.plot.start_run(info)
        self.progress.setValue(0)
        self.status.setText(self._status_text(info, 0.0))

    def _progress(self, percent: float) -> None:
        self.progress.setValue(round(percent))
        info = self.plot.info
        if info is not None and self.session.busy:
            self.status.setText(self._status_text(info, percent))

    @staticmethod
    def _status_text(info: RunInfo, percent: float) -> str:
        text = f"Run {info.run_id} ({info.procedure_name}) running: {percent:.0f} %"
        if info.queue_position is not None:
            text += f" — queue run {info.queue_position} of {info.queue_total}"
        return text

    def _run_finished(self, record: Any) -> None:
        self.plot.finish_run(record)
        text = f"Run {record.id} ({record.procedure}): {record.status}, {record.rows} rows"
        if record.status == "finished":
            self.progress.setValue(100)
        if record.error:
            text += f" — {record.error}"
            self.message.error(text)
        self.status.setText(text)

    def _busy_changed(self, busy: bool) -> None:
        safing = self.session.making_safe  # nothing starts, nothing to abort, until it ends
        self.abort_button.setEnabled(busy and not safing)
        self.run_button.setEnabled(not safing and not self.session.station.closed)
        # while a run goes, its own parameters are shown above the plot
        self._inputs_box.setTitle("Parameters of the next run" if busy else "Parameters")

    def _job_finished(self, outcome: str, error: str) -> None:
        if error:
            self.message.error(f"The run stopped: {error}. " + safety_sentence(self.session))
        was_mine, self._running_here = self._running_here, False
        if was_mine and not self.session.stop_requested:
            self.start_next()
