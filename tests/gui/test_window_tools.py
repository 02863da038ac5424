"""What a PyMeasure ManagedWindow user reaches for: the log, past runs beside the live
one, a past run's parameters back in the form, and a queue built in the window."""

from __future__ import annotations

import logging

import numpy as np
import pytest
from click.testing import CliRunner

from labspin.cli import main
from labspin.queues import load_queue_file, plan_queue

LOOP = {"max_pulse_current": 0.04, "pulse_steps": 4, "readout": "R_xy dc"}


def measure(qtbot, window, session, **values):
    panel = window.measure
    panel.select_procedure("SwitchingLoop")
    panel.set_parameters({**LOOP, **values})
    with qtbot.waitSignal(session.run_finished, timeout=60_000) as finished:
        assert panel.run_current()
    qtbot.waitUntil(lambda: not session.busy, timeout=60_000)
    record = finished.args[0]
    assert record.status == "finished", record.error
    return record


# -- the log ----------------------------------------------------------------------------
def test_the_log_view_shows_labspin_records_by_level(qtbot, window, session):
    view = window.log_view
    assert view.attached
    record = measure(qtbot, window, session)
    logging.getLogger("labspin.gui.test").warning("coil %s is warm", "y")
    logging.getLogger("someone.else").error("not ours")
    qtbot.waitUntil(lambda: any("coil y is warm" in line for line in view.lines()),
                    timeout=5_000)
    lines = view.lines()
    assert any("WARNING" in line and "labspin.gui.test: coil y is warm" in line
               for line in lines)
    assert not any("not ours" in line for line in lines)
    info = [line for line in lines if " INFO " in line]
    assert any(f"run {record.id}: SwitchingLoop starts" in line for line in info), lines
    assert any(f"run {record.id}: SwitchingLoop finished, {record.rows} rows" in line
               for line in info), lines
    view.set_level("Warning")
    assert all(" INFO " not in line for line in view.lines())
    assert any("coil y is warm" in line for line in view.lines())
    view.set_level("Info")
    assert len(view.lines()) == len(lines)
    # warnings received while the log is not shown are counted on its tab
    assert window.tabs.tabText(4).startswith("Log (")
    window.show_view("log")
    assert window.tabs.tabText(4) == "Log"
    assert record.id == 1


def test_closing_the_window_removes_its_log_handler(qtbot, session):
    from labspin.gui.main_window import MainWindow

    logger = logging.getLogger("labspin")
    before = list(logger.handlers)
    level = logger.level
    win = MainWindow(session)
    qtbot.addWidget(win)
    assert len(logger.handlers) == len(before) + 1
    win.close()
    assert logger.handlers == before and logger.level == level
    logging.getLogger("labspin.gui.test").warning("after the window closed")  # no crash


def test_an_empty_catalog_says_where_it_looked(window, session):
    window.show_view("runs")
    text = window.runs.figure.axes[0].texts[0].get_text()
    assert f"No runs in {session.catalog.data_dir} yet" in text and "--data-dir" in text


def test_a_log_view_deleted_without_detaching_stops_listening(qapp):
    from PyQt6 import sip

    from labspin.gui.log_view import LogView

    logger = logging.getLogger("labspin")
    before, level = list(logger.handlers), logger.level
    view = LogView()
    view.attach()
    sip.delete(view)  # as when a parent window is destroyed without closing
    logging.getLogger("labspin.gui.test").warning("nobody listens")  # no error, no crash
    assert logger.handlers == before and logger.level == level


# -- past runs beside the live one ------------------------------------------------------
def test_a_past_run_is_drawn_beside_the_live_plot(qtbot, window, session):
    first = measure(qtbot, window, session, max_pulse_current=0.03)
    second = measure(qtbot, window, session)
    window.show_view("runs")
    window.runs.select_run(first.id)
    assert window.runs.overlay_button.isEnabled()
    window.runs.overlay_button.click()
    plot = window.measure.plot
    assert window.tabs.currentIndex() == 0  # the Measure view comes to the front
    assert plot.overlay_ids == [first.id]
    x, y = plot.overlay_data(first.id)
    assert x.size == y.size == first.rows and np.max(np.abs(x)) == pytest.approx(0.03)
    curve_x, _ = plot._overlays[first.id]["curve"].getData()
    assert curve_x.size == first.rows  # drawn, not only loaded
    assert f"{first.id}: SwitchingLoop (past)" in plot.legend_names()
    assert f"{second.id}: SwitchingLoop" in plot.legend_names()
    # the plot's own menu lists the catalog's runs and takes the overlay off again
    menu = window.measure.overlay_menu
    window.measure._fill_overlay_menu()
    actions = {a.text().split(":")[0]: a for a in menu.actions() if a.isCheckable()}
    assert list(actions) == [str(second.id), str(first.id)]  # newest first
    assert actions[str(first.id)].isChecked() and not actions[str(second.id)].isChecked()
    actions[str(first.id)].trigger()
    assert plot.overlay_ids == []


def test_a_missing_file_is_a_message_not_an_overlay(qtbot, window, session):
    record = measure(qtbot, window, session)
    with session.view_catalog._db:  # the file moved away after the run
        session.view_catalog._db.execute("UPDATE runs SET file=? WHERE id=?",
                                         ("/nonexistent/run.csv", record.id))
    assert not window.measure.overlay_run(record.id)
    assert window.measure.message.level == "error"
    assert "/nonexistent/run.csv" in window.measure.message.text()
    assert window.measure.plot.overlay_ids == []


# -- a past run's parameters back in the form ---------------------------------------------
def test_use_these_parameters_puts_a_past_run_back_in_the_form(qtbot, window, session):
    record = measure(qtbot, window, session, pulse_width=3e-4, max_pulse_current=0.035)
    window.measure.select_procedure("HallLoop")
    window.show_view("runs")
    window.runs.select_run(record.id)
    window.runs.use_button.click()
    panel = window.measure
    assert window.tabs.currentIndex() == 0
    assert panel.procedure_name == "SwitchingLoop"
    assert panel.form.editor("pulse_width").text() == "300 µs"
    assert panel.form.editor("max_pulse_current").text() == "35 mA"
    check = panel.update_estimate()
    assert check.ok
    assert {k: check.values[k] for k in record.parameters} == record.parameters
    assert panel.message.level == "ok" and f"run {record.id}" in panel.message.text()
    # the details show the same values with their units
    details = window.runs._details.toPlainText()
    assert "Pulse width\n300 µs" in details and "Maximum pulse current\n35 mA" in details


# -- a queue built in the window ----------------------------------------------------------
def _same_runs(plan_a, plan_b):
    return [(r.procedure, r.parameters) for r in plan_a.runs] == \
        [(r.procedure, r.parameters) for r in plan_b.runs]


def test_a_queue_built_in_the_window_is_saved_and_planned_alike(window, session, tmp_path):
    measure_panel, builder = window.measure, window.queue.builder
    measure_panel.select_procedure("SwitchingLoop")
    measure_panel.set_parameters({"pulse_steps": 5, "readout": "R_xy dc"})
    builder.choose(0, "pulse_width", "50 us, 200 us, 1 ms")
    builder.choose(1, "max_pulse_current", "20 mA, 40 mA, 3", kind="linspace")
    builder.name.setText("widths and currents")
    plan = builder.replan()
    assert plan is not None and len(plan.runs) == 9
    assert "9 runs" in builder.status.text()
    path = builder.save(tmp_path / "built.yaml")
    # the file is what labspin queue plan/run read, and plans the same runs
    planned = plan_queue(load_queue_file(path), str(path), session.guard)
    assert _same_runs(planned, plan)
    widths = [r.parameters["pulse_width"] for r in planned.runs]
    currents = [r.parameters["max_pulse_current"] for r in planned.runs]
    assert widths == pytest.approx([5e-5] * 3 + [2e-4] * 3 + [1e-3] * 3)  # first outermost
    assert currents == pytest.approx([0.02, 0.03, 0.04] * 3)
    assert {r.parameters["pulse_steps"] for r in planned.runs} == {5}
    assert {r.parameters["readout"] for r in planned.runs} == {"R_xy dc"}
    result = CliRunner().invoke(main, ["queue", "plan", str(path), "--sim"])
    assert result.exit_code == 0, result.output
    assert "9 runs" in result.output
    # and it is loaded in the Queue view, ready to run
    assert window.queue.plan is not None and window.queue.plan.file == str(path)
    assert window.queue.table.rowCount() == 9
    assert window.queue.message.level == "ok"


def test_two_sweeps_side_by_side_and_the_station_file_recorded(window_with_faults, tmp_path):
    win, session = window_with_faults({})
    win.measure.select_procedure("SwitchingLoop")
    builder = win.queue.builder
    builder.choose(0, "pulse_width", "100 us, 1 ms")
    builder.choose(1, "max_pulse_current", "45 mA, 40 mA")
    builder.combine.setCurrentIndex(builder.combine.findData("zip"))
    builder.repeat.setValue(2)
    plan = builder.replan()
    assert [r.parameters["pulse_width"] for r in plan.runs] == \
        pytest.approx([1e-4, 1e-3] * 2)
    assert [r.parameters["max_pulse_current"] for r in plan.runs] == \
        pytest.approx([0.045, 0.04] * 2)
    out = tmp_path / "queues" / "zip.yaml"
    out.parent.mkdir()
    builder.save(out)
    queue = load_queue_file(out)
    assert queue.station == "../station.yaml"  # relative to the queue file
    assert _same_runs(plan_queue(queue, str(out), session.guard), plan)
    result = CliRunner().invoke(main, ["queue", "plan", str(out)])  # its own station
    assert result.exit_code == 0, result.output


def test_a_sweep_beyond_the_limits_is_refused_before_saving(window):
    window.measure.select_procedure("SwitchingLoop")
    builder = window.queue.builder
    builder.choose(0, "max_pulse_current", "40 mA, 150 mA")
    assert builder.replan() is None
    assert not builder.save_button.isEnabled()
    assert "150 mA" in builder.status.text() and "100 mA" in builder.status.text()
    builder.choose(0, "pulse_width", "1 ms, 2 ms, 3", kind="values")
    assert builder.replan() is None
    assert "values" not in builder.status.text() or "3" in builder.status.text()
    builder.choose(0, "pulse_width", "1 ms, 2 ms", kind="linspace")
    assert builder.replan() is None and "three entries" in builder.status.text()
