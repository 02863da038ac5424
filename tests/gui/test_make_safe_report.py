"""Make safe, as the user sees it: the Station view's message and live panel at the end
say what the bench's own state is (checked on the simulated bench itself), for a clean
stop and for a magnet whose connection is cut while it carries current."""

from __future__ import annotations

import pytest

from tests.gui.conftest import assert_safe

#: a HallLoop along y that is still ramping when Make safe is pressed
LOOP_Y = {"field_axis": "y", "field_max": 0.1, "field_step": 0.01}


def start_loop_until_coil_carries(qtbot, window, session, monkeypatch, amperes=0.5):
    """Start the loop and hold the run (its bench clock) once coil y carries ``amperes``;
    the hold ends when the test calls the returned ``go_on`` (the run then continues
    where it was, as if Make safe had been pressed at that moment)."""
    import threading

    bench = session.station.bench
    coil = bench.coils["y"]
    held, released = threading.Event(), threading.Event()
    advance = bench.advance

    def hold_then_advance(seconds):  # in the worker thread
        if abs(coil.current) > amperes and not released.is_set():
            held.set()
            released.wait(20)
        advance(seconds)

    monkeypatch.setattr(bench, "advance", hold_then_advance)
    panel = window.measure
    panel.select_procedure("HallLoop")
    panel.set_parameters(LOOP_Y)
    assert panel.run_current()
    qtbot.waitUntil(held.is_set, timeout=20_000)
    return coil, released.set


def make_safe_and_wait(qtbot, window, session, go_on):
    with qtbot.waitSignal(session.safety_report, timeout=20_000) as reported:
        window.make_safe_action.trigger()
        message = window.station_panel.message
        assert (message.level, message.text()) == \
            ("info", "Stopping the run; the station is made safe when it ends.")
        go_on()
    qtbot.waitUntil(lambda: not session.busy, timeout=5_000)
    return reported.args[0]


def test_make_safe_during_a_run_ends_with_safe_and_the_readings_after(qtbot, window, session,
                                                                       monkeypatch):
    _, go_on = start_loop_until_coil_carries(qtbot, window, session, monkeypatch)
    report = make_safe_and_wait(qtbot, window, session, go_on)
    panel = window.station_panel
    assert_safe(session.station.bench)  # the bench itself, not what the code believes
    assert report.safe and report.requested
    assert panel.message.level == "ok"
    assert panel.message.text().startswith("Safe (")
    assert "after run 1 aborted" in panel.message.text()
    assert "magnets ramped to zero" in panel.message.text()
    assert window.tabs.currentWidget() is panel  # the toolbar brought it to the front
    # the live panel is read again after the run: fields at zero, nothing on
    assert panel.live["state"].text() == "idle"
    assert abs(float(panel.live["field_y"].text().split()[0])) < 1.0  # mT: remanence
    assert panel.live["source"].text() == "off"
    assert window.busy_label.text() == "idle"


def test_make_safe_with_a_magnet_cut_off_names_what_is_still_on(qtbot, window, session,
                                                                 monkeypatch):
    bench = session.station.bench
    coil, go_on = start_loop_until_coil_carries(qtbot, window, session, monkeypatch)
    bench.inject_fault("magnet_y", drop_after=0)
    make_safe_and_wait(qtbot, window, session, go_on)
    panel = window.station_panel
    # the bench's own end state: the y supply, cut off, still drives its coil
    assert coil.output_enabled and abs(coil.current) > 0.5
    carried = coil.current
    record = session.catalog.query()[-1]
    # the ramp it was in met the cut connection before it looked at the stop request
    assert record.status == "failed", record.error
    assert "may still carry" in record.error and "connection" in record.error
    text = panel.message.text()
    assert panel.message.level == "error"
    assert text.startswith("The station is NOT confirmed safe (")
    warnings = [line for line in text.splitlines() if line.startswith("WARNING: ")]
    assert len(warnings) == 1  # only magnet y: x, z, source, pulser, RF are safe
    assert warnings[0].startswith("WARNING: magnet y (KepcoBOP3612 at GPIB0::2::INSTR) may "
                                  f"still carry {carried:.3g} A")
    assert warnings[0].endswith("(its connection is lost): switch its output off by hand")
    # the same words as the command line's WARNING line
    assert warnings[0] == f"WARNING: {session.station.hazards['magnet_y']}"
    # the live panel, read after the run, shows the field that is really there
    shown = float(panel.live["field_y"].text().split()[0]) * 1e-3
    assert shown == pytest.approx(bench.coils["y"].field()[1], abs=2e-3)
    assert abs(shown) > 0.02
    assert panel.live["state"].text().startswith("NOT confirmed safe: magnet y")
    assert "NOT confirmed safe" in window.busy_label.text()
    # pressing Make safe again while idle: under way at once, then the same warning
    with qtbot.waitSignal(session.safety_report, timeout=5_000):
        window.make_safe_action.trigger()
        assert panel.message.level == "info"
        assert panel.message.text().startswith("Making safe: ")
    assert panel.message.level == "error" and "WARNING: magnet y" in panel.message.text()
    assert "after run" not in panel.message.text()


def test_a_failed_run_message_does_not_claim_a_safe_station(qtbot, window, session):
    from labspin.gui.session import safety_sentence

    session.station.hazards["magnet_y"] = "magnet y may still carry 4 A"
    assert "NOT confirmed safe" in safety_sentence(session)
    session.station.hazards.clear()
    assert safety_sentence(session) == "The station was made safe."
