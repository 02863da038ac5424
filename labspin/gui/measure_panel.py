"""The Measure view: choose a procedure, set its parameters, run or line up runs, watch.

The parameters come from pymeasure's ``InputsWidget`` (units, ranges, grouping by
mode), the plot is a :class:`LivePlot`. Before a run is accepted its parameters are
checked against the station limits with the same check as a queue plan; a refusal
is shown in the message bar and changes nothing.
"""

from __future__ import annotations

from typing import Any

from pymeasure.display.widgets import InputsWidget
from pymeasure.experiment import Parameter
from PyQt6.QtCore import Qt, QTimer
from PyQt6.QtWidgets import (
    QComboBox,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QProgressBar,
    QPushButton,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from labspin.gui.live_plot import LivePlot
from labspin.gui.message_bar import MessageBar
from labspin.gui.session import StationSession
from labspin.procedures import PROCEDURES, procedure_class
from labspin.procedures.base import ProcedureError, format_duration
from labspin.queues import check_procedure
from labspin.safety import LimitError


def parameter_names(cls: type) -> list[str]:
    """A procedure's parameters in the order the classes declare them; the base's
    stage temperature last (it applies to every procedure)."""
    names: list[str] = []
    for klass in reversed(cls.__mro__):
        for name, value in vars(klass).items():
            if isinstance(value, Parameter) and name not in names:
                names.append(name)
    if "stage_temperature" in names:
        names.remove("stage_temperature")
        names.append("stage_temperature")
    return names


def describe_run(procedure: Any) -> str:
    """One line for the list of runs to do: the procedure and the settings that differ
    from its defaults."""
    defaults = type(procedure)().parameter_objects()
    changed = [f"{param.name}={param}"
               for name, param in procedure.parameter_objects().items()
               if name in defaults and param.value != defaults[name].value]
    sample = getattr(procedure, "sample", None)
    return (f"{type(procedure).__name__}" + (f" on {sample}" if sample else "") + ": "
            + (", ".join(changed) or "defaults"))


class MeasurePanel(QWidget):
    """Procedure, parameters, runs to do, and the live plot of the running one."""

    def __init__(self, session: StationSession, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.session = session
        self.procedure_name = ""
        self.inputs: InputsWidget | None = None
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
        self.estimate = QLabel()
        self.estimate.setWordWrap(True)
        self.message = MessageBar()
        self.run_button = QPushButton("Run")
        self.queue_button = QPushButton("Add to runs to do")
        self.abort_button = QPushButton("Abort")
        self.remove_button = QPushButton("Remove")
        self.todo_list = QListWidget()
        self.todo_list.setWordWrap(True)
        self.progress = QProgressBar()
        self.progress.setRange(0, 100)
        self.status = QLabel("Idle")
        self.plot = LivePlot()
        self._build()

        self.procedure_combo.currentTextChanged.connect(self.select_procedure)
        self.run_button.clicked.connect(self.run_current)
        self.queue_button.clicked.connect(self.queue_current)
        self.abort_button.clicked.connect(self.abort)
        self.remove_button.clicked.connect(self.remove_selected)
        session.run_started.connect(self._run_started)
        session.row.connect(self.plot.add_row)
        session.progress.connect(lambda p: self.progress.setValue(round(p)))
        session.run_finished.connect(self._run_finished)
        session.busy_changed.connect(self._busy_changed)
        session.job_finished.connect(self._job_finished)
        self._estimate_timer = QTimer(self)
        self._estimate_timer.timeout.connect(self.update_estimate)
        self._estimate_timer.start(700)
        self.select_procedure(self.procedure_combo.currentText())
        self._busy_changed(session.busy)

    def _build(self) -> None:
        self._inputs_box = QGroupBox("Parameters")
        self._inputs_layout = QVBoxLayout(self._inputs_box)
        buttons = QHBoxLayout()
        for button in (self.run_button, self.queue_button, self.abort_button):
            buttons.addWidget(button)
        todo_box = QGroupBox("Runs to do (run one after the other)")
        todo_layout = QVBoxLayout(todo_box)
        todo_layout.addWidget(self.todo_list)
        todo_layout.addWidget(self.remove_button, 0, Qt.AlignmentFlag.AlignRight)
        left = QWidget()
        left_layout = QVBoxLayout(left)
        left_layout.addWidget(QLabel("Procedure"))
        left_layout.addWidget(self.procedure_combo)
        left_layout.addWidget(QLabel("Sample"))
        left_layout.addWidget(self.sample_combo)
        left_layout.addWidget(self.description)
        left_layout.addWidget(self._inputs_box, 3)
        left_layout.addWidget(self.estimate)
        left_layout.addLayout(buttons)
        left_layout.addWidget(todo_box, 1)
        right = QWidget()
        right_layout = QVBoxLayout(right)
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
        splitter.setSizes([360, 840])
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
        if self.inputs is not None:
            self._inputs_layout.removeWidget(self.inputs)
            self.inputs.deleteLater()
        self.inputs = InputsWidget(cls, inputs=parameter_names(cls), hide_groups=True,
                                   inputs_in_scrollarea=True)
        self._inputs_layout.addWidget(self.inputs)
        self.procedure_name = name
        self.description.setText(getattr(cls, "DESCRIPTION", "") or "")
        self.message.clear()
        self.update_estimate()

    def set_parameters(self, values: dict[str, Any]) -> None:
        """Fill the inputs with ``values`` (parameter name -> value in SI units)."""
        procedure = self.inputs.get_procedure()
        procedure.set_parameters(values)
        self.inputs.set_parameters(procedure.parameter_objects())

    def _configured(self) -> Any:
        procedure = self.inputs.get_procedure()
        procedure.parameter_values()  # every value valid for its type and range
        procedure.sample = self.sample_combo.currentText() or None
        check_procedure(procedure, self.session.station.guard)  # the limits of its bar
        return procedure

    def make_procedure(self) -> Any | None:
        """The procedure as set in the inputs, checked against the station limits; None
        (and a message saying why) when it would not be allowed to run."""
        try:
            procedure = self._configured()
        except (LimitError, ProcedureError, ValueError, TypeError) as exc:
            self.message.error(f"{self.procedure_name} not started: {exc}")
            return None
        self.message.clear()
        return procedure

    def update_estimate(self) -> None:
        if self.inputs is None:
            return
        try:
            procedure = self._configured()
        except (LimitError, ProcedureError, ValueError, TypeError) as exc:
            self.estimate.setText(f"<span style='color:#b35900'>Outside what may run: "
                                  f"{exc}</span>")
            return
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
        if not self.queue_current():
            return False
        if not self.session.busy:
            self.start_next()
        else:
            self.message.info("The station is busy: the run waits in the list.")
        return True

    def start_next(self) -> None:
        if not self.todo or self.session.busy:
            return
        procedure = self.todo.pop(0)
        self.todo_list.takeItem(0)
        self._running_here = True
        self.session.run_procedures([procedure])

    def abort(self) -> None:
        """Stop the running run (it ends aborted, the bench is made safe); the runs to
        do stay in the list."""
        if self.session.busy:
            self.session.stop()
            self.status.setText("Aborting…")

    def remove_selected(self) -> None:
        row = self.todo_list.currentRow()
        if 0 <= row < len(self.todo):
            self.todo.pop(row)
            self.todo_list.takeItem(row)

    # -- session events -----------------------------------------------------------------
    def _run_started(self, procedure: Any) -> None:
        self.plot.start_run(procedure)
        self.progress.setValue(0)
        self.status.setText(f"Running {type(procedure).__name__}…")

    def _run_finished(self, record: Any) -> None:
        text = f"Run {record.id} ({record.procedure}): {record.status}, {record.rows} rows"
        if record.error:
            text += f" — {record.error}"
            self.message.error(text)
        self.status.setText(text)

    def _busy_changed(self, busy: bool) -> None:
        self.abort_button.setEnabled(busy)

    def _job_finished(self, outcome: str, error: str) -> None:
        if error:
            self.message.error(f"The run stopped: {error}. The station was made safe.")
        was_mine, self._running_here = self._running_here, False
        if was_mine and not self.session.stop_requested:
            self.start_next()
