"""The probe-station window on the simulated bench, driven as a student would."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner
from PyQt6.QtCore import Qt

from labspin.cli import main
from tests.gui.conftest import assert_safe, hold_the_run_after_rows

SHORT_LOOP = {"max_pulse_current": 0.04, "pulse_steps": 10, "pulse_width": 1e-3}
#: a run far longer than any test waits (16 000 points): it is stopped, never finishes
LONG_LOOP = {**SHORT_LOOP, "pulse_steps": 400, "loops": 10}


def wait_idle(qtbot, session, timeout=60_000) -> None:
    qtbot.waitUntil(lambda: not session.busy, timeout=timeout)


def test_switching_loop_runs_from_the_window_and_its_rows_plot(qtbot, window, session):
    panel = window.measure
    panel.select_procedure("SwitchingLoop")
    panel.set_parameters(SHORT_LOOP)
    seen = []
    session.row.connect(seen.append)
    with qtbot.waitSignal(session.run_finished, timeout=60_000) as finished:
        assert panel.run_current()
    wait_idle(qtbot, session)
    record = finished.args[0]
    assert record.status == "finished", record.error
    # 0 -> +max -> -max -> 0 in steps of max/10: 41 pulses, each read
    assert record.rows == 41 == len(seen) == panel.plot.points
    panel.plot.redraw()
    assert (panel.plot.x_column.currentText(), panel.plot.y_column.currentText()) == \
        ("Pulse current (A)", "R_xx 2w (ohm)")
    x, y = panel.plot.data()
    assert x.size == 41 and np.max(np.abs(x)) == pytest.approx(0.04)
    # the loop switches: the read-out takes both signs, one per end of the loop
    assert y[np.argmax(x)] * y[np.argmin(x)] < 0
    curve_x, _ = panel.plot._runs[-1]["curve"].getData()
    assert curve_x.size == 41
    assert_safe(session.station.bench)
    assert session.catalog.get(record.id).status == "finished"


def test_abort_ends_the_run_aborted_with_its_rows_and_a_safe_bench(qtbot, window, session,
                                                                  monkeypatch):
    panel = window.measure
    panel.select_procedure("SwitchingLoop")
    panel.set_parameters(LONG_LOOP)
    held, go_on = hold_the_run_after_rows(session, monkeypatch, rows=5)
    panel.run_current()
    qtbot.waitUntil(held, timeout=30_000)
    with qtbot.waitSignal(session.run_finished, timeout=30_000) as finished:
        panel.abort_button.click()
        go_on()
    wait_idle(qtbot, session)
    record = finished.args[0]
    assert record.status == "aborted"
    assert 5 <= record.rows < 16_000
    assert len(Path(record.file).read_text().splitlines()) > record.rows  # rows on disk
    assert_safe(session.station.bench)


def test_runs_to_do_run_one_after_the_other(qtbot, window, session):
    panel = window.measure
    panel.select_procedure("SwitchingLoop")
    panel.set_parameters(SHORT_LOOP)
    assert panel.queue_current()
    panel.set_parameters({**SHORT_LOOP, "pulse_width": 5e-4})
    assert panel.queue_current()
    assert panel.todo_list.count() == 2
    panel.start_next()
    qtbot.waitUntil(lambda: not session.busy and not panel.todo, timeout=60_000)
    wait_idle(qtbot, session)
    records = session.catalog.query(procedure="SwitchingLoop")
    assert [r.status for r in records] == ["finished", "finished"]
    assert [r.parameters["pulse_width"] for r in records] == [1e-3, 5e-4]


def test_a_value_outside_the_station_limits_is_refused_and_nothing_runs(window, session):
    panel = window.measure
    panel.select_procedure("SwitchingLoop")
    panel.set_parameters({**SHORT_LOOP, "max_pulse_current": 0.15})  # limit: 100 mA
    assert not panel.run_current()
    assert panel.message.level == "error"
    assert "current" in panel.message.text() and "100 mA" in panel.message.text()
    assert not session.busy and not panel.todo
    assert session.catalog.query() == []
    panel.update_estimate()
    assert "Would not run" in panel.estimate.text()


def test_make_safe_ramps_the_magnets_down_and_turns_the_source_off(qtbot, window, session):
    from labspin.simulated_instruments import rf

    station = session.station
    station.magnet("y").ramp_to(0.05)
    station["source"].source_current = 1e-3
    station["source"].source_enabled = True
    station["rf_source"].output_enabled = True
    assert rf.outputs(station.bench)  # the bench's own RF reaches the bar
    reading = window.station_panel.refresh()
    assert reading.fields["y"] == pytest.approx(0.05, abs=1e-3) and reading.source_on
    assert reading.rf_on and window.station_panel.live["rf"].text() == "ON"
    with qtbot.waitSignal(session.safety_report, timeout=5_000):
        window.station_panel.make_safe_button.click()  # on the worker thread
    assert window.station_panel.message.level == "ok"
    assert_safe(station.bench)
    assert not rf.outputs(station.bench)
    assert window.station_panel.live["source"].text() == "off"
    assert window.station_panel.live["rf"].text() == "off"


def test_make_safe_during_a_run_stops_it_and_leaves_the_bench_safe(qtbot, window, session,
                                                                   monkeypatch):
    panel = window.measure
    panel.select_procedure("SwitchingLoop")
    panel.set_parameters(LONG_LOOP)
    held, go_on = hold_the_run_after_rows(session, monkeypatch, rows=3)
    panel.run_current()
    qtbot.waitUntil(held, timeout=30_000)
    window.make_safe_action.trigger()
    assert window.station_panel.message.level == "info"
    go_on()
    wait_idle(qtbot, session)
    assert session.catalog.query()[-1].status == "aborted"
    assert_safe(session.station.bench)


def test_station_panel_lists_the_instruments_and_who_answers(window, session):
    answers = window.station_panel.check_instruments()
    assert set(answers) == set(session.station.instruments)
    assert answers["voltmeter"].startswith("KEITHLEY")
    assert window.station_panel.message.level == "ok"


def test_an_instrument_that_stops_answering_is_shown_not_raised(window_with_faults):
    win, _ = window_with_faults({"voltmeter": {"timeout_after": 3}})
    for _ in range(3):
        answers = win.station_panel.check_instruments()
    assert answers["voltmeter"].startswith("no answer")
    assert "voltmeter" in answers["voltmeter"]
    assert win.station_panel.message.level == "error"


QUEUE = """
name: gui check
steps:
  - procedure: SwitchingLoop
    parameters: {max_pulse_current: 40 mA, pulse_steps: 5, readout: R_xx 2w}
    sweep:
      - pulse_width: {values: [1 ms, 500 us, 200 us]}
"""


def test_queue_loads_runs_stops_and_resumes_without_repeating(qtbot, window, session,
                                                               tmp_path):
    path = tmp_path / "queue.yaml"
    path.write_text(QUEUE)
    panel = window.queue
    assert panel.load(path)
    assert panel.table.rowCount() == 3
    assert [panel.status_of(i) for i in range(3)] == ["planned"] * 3
    assert not panel.resume_button.isEnabled()

    # stop as soon as the first run has started (in the worker thread, so that the run
    # cannot finish before the request arrives): it ends aborted, the rest wait
    session.queue_run_started.connect(lambda queue_id, index: session.stop(),
                                      Qt.ConnectionType.DirectConnection)
    assert panel.run()
    wait_idle(qtbot, session)
    session.queue_run_started.disconnect()
    assert [panel.status_of(i) for i in range(3)] == ["aborted", "planned", "planned"]
    assert panel.resume_button.isEnabled()

    panel.resume_button.click()
    wait_idle(qtbot, session)
    assert [panel.status_of(i) for i in range(3)] == ["finished"] * 3
    assert panel.message.level == "ok"
    runs = session.catalog.query(queue_id=panel.queue_id)
    assert [r.queue_index for r in runs if r.status == "finished"] == [0, 1, 2]
    assert len(runs) == 4  # the aborted try, then each index once

    # the CLI sees the same journal
    result = CliRunner().invoke(main, ["queue", "status", str(path), "--data-dir",
                                       str(session.catalog.data_dir)])
    assert result.exit_code == 0, result.output
    assert "3" in result.output


def test_a_broken_queue_file_is_shown_and_the_loaded_queue_kept(window, tmp_path):
    good = tmp_path / "good.yaml"
    good.write_text(QUEUE)
    bad = tmp_path / "bad.yaml"
    bad.write_text(QUEUE.replace("40 mA", "400 mA"))
    panel = window.queue
    assert panel.load(good)
    assert not panel.load(bad)
    assert panel.message.level == "error" and "bad.yaml" in panel.message.text()
    assert panel.plan.file == str(good) and panel.table.rowCount() == 3


def test_past_runs_show_the_run_just_measured_with_its_fit(qtbot, window, session):
    panel = window.measure
    panel.select_procedure("SwitchingLoop")
    panel.set_parameters({**SHORT_LOOP, "pulse_steps": 20})
    with qtbot.waitSignal(session.run_finished, timeout=60_000) as finished:
        panel.run_current()
    wait_idle(qtbot, session)
    window.show_view("runs")
    window.runs.select_run(finished.args[0].id)
    row = window.runs.shown_row()
    assert row["fitted"], row.get("error")
    assert abs(row["i_c_plus"]) == pytest.approx(0.027, rel=0.15)


def test_screenshot_renders_the_window_to_a_png(tmp_path, qapp):
    out = tmp_path / "window.png"
    result = CliRunner().invoke(main, ["gui", "--sim", "--data-dir", str(tmp_path / "d"),
                                       "--view", "station", "--screenshot", str(out)])
    assert result.exit_code == 0, result.output
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and out.stat().st_size > 20_000


def test_gui_without_a_station_says_how_to_name_one():
    result = CliRunner().invoke(main, ["gui"])
    assert result.exit_code == 2 and "--sim" in result.output


def test_an_instrument_that_times_out_mid_run_fails_the_run_with_a_message(
        qtbot, window_with_faults):
    win, session = window_with_faults({"lockin_xx": {"timeout_after": 25}})
    panel = win.measure
    panel.select_procedure("SwitchingLoop")
    panel.set_parameters(SHORT_LOOP)
    with qtbot.waitSignal(session.run_finished, timeout=60_000) as finished:
        panel.run_current()
    wait_idle(qtbot, session)
    record = finished.args[0]
    assert record.status == "failed" and "lockin_xx" in record.error
    assert panel.message.level == "error" and "lockin_xx" in panel.message.text()
    rows = len(Path(record.file).read_text().split("#Data:")[1].splitlines()) - 2
    assert 0 < rows == record.rows  # every measured row is on disk
    assert_safe(session.station.bench)
