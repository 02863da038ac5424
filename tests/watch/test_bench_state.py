"""The bench state a notification and the status page report is read back from the
instruments, the RF generator's output included (it was left out)."""

from __future__ import annotations

import pytest

from labspin.bench_state import read_bench_state
from labspin.shutdown import make_safe
from labspin.station import Station, default_sim_config


@pytest.mark.parametrize("driver", ["Agilent8257DRF", "Agilent8257D"])
def test_an_rf_output_left_on_is_reported_and_make_safe_turns_it_off(driver):
    config = default_sim_config("py-nio", seed=2)
    rf = config.instruments["rf_source"].model_copy(update={"driver": driver})
    config = config.model_copy(update={"instruments": {**config.instruments,
                                                       "rf_source": rf}})
    with Station(config, sim=True, seed=2) as station:
        station.connect()
        psg = station.bench.rf_sources["rf_source"]  # the simulated generator itself
        station["rf_source"].write(":FREQ 8 GHz")
        station["rf_source"].write(":OUTP 1")  # as a run interrupted mid-sweep leaves it
        assert psg.rf_output() is not None
        state = read_bench_state(station)
        assert state.outputs["rf_source RF output"] is True
        assert not state.safe and "rf_source RF output" in state.describe()
        assert make_safe(station) == {}
        state = read_bench_state(station)
        assert state.outputs["rf_source RF output"] is False and state.safe
        assert psg.rf_output() is None  # the bench's own word, not the driver's


def test_an_instrument_that_stops_answering_after_the_shutdown_is_said(tmp_path, caplog,
                                                                      monkeypatch):
    """The run's shutdown confirmed the bench safe; then a gaussmeter stopped answering
    before the bench state was read for the status page. The run stays finished (its data
    and the confirmed shutdown stand), but a warning names what could not be read (it was
    dropped silently)."""
    import logging

    from labspin.procedures.loops import HallLoop
    from labspin.runs import open_catalog, run_procedure

    with Station.open(sim=True, seed=3) as station, open_catalog(tmp_path) as catalog:
        shutdown = station.make_safe

        def then_the_gaussmeter_fails():
            warnings = shutdown()
            station.bench.inject_fault("gaussmeter_z", timeout_after=0)
            return warnings

        monkeypatch.setattr(station, "make_safe", then_the_gaussmeter_fails)
        with caplog.at_level(logging.WARNING, logger="labspin.observe"):
            record = run_procedure(HallLoop(field_max=0.01, field_step=0.005), station,
                                   catalog)
    assert record.status == "finished"
    said = [r.getMessage() for r in caplog.records if r.name == "labspin.observe"]
    assert any("could not be read back" in m and "field z" in m for m in said), said


def test_a_sine_left_running_with_the_output_off_is_not_called_safe():
    """A 6221 drives its sine with OUTP? 0: the state after a run read only OUTP? and
    called such a bench safe."""
    with Station.open(sim=True, seed=2) as station:
        source = station["source"]
        source.waveform_amplitude = 5e-3
        source.waveform_frequency = 1333
        source.waveform_arm()
        source.waveform_start()
        assert station.bench.ac_source() is not None and not source.source_enabled
        state = read_bench_state(station)
        assert state.outputs["source waveform (sine)"] is True
        assert not state.safe and "source waveform (sine)" in state.describe()
        assert make_safe(station) == {}
        state = read_bench_state(station)
        assert state.outputs["source waveform (sine)"] is False and state.safe
        assert station.bench.ac_source() is None
