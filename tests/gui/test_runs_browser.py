"""The "Past runs" browser over a catalog of real runs from the simulated bench, plus
catalog entries whose files are corrupt, truncated, missing, empty or still growing."""

from __future__ import annotations

import shutil
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from PyQt6.QtCore import Qt
from PyQt6.QtWidgets import QLabel, QLineEdit, QTextBrowser

from labspin.gui.runs_browser import RunsBrowser
from labspin.physics import preset
from labspin.runs import Catalog

HALL = {"field_max": 0.02, "field_step": 0.002}
SWITCHING = {"pulse_steps": 15}


@dataclass
class Bench:
    """The module's catalog: run ids and files by role."""

    catalog: Catalog
    ids: dict[str, int] = field(default_factory=dict)
    files: dict[str, Path] = field(default_factory=dict)


def _add(catalog: Catalog, procedure: str, file: Path, status: str, sample: str,
         rows: int, error: str | None = None) -> int:
    """A catalog entry for a file made by hand (as a crash or a user would leave it)."""
    run_id = catalog.create_run(procedure, {"field_max": 0.02}, sample)
    catalog.start_run(run_id, file, {})
    if status != "running":
        catalog.finish_run(run_id, status, error, rows)
    else:
        catalog.count_rows(run_id, rows)
    return run_id


def _data_lines(text: str) -> tuple[list[str], list[str]]:
    lines = text.splitlines()
    start = lines.index("#Data:") + 2
    return lines[:start], lines[start:]


@pytest.fixture(scope="module")
def bench(tmp_path_factory) -> Iterator[Bench]:
    from labspin.procedures import procedure_class
    from labspin.runs import run_procedure
    from labspin.station import Station

    data_dir = tmp_path_factory.mktemp("catalog")
    catalog = Catalog(data_dir)
    out = Bench(catalog)
    for role, preset_name, name, values in (
            ("hall", "cofeb-nio-pma", "HallLoop", HALL),
            ("switching", "py-nio", "SwitchingLoop", SWITCHING)):
        with Station.open(sim=True, preset=preset_name, seed=1) as station:
            proc = procedure_class(name)()
            proc.set_parameters(values)
            record = run_procedure(proc, station, catalog)
        assert record.status == "finished", record.error
        out.ids[role], out.files[role] = record.id, Path(record.file)

    hall_text = out.files["hall"].read_text()
    head, rows = _data_lines(hall_text)
    sample = "sim-cofeb-nio-pma"
    broken = data_dir / "broken"
    broken.mkdir()
    # a row in the middle with values missing: the file cannot be trusted
    corrupt = broken / "00090_HallLoop_corrupt.csv"
    lines = hall_text.splitlines()
    lines[-5] = lines[-5].rsplit(",", 2)[0]
    corrupt.write_text("\n".join(lines) + "\n")
    out.ids["corrupt"], out.files["corrupt"] = _add(
        catalog, "HallLoop", corrupt, "interrupted", sample, len(rows)), corrupt
    missing = broken / "00091_HallLoop_missing.csv"
    shutil.copy(out.files["hall"], missing)
    out.ids["missing"], out.files["missing"] = _add(
        catalog, "HallLoop", missing, "finished", sample, len(rows)), missing
    missing.unlink()
    empty = broken / "00092_HallLoop_empty.csv"
    empty.write_text("\n".join(head) + "\n")
    out.ids["empty"], out.files["empty"] = _add(
        catalog, "HallLoop", empty, "failed", sample, 0, "VisaTimeout: voltmeter"), empty
    # the procedure line names something with no batch fit: the fit is refused
    unfit = broken / "00093_Mystery_unfit.csv"
    unfit.write_text(hall_text.replace("labspin.procedures.loops.HallLoop",
                                       "labspin.procedures.loops.MysteryLoop", 1))
    out.ids["unfit"], out.files["unfit"] = _add(
        catalog, "MysteryLoop", unfit, "aborted", sample, len(rows)), unfit
    growing = broken / "00094_HallLoop_running.csv"
    growing.write_text("\n".join(head + rows[:15]) + "\n")
    out.ids["running"], out.files["running"] = _add(
        catalog, "HallLoop", growing, "running", sample, 15), growing
    yield out
    catalog.close()


@pytest.fixture
def browser(qtbot, bench) -> RunsBrowser:
    widget = RunsBrowser(bench.catalog)
    qtbot.addWidget(widget)
    widget.resize(1280, 760)
    widget.show()
    return widget


def _message(widget: RunsBrowser) -> str:
    label = widget.findChild(QLabel, "runMessage")
    return "" if label.isHidden() else label.text()


def _table_ids(widget: RunsBrowser) -> list[int]:
    return [r.id for r in widget._table.model.records]


def _lines(widget: RunsBrowser) -> tuple[list, list]:
    """(data markers, fitted curves) of the figure's data Axes (the first; the verdict
    strip under it holds no lines)."""
    ax = widget.figure.axes[0]
    assert all(not other.lines for other in widget.figure.axes[1:])
    data = [ln for ln in ax.lines if ln.get_linestyle() == "None"]
    fits = [ln for ln in ax.lines if ln.get_label().startswith("fit")]
    return data, fits


def test_table_lists_every_run_newest_first(browser, bench):
    ids = _table_ids(browser)
    assert sorted(bench.ids.values()) == sorted(ids)
    assert ids == sorted(ids, reverse=True)
    model = browser._table.model
    row = model.row_of(bench.ids["corrupt"])
    status = model.index(row, 4)
    assert model.data(status) == "interrupted"
    assert model.data(status, Qt.ItemDataRole.ForegroundRole).name() == "#c62828"
    finished = model.index(model.row_of(bench.ids["hall"]), 4)
    assert model.data(finished, Qt.ItemDataRole.ForegroundRole).name() == "#1b7f3b"
    assert model.data(model.index(row, 2)) == "HallLoop"
    started = bench.catalog.get(bench.ids["corrupt"]).started
    assert model.data(model.index(row, 1)) == time.strftime("%Y-%m-%d %H:%M",
                                                             time.localtime(started))


def test_hall_loop_is_fitted_and_drawn_with_its_fit(browser, bench, qtbot):
    with qtbot.waitSignal(browser.run_selected) as signal:
        browser.select_run(bench.ids["hall"])
    assert signal.args == [bench.ids["hall"]]
    row = browser.shown_row()
    assert row["fitted"], row["error"]
    assert row["r_ahe"] == pytest.approx(preset("cofeb-nio-pma").readout.anomalous_hall,
                                         rel=0.02)
    data, fits = _lines(browser)
    assert sum(len(ln.get_xdata()) for ln in data) == bench.catalog.get(bench.ids["hall"]).rows
    assert len(fits) == 2  # up and down branches
    assert _message(browser) == ""
    details = browser.findChild(QTextBrowser, "runDetails").toPlainText()
    assert "R_AHE" in details and "±" in details
    # parameters by their label, with units
    assert "Maximum field\n20 mT" in details and "Field step\n2 mT" in details
    assert browser.findChild(QLineEdit, "runFile").text() == str(bench.files["hall"])
    assert browser._table.current_id() == bench.ids["hall"]


def test_switching_loop_is_fitted(browser, bench):
    browser.select_run(bench.ids["switching"])
    row = browser.shown_row()
    assert row["fitted"], row["error"]
    assert row["i_c_plus"] > 0 > row["i_c_minus"]
    assert _lines(browser)[1]


@pytest.mark.parametrize(("role", "words"), [
    ("corrupt", "corrupt row"),
    ("missing", "missing"),
])
def test_unreadable_files_show_a_message_naming_the_file(browser, bench, role, words):
    browser.select_run(bench.ids[role])
    message = _message(browser)
    assert bench.files[role].name in message and words in message
    assert browser.shown_row() is None
    assert not _lines(browser)[0]
    # the table stays usable
    browser.select_run(bench.ids["hall"])
    assert browser.shown_row()["fitted"] and _message(browser) == ""


def test_a_run_with_no_rows_and_a_refused_fit_say_so(browser, bench):
    browser.select_run(bench.ids["empty"])
    assert "no data rows" in _message(browser)
    assert "VisaTimeout" in browser.findChild(QTextBrowser, "runDetails").toPlainText()
    browser.select_run(bench.ids["unfit"])
    assert "Not fitted" in _message(browser) and "MysteryLoop" in _message(browser)
    assert not browser.shown_row()["fitted"]
    assert browser.figure.axes[0].lines and not _lines(browser)[1]  # the data, no fit


def test_a_running_run_shows_its_rows_so_far_unfitted(browser, bench):
    browser.select_run(bench.ids["running"])
    assert "still running" in _message(browser) and "15 rows" in _message(browser)
    assert browser.shown_row() is None
    data, fits = _lines(browser)
    assert sum(len(ln.get_xdata()) for ln in data) == 15 and not fits


def test_refitting_a_run_is_cached(browser, bench, monkeypatch):
    import labspin.gui.runs_browser as module

    calls, fit_run = [], module.fit_run

    def counting(run, **kwargs):
        calls.append(run.path)
        return fit_run(run, **kwargs)

    monkeypatch.setattr(module, "fit_run", counting)
    browser.select_run(bench.ids["hall"])
    browser.select_run(bench.ids["switching"])
    browser.select_run(bench.ids["hall"])
    assert calls == [bench.files["hall"], bench.files["switching"]]


def test_filters_narrow_the_table(browser, bench, qtbot):
    table = browser._table
    table.procedure_box.setCurrentText("SwitchingLoop")
    assert _table_ids(browser) == [bench.ids["switching"]]
    table.procedure_box.setCurrentText("all")
    table.status_box.setCurrentText("failed")
    assert _table_ids(browser) == [bench.ids["empty"]]
    table.status_box.setCurrentText("all")
    qtbot.keyClicks(table.sample_edit, "PY-NIO")
    assert _table_ids(browser) == [bench.ids["switching"]]
    assert "1 of" in table.count_label.text()
    # asking for a hidden run clears the filters rather than showing nothing
    browser.select_run(bench.ids["hall"])
    assert table.sample_edit.text() == "" and len(_table_ids(browser)) == len(bench.ids)
    assert browser.shown_row()["fitted"]


def test_clicking_a_row_shows_that_run(browser, bench, qtbot):
    table = browser._table
    row = table.model.row_of(bench.ids["switching"])
    rect = table.view.visualRect(table.model.index(row, 0))
    with qtbot.waitSignal(browser.run_selected) as signal:
        qtbot.mouseClick(table.view.viewport(), Qt.MouseButton.LeftButton,
                         pos=rect.center())
    assert signal.args == [bench.ids["switching"]]
    assert browser.shown_row()["kind"] == "switching_loop"


def test_refresh_picks_up_new_runs_and_keeps_the_selection(qtbot, bench, tmp_path):
    catalog = Catalog(tmp_path)
    try:
        hall = shutil.copy(bench.files["hall"], tmp_path / "hall.csv")  # a folder's own file
        first = _add(catalog, "HallLoop", Path(hall), "finished", "a", 42)
        widget = RunsBrowser(catalog)
        qtbot.addWidget(widget)
        widget.select_run(first)
        growing = tmp_path / "growing.csv"
        head, rows = _data_lines(bench.files["hall"].read_text())
        growing.write_text("\n".join(head + rows[:10]) + "\n")
        second = _add(catalog, "HallLoop", growing, "running", "b", 10)
        assert _table_ids(widget) == [first]
        widget.refresh()
        assert _table_ids(widget) == [second, first]
        assert widget._table.current_id() == first and widget.shown_row()["fitted"]
        # the running run, shown, then finished: refresh redraws it fitted
        widget.select_run(second)
        assert widget.shown_row() is None
        shutil.copy(bench.files["hall"], growing)
        catalog.finish_run(second, "finished", rows=len(rows))
        widget.refresh()
        assert widget._table.current_id() == second
        assert widget.shown_row()["fitted"] and _message(widget) == ""
    finally:
        catalog.close()


def test_unknown_runs_and_fit_options_are_named(qtbot, bench):
    with pytest.raises(ValueError, match="colour"):
        RunsBrowser(bench.catalog, fit_options={"colour": 1})
    widget = RunsBrowser(bench.catalog, fit_options={"width": 5e-6, "thickness": 5e-9})
    qtbot.addWidget(widget)
    widget.select_run(999)
    assert "no run 999" in _message(widget)
    widget.select_run(bench.ids["switching"])
    row = widget.shown_row()
    assert row["j_c_plus"] == pytest.approx(row["i_c_plus"] / (5e-6 * 5e-9))


def test_a_verdict_is_shown_and_an_undetermined_value_never_as_a_number(browser, bench,
                                                                         monkeypatch):
    import labspin.gui.runs_browser as module
    from labspin.analysis.verdicts import worsen

    reason = "b_c_minus: threshold -123 mT outside the swept range -20..20 mT"
    fit_run = module.fit_run

    def undetermined(run, **kwargs):
        return worsen(fit_run(run, **kwargs), "poor", reason, ["b_c_minus"])

    monkeypatch.setattr(module, "fit_run", undetermined)
    browser._cache.clear()
    browser.select_run(bench.ids["hall"])
    assert _message(browser) == f"Fit poor: {reason}"
    details = browser.findChild(QTextBrowser, "runDetails").toPlainText()
    assert "poor: " + reason in details
    assert "B_c-: not determined" in details and "B_c- =" not in details
    assert "B_c+ = " in details
    texts = [t.get_text() for ax in browser.figure.axes for t in ax.texts]
    assert any(t.startswith("Verdict: poor") for t in texts)
    assert not any("B_c- =" in t or "$B_c^-$ =" in t for t in texts)
    assert [ln.get_label() for ln in _lines(browser)[1]] == ["fit (up)"]
