"""The "Past runs" tab: the runs catalog as a table, the selected run drawn with its fit.

Loading, fitting and drawing reuse the offline analysis exactly (``load_run``,
``fit_run``, ``draw_figure``), so what the GUI shows is what ``labspin fit`` and
``labspin report`` compute, the fit's verdict included: ok, poor or not determined with
the reason, in the message bar, the details and the figure; a quantity that is not
determined is never shown as a number. Fits are synchronous (0.05-1 s) and cached per
(run id, file mtime), so going back to a run is instant and a run whose file changed is
fitted again.

Bad data is the normal case here (a run killed mid-row, a file moved away): every
failure becomes a message in the panel, never a dialog or an exception.
"""

from __future__ import annotations

import inspect
import logging
import sqlite3
from collections import OrderedDict
from pathlib import Path

from matplotlib.backends.backend_qtagg import FigureCanvasQTAgg, NavigationToolbar2QT
from matplotlib.figure import Figure
from PyQt6.QtCore import Qt, pyqtSignal
from PyQt6.QtWidgets import (
    QApplication,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSplitter,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from labspin.analysis.batch import KINDS, fit_run
from labspin.analysis.figures import draw_figure
from labspin.analysis.formatting import reason_of, verdict_of
from labspin.analysis.loaders import RunData, RunFileError, load_run
from labspin.gui.message_bar import MessageBar
from labspin.gui.run_details import details_html
from labspin.gui.runs_table import RunsTable
from labspin.runs import Catalog, CatalogError, RunRecord

__all__ = ["RunsBrowser"]

log = logging.getLogger(__name__)

#: fits kept in memory; a browsing session rarely revisits more runs than this
CACHE_SIZE = 64
_FIT_OPTIONS = {name for name, p in inspect.signature(fit_run).parameters.items()
                if p.kind is inspect.Parameter.KEYWORD_ONLY}


class RunsBrowser(QWidget):
    """Past runs of one catalog: filterable table on the left, the selected run's
    data, fitted curve, fitted quantities, parameters and file on the right."""

    #: catalog id of the run now shown
    run_selected = pyqtSignal(int)
    #: "Use these parameters": the shown run's record, for the Measure view
    use_parameters = pyqtSignal(object)
    #: "Draw beside the live plot": the shown run's catalog id
    overlay_requested = pyqtSignal(int)

    def __init__(self, catalog: Catalog, parent: QWidget | None = None,
                 fit_options: dict | None = None) -> None:
        super().__init__(parent)
        options = dict(fit_options or {})
        unknown = set(options) - _FIT_OPTIONS
        if unknown:  # fail at construction, not at the first click
            raise ValueError(f"unknown fit option(s) {sorted(unknown)}; fit_run takes "
                             f"{sorted(_FIT_OPTIONS)}")
        self._catalog = catalog
        self._fit_options = options
        self._cache: OrderedDict[tuple[int, int], tuple[RunData, dict]] = OrderedDict()
        self._shown_id: int | None = None
        self._shown_record: RunRecord | None = None
        self._shown_mtime: int | None = None
        self._placeholder_lists_runs = True
        self._row: dict | None = None

        self._table = RunsTable(self)
        self._table.run_picked.connect(self._picked)
        self._table.refresh_requested.connect(self.refresh)
        self._build_panel()

        splitter = QSplitter(Qt.Orientation.Horizontal, self)
        splitter.addWidget(self._table)
        splitter.addWidget(self._panel)
        splitter.setStretchFactor(0, 4)
        splitter.setStretchFactor(1, 5)
        splitter.setSizes([600, 680])
        splitter.setChildrenCollapsible(False)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.addWidget(splitter)

        self._show_placeholder()
        self._update_buttons()
        self.refresh()

    def _build_panel(self) -> None:
        self._panel = QWidget(self)
        self._message = MessageBar()
        self._message.setObjectName("runMessage")
        self._message.setTextFormat(Qt.TextFormat.PlainText)

        self.figure = Figure(figsize=(6.0, 4.0), dpi=100, layout="constrained")
        self.canvas = FigureCanvasQTAgg(self.figure)
        self.canvas.setObjectName("runCanvas")
        self.canvas.setMinimumSize(320, 240)
        toolbar = NavigationToolbar2QT(self.canvas, self._panel)
        toolbar.setIconSize(toolbar.iconSize() * 0.8)
        plot = QWidget()
        plot_layout = QVBoxLayout(plot)
        plot_layout.setContentsMargins(0, 0, 0, 0)
        plot_layout.setSpacing(0)
        plot_layout.addWidget(toolbar)
        plot_layout.addWidget(self.canvas, 1)

        self._details = QTextBrowser(objectName="runDetails")
        self._details.setOpenLinks(False)
        self._details.setMinimumHeight(120)

        split = QSplitter(Qt.Orientation.Vertical)
        split.addWidget(plot)
        split.addWidget(self._details)
        split.setStretchFactor(0, 3)
        split.setStretchFactor(1, 2)
        split.setSizes([460, 260])
        split.setChildrenCollapsible(False)

        self._file = QLineEdit(objectName="runFile")
        self._file.setReadOnly(True)
        self._file.setPlaceholderText("no data file")
        self.use_button = QPushButton("Use these parameters", objectName="useParameters")
        self.use_button.setToolTip("Put this run's procedure and parameters in the Measure "
                                   "view, to measure it again or change one value")
        self.overlay_button = QPushButton("Draw beside the live plot",
                                          objectName="overlayRun")
        self.overlay_button.setToolTip("Show this run's data in the Measure view's plot, "
                                       "dashed, beside the running measurement")
        self.use_button.clicked.connect(self._use_clicked)
        self.overlay_button.clicked.connect(self._overlay_clicked)
        file_row = QHBoxLayout()
        file_row.addWidget(QLabel("File"))
        file_row.addWidget(self._file, 1)
        file_row.addWidget(self.use_button)
        file_row.addWidget(self.overlay_button)

        layout = QVBoxLayout(self._panel)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self._message)
        layout.addWidget(split, 1)
        layout.addLayout(file_row)

    # -- public ----------------------------------------------------------------------------
    def refresh(self) -> None:
        """Re-read the catalog (new and updated runs); keeps the selection, and redraws
        the shown run if its record or its file changed (a run that was running)."""
        try:
            records = self._catalog.query()
        except (sqlite3.Error, CatalogError) as exc:
            self._table.count_label.setText(f"Cannot read the runs catalog: {exc}")
            return
        self._table.set_records(records, self._shown_id)
        if self._shown_id is None:
            if bool(records) != self._placeholder_lists_runs:
                self._show_placeholder(bool(records))
            return
        record = self._table.model.find(self._shown_id)
        if record is not None and (record != self._shown_record
                                   or self._mtime(self._resolve(record)) != self._shown_mtime):
            self._show_safely(self._shown_id)

    def select_run(self, run_id: int) -> None:
        """Select and show that run, clearing the filters if they hide it."""
        if self._table.model.find(run_id) is None:
            self.refresh()
        if self._table.select(run_id):
            return
        if self._table.model.find(run_id) is not None:
            self._table.clear_filters()
            if self._table.select(run_id):
                return
        self._clear()
        self._set_message("error", f"There is no run {run_id} in the catalog "
                                   f"{self._catalog.path}.")

    def shown_row(self) -> dict | None:
        """The fit row of the run shown; None when nothing is shown, the file cannot be
        read, or the run is still running (not fitted)."""
        return dict(self._row) if self._row is not None else None

    def shown_record(self) -> RunRecord | None:
        """The catalog record of the run shown (None when none is)."""
        return self._shown_record

    def _use_clicked(self) -> None:
        if self._shown_record is not None:
            self.use_parameters.emit(self._shown_record)

    def _overlay_clicked(self) -> None:
        if self._shown_record is not None and self._shown_record.file:
            self.overlay_requested.emit(self._shown_record.id)

    def _update_buttons(self) -> None:
        record = self._shown_record
        self.use_button.setEnabled(record is not None and bool(record.parameters))
        self.overlay_button.setEnabled(record is not None and bool(record.file))

    # -- showing a run ---------------------------------------------------------------------
    def _picked(self, run_id: int) -> None:
        self._show_safely(run_id)
        self.run_selected.emit(run_id)

    def _show_safely(self, run_id: int) -> None:
        QApplication.setOverrideCursor(Qt.CursorShape.WaitCursor)
        try:
            self._show(run_id)
        except Exception as exc:  # an exception escaping a Qt slot would abort the GUI
            log.exception("showing run %d failed", run_id)
            self._set_message("error", f"Run {run_id} cannot be shown: "
                                       f"{type(exc).__name__}: {exc}")
        finally:
            QApplication.restoreOverrideCursor()
            self._update_buttons()

    def _show(self, run_id: int) -> None:
        self._clear()
        self._shown_id = run_id
        try:
            record = self._catalog.get(run_id)
        except (sqlite3.Error, CatalogError) as exc:
            self._set_message("error", f"Cannot read run {run_id} from the catalog: {exc}")
            return
        self._shown_record = record
        path = self._resolve(record)
        self._file.setText(str(path) if path else "")
        self._file.setCursorPosition(0)
        if path is None:
            self._details.setHtml(details_html(record, None))
            self._set_message("info", f"Run {run_id} has no data file yet (it is "
                                      f"{record.status}).")
            self._draw_text("no data file")
            return
        self._shown_mtime = mtime = self._mtime(path)
        running = record.status == "running"
        if mtime is None:
            self._details.setHtml(details_html(record, None))
            self._set_message("error", record.file_problem()  # a copied catalog says where
                              or f"The data file of run {run_id} is missing: {path}")
            self._draw_text("data file missing")
            return
        cached = None if running else self._cache.get((run_id, mtime))
        if cached is not None:
            self._cache.move_to_end((run_id, mtime))
            run, row = cached
        else:
            try:
                run = load_run(path)
            except RunFileError as exc:
                self._details.setHtml(details_html(record, None))
                hint = " (the run is still writing it: Refresh to retry)" if running else ""
                self._set_message("error", f"Cannot read the data file{hint}: {exc}")
                self._draw_text("unreadable data file")
                return
            if running:
                row = {"file": str(path), "procedure": run.procedure,
                       "kind": KINDS.get(run.procedure, run.procedure), "fitted": False,
                       "error": "still running"}
            else:
                row = fit_run(run, **self._fit_options)
                self._remember((run_id, mtime), run, row)
        self._row = None if running else row
        self._details.setHtml(details_html(record, None if running else row))
        if run.data.empty:
            self._set_message("warning", f"Run {run_id} has no data rows"
                                         f"{' yet' if running else ''}: {path}")
            self._draw_text("no data rows")
            return
        if running:
            self._set_message("info", f"Run {run_id} is still running: showing the "
                                      f"{len(run.data)} rows written so far, not fitted. "
                                      "Refresh to update.")
        elif not row.get("fitted"):
            self._set_message("warning", f"Not fitted: {row.get('error') or 'no reason given'}")
        elif verdict_of(row) != "ok":
            self._set_message("error" if verdict_of(row) == "not determined" else "warning",
                              f"Fit {verdict_of(row)}: {reason_of(row)}")
        self._draw(run, row, strip=not running)

    def _remember(self, key: tuple[int, int], run: RunData, row: dict) -> None:
        self._cache[key] = (run, row)
        while len(self._cache) > CACHE_SIZE:
            self._cache.popitem(last=False)

    def _resolve(self, record: RunRecord) -> Path | None:
        """The run's file; a relative path recorded from another working directory is
        looked for under the catalog's folder (DATA_DIR/day/name)."""
        if not record.file:
            return None
        path = Path(record.file)
        if path.is_absolute() or path.exists():
            return path
        moved = self._catalog.data_dir / path.parent.name / path.name
        return moved if moved.exists() else path

    @staticmethod
    def _mtime(path: Path | None) -> int | None:
        try:
            return path.stat().st_mtime_ns if path is not None else None
        except OSError:
            return None

    # -- panel pieces ----------------------------------------------------------------------
    def _clear(self) -> None:
        self._row = None
        self._shown_record = None
        self._shown_mtime = None
        self._message.clear()
        self._file.clear()
        self._details.clear()
        self._update_buttons()

    def _show_placeholder(self, runs: bool = True) -> None:
        self._placeholder_lists_runs = runs
        if runs:
            self._draw_text("Select a run in the table to see its data and fit.")
        else:
            self._draw_text(f"No runs in {self._catalog.data_dir} yet.\nMeasure in the "
                            "Measure or Queue view, or start the window\nwith --data-dir "
                            "FOLDER where your runs are.")
        self._details.setHtml("<p style='color:#666'>No run selected.</p>")

    def _set_message(self, kind: str, text: str) -> None:
        self._message.show_message(kind, text)

    def _draw(self, run: RunData, row: dict, strip: bool = True) -> None:
        self.figure.clear()
        try:
            draw_figure(self.figure, run, row, footer=False, strip=strip)
        except Exception as exc:  # odd data must not take the panel down
            log.exception("drawing %s failed", run.path)
            self.figure.clear()
            self._set_message("error", f"Cannot draw {run.path}: {type(exc).__name__}: {exc}")
            self._draw_text("cannot draw this run")
            return
        self.canvas.draw_idle()

    def _draw_text(self, text: str) -> None:
        self.figure.clear()
        ax = self.figure.add_subplot()
        ax.set_axis_off()
        ax.text(0.5, 0.5, text, ha="center", va="center", color="#777777",
                transform=ax.transAxes, wrap=True)
        self.canvas.draw_idle()
