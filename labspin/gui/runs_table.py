"""The table half of the "Past runs" browser: the catalog's runs, newest first, with
procedure, status and sample filters.

Filtering happens here in Python over the records of one catalog query, not in SQL:
a catalog holds thousands of runs at most, and one query per refresh keeps the table
consistent with what the filters offer.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any

from PyQt6.QtCore import QAbstractTableModel, QModelIndex, QObject, Qt, pyqtSignal
from PyQt6.QtGui import QColor, QFont
from PyQt6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from labspin.runs import STATUSES, RunRecord

__all__ = ["ALL", "STATUS_COLOURS", "RunsTable", "RunsTableModel", "format_time",
           "queue_place"]

#: the filter value that lets everything through
ALL = "all"
#: status -> text colour; dark enough to read on white and on the alternate row colour
STATUS_COLOURS = {
    "finished": "#1b7f3b",
    "failed": "#c62828",
    "interrupted": "#c62828",
    "aborted": "#d97000",
    "running": "#1565c0",
    "queued": "#6b6b6b",
}
COLUMNS = ("ID", "Started", "Procedure", "Sample", "Status", "Rows", "Queue")


def format_time(timestamp: float | None, seconds: bool = True) -> str:
    """A catalog timestamp (Unix seconds) as local time, the clock on the lab wall."""
    if timestamp is None:
        return "—"
    return time.strftime("%Y-%m-%d %H:%M:%S" if seconds else "%Y-%m-%d %H:%M",
                         time.localtime(timestamp))


def queue_place(record: RunRecord, long: bool = False) -> str:
    """Where a run stands in its queue, counted from 1 as the Queue view counts:
    ``'2 #5'`` (queue 2, its run 5), or ``'queue 2, run 5'`` when ``long``."""
    if record.queue_id is None:
        return ""
    if record.queue_index is None:
        return f"queue {record.queue_id}" if long else str(record.queue_id)
    if long:
        return f"queue {record.queue_id}, run {record.queue_index + 1}"
    return f"{record.queue_id} #{record.queue_index + 1}"


class RunsTableModel(QAbstractTableModel):
    """The runs that pass the filters, newest (highest id) first."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._all: list[RunRecord] = []
        self._shown: list[RunRecord] = []
        self._procedure = ALL
        self._status = ALL
        self._sample = ""

    # -- data in ----------------------------------------------------------------------
    def set_records(self, records: Sequence[RunRecord]) -> None:
        self._all = sorted(records, key=lambda r: r.id, reverse=True)
        self._apply()

    def set_filters(self, procedure: str = ALL, status: str = ALL, sample: str = "") -> None:
        self._procedure, self._status = procedure, status
        self._sample = sample.strip().lower()
        self._apply()

    def _passes(self, record: RunRecord) -> bool:
        if self._procedure != ALL and record.procedure != self._procedure:
            return False
        if self._status != ALL and record.status != self._status:
            return False
        return not self._sample or self._sample in (record.sample or "").lower()

    def _apply(self) -> None:
        self.beginResetModel()
        self._shown = [r for r in self._all if self._passes(r)]
        self.endResetModel()

    # -- data out ---------------------------------------------------------------------
    @property
    def records(self) -> list[RunRecord]:
        """The records shown, in table order."""
        return list(self._shown)

    @property
    def total(self) -> int:
        return len(self._all)

    def procedures(self) -> list[str]:
        return sorted({r.procedure for r in self._all})

    def record(self, row: int) -> RunRecord | None:
        return self._shown[row] if 0 <= row < len(self._shown) else None

    def row_of(self, run_id: int) -> int | None:
        return next((i for i, r in enumerate(self._shown) if r.id == run_id), None)

    def find(self, run_id: int) -> RunRecord | None:
        """A record of the last query, shown or filtered out."""
        return next((r for r in self._all if r.id == run_id), None)

    # -- QAbstractTableModel -------------------------------------------------------------
    def rowCount(self, parent: QModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._shown)

    def columnCount(self, parent: QModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(COLUMNS)

    def headerData(self, section: int, orientation: Qt.Orientation,
                   role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return COLUMNS[section]
        return None

    def data(self, index: QModelIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        record = self.record(index.row())
        if record is None:
            return None
        column = index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            return self._text(record, column)
        if role == Qt.ItemDataRole.ForegroundRole and COLUMNS[column] == "Status":
            return QColor(STATUS_COLOURS.get(record.status, "#000000"))
        if role == Qt.ItemDataRole.FontRole and COLUMNS[column] == "Status":
            font = QFont()
            font.setBold(True)
            return font
        if role == Qt.ItemDataRole.TextAlignmentRole and COLUMNS[column] in ("ID", "Rows",
                                                                              "Queue"):
            return Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
        if role == Qt.ItemDataRole.ToolTipRole:
            return self._tooltip(record)
        return None

    @staticmethod
    def _tooltip(record: RunRecord) -> str:
        lines = [f"created {format_time(record.created)}"]
        if record.started is not None:
            lines.append(f"started {format_time(record.started)}")
        if record.finished is not None:
            lines.append(f"ended {format_time(record.finished)}")
        if record.queue_id is not None:
            lines.append(queue_place(record, long=True))
        if record.error:
            lines.append(record.error)
        return "\n".join(lines)

    @staticmethod
    def _text(record: RunRecord, column: int) -> str:
        name = COLUMNS[column]
        if name == "ID":
            return str(record.id)
        if name == "Started":
            return format_time(record.started if record.started is not None
                               else record.created, seconds=False)
        if name == "Procedure":
            return record.procedure
        if name == "Sample":
            return record.sample or ""
        if name == "Status":
            return record.status
        if name == "Rows":
            return str(record.rows)
        return queue_place(record)


class RunsTable(QWidget):
    """Filter bar, Refresh button and the table; says which run the user picked."""

    #: a run was picked in the table (catalog id)
    run_picked = pyqtSignal(int)
    #: the Refresh button was pressed
    refresh_requested = pyqtSignal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.model = RunsTableModel(self)

        self.procedure_box = QComboBox(objectName="procedureFilter")
        self.procedure_box.addItem(ALL)
        self.status_box = QComboBox(objectName="statusFilter")
        self.status_box.addItems([ALL, *STATUSES])
        for box, letters in ((self.procedure_box, 12), (self.status_box, 9)):
            box.setMinimumContentsLength(letters)  # the popup shows longer names in full
            box.setSizeAdjustPolicy(
                QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.sample_edit = QLineEdit(objectName="sampleFilter")
        self.sample_edit.setPlaceholderText("sample contains…")
        self.sample_edit.setClearButtonEnabled(True)
        self.sample_edit.setMinimumWidth(110)
        self.refresh_button = QPushButton("Refresh", objectName="refreshButton")
        self.count_label = QLabel(objectName="runCount")

        bar = QHBoxLayout()
        bar.addWidget(QLabel("Procedure"))
        bar.addWidget(self.procedure_box)
        bar.addWidget(QLabel("Status"))
        bar.addWidget(self.status_box)
        bar.addWidget(self.sample_edit, 1)
        foot = QHBoxLayout()
        foot.addWidget(self.count_label, 1)
        foot.addWidget(self.refresh_button)

        self.view = QTableView(objectName="runsTable")
        # before the model: sections take this size, and the stretched last one keeps it
        self.view.horizontalHeader().setDefaultSectionSize(56)
        self.view.setModel(self.model)
        self.view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.view.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.view.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.view.setAlternatingRowColors(True)
        self.view.setWordWrap(False)
        self.view.verticalHeader().setVisible(False)
        self.view.verticalHeader().setDefaultSectionSize(
            self.view.fontMetrics().height() + 8)
        header = self.view.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        header.setStretchLastSection(True)
        header.setResizeContentsPrecision(200)  # big catalogs: size columns on 200 rows
        header.setDefaultAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(bar)
        layout.addWidget(self.view, 1)
        layout.addLayout(foot)

        self.procedure_box.currentTextChanged.connect(self._filters_changed)
        self.status_box.currentTextChanged.connect(self._filters_changed)
        self.sample_edit.textChanged.connect(self._filters_changed)
        self.refresh_button.clicked.connect(self.refresh_requested)
        self.view.selectionModel().currentRowChanged.connect(self._row_changed)
        self._quiet = False

    # -- filling ------------------------------------------------------------------------
    def set_records(self, records: Sequence[RunRecord], keep: int | None) -> None:
        """New catalog contents; ``keep`` stays selected (no ``run_picked``) if shown."""
        self._quiet = True
        try:
            self.model.set_records(records)
            self._update_procedures()
            self._reselect(keep)
            self._fit_columns()
            self._update_count()
        finally:
            self._quiet = False

    def _fit_columns(self) -> None:
        """Columns as wide as their text plus some air; the last takes what is left."""
        self.view.resizeColumnsToContents()
        header = self.view.horizontalHeader()
        for column in range(len(COLUMNS) - 1):
            header.resizeSection(column, header.sectionSize(column) + 8)

    def _update_procedures(self) -> None:
        current = self.procedure_box.currentText()
        wanted = [ALL, *self.model.procedures()]
        if current not in wanted:  # a filter on a procedure no longer present stays
            wanted.append(current)
        present = [self.procedure_box.itemText(i) for i in range(self.procedure_box.count())]
        if present != wanted:
            self.procedure_box.blockSignals(True)
            self.procedure_box.clear()
            self.procedure_box.addItems(wanted)
            self.procedure_box.setCurrentText(current)
            self.procedure_box.blockSignals(False)

    def clear_filters(self) -> None:
        """Show every run (used when asked to show a run the filters hide)."""
        for box in (self.procedure_box, self.status_box, self.sample_edit):
            box.blockSignals(True)
        self.procedure_box.setCurrentText(ALL)
        self.status_box.setCurrentText(ALL)
        self.sample_edit.clear()
        for box in (self.procedure_box, self.status_box, self.sample_edit):
            box.blockSignals(False)
        self._filters_changed()

    def _filters_changed(self) -> None:
        keep = self.current_id()
        self._quiet = True
        try:
            self.model.set_filters(self.procedure_box.currentText(),
                                   self.status_box.currentText(), self.sample_edit.text())
            self._reselect(keep)
            self._update_count()
        finally:
            self._quiet = False

    def _update_count(self) -> None:
        shown, total = self.model.rowCount(), self.model.total
        self.count_label.setText(f"{shown} run(s)" if shown == total
                                 else f"{shown} of {total} run(s)")

    # -- selection ------------------------------------------------------------------------
    def current_id(self) -> int | None:
        record = self.model.record(self.view.currentIndex().row())
        return record.id if record is not None else None

    def _reselect(self, run_id: int | None) -> None:
        row = self.model.row_of(run_id) if run_id is not None else None
        if row is None:
            self.view.clearSelection()
            return
        self.view.selectRow(row)
        self.view.scrollTo(self.model.index(row, 0))

    def select(self, run_id: int) -> bool:
        """Select the run's row (emits ``run_picked``); False if it is not shown."""
        row = self.model.row_of(run_id)
        if row is None:
            return False
        if self.current_id() == run_id:
            self.run_picked.emit(run_id)  # already current: no row change to react to
        else:
            self.view.selectRow(row)
        self.view.scrollTo(self.model.index(row, 0))
        return True

    def _row_changed(self, current: QModelIndex, _previous: QModelIndex) -> None:
        if self._quiet:
            return
        record = self.model.record(current.row())
        if record is not None:
            self.run_picked.emit(record.id)
