"""The probe-station window: five views over one station session, Make safe always in
reach (toolbar and Ctrl+Shift+S), and a clean shutdown when the window closes (the log
view's handler removed, any run stopped, the station made safe).

Closing while the event loop runs does not block it: the window stays open, saying so,
until the session has stopped the run, let a make-safe finish and closed the station on
its worker thread; a magnet is never left mid-ramp because the process exited. If the
station could not be confirmed safe, the window stays on the Station view's warnings and
the next close quits."""

from __future__ import annotations

import logging
from typing import Any

from PyQt6.QtCore import QThread
from PyQt6.QtGui import QAction, QCloseEvent, QKeySequence
from PyQt6.QtWidgets import QLabel, QMainWindow, QTabWidget, QToolBar, QWidget

from labspin.gui import VIEWS
from labspin.gui.log_view import LogView
from labspin.gui.measure_panel import MeasurePanel
from labspin.gui.queue_panel import QueuePanel
from labspin.gui.runs_browser import RunsBrowser
from labspin.gui.session import StationSession
from labspin.gui.station_panel import StationPanel
from labspin.runs import RunRecord

log = logging.getLogger(__name__)


class MainWindow(QMainWindow):
    """Measure, Station, Queue, Past runs and Log for one open station and catalog."""

    def __init__(self, session: StationSession, parent: QWidget | None = None,
                 fit_options: dict[str, Any] | None = None) -> None:
        super().__init__(parent)
        self.session = session
        station = session.station
        self.setWindowTitle(f"labspin — {station.config.name} ({station.description})")
        self.log_view = LogView()
        self.log_view.attach()  # first, so that what the other views log is shown
        self.measure = MeasurePanel(session)
        self.station_panel = StationPanel(session)
        self.queue = QueuePanel(session)
        self.runs = RunsBrowser(session.view_catalog, fit_options=fit_options)
        self.tabs = QTabWidget()
        self._titles = ("Measure", "Station", "Queue", "Past runs", "Log")
        for widget, title in zip((self.measure, self.station_panel, self.queue, self.runs,
                                  self.log_view), self._titles, strict=True):
            self.tabs.addTab(widget, title)
        self.setCentralWidget(self.tabs)
        self.tabs.currentChanged.connect(self._tab_changed)

        toolbar = QToolBar("Station")
        toolbar.setMovable(False)
        self.make_safe_action = QAction("Make safe", self)
        self.make_safe_action.setShortcut(QKeySequence("Ctrl+Shift+S"))
        self.make_safe_action.setToolTip("Stop any run, outputs off, magnets to zero "
                                         "(Ctrl+Shift+S)")
        self.make_safe_action.triggered.connect(self.make_safe)
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
        session.safety_report.connect(lambda report: self._busy_changed(session.busy))
        session.make_safe_started.connect(lambda after: self._busy_changed(True))
        session.station_closed.connect(self._station_closed)
        session.run_finished.connect(lambda record: self.runs.refresh())
        self.runs.use_parameters.connect(self.use_run_parameters)
        self.runs.overlay_requested.connect(self.overlay_run)
        self.queue.builder.set_source(lambda: (self.measure.procedure_name,
                                               self.measure.last_check))
        self.measure.settings_changed.connect(self.queue.builder.source_changed)
        self.log_view.unseen_changed.connect(self._log_unseen)
        self._busy_changed(session.busy)
        self.resize(1280, 820)
        log.info("window open on station '%s' (%s); runs and catalog in %s",
                 station.config.name, station.description, session.catalog.data_dir)

    def show_view(self, view: str) -> None:
        """Bring one of VIEWS to the front."""
        self.tabs.setCurrentIndex(VIEWS.index(view))

    def make_safe(self) -> None:
        """The toolbar's Make safe: the Station view comes to the front, where its message
        says what was done or what may still be on."""
        self.show_view("station")
        self.station_panel.make_safe()

    def use_run_parameters(self, record: RunRecord) -> bool:
        """Past runs' "Use these parameters": the run's procedure and parameters in the
        Measure view, which comes to the front."""
        if self.measure.use_parameters(record.procedure, record.parameters,
                                       f"run {record.id}"):
            self.show_view("measure")
            return True
        return False

    def overlay_run(self, run_id: int) -> bool:
        """Past runs' "Draw beside the live plot"."""
        if self.measure.overlay_run(run_id):
            self.show_view("measure")
            return True
        return False

    def _tab_changed(self, index: int) -> None:
        if VIEWS[index] == "runs":
            self.runs.refresh()

    def _log_unseen(self, count: int) -> None:
        index = VIEWS.index("log")
        self.tabs.setTabText(index, f"Log ({count} ⚠)" if count else self._titles[index])

    def _busy_changed(self, busy: bool) -> None:
        safing = self.session.making_safe  # cannot be aborted: it is what makes safe
        self.abort_action.setEnabled(busy and not safing)
        unsafe = not busy and bool(self.session.station.hazards)
        self.busy_label.setText("● closing: making safe" if safing and self.session.close_pending
                                else "● making safe" if safing else "● measuring" if busy
                                else "idle, NOT confirmed safe (see Station)" if unsafe
                                else "idle")
        self.busy_label.setStyleSheet("color:#c62828;" if busy or unsafe
                                      else "color:#1e5631;")

    def closeEvent(self, event: QCloseEvent) -> None:
        """Closing stops any run and leaves the station safe before the window goes: with
        the event loop running, on the session's worker (the window stays responsive and
        closes when it is done); without one (the application is ending), here."""
        session = self.session
        if not session.station.closed and QThread.currentThread().loopLevel() > 0:
            event.ignore()
            self.statusBar().showMessage("Closing: stopping any run and making the station "
                                         "safe first…")
            session.close_later()
            self._busy_changed(session.busy)
            return
        self.statusBar().showMessage("Stopping and making the station safe…")
        try:
            session.close()
        except Exception:  # an exception out of closeEvent would abort the process
            log.exception("closing the station failed: check its outputs and magnets")
        self.log_view.detach()
        super().closeEvent(event)

    def _station_closed(self) -> None:
        """The session has closed the station: the window goes, unless what may still be
        on must be read first (the Station view says it; closing again quits)."""
        station = self.session.station
        if station.hazards or not station.closed:
            self.show_view("station")
            self.statusBar().showMessage("The station is closed but NOT confirmed safe: see "
                                         "the Station view. Close the window again to quit.")
            return
        self.close()
