"""The Log view: labspin's log records (runs, queues, instruments, the bench made safe)
as they happen, filtered by level.

The handler sits on the ``labspin`` logger only while the view is attached: the window
detaches it when it closes, so no handler outlives its widget (a handler left on a
logger writes into a deleted widget at the next record, see PITFALLS.md). Records from
the worker thread reach the widget through a queued signal.
"""

from __future__ import annotations

import logging
import time
from collections import deque
from typing import Any

from PyQt6.QtCore import QObject, pyqtSignal
from PyQt6.QtGui import QFont
from PyQt6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

__all__ = ["LEVELS", "LogView"]

#: the level filter's choices, lowest first
LEVELS = {"Debug": logging.DEBUG, "Info": logging.INFO, "Warning": logging.WARNING,
          "Error": logging.ERROR}
#: records kept for re-filtering; older ones are dropped
KEPT_RECORDS = 5000
_COLOURS = {logging.DEBUG: "#777777", logging.INFO: "#222222", logging.WARNING: "#8a5a00",
            logging.ERROR: "#b71c1c", logging.CRITICAL: "#b71c1c"}


class _Bridge(QObject):
    record = pyqtSignal(int, str)  # level, formatted line


class _Handler(logging.Handler):
    """Formats a record (message and exception in one line, no traceback) and hands it
    to the GUI thread."""

    def __init__(self, bridge: _Bridge, logger: logging.Logger) -> None:
        super().__init__(logging.DEBUG)
        self.bridge = bridge
        self.logger = logger
        self.restore_level: int | None = None  # the logger's level before the view

    def emit(self, record: logging.LogRecord) -> None:
        try:
            text = record.getMessage()
            if record.exc_info and record.exc_info[1] is not None:
                exc = record.exc_info[1]
                text += f" ({type(exc).__name__}: {exc})"
            stamp = time.strftime("%H:%M:%S", time.localtime(record.created))
            line = f"{stamp} {record.levelname:<7} {record.name}: {text}"
            self.bridge.record.emit(record.levelno, line)
        except RuntimeError:  # the view was deleted without detaching: stop listening
            self.logger.removeHandler(self)
            if self.restore_level is not None:
                self.logger.setLevel(self.restore_level)
        except Exception:  # logging must never take the caller down
            self.handleError(record)


class LogView(QWidget):
    """Log records of ``logger`` (default ``labspin``), at or above the chosen level."""

    #: warnings and errors received while the view was not looked at changed
    unseen_changed = pyqtSignal(int)

    def __init__(self, parent: QWidget | None = None, logger: str = "labspin") -> None:
        super().__init__(parent)
        self._logger = logging.getLogger(logger)
        self._bridge = _Bridge(self)
        self._bridge.record.connect(self._received)
        self._handler: _Handler | None = None
        self._old_level: int | None = None
        self._records: deque[tuple[int, str]] = deque(maxlen=KEPT_RECORDS)
        self.unseen = 0  # warnings and errors since the view was last shown
        self.level_box = QComboBox()
        self.level_box.addItems(list(LEVELS))
        self.level_box.setCurrentText("Info")
        self.text = QPlainTextEdit()
        self.text.setReadOnly(True)
        self.text.setMaximumBlockCount(KEPT_RECORDS)
        font = QFont("monospace")
        font.setStyleHint(QFont.StyleHint.Monospace)
        self.text.setFont(font)
        self.clear_button = QPushButton("Clear")
        self.count = QLabel()
        bar = QHBoxLayout()
        bar.addWidget(QLabel("Show"))
        bar.addWidget(self.level_box)
        bar.addWidget(QLabel("and above, from the labspin logger"))
        bar.addStretch(1)
        bar.addWidget(self.count)
        bar.addWidget(self.clear_button)
        layout = QVBoxLayout(self)
        layout.addLayout(bar)
        layout.addWidget(self.text, 1)
        self.level_box.currentTextChanged.connect(self._refilter)
        self.clear_button.clicked.connect(self.clear)
        self._update_count()

    # -- the handler ----------------------------------------------------------------------
    def attach(self) -> None:
        """Start receiving records; lowers the logger to INFO if it was quieter (put
        back by :meth:`detach`), so that run and queue messages arrive."""
        if self._handler is not None:
            return
        self._handler = _Handler(self._bridge, self._logger)
        self._logger.addHandler(self._handler)
        if self._logger.getEffectiveLevel() > logging.INFO:
            self._old_level = self._handler.restore_level = self._logger.level
            self._logger.setLevel(logging.INFO)

    def detach(self) -> None:
        """Stop receiving records and remove the handler (the window calls this when it
        closes)."""
        if self._handler is None:
            return
        self._logger.removeHandler(self._handler)
        self._handler = None
        if self._old_level is not None:
            self._logger.setLevel(self._old_level)
            self._old_level = None

    @property
    def attached(self) -> bool:
        return self._handler is not None

    # -- showing --------------------------------------------------------------------------
    @property
    def level(self) -> int:
        return LEVELS[self.level_box.currentText()]

    def set_level(self, name: str) -> None:
        self.level_box.setCurrentText(name)

    def lines(self) -> list[str]:
        """The lines shown now (the filter applied)."""
        text = self.text.toPlainText()
        return text.splitlines() if text else []

    def clear(self) -> None:
        self._records.clear()
        self.text.clear()
        self.mark_seen()

    def mark_seen(self) -> None:
        if self.unseen:
            self.unseen = 0
            self.unseen_changed.emit(0)
        self._update_count()

    def _received(self, level: int, line: str) -> None:
        self._records.append((level, line))
        if level >= self.level:
            self._append(level, line)
        if level >= logging.WARNING and not self.isVisible():
            self.unseen += 1
            self.unseen_changed.emit(self.unseen)
        self._update_count()

    def _append(self, level: int, line: str) -> None:
        colour = _COLOURS.get(level, "#222222")
        escaped = line.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
        self.text.appendHtml(f"<span style='color:{colour}; white-space:pre'>{escaped}"
                             "</span>")

    def _refilter(self, *_: Any) -> None:
        self.text.clear()
        for level, line in self._records:
            if level >= self.level:
                self._append(level, line)
        self._update_count()

    def _update_count(self) -> None:
        shown = sum(1 for level, _ in self._records if level >= self.level)
        self.count.setText(f"{shown} of {len(self._records)} records")

    def showEvent(self, event: Any) -> None:
        self.mark_seen()
        super().showEvent(event)
