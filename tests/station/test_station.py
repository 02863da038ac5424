"""Opening a station on the simulated bench; it is always left safe."""

import os
import signal
from pathlib import Path

import pytest

from labspin.station import (
    InstrumentDisconnected,
    InstrumentReplyError,
    InstrumentTimeout,
    Station,
    StationError,
    terminate_on_sigterm,
)
from labspin.stationfile import StationFileError

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
ROLES = {"source", "voltmeter", "lockin", "lockin_xx", "pulser", "rotator", "temperature",
         "magnet_x", "magnet_y", "magnet_z", "gaussmeter_x", "gaussmeter_y", "gaussmeter_z",
         "rf_source"}


@pytest.fixture
def station():
    st = Station.open(EXAMPLES / "station-sim.yaml")
    yield st
    st.close()


def assert_safe(bench):
    for coil in bench.coils.values():
        assert coil.current == pytest.approx(0.0, abs=1e-9)
    assert bench.dc_current() == 0.0
    assert bench.ac_source() is None


def test_every_role_opens_and_answers(station):
    assert station.sim and set(station.instruments) == ROLES
    snap = station.snapshot()
    assert snap["sim"]["preset"] == "py-nio"
    assert snap["instruments"]["voltmeter"]["idn"].startswith("KEITHLEY")
    assert set(snap["instruments"]) == ROLES


def test_the_probe_station_file_opens_on_the_bench_with_sim():
    with Station.open(EXAMPLES / "station-probe.yaml", sim=True, preset="pt-py") as st:
        assert st.bench.device.params.name == "pt-py"
        assert st["voltmeter"].id.startswith("KEITHLEY")


def test_sim_without_a_file_uses_the_built_in_station():
    with Station.open(sim=True, preset="cofeb-nio-pma", seed=3) as st:
        assert st.bench.seed == 3
        assert st.config.sample.fm_thickness == pytest.approx(1.2e-9)


def test_no_file_and_no_sim_asks_for_one():
    with pytest.raises(StationFileError, match="--station FILE"):
        Station.open()


def test_close_ramps_magnets_down_and_turns_outputs_off(station):
    station.magnet("y").ramp_to(0.2)
    station["source"].source_current = 1e-3
    station["source"].source_enabled = True
    assert station.bench.dc_current() != 0
    station.close()
    assert_safe(station.bench)
    assert station.closed


def test_an_exception_inside_the_block_still_leaves_the_bench_safe():
    with pytest.raises(RuntimeError, match="analysis crashed"), \
            Station.open(EXAMPLES / "station-sim.yaml") as st:
        st.magnet("x").ramp_to(0.1)
        bench = st.bench
        raise RuntimeError("analysis crashed")
    assert_safe(bench)


def test_ctrl_c_and_sigterm_leave_the_bench_safe():
    with pytest.raises(KeyboardInterrupt), terminate_on_sigterm(), \
            Station.open(EXAMPLES / "station-sim.yaml") as st:
        st.magnet("z").ramp_to(-0.1)
        bench = st.bench
        os.kill(os.getpid(), signal.SIGTERM)
    assert_safe(bench)


def test_field_outside_the_limits_is_refused_before_anything_is_sent(station):
    from labspin.drivers.electromagnet import FieldLimitError

    coil = station.bench.coils["z"]
    with pytest.raises(FieldLimitError):
        station.magnet("z").ramp_to(0.35)  # limits.max_field.z is 0.3 T
    assert coil.setpoint == 0.0 and coil.current == 0.0


def test_instrument_that_times_out_gives_a_clear_error_and_a_safe_bench(station):
    station.magnet("y").ramp_to(0.05)
    station.bench.inject_fault("voltmeter", timeout_after=0)
    with pytest.raises(InstrumentTimeout, match=r"'voltmeter' \(Keithley2182 at GPIB0::7::INSTR\)"):
        station.read_number("voltmeter", "voltage")
    station.close()
    assert_safe(station.bench)


def test_dropped_connection_and_garbage_are_named(station):
    station.bench.inject_fault("lockin", drop_after=0)
    with pytest.raises(InstrumentDisconnected, match="'lockin'"):
        station.read_number("lockin", "x")
    station.bench.inject_fault("voltmeter", garbage_after=0)
    with pytest.raises(InstrumentReplyError, match="expected a number"):
        station.read_number("voltmeter", "voltage")


def test_dead_magnet_supply_does_not_stop_the_rest_of_the_shutdown(station):
    station.magnet("x").ramp_to(0.05)
    station["source"].source_current = 1e-3
    station["source"].source_enabled = True
    station.bench.inject_fault("magnet_x", drop_after=0)
    failures = station.make_safe()
    assert any("magnet x" in f for f in failures)
    assert station.bench.dc_current() == 0.0  # the source was still switched off


def test_an_instrument_that_does_not_answer_at_open_is_named(tmp_path):
    text = (EXAMPLES / "station-sim.yaml").read_text()
    text = text.replace("# faults:               # fault injection per instrument, counted "
                        "in messages\n  #   voltmeter: {timeout_after: 200}",
                        "faults:\n    lockin: {timeout_after: 0}")
    path = tmp_path / "station.yaml"
    path.write_text(text)
    with pytest.raises(StationError, match=r"'lockin' \(SR830 at GPIB0::8::INSTR\) does not "
                                           r"answer"):
        Station.open(path)


def test_burnt_bar_reads_as_an_open_circuit(station):
    station.bench.options.burn_current = 0.01
    source = station["source"]
    source.source_compliance = 10
    source.source_current = 0.02
    source.source_enabled = True
    assert station.bench.device.is_open
    station["voltmeter"].ch_1.setup_voltage(nplc=1)
    assert station.read_number("voltmeter", "voltage") > 1e30  # the 2182A overflows


def test_opening_stations_again_and_again_does_not_grow_the_adapters_log_handlers():
    """pymeasure adds a NullHandler to an adapter's shared logger per instrument opened;
    a window or a night that opens the station for every run must not pile them up."""
    import logging

    def handlers() -> dict[str, int]:
        with Station.open(sim=True, preset="py-nio", seed=1) as st:
            loggers = {st[role].adapter.log for role in st.instruments}
        return {lg.name: sum(type(h) is logging.NullHandler for h in lg.handlers)
                for lg in loggers}

    first = handlers()
    for _ in range(3):
        again = handlers()
    assert again == first and max(again.values()) <= 1
