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
