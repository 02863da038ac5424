"""The window checks the bench before its first run, as ``labspin run`` does: what a
previous process left on (a kill -9, a crash) is logged in the words of ``labspin station
check`` and made safe before anything is measured; a bench that cannot be made safe is
not measured on."""

import logging

import pytest

import labspin.runs
from labspin.procedures import procedure_class

SHORT_LOOP = {"max_pulse_current": 0.04, "pulse_steps": 10, "pulse_width": 1e-3}


def short_loop():
    procedure = procedure_class("SwitchingLoop")()
    procedure.set_parameters(SHORT_LOOP)
    return procedure


@pytest.fixture
def coil_at_start(session, monkeypatch):
    """The bench's own coil x current at the start of each run."""
    seen = []
    run_procedure = labspin.runs.run_procedure

    def first_look(procedure, station, *args, **kwargs):
        seen.append(station.bench.coils["x"].current)
        return run_procedure(procedure, station, *args, **kwargs)

    monkeypatch.setattr(labspin.runs, "run_procedure", first_look)
    return seen


def test_a_magnet_left_on_is_logged_and_ramped_down_before_the_first_run(
        qtbot, session, coil_at_start, caplog):
    session.station.magnet("x").ramp_to(0.2)  # as a killed process would leave it
    assert session.station.bench.coils["x"].current == pytest.approx(4)
    with caplog.at_level(logging.WARNING, logger="labspin.gui.session"), \
            qtbot.waitSignal(session.job_finished, timeout=30_000):
        session.run_procedures([short_loop()])
    found = [r.getMessage() for r in caplog.records if r.getMessage().startswith("Found:")]
    assert len(found) == 1 and found[0].startswith(
        "Found: magnet x was at 200 mT (4 A), left on by a previous process: ramped to zero")
    assert coil_at_start == [pytest.approx(0.0, abs=1e-6)]
    assert [r.status for r in session.catalog.query()] == ["finished"]
    # once per window: the next run starts without a second check
    with caplog.at_level(logging.WARNING, logger="labspin.gui.session"), \
            qtbot.waitSignal(session.job_finished, timeout=30_000):
        session.run_procedures([short_loop()])
    assert len([r for r in caplog.records if r.getMessage().startswith("Found:")]) == 1


def test_a_bench_that_cannot_be_made_safe_is_not_measured_on(qtbot, session, coil_at_start):
    session.station.magnet("y").ramp_to(0.05)
    session.station.bench.inject_fault("magnet_y", drop_after=0)
    with qtbot.waitSignal(session.safety_report, timeout=30_000) as reported:
        session.run_procedures([short_loop()])
    assert coil_at_start == [] and session.catalog.query() == []
    assert any("magnet y" in line for line in reported.args[0].warnings)
