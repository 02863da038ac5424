"""Make safe never freezes the window: the magnets ramp to zero on the session's worker
thread while the GUI thread keeps running (a timer fires, the log and the status update,
the controls that would start a run are disabled), and the message ends green or red
from what the bench read back.

The make-safe is held mid-ramp on an event (the bench clock, in the worker thread), so
each test looks at the window at a known point without real sleeps. Were Make safe still
run in the GUI thread, the press itself would sit in the hold and every assertion made
"while it ramps" would fail.
"""

from __future__ import annotations

import threading

import pytest
from PyQt6.QtCore import QTimer

from tests.gui.conftest import assert_safe

FIELD_Z = 0.25  # T: 5 steps of 50 mT at the sim station's 0.5 T/s and 0.1 s per step


def at_field_with_source_on(session, panel):
    """Magnet z at FIELD_Z and the current source on; the Station view has read them."""
    station = session.station
    station.magnet("z").ramp_to(FIELD_Z)
    station["source"].source_current = 1e-3
    station["source"].source_enabled = True
    reading = panel.refresh()
    assert reading.fields["z"] == pytest.approx(FIELD_Z, abs=1e-3) and reading.source_on
    return station.bench.coils["z"]


def hold_mid_ramp(bench, coil, monkeypatch):
    """Hold the bench clock (whoever advances it) once ``coil`` has ramped part of the way
    down, until the test calls the returned ``go_on``."""
    start = abs(coil.current)
    held, released = threading.Event(), threading.Event()
    advance = bench.advance

    def hold_then_advance(seconds):
        if 0 < abs(coil.current) < 0.9 * start and not released.is_set():
            held.set()
            released.wait(10)
        advance(seconds)

    monkeypatch.setattr(bench, "advance", hold_then_advance)
    return held.is_set, released.set


def count_make_safe(station, monkeypatch) -> list[str]:
    """The threads in which ``station.make_safe`` was called, one entry per call."""
    calls: list[str] = []
    make_safe = station.make_safe

    def counted():
        calls.append(threading.current_thread().name)
        return make_safe()

    monkeypatch.setattr(station, "make_safe", counted)
    return calls


def test_the_window_keeps_running_while_make_safe_ramps_the_magnet(qtbot, window, session,
                                                                    monkeypatch):
    panel = window.station_panel
    coil = at_field_with_source_on(session, panel)
    start = coil.current
    held, go_on = hold_mid_ramp(session.station.bench, coil, monkeypatch)
    calls = count_make_safe(session.station, monkeypatch)
    window.make_safe_action.trigger()  # returns at once: the ramp is on the worker
    # what the user sees at once: what is being done, from where, and how long it takes
    assert window.tabs.currentWidget() is panel
    assert panel.message.level == "info"
    assert panel.message.text().startswith(
        "Making safe: switching the current, pulse and RF outputs off and ramping the "
        "magnets to zero at 0.5 T/s (z from +250 mT)")
    qtbot.waitUntil(held, timeout=5_000)
    assert 0 < coil.current < start  # the bench itself is mid-ramp
    # the GUI thread's event loop runs meanwhile: a timer fires, the log view shows the
    # make-safe, the status and the live panel say what the station is doing
    ticks: list[int] = []
    QTimer.singleShot(0, lambda: ticks.append(1))
    qtbot.waitUntil(lambda: bool(ticks), timeout=2_000)
    assert any("making safe: switching the current" in line
               for line in window.log_view.lines())
    assert session.making_safe and window.busy_label.text() == "● making safe"
    panel.refresh()  # the one-second poll: the readings pause, the seconds count
    assert panel.live["state"].text().startswith("making safe, ")
    assert panel.live["state"].text().endswith(" s so far (live readings pause)")
    # the values read before are greyed: the source shown ON is being switched off
    assert panel.live["source"].text() == "ON"
    assert panel.live["source"].styleSheet() == "color:#9e9e9e;"
    # nothing that would start a run (or abort the make-safe) can be pressed
    assert not window.measure.run_button.isEnabled()
    assert not window.measure.abort_button.isEnabled()
    assert not window.abort_action.isEnabled()
    assert not panel.check_button.isEnabled()
    window.measure.select_procedure("SwitchingLoop")
    assert not window.measure.run_current() and not window.measure.todo
    assert "made safe" in window.measure.message.text()
    with qtbot.waitSignal(session.safety_report, timeout=5_000) as reported:
        go_on()
    # the end: the bench's own coils at zero and outputs off, the message green
    assert_safe(session.station.bench)
    assert not coil.output_enabled
    assert reported.args[0].safe and reported.args[0].requested
    assert panel.message.level == "ok" and panel.message.text().startswith("Safe (")
    assert panel.live["state"].text() == "idle"
    assert abs(float(panel.live["field_z"].text().split()[0])) < 1.0  # mT: remanence
    assert panel.live["source"].text() == "off"
    assert panel.live["field_z"].styleSheet() == ""  # live again
    assert window.busy_label.text() == "idle"
    assert window.measure.run_button.isEnabled() and panel.check_button.isEnabled()
    assert calls == [calls[0]] and calls[0] != threading.main_thread().name
    assert session.catalog.query() == []  # no run was started by anything above


def test_a_supply_lost_during_make_safe_ends_red_naming_its_axis(qtbot, window, session,
                                                                 monkeypatch):
    panel = window.station_panel
    coil = at_field_with_source_on(session, panel)
    held, go_on = hold_mid_ramp(session.station.bench, coil, monkeypatch)
    panel.make_safe_button.click()
    qtbot.waitUntil(held, timeout=5_000)
    session.station.bench.inject_fault("magnet_z", drop_after=0)  # the cable comes off
    with qtbot.waitSignal(session.safety_report, timeout=5_000) as reported:
        go_on()
    bench = session.station.bench
    # the bench's own state: coil z, cut off mid-ramp, still carries current; the rest
    # was made safe
    assert coil.output_enabled and 0 < coil.current
    assert bench.dc_current() == 0.0
    assert bench.coils["y"].current == pytest.approx(0.0, abs=1e-9)
    report = reported.args[0]
    assert not report.safe and len(report.warnings) == 1
    text = panel.message.text()
    assert panel.message.level == "error"
    assert text.startswith("The station is NOT confirmed safe (")
    warning = text.splitlines()[1]
    assert warning.startswith("WARNING: magnet z (KepcoBOP3612 at GPIB0::3::INSTR) may still "
                              "carry")
    assert warning.endswith("(its connection is lost): switch its output off by hand")
    assert "Traceback" not in text
    assert panel.live["state"].text().startswith("NOT confirmed safe: magnet z")
    assert "NOT confirmed safe" in window.busy_label.text()


def test_make_safe_pressed_twice_runs_once(qtbot, window, session, monkeypatch):
    panel = window.station_panel
    coil = at_field_with_source_on(session, panel)
    held, go_on = hold_mid_ramp(session.station.bench, coil, monkeypatch)
    calls = count_make_safe(session.station, monkeypatch)
    reports: list = []
    session.safety_report.connect(reports.append)
    window.make_safe_action.trigger()
    qtbot.waitUntil(held, timeout=5_000)
    first = panel.message.text()
    panel.make_safe_button.click()  # again, while the first is mid-ramp
    window.make_safe_action.trigger()
    assert panel.message.text().startswith(first)  # the same make-safe, still going
    with qtbot.waitSignal(session.safety_report, timeout=5_000):
        go_on()
    assert len(calls) == 1 and len(reports) == 1
    assert not session.busy
    assert_safe(session.station.bench)
    assert panel.message.level == "ok"


def test_closing_during_make_safe_waits_for_it_without_blocking(qtbot, window, session,
                                                                monkeypatch):
    panel = window.station_panel
    coil = at_field_with_source_on(session, panel)
    held, go_on = hold_mid_ramp(session.station.bench, coil, monkeypatch)
    window.make_safe_action.trigger()
    qtbot.waitUntil(held, timeout=5_000)
    QTimer.singleShot(0, window.close)  # the user closes it, from the event loop
    qtbot.waitUntil(lambda: session.close_pending, timeout=2_000)
    # the window stays, says why, and the make-safe goes on where it was
    assert window.isVisible() and not session.station.closed
    assert window.statusBar().currentMessage().startswith("Closing: stopping any run")
    assert window.busy_label.text() == "● closing: making safe"
    assert 0 < coil.current
    go_on()
    qtbot.waitUntil(lambda: not window.isVisible(), timeout=5_000)
    assert session.station.closed
    assert_safe(session.station.bench)
    assert not coil.output_enabled


def test_closing_without_an_event_loop_finishes_the_make_safe_first(qtbot, window, session):
    """The application is ending (app.exec has returned): close blocks until the
    make-safe and the station's own close are done."""
    panel = window.station_panel
    coil = at_field_with_source_on(session, panel)
    window.make_safe_action.trigger()
    assert session.making_safe
    window.close()
    assert not window.isVisible() and session.station.closed
    assert_safe(session.station.bench)
    assert not coil.output_enabled


def test_the_message_says_how_long_the_magnets_take_from_the_fields_last_read():
    from types import SimpleNamespace

    from labspin.gui.readings import Reading
    from labspin.gui.station_panel import making_safe_text

    def magnet(rate):
        return SimpleNamespace(limits=SimpleNamespace(max_ramp_rate=rate))

    station = SimpleNamespace(magnets={"x": magnet(0.05), "z": magnet(0.05)})
    reading = Reading(fields={"x": 2e-4, "z": -1.0})  # x at remanence: nothing to ramp
    assert making_safe_text(station, reading) == (
        "Making safe: switching the current, pulse and RF outputs off and ramping the "
        "magnets to zero at 0.05 T/s (z from -1000 mT: about 20 s). The window stays "
        "usable; runs can start again when it has ended.")
    station.magnets["x"] = magnet(0.1)
    assert making_safe_text(station, None, after="run 3 aborted").startswith(
        "Making safe after run 3 aborted: switching the current, pulse and RF outputs off "
        "and ramping the magnets to zero at their allowed rates. ")
    assert making_safe_text(SimpleNamespace(magnets={}), None, closing=True).startswith(
        "Closing: making the station safe first: switching the current, pulse and RF "
        "outputs off. ")


def start_a_held_run(qtbot, window, session, monkeypatch):
    """A long SwitchingLoop started from the Measure view and held after its third row
    (tests/gui/conftest.py); returns what lets it go on."""
    from tests.gui.conftest import hold_the_run_after_rows

    panel = window.measure
    panel.select_procedure("SwitchingLoop")
    panel.set_parameters({"max_pulse_current": 0.04, "pulse_steps": 400,
                          "pulse_width": 1e-3, "loops": 10})  # never finishes here
    held, go_on = hold_the_run_after_rows(session, monkeypatch, rows=3)
    assert panel.run_current()
    qtbot.waitUntil(held, timeout=20_000)
    return go_on


def test_closing_during_a_run_stops_it_makes_safe_and_then_closes(qtbot, window, session,
                                                                  monkeypatch):
    go_on = start_a_held_run(qtbot, window, session, monkeypatch)
    QTimer.singleShot(0, window.close)
    qtbot.waitUntil(lambda: session.close_pending, timeout=2_000)
    assert window.isVisible() and session.stop_requested
    go_on()
    qtbot.waitUntil(lambda: not window.isVisible(), timeout=10_000)
    assert session.station.closed
    assert [r.status for r in session.catalog.query()] == ["aborted"]
    assert_safe(session.station.bench)


def test_closing_with_a_supply_cut_off_keeps_the_window_on_what_is_still_on(qtbot, window,
                                                                           session):
    station = session.station
    station.magnet("y").ramp_to(0.05)
    station.bench.inject_fault("magnet_y", drop_after=0)
    with qtbot.waitSignal(session.station_closed, timeout=5_000):
        QTimer.singleShot(0, window.close)
    qtbot.waitUntil(lambda: not session.busy, timeout=2_000)
    # the station is closed, but the window stays to say what may still be on
    assert station.closed and window.isVisible()
    assert window.tabs.currentWidget() is window.station_panel
    message = window.station_panel.message
    assert message.level == "error"
    assert message.text().startswith("The station is NOT confirmed safe (")
    assert "after closing the station" in message.text()
    assert "WARNING: magnet y (KepcoBOP3612 at GPIB0::2::INSTR) may still carry" \
        in message.text()
    assert window.statusBar().currentMessage().endswith("Close the window again to quit.")
    assert window.station_panel.live["state"].text() == "closed"
    assert station.bench.coils["y"].current > 0.5  # the bench's own coil: still on
    # nothing can start on the closed station
    assert not window.measure.run_button.isEnabled()
    assert not window.station_panel.check_button.isEnabled()
    assert not window.measure.run_current()
    assert window.measure.message.text() == "The station is closed: nothing more can run."
    QTimer.singleShot(0, window.close)  # the second close quits
    qtbot.waitUntil(lambda: not window.isVisible(), timeout=2_000)


def test_the_pass_after_a_stopped_run_runs_on_the_worker_and_says_so(qtbot, window, session,
                                                                     monkeypatch):
    go_on = start_a_held_run(qtbot, window, session, monkeypatch)
    calls = count_make_safe(session.station, monkeypatch)
    shown: list[tuple[str, bool, bool]] = []  # the Station view's message as the pass starts
    session.make_safe_started.connect(lambda after: shown.append(
        (window.station_panel.message.text(), window.measure.run_button.isEnabled(),
         window.abort_action.isEnabled())))
    window.make_safe_action.trigger()
    with qtbot.waitSignal(session.safety_report, timeout=10_000) as reported:
        go_on()
    assert len(shown) == 1
    text, run_enabled, abort_enabled = shown[0]
    assert text.startswith("Making safe after run 1 aborted: switching the current")
    assert not run_enabled and not abort_enabled
    # the run's own shutdown, then the station's second pass: both in the worker thread
    assert len(calls) == 2 and threading.main_thread().name not in calls
    assert reported.args[0].safe and reported.args[0].after == "run 1 aborted"
    assert window.station_panel.message.text().startswith("Safe (")
    assert_safe(session.station.bench)


def test_a_make_safe_that_raises_ends_red_not_green(qtbot, window, session, monkeypatch):
    def broken():
        raise RuntimeError("the shutdown code met a bug")

    monkeypatch.setattr(session.station, "make_safe", broken)
    with qtbot.waitSignal(session.safety_report, timeout=5_000) as reported:
        window.make_safe_action.trigger()
    assert not reported.args[0].safe
    message = window.station_panel.message
    assert message.level == "error"
    assert message.text().splitlines()[1] == (
        "WARNING: making safe stopped on RuntimeError: the shutdown code met a bug: check "
        "every current output and magnet supply by hand")
    assert "Traceback" not in message.text()
    assert not session.busy and window.measure.run_button.isEnabled()
    monkeypatch.undo()  # the window closes (and makes safe) before monkeypatch's teardown
