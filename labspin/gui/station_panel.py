"""The Station view: what is connected, whether it answers, live field, temperature and
source state, the limits, and a Make safe button.

Live readings are polled once a second while the station is idle; during a run the
station belongs to the run (the readings pause rather than interleave VISA traffic).
Make safe runs on the session's worker thread: the message says at once what it does (and
how long the magnets take from the fields last read), the live panel counts the seconds
while the window stays usable, and the message ends green or red with what was read back.
"""

from __future__ import annotations

import math
import time
from typing import Any

from PyQt6.QtCore import QTimer
from PyQt6.QtGui import QColor, QFont
from PyQt6.QtWidgets import (
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from labspin.gui.message_bar import MessageBar
from labspin.gui.session import Reading, SafetyReport, StationSession
from labspin.gui.station_limits import limit_rows


class StationPanel(QWidget):
    """Instruments, live readings, limits and Make safe for the open station."""

    def __init__(self, session: StationSession, parent: QWidget | None = None,
                 poll_ms: int = 1000) -> None:
        super().__init__(parent)
        self.session = session
        station = session.station
        self.message = MessageBar()
        self.instruments = QTableWidget(0, 4)
        self.instruments.setHorizontalHeaderLabels(["Role", "Driver", "Resource", "Answers"])
        self.instruments.verticalHeader().setVisible(False)
        self.instruments.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        header = self.instruments.horizontalHeader()
        for col in range(3):
            header.setSectionResizeMode(col, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(3, QHeaderView.ResizeMode.Stretch)
        self.check_button = QPushButton("Check instruments")
        self.make_safe_button = QPushButton("Make safe")
        self.make_safe_button.setToolTip("Stop any run, turn the current outputs off and "
                                         "ramp the magnets to zero at the allowed rate")
        self.make_safe_button.setStyleSheet(
            "QPushButton { background:#c62828; color:white; font-weight:bold; "
            "padding:10px 24px; border-radius:4px; }")
        self.live: dict[str, QLabel] = {}
        self._build(station)
        self._fill_instruments()
        self.check_button.clicked.connect(self.check_instruments)
        self.make_safe_button.clicked.connect(self.make_safe)
        session.busy_changed.connect(self._busy_changed)
        session.safety_report.connect(self.show_safety)
        session.make_safe_started.connect(self._making_safe)
        #: the latest live reading (None while a job holds the station)
        self._last_reading: Reading | None = None
        #: the message of the make-safe under way and when it started (monotonic s)
        self._safing: tuple[str, float] | None = None
        self._timer = QTimer(self)
        self._timer.timeout.connect(self.refresh)
        self._timer.start(poll_ms)
        session.closing.connect(self._timer.stop)
        self.refresh()

    def _build(self, station) -> None:
        config = station.config
        about = QLabel(f"<b>{config.name}</b> — {station.description}<br>"
                       f"Sample <b>{config.sample.id}</b>"
                       + (f": {config.sample.stack}" if config.sample.stack else ""))
        about.setWordWrap(True)
        live_box = QGroupBox("Live")
        live_form = QFormLayout(live_box)
        big = QFont()
        big.setPointSize(big.pointSize() + 3)
        for axis in station.magnets:
            self.live[f"field_{axis}"] = QLabel("—")
            live_form.addRow(f"Field {axis}", self.live[f"field_{axis}"])
        outputs = [("source", "Current source output")] + (
            [("rf", "RF output")] if station.has("rf_source") else [])
        for key, label in (("temperature", "Stage temperature"), *outputs,
                           ("state", "Station")):
            self.live[key] = QLabel("—")
            live_form.addRow(label, self.live[key])
        for widget in self.live.values():
            widget.setFont(big)
        self.live["state"].setWordWrap(True)  # what may still be on, in full
        limits_box = QGroupBox("Limits (checked before anything is applied)")
        limits_form = QFormLayout(limits_box)
        self.limit_labels: dict[str, QLabel] = {}  # station-file key -> its value shown
        for label, text, key in limit_rows(config.limits):  # every limit the file sets
            value = QLabel(text)
            value.setToolTip(f"{key} in the station file")
            limits_form.addRow(label, value)
            self.limit_labels[key] = value
        right = QVBoxLayout()
        right.addWidget(live_box)
        right.addWidget(limits_box)
        right.addStretch(1)
        right.addWidget(self.make_safe_button)
        left = QVBoxLayout()
        left.addWidget(about)
        left.addWidget(self.instruments, 1)
        left.addWidget(self.check_button)
        body = QHBoxLayout()
        body.addLayout(left, 3)
        body.addLayout(right, 2)
        layout = QVBoxLayout(self)
        layout.addWidget(self.message)
        layout.addLayout(body, 1)

    def _fill_instruments(self) -> None:
        """Each instrument with the *IDN? reply it gave when the station opened (Check
        instruments asks again)."""
        station = self.session.station
        entries = station.config.entries()
        identities = getattr(station, "identities", {})
        self.instruments.setRowCount(len(entries))
        for row, (role, entry) in enumerate(entries.items()):
            answer = identities.get(role, "not open")
            for col, text in enumerate((role, entry.driver, entry.resource, answer)):
                self.instruments.setItem(row, col, QTableWidgetItem(text))

    # -- actions ------------------------------------------------------------------------
    def check_instruments(self) -> dict[str, str]:
        """Ask every instrument for its identity; the table shows who answers."""
        try:
            answers = self.session.identify()
        except RuntimeError as exc:
            self.message.info(str(exc))
            return {}
        silent = 0
        for row in range(self.instruments.rowCount()):
            role = self.instruments.item(row, 0).text()
            text = answers.get(role, "not open")
            item = QTableWidgetItem(text)
            ok = not text.startswith(("no answer", "not open"))
            item.setForeground(QColor("#1e5631" if ok else "#b71c1c"))
            self.instruments.setItem(row, 3, item)
            silent += not ok
        if silent:
            self.message.error(f"{silent} instrument(s) do not answer: see the table. "
                               "Check power, cables and addresses before measuring.")
        else:
            self.message.ok(f"All {len(answers)} instruments answer.")
        return answers

    def make_safe(self) -> None:
        """Make safe on the worker thread, or stop the running job and make safe when it
        has ended; the message says what is under way, then how it ended
        (``show_safety``, from the session's report). Pressed again while it works,
        nothing more is started."""
        outcome = self.session.make_safe()
        if outcome == "after the job":
            self.message.info("Stopping the run; the station is made safe when it ends.")
        elif outcome == "under way" and self._safing is not None:
            self.message.info(self._safing[0])  # the same make-safe goes on
        elif outcome == "closed":
            hazards = self.session.station.hazards.values()
            self.message.error("The station is closed: labspin no longer reaches it."
                               + "".join(f"\nWARNING: {line}" for line in hazards))
        self.refresh()

    def _making_safe(self, after: str) -> None:
        """A make-safe has started on the worker thread: say what it does, at once."""
        reading = self._last_reading if not after else None  # read while idle, just now
        self._safing = (making_safe_text(self.session.station, reading, after,
                                         self.session.close_pending), time.monotonic())
        self.message.info(self._safing[0])
        self.refresh()

    def show_safety(self, report: SafetyReport) -> None:
        """The message after a make-safe: what was done, or, one line each as the command
        line's WARNING says it, what may still be on and what to do."""
        at = time.strftime("%H:%M:%S", time.localtime(report.when))
        after = f" after {report.after}" if report.after else ""
        if report.warnings:
            self.message.error(f"The station is NOT confirmed safe ({at}{after}):\n"
                               + "\n".join(f"WARNING: {line}" for line in report.warnings))
        elif report.requested or self._safing is not None:
            self.message.ok(f"Safe ({at}{after}): current, pulse and RF outputs switched "
                            "off and magnets ramped to zero at the allowed rate, each read "
                            "back.")
        self._safing = None
        self.refresh()

    # -- live ---------------------------------------------------------------------------
    def refresh(self) -> Reading | None:
        reading = self._last_reading = self.session.poll()
        self._show_last_read(reading is None)
        if reading is None:
            state = self.live["state"]
            if self.session.making_safe and self._safing is not None:
                seconds = time.monotonic() - self._safing[1]
                state.setText(f"making safe, {seconds:.0f} s so far (live readings pause)")
                state.setStyleSheet("color:#8a5a00;")
            else:
                state.setText("closed" if self.session.station.closed
                              else "measuring (live readings pause)")
                state.setStyleSheet("")
            return None
        for axis, value in reading.fields.items():
            self.live[f"field_{axis}"].setText(f"{value * 1e3:+.2f} mT")
        self.live["temperature"].setText(
            f"{reading.temperature:.2f} K" if math.isfinite(reading.temperature) else "—")
        for key, on in (("source", reading.source_on), ("rf", reading.rf_on)):
            if on is not None and key in self.live:
                self.live[key].setText("ON" if on else "off")
                self.live[key].setStyleSheet("color:#b71c1c;" if on else "color:#1e5631;")
        state = self.live["state"]
        if reading.hazards:  # the latest make-safe could not confirm these
            state.setText("NOT confirmed safe: " + "; ".join(reading.hazards))
            state.setStyleSheet("color:#b71c1c;")
        else:
            state.setText("idle" if not reading.errors else "; ".join(reading.errors)[:120])
            state.setStyleSheet("" if not reading.errors else "color:#b71c1c;")
        if reading.hazards and reading.errors:
            state.setText(state.text() + ". Could not read: " + "; ".join(reading.errors))
        return reading

    def _show_last_read(self, paused: bool) -> None:
        """While the readings pause, the values shown are what was read before: grey, so
        that an output shown ON while Make safe switches it off is not taken as live."""
        for key, label in self.live.items():
            if key != "state":
                label.setStyleSheet("color:#9e9e9e;" if paused else "")
                label.setToolTip("read before the station became busy; the live readings "
                                 "pause while it works" if paused else "")

    def _busy_changed(self, busy: bool) -> None:
        self.check_button.setEnabled(not busy and not self.session.station.closed)
        if not busy:
            self.refresh()


def making_safe_text(station: Any, reading: Reading | None, after: str = "",
                     closing: bool = False) -> str:
    """What a make-safe under way does, for the message shown as it starts: the ramp
    rate and, from ``reading`` (fields read just before), which magnets ramp from where
    and about how long that takes (they ramp one after the other)."""
    lead = ("Closing: making the station safe first" if closing
            else "Making safe" + (f" after {after}" if after else ""))
    magnets = station.magnets
    rates = {magnet.limits.max_ramp_rate for magnet in magnets.values()}
    what = "switching the current, pulse and RF outputs off"
    if magnets:
        what += (" and ramping the magnets to zero at "
                 + (f"{rates.pop():g} T/s" if len(rates) == 1 else "their allowed rates"))
    fields = {axis: value for axis, value in (reading.fields if reading else {}).items()
              if abs(value) >= 1e-3 and axis in magnets}
    if fields:
        seconds = sum(abs(value) / magnets[axis].limits.max_ramp_rate
                      for axis, value in fields.items())
        what += " (" + ", ".join(f"{axis} from {value * 1e3:+.0f} mT"
                                 for axis, value in fields.items())
        what += f": about {seconds:.0f} s)" if seconds >= 1 else ")"
    return (f"{lead}: {what}. The window stays usable; runs can start again when it has "
            "ended.")
