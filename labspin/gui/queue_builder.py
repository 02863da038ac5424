"""A queue built in the window: the Measure view's procedure and parameters with one or
two of them swept, saved as a queue file for ``labspin queue plan`` and ``labspin queue
run`` (and loaded in the Queue view at once).

Sweep values are written as a person writes them ("50 us, 100 us, 1 ms"; or start,
stop and count or step for linspace, logspace and range) and go into the file as
typed; two sweeps make a grid (every combination, the first outermost) or run side by
side (zip). The queue is planned as it is edited, with the planner and the station
limits ``labspin queue plan`` uses, so what is saved is what would run.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml
from PyQt6.QtCore import QTimer, pyqtSignal
from PyQt6.QtWidgets import (
    QComboBox,
    QFileDialog,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QWidget,
)

from labspin.configfiles import QuantityError, parse_quantity
from labspin.gui.parameter_form import FormCheck, format_value
from labspin.procedures import procedure_class
from labspin.procedures.base import format_duration
from labspin.queues import QueueFileError, QueuePlan, parse_queue, plan_queue

__all__ = ["BuilderError", "QueueBuilder", "fixed_parameters", "queue_document",
           "sweep_items"]

#: what each kind of sweep takes, as the box's hint
KIND_HINTS = {
    "values": "values: 50 us, 100 us, 1 ms",
    "linspace": "start, stop, count: 10 mA, 40 mA, 7",
    "logspace": "start, stop, count: 10 us, 1 ms, 5",
    "range": "start, stop, step: 0 mT, 10 mT, 2 mT",
}
COMBINE = {"grid": "grid: every combination", "zip": "zip: side by side"}
_NONE = ("— choose a parameter —", "— none —")


class BuilderError(ValueError):
    """The queue cannot be built as set; the message says what to change."""


def sweep_items(text: str, kind: str, label: str) -> list[Any]:
    """The comma-separated entries of a sweep box: numbers as numbers, the rest (values
    with units, choices) as written."""
    entries = [part.strip() for part in text.split(",")]
    if not text.strip() or any(not part for part in entries):
        raise BuilderError(f"{label}: write {KIND_HINTS[kind]}")
    if kind != "values" and len(entries) != 3:
        raise BuilderError(f"{label}: {kind} takes three entries, "
                           f"{KIND_HINTS[kind].split(': ', 1)[0]} (got {len(entries)})")
    items: list[Any] = []
    for part in entries:
        try:
            number = float(part)
        except ValueError:
            items.append(part)
            continue
        items.append(int(number) if number.is_integer() and "." not in part
                     and "e" not in part.lower() else number)
    return items


def fixed_parameters(procedure: str, values: dict[str, Any], skip: set[str]) -> dict[str, Any]:
    """The parameters that differ from their defaults, as a person writes them ("45 mA"
    when that reads back exactly, else the number in SI units)."""
    objects = procedure_class(procedure)().parameter_objects()
    fixed: dict[str, Any] = {}
    for name, value in values.items():
        param = objects.get(name)
        if param is None or name in skip or value == param.default:
            continue
        units = getattr(param, "units", None)
        if isinstance(value, float) and units:
            text = format_value(param, value)
            try:
                exact = parse_quantity(text, units, "") == value
            except QuantityError:
                exact = False
            fixed[name] = text if exact else value
        else:
            fixed[name] = value
    return fixed


def queue_document(name: str, procedure: str, fixed: dict[str, Any],
                   sweeps: list[tuple[str, str, list[Any]]], combine: str = "grid",
                   repeat: int = 1, station: str | None = None) -> dict[str, Any]:
    """A queue file's content: one step of ``procedure`` with ``fixed`` parameters and
    ``sweeps`` (parameter, kind, entries), nested (grid) or together (zip)."""
    specs = [{parameter: {kind: entries}} for parameter, kind, entries in sweeps]
    if combine == "zip" and len(specs) > 1:
        specs = [{k: v for spec in specs for k, v in spec.items()}]
    step: dict[str, Any] = {"procedure": procedure, "label": name}
    if fixed:
        step["parameters"] = fixed
    step["sweep"] = specs
    if repeat > 1:
        step["repeat"] = repeat
    document: dict[str, Any] = {"name": name}
    if station:
        document["station"] = station
    document["steps"] = [step]
    return document


class QueueBuilder(QGroupBox):
    """The builder: one step of the Measure view's procedure with one or two sweeps."""

    #: a queue file was written (its path)
    saved = pyqtSignal(str)

    def __init__(self, guard: Any, station_file: str | None = None,
                 parent: QWidget | None = None) -> None:
        super().__init__("New queue: sweep the Measure view's procedure", parent)
        self.guard = guard
        self.station_file = station_file
        self._source: Callable[[], tuple[str, FormCheck]] | None = None
        self.procedure = ""
        self.last_plan: QueuePlan | None = None
        self.procedure_label = QLabel("—")
        self.procedure_label.setWordWrap(True)
        self.parameter = [QComboBox(), QComboBox()]
        self.kind = [QComboBox(), QComboBox()]
        self.values = [QLineEdit(), QLineEdit()]
        for i in range(2):
            self.kind[i].addItems(list(KIND_HINTS))
            self.values[i].setPlaceholderText(KIND_HINTS["values"])
            self.parameter[i].setObjectName(f"sweepParameter{i + 1}")
            self.values[i].setObjectName(f"sweepValues{i + 1}")
        self.combine = QComboBox()
        for key, text in COMBINE.items():
            self.combine.addItem(text, key)
        self.repeat = QSpinBox()
        self.repeat.setRange(1, 100)
        self.name = QLineEdit()
        self.name.setPlaceholderText("name of the queue")
        self.status = QLabel()
        self.status.setWordWrap(True)
        self.save_button = QPushButton("Save queue file…")
        self._replan_soon = QTimer(self)  # typing in the Measure view replans once it pauses
        self._replan_soon.setSingleShot(True)
        self._replan_soon.setInterval(250)
        self._replan_soon.timeout.connect(self.replan)
        self._build()
        for widget in (*self.parameter, *self.kind, self.combine):
            widget.currentIndexChanged.connect(self.replan)
        for edit in (*self.values, self.name):
            edit.textEdited.connect(self.replan)
        self.repeat.valueChanged.connect(self.replan)
        for i in range(2):
            self.kind[i].currentTextChanged.connect(
                lambda kind, i=i: self.values[i].setPlaceholderText(KIND_HINTS[kind]))
        self.save_button.clicked.connect(self._choose_file)

    def _build(self) -> None:
        form = QFormLayout(self)
        form.addRow("Procedure", self.procedure_label)
        for i, title in enumerate(("Sweep", "and")):
            form.addRow(title, self.parameter[i])
            row = QHBoxLayout()
            row.addWidget(self.kind[i])
            row.addWidget(self.values[i], 1)
            form.addRow("", row)
        form.addRow("Two sweeps", self.combine)
        form.addRow("Repeat", self.repeat)
        form.addRow("Name", self.name)
        form.addRow(self.status)
        form.addRow(self.save_button)

    # -- the Measure view ----------------------------------------------------------------
    def set_source(self, source: Callable[[], tuple[str, FormCheck]]) -> None:
        """Where the procedure and its parameters come from (the Measure view)."""
        self._source = source
        self.source_changed()

    def source_changed(self) -> None:
        """The Measure view's procedure or parameters changed."""
        if self._source is None:
            return
        procedure, check = self._source()
        if procedure != self.procedure:
            self.procedure = procedure
            self._fill_parameters()
        fixed = fixed_parameters(procedure, check.values, set()) if check.converted else {}
        self.procedure_label.setText(
            f"<b>{procedure}</b> with the Measure view's parameters"
            + (f" ({len(fixed)} not at their default)" if fixed else " (the defaults)"))
        self._replan_soon.start()

    def _fill_parameters(self) -> None:
        from labspin.gui.parameter_form import parameter_names

        cls = procedure_class(self.procedure)
        objects = cls().parameter_objects()
        for i, combo in enumerate(self.parameter):
            combo.blockSignals(True)
            combo.clear()
            combo.addItem(_NONE[i], "")
            for name in parameter_names(cls):
                units = getattr(objects[name], "units", None)
                combo.addItem(f"{objects[name].name}{f' ({units})' if units else ''}", name)
            combo.blockSignals(False)

    def choose(self, index: int, parameter: str, text: str, kind: str = "values") -> None:
        """Set sweep ``index`` (0 or 1) as a user would (tests, scripted use)."""
        combo = self.parameter[index]
        combo.setCurrentIndex(combo.findData(parameter))
        self.kind[index].setCurrentText(kind)
        self.values[index].setText(text)
        self.replan()

    # -- building -------------------------------------------------------------------------
    def document(self, station: str | None = None) -> dict[str, Any]:
        """The queue file's content as set; BuilderError says what is missing."""
        if self._source is None or not self.procedure:
            raise BuilderError("no procedure: choose one in the Measure view")
        procedure, check = self._source()
        if not check.converted:
            raise BuilderError(f"the Measure view's parameters have a problem: "
                               f"{check.summary}")
        sweeps = []
        for i in range(2):
            name = self.parameter[i].currentData()
            if not name:
                continue
            label = f"sweep of {name}"
            sweeps.append((name, self.kind[i].currentText(),
                           sweep_items(self.values[i].text(), self.kind[i].currentText(),
                                       label)))
        if not sweeps:
            raise BuilderError("choose a parameter to sweep")
        if len(sweeps) == 2 and sweeps[0][0] == sweeps[1][0]:
            raise BuilderError(f"{sweeps[0][0]} is swept twice: choose another second "
                               "parameter")
        name = self.name.text().strip() or f"{procedure} sweep of " + \
            " and ".join(s[0] for s in sweeps)
        fixed = fixed_parameters(procedure, check.values, {s[0] for s in sweeps})
        return queue_document(name, procedure, fixed, sweeps, self.combine.currentData(),
                              self.repeat.value(), station)

    def plan(self) -> QueuePlan:
        """The queue planned against the station limits, as ``labspin queue plan``."""
        queue = parse_queue(self.document(), "the new queue")
        return plan_queue(queue, "the new queue", self.guard)

    def replan(self, *_: Any) -> QueuePlan | None:
        """Plan the queue as set and say what it would do, or why it cannot."""
        try:
            plan = self.plan()
        except (BuilderError, QueueFileError) as exc:
            self.last_plan = None
            self.status.setText(f"<span style='color:#b35900'>{_escape(str(exc))}</span>")
            self.save_button.setEnabled(False)
            return None
        self.last_plan = plan
        self.status.setText(f"{len(plan.runs)} runs, about {format_duration(plan.duration)} "
                            "on hardware; <span style='color:#2e7d32'>every run within the "
                            "station limits</span>")
        self.save_button.setEnabled(True)
        return plan

    def _choose_file(self) -> None:
        path, _ = QFileDialog.getSaveFileName(self, "Save queue file", "queue.yaml",
                                              "Queue files (*.yaml *.yml)")
        if path:
            self.save(path)

    def save(self, path: str | Path) -> Path:
        """Write the queue file (raises BuilderError, OSError) and emit ``saved``."""
        path = Path(path)
        if path.suffix not in (".yaml", ".yml"):
            path = path.with_suffix(".yaml")
        station = None
        if self.station_file:
            station = os.path.relpath(Path(self.station_file).resolve(),
                                      path.resolve().parent)
        document = self.document(station)
        queue = parse_queue(document, str(path))  # what the file will say, checked once more
        plan_queue(queue, str(path), self.guard)
        head = [f"# Made in the labspin window on {time.strftime('%Y-%m-%d %H:%M')} from the "
                f"Measure view's {self.procedure}.",
                f"# Check it: labspin queue plan {path.name}"
                + ("" if station else " --sim   (or --station FILE)"),
                f"# Run it:   labspin queue run {path.name}"
                + ("" if station else " --sim   (or --station FILE)")]
        text = "\n".join(head) + "\n" + yaml.safe_dump(document, sort_keys=False,
                                                       allow_unicode=True)
        path.write_text(text, encoding="utf-8")
        self.saved.emit(str(path))
        return path


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
