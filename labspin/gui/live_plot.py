"""Live plot of the running measurement (pyqtgraph): any two columns, one curve per run,
past runs from the catalog drawn beside it.

Rows arrive as fast as the bench measures them (thousands per second on the virtual
clock), so they are buffered and the curves redrawn at a fixed rate, not per row. Each
curve is named by the run's catalog number, the one the Past runs view and ``labspin
runs`` show, and a queued run by its place in the queue (from 1) and the settings that
vary along the queue.
"""

from __future__ import annotations

import html
import re
from typing import Any

import numpy as np
import pyqtgraph as pg
from PyQt6.QtCore import Qt, QTimer
from PyQt6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from labspin.gui.describe import summary
from labspin.procedures.switching import READOUT_COLUMN

#: columns that make a good x axis, in order of preference
_X_PREFERENCE = ("Field angle (deg)", "Field (T)", "Pulse current (A)", "Pulse index")
#: columns that make a good y axis, in order of preference
_Y_PREFERENCE = ("R_xy (ohm)", "R_xx 2w (ohm)", "Switched fraction", "V_xy 2w (V)")
_KEPT_CURVES = 4  # earlier runs stay on the plot, fading
_COLOURS = ((31, 119, 180), (214, 39, 40), (44, 160, 44), (148, 103, 189), (255, 127, 14))
_OVERLAY_COLOURS = ((230, 120, 0), (128, 60, 170), (0, 140, 140), (170, 40, 110),
                    (110, 110, 0))
#: units pyqtgraph may give an SI prefix (mA, µΩ); others stay in the label as written
_PREFIXED_UNITS = {"A": "A", "V": "V", "T": "T", "ohm": "Ω", "s": "s", "Hz": "Hz", "W": "W",
                   "J": "J"}
_COLUMN = re.compile(r"^(?P<name>.*?)\s*\((?P<unit>[^()]*)\)$")


def default_axes(procedure: Any) -> tuple[str, str]:
    """The natural (x, y) columns of a procedure's live plot."""
    columns = list(procedure.DATA_COLUMNS)
    readout = getattr(procedure, "readout", None)
    if getattr(procedure, "mode", None) == "field sweep":
        x = "Field (T)"
    else:
        x = next((c for c in _X_PREFERENCE if c in columns), columns[0])
    y = READOUT_COLUMN.get(readout) if isinstance(readout, str) else None
    if y not in columns:
        y = next((c for c in _Y_PREFERENCE if c in columns), columns[-1])
    return x, y


def axis_label(column: str) -> tuple[str, str | None]:
    """``'Pulse current (A)'`` -> ``('Pulse current', 'A')``: the unit is handed to
    pyqtgraph, which scales it (mA); a unit it should not prefix stays in the text."""
    match = _COLUMN.match(column)
    if match is None:
        return column, None
    unit = _PREFIXED_UNITS.get(match["unit"])
    return (match["name"], unit) if unit else (column, None)


class LivePlot(QWidget):
    """A pyqtgraph plot with column choosers; ``start_run`` opens a curve, ``add_row``
    feeds it, ``show_overlay`` draws a past run beside it."""

    def __init__(self, parent: QWidget | None = None, refresh_ms: int = 100) -> None:
        super().__init__(parent)
        self.x_column = QComboBox()
        self.y_column = QComboBox()
        for combo in (self.x_column, self.y_column):
            combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
            combo.setMinimumContentsLength(14)
        self.title = QLabel("No run yet")
        self.title.setTextFormat(Qt.TextFormat.RichText)
        self.details = QLabel("")
        self.details.setWordWrap(True)
        self.details.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.details.setStyleSheet("color:#444;")
        self.use_button = QPushButton("Use these parameters")
        self.use_button.setToolTip("Copy the parameters of the run shown into the form")
        self.use_button.setEnabled(False)
        self.overlay_button = QToolButton()
        self.overlay_button.setText("Past runs ▾")
        self.overlay_button.setToolTip("Draw runs from the catalog beside the live one")
        self.overlay_button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        self.plot = pg.PlotWidget(background="w")
        self.plot.showGrid(x=True, y=True, alpha=0.3)
        self.legend = self.plot.addLegend(offset=(-10, 10), labelTextColor="#222222",
                                          brush=(255, 255, 255, 200))
        self._runs: list[dict[str, Any]] = []  # {"id", "name", "rows", "curve", "label"}
        self._overlays: dict[int, dict[str, Any]] = {}  # id -> {"frame", "curve", "label"}
        self.info: Any = None  # RunInfo of the latest run
        self._dirty = False
        top = QHBoxLayout()
        top.addWidget(self.title, 1)
        top.addWidget(self.overlay_button)
        top.addWidget(QLabel("x:"))
        top.addWidget(self.x_column)
        top.addWidget(QLabel("y:"))
        top.addWidget(self.y_column)
        second = QHBoxLayout()
        second.addWidget(self.details, 1)
        second.addWidget(self.use_button, 0, Qt.AlignmentFlag.AlignTop)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(top)
        layout.addLayout(second)
        layout.addWidget(self.plot, 1)
        self.x_column.currentTextChanged.connect(self._axes_changed)
        self.y_column.currentTextChanged.connect(self._axes_changed)
        self._chosen = False  # the user picked an axis (kept for the next runs)
        for combo in (self.x_column, self.y_column):
            combo.activated.connect(self._user_chose)
        self._timer = QTimer(self)
        self._timer.timeout.connect(self.redraw)
        self._timer.start(refresh_ms)

    # -- axes -----------------------------------------------------------------------------
    def _set_columns(self, columns: list[str], x: str, y: str) -> None:
        present = [self.x_column.itemText(i) for i in range(self.x_column.count())]
        for combo, current in ((self.x_column, x), (self.y_column, y)):
            combo.blockSignals(True)
            if present != columns:
                combo.clear()
                combo.addItems(columns)
            combo.setCurrentText(current)
            combo.blockSignals(False)
        if present != columns:
            self._chosen = False
        self._axes_changed()

    def _user_chose(self, *_: Any) -> None:
        self._chosen = True

    def prepare(self, procedure: Any) -> None:
        """Offer the columns of ``procedure`` (an instance) before anything ran, with its
        natural axes chosen; a plot that holds curves keeps its columns."""
        if self._runs:
            return
        self._set_columns(list(procedure.DATA_COLUMNS), *default_axes(procedure))
        name = type(procedure).__name__
        self.title.setText(f"No run yet — {html.escape(name)} will plot here")

    # -- feeding --------------------------------------------------------------------------
    def start_run(self, info: Any) -> None:
        """A new curve for the run that is starting (a :class:`RunInfo`)."""
        procedure = info.procedure
        name = info.procedure_name
        columns = list(procedure.DATA_COLUMNS)
        same = [self.x_column.itemText(i) for i in range(self.x_column.count())] == columns
        if not (same and self._chosen):  # axes the user chose stay while the columns do
            self._set_columns(columns, *default_axes(procedure))
        colour = _COLOURS[info.run_id % len(_COLOURS)]
        label = self._curve_label(info)
        curve = self.plot.plot([], [], name=label, pen=pg.mkPen(colour, width=1.5),
                               symbol="o", symbolSize=5, symbolBrush=colour, symbolPen=None)
        self._runs.append({"id": info.run_id, "name": name, "rows": [], "curve": curve,
                           "label": label})
        while len(self._runs) > _KEPT_CURVES:
            old = self._runs.pop(0)
            self.plot.removeItem(old["curve"])
        for i, run in enumerate(self._runs[:-1]):  # earlier runs fade
            alpha = 60 + 40 * i
            run["curve"].setPen(pg.mkPen((150, 150, 150, alpha), width=1))
            run["curve"].setSymbolBrush((150, 150, 150, alpha))
        self.info = info
        self.title.setText(self._title(info, "running"))
        self.details.setText(summary(name, info.parameters))
        self.use_button.setEnabled(True)
        self._axes_changed()

    def finish_run(self, record: Any) -> None:
        """The run ended: say how in the title (it stays the latest run shown)."""
        if self.info is None or record.id != self.info.run_id:
            return
        rows = f", {record.rows} rows"
        self.title.setText(self._title(self.info, f"{record.status}{rows}"))

    @staticmethod
    def _curve_label(info: Any) -> str:
        if info.queue_position is not None and info.varying:
            return f"{info.run_id}: " + summary(info.procedure_name, info.parameters,
                                                info.varying, sep=", ")
        return f"{info.run_id}: {info.procedure_name}"

    @staticmethod
    def _title(info: Any, state: str) -> str:
        e = html.escape
        text = f"<b>Run {info.run_id}</b> · {e(info.procedure_name)}"
        if info.queue_position is not None:
            text += (f" · queue {info.queue_id} '{e(info.queue_name)}', "
                     f"run {info.queue_position} of {info.queue_total}")
        colour = "#1565c0" if state == "running" else "#555555"
        return text + f" · <span style='color:{colour}'>{e(state)}</span>"

    def add_row(self, row: dict[str, Any]) -> None:
        if not self._runs:
            return
        self._runs[-1]["rows"].append(row)
        self._dirty = True

    # -- past runs beside the live one ------------------------------------------------------
    def show_overlay(self, run_id: int, label: str, frame: Any) -> None:
        """Draw a past run (its data as a DataFrame) dashed beside the live curves."""
        self.remove_overlay(run_id)
        colour = _OVERLAY_COLOURS[len(self._overlays) % len(_OVERLAY_COLOURS)]
        curve = self.plot.plot([], [], name=label,
                               pen=pg.mkPen(colour, width=1.5, style=Qt.PenStyle.DashLine),
                               symbol="t", symbolSize=5, symbolBrush=colour, symbolPen=None)
        self._overlays[run_id] = {"frame": frame, "curve": curve, "label": label}
        self._dirty = True
        self.redraw()

    def remove_overlay(self, run_id: int) -> None:
        overlay = self._overlays.pop(run_id, None)
        if overlay is not None:
            self.plot.removeItem(overlay["curve"])

    def clear_overlays(self) -> None:
        for run_id in list(self._overlays):
            self.remove_overlay(run_id)

    @property
    def overlay_ids(self) -> list[int]:
        return list(self._overlays)

    def overlay_data(self, run_id: int) -> tuple[np.ndarray, np.ndarray]:
        """The (x, y) arrays drawn for a past run."""
        frame = self._overlays[run_id]["frame"]
        xcol, ycol = self.x_column.currentText(), self.y_column.currentText()
        if xcol not in frame.columns or ycol not in frame.columns:
            return np.array([]), np.array([])
        x = frame[xcol].to_numpy(dtype=float, na_value=np.nan)
        y = frame[ycol].to_numpy(dtype=float, na_value=np.nan)
        keep = np.isfinite(x) & np.isfinite(y)
        return x[keep], y[keep]

    # -- drawing --------------------------------------------------------------------------
    def _axes_changed(self) -> None:
        for side, combo in (("bottom", self.x_column), ("left", self.y_column)):
            text, unit = axis_label(combo.currentText())
            self.plot.setLabel(side, text, units=unit)
        self._dirty = True
        self.redraw()

    def data(self, run: int = -1) -> tuple[np.ndarray, np.ndarray]:
        """The (x, y) arrays drawn for a run (the latest by default)."""
        if not self._runs:
            return np.array([]), np.array([])
        rows = self._runs[run]["rows"]
        xcol, ycol = self.x_column.currentText(), self.y_column.currentText()
        x = np.array([_number(r.get(xcol)) for r in rows], dtype=float)
        y = np.array([_number(r.get(ycol)) for r in rows], dtype=float)
        keep = np.isfinite(x) & np.isfinite(y)
        return x[keep], y[keep]

    def legend_names(self) -> list[str]:
        """The legend's entries, top to bottom, as the user reads them."""
        return [label.text for _, label in self.legend.items]

    def redraw(self) -> None:
        if not self._dirty:
            return
        self._dirty = False
        for i, run in enumerate(self._runs):
            run["curve"].setData(*self.data(i))
        for run_id, overlay in self._overlays.items():
            overlay["curve"].setData(*self.overlay_data(run_id))

    @property
    def points(self) -> int:
        """Rows of the latest run received so far."""
        return len(self._runs[-1]["rows"]) if self._runs else 0


def _number(value: Any) -> float:
    try:
        return float(value)
    except (TypeError, ValueError):
        return float("nan")
