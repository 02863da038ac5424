"""Live plot of the running measurement (pyqtgraph): any two columns, one curve per run.

Rows arrive as fast as the bench measures them (thousands per second on the virtual
clock), so they are buffered and the curves redrawn at a fixed rate, not per row.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pyqtgraph as pg
from PyQt6.QtCore import QTimer
from PyQt6.QtWidgets import QComboBox, QHBoxLayout, QLabel, QVBoxLayout, QWidget

from labspin.procedures.switching import READOUT_COLUMN

#: columns that make a good x axis, in order of preference
_X_PREFERENCE = ("Field angle (deg)", "Field (T)", "Pulse current (A)", "Pulse index")
#: columns that make a good y axis, in order of preference
_Y_PREFERENCE = ("R_xy (ohm)", "R_xx 2w (ohm)", "Switched fraction", "V_xy 2w (V)")
_KEPT_CURVES = 4  # earlier runs stay on the plot, fading
_COLOURS = ((31, 119, 180), (214, 39, 40), (44, 160, 44), (148, 103, 189), (255, 127, 14))


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


class LivePlot(QWidget):
    """A pyqtgraph plot with column choosers; ``start_run`` opens a curve, ``add_row``
    feeds it."""

    def __init__(self, parent: QWidget | None = None, refresh_ms: int = 100) -> None:
        super().__init__(parent)
        self.x_column = QComboBox()
        self.y_column = QComboBox()
        for combo in (self.x_column, self.y_column):
            combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
            combo.setMinimumContentsLength(16)
        self.title = QLabel("No run yet")
        self.plot = pg.PlotWidget(background="w")
        self.plot.showGrid(x=True, y=True, alpha=0.3)
        self.plot.addLegend(offset=(-10, 10))
        self._runs: list[dict[str, Any]] = []  # {"name", "rows": list[dict], "curve"}
        self._dirty = False
        top = QHBoxLayout()
        top.addWidget(self.title, 1)
        top.addWidget(QLabel("x:"))
        top.addWidget(self.x_column)
        top.addWidget(QLabel("y:"))
        top.addWidget(self.y_column)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(top)
        layout.addWidget(self.plot, 1)
        self.x_column.currentTextChanged.connect(self._axes_changed)
        self.y_column.currentTextChanged.connect(self._axes_changed)
        self._timer = QTimer(self)
        self._timer.timeout.connect(self.redraw)
        self._timer.start(refresh_ms)

    # -- feeding ------------------------------------------------------------------------
    def start_run(self, procedure: Any) -> None:
        """A new curve for the run of ``procedure`` that is starting."""
        name = type(procedure).__name__
        columns = list(procedure.DATA_COLUMNS)
        x, y = default_axes(procedure)
        if [self.x_column.itemText(i) for i in range(self.x_column.count())] != columns:
            for combo in (self.x_column, self.y_column):
                combo.blockSignals(True)
                combo.clear()
                combo.addItems(columns)
                combo.blockSignals(False)
            self.x_column.setCurrentText(x)
            self.y_column.setCurrentText(y)
        number = len(self._runs) + 1
        curve = self.plot.plot([], [], name=f"{number}: {name}",
                               pen=pg.mkPen(_COLOURS[(number - 1) % len(_COLOURS)], width=1.5),
                               symbol="o", symbolSize=5,
                               symbolBrush=_COLOURS[(number - 1) % len(_COLOURS)],
                               symbolPen=None)
        self._runs.append({"name": name, "rows": [], "curve": curve})
        while len(self._runs) > _KEPT_CURVES:
            old = self._runs.pop(0)
            self.plot.removeItem(old["curve"])
        for i, run in enumerate(self._runs[:-1]):  # earlier runs fade
            alpha = 60 + 40 * i
            run["curve"].setPen(pg.mkPen((150, 150, 150, alpha), width=1))
            run["curve"].setSymbolBrush((150, 150, 150, alpha))
        self.title.setText(f"Run {number}: {name}")
        self._axes_changed()

    def add_row(self, row: dict[str, Any]) -> None:
        if not self._runs:
            return
        self._runs[-1]["rows"].append(row)
        self._dirty = True

    # -- drawing ------------------------------------------------------------------------
    def _axes_changed(self) -> None:
        self.plot.setLabel("bottom", self.x_column.currentText())
        self.plot.setLabel("left", self.y_column.currentText())
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

    def redraw(self) -> None:
        if not self._dirty:
            return
        self._dirty = False
        for i, run in enumerate(self._runs):
            x, y = self.data(i)
            run["curve"].setData(x, y)

    @property
    def points(self) -> int:
        """Rows of the latest run received so far."""
        return len(self._runs[-1]["rows"]) if self._runs else 0


def _number(value: Any) -> float:
    try:
        return float(value)
    except (TypeError, ValueError):
        return float("nan")
