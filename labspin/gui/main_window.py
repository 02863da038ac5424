"""The probe-station window: four views over one station session, Make safe always in
reach (toolbar and Ctrl+Shift+S), and a clean shutdown when the window closes."""

from __future__ import annotations

from typing import Any

from PyQt6.QtGui import QAction, QCloseEvent, QKeySequence
from PyQt6.QtWidgets import QLabel, QMainWindow, QTabWidget, QToolBar, QWidget

from labspin.gui import VIEWS
from labspin.gui.measure_panel import MeasurePanel
from labspin.gui.queue_panel import QueuePanel
from labspin.gui.runs_browser import RunsBrowser
from labspin.gui.session import StationSession
from labspin.gui.station_panel import StationPanel


class MainWindow(QMainWindow):
    """Measure, Station, Queue and Past runs for one open station and catalog."""

    def __init__(self, session: StationSession, parent: QWidget | None = None,
                 fit_options: dict[str, Any] | None = None) -> None:
        super().__init__(parent)
        self.session = session
        station = session.station
        self.setWindowTitle(f"labspin — {station.config.name} ({station.description})")
        self.measure = MeasurePanel(session)
        self.station_panel = StationPanel(session)
        self.queue = QueuePanel(session)
        self.runs = RunsBrowser(session.view_catalog, fit_options=fit_options)
        self.tabs = QTabWidget()
        for widget, title in ((self.measure, "Measure"), (self.station_panel, "Station"),
                              (self.queue, "Queue"), (self.runs, "Past runs")):
            self.tabs.addTab(widget, title)
        self.setCentralWidget(self.tabs)
        self.tabs.currentChanged.connect(self._tab_changed)

        toolbar = QToolBar("Station")
        toolbar.setMovable(False)
        self.make_safe_action = QAction("Make safe", self)
        self.make_safe_action.setShortcut(QKeySequence("Ctrl+Shift+S"))
        self.make_safe_action.setToolTip("Stop any run, outputs off, magnets to zero "
                                         "(Ctrl+Shift+S)")
        self.make_safe_action.triggered.connect(self.station_panel.make_safe)
        self.abort_action = QAction("Abort run", self)
        self.abort_action.triggered.connect(session.stop)
        toolbar.addAction(self.make_safe_action)
        toolbar.addAction(self.abort_action)
        toolbar.widgetForAction(self.make_safe_action).setStyleSheet(
            "QToolButton { background:#c62828; color:white; font-weight:bold; "
            "padding:4px 14px; border-radius:3px; }")
        self.addToolBar(toolbar)
        self.busy_label = QLabel()
        self.statusBar().addPermanentWidget(self.busy_label)
        self.statusBar().showMessage(f"Data and catalog in {session.catalog.data_dir}")
        session.busy_changed.connect(self._busy_changed)
        session.run_finished.connect(lambda record: self.runs.refresh())
        self._busy_changed(session.busy)
        self.resize(1280, 820)

    def show_view(self, view: str) -> None:
        """Bring one of VIEWS to the front."""
        self.tabs.setCurrentIndex(VIEWS.index(view))

    def _tab_changed(self, index: int) -> None:
        if VIEWS[index] == "runs":
            self.runs.refresh()

    def _busy_changed(self, busy: bool) -> None:
        self.abort_action.setEnabled(busy)
        self.busy_label.setText("● measuring" if busy else "idle")
        self.busy_label.setStyleSheet("color:#c62828;" if busy else "color:#1e5631;")

    def closeEvent(self, event: QCloseEvent) -> None:
        """Closing stops any run and leaves the station safe before the window goes."""
        self.statusBar().showMessage("Stopping and making the station safe…")
        self.session.close()
        super().closeEvent(event)
