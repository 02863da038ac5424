"""``labspin station check`` on a bench another process left on: it says what it found
(a magnet at 250 mT, a current source output on, RF on) and what it did, and the bench
itself ends with every output off and the coils at zero."""

from pathlib import Path

import pytest
from click.testing import CliRunner

from labspin.cli import main
from labspin.station import Station
from labspin.stationfile import StationFile

STATION = Path(__file__).resolve().parents[2] / "examples" / "station-sim.yaml"


@pytest.fixture
def left_on(monkeypatch):
    """The example bench as a killed run leaves it: magnet z at 250 mT, the 6221's output
    on at 2 mA, the RF generator on at 5 dBm. The next station opened on the file gets
    this bench (a simulated bench lives with its process; hardware keeps its state)."""
    previous = Station.open(STATION)
    previous.magnet("z").ramp_to(0.25)
    previous["source"].source_current = 2e-3
    previous["source"].source_enabled = True
    previous["rf_source"].power = 5.0
    previous["rf_source"].frequency = 8e9
    previous["rf_source"].output_enabled = True
    bench = previous.bench  # the process "dies" here: nothing is closed
    monkeypatch.setattr(StationFile, "build_bench", lambda self, *a, **k: bench)
    return bench


def _by_driver(bench, driver_name: str):
    return next(model for model in bench.instruments.values()
                if type(model).__name__.startswith(driver_name))


def test_station_check_says_what_it_found_on_and_what_it_did(left_on):
    bench = left_on
    assert abs(bench.coils["z"].current * bench.coils["z"].coil_constant - 0.25) < 1e-3
    assert _by_driver(bench, "Keithley6221").output
    assert any(rf.output for rf in bench.rf_sources.values())
    result = CliRunner().invoke(main, ["station", "check", str(STATION)],
                                env={"COLUMNS": "80"})
    assert result.exit_code == 0, result.output
    out = " ".join(result.output.split())  # wrapped lines joined
    assert "magnet z was at 250 mT (" in out
    assert "left on by a previous process: ramped to zero at 0.5 T/s and switched off" in out
    assert "source (the current source) had its current output on at 2 mA DC, left on by " \
           "a previous process: switched off; it now reads off" in out
    assert "rf_source (the RF generator) had its RF output on at 5 dBm, 8 GHz" in out
    assert "what was left on is now off" in out
    assert "nothing was left on" not in out
    # the bench's own state, not what labspin says about it
    for axis, coil in bench.coils.items():
        assert coil.current == pytest.approx(0.0, abs=1e-6), axis
        assert not coil.output_enabled, axis
    assert not _by_driver(bench, "Keithley6221").output
    assert all(not rf.output for rf in bench.rf_sources.values())
    assert "magnet x" not in out and "magnet y" not in out  # they were off: not news


def test_station_check_with_a_data_folder_tells_the_status_page_what_it_left(left_on,
                                                                           tmp_path):
    """After a kill -9 the page says the bench is unknown and advises this check with the
    page's own --data-dir: the check then publishes the bench it left, read back."""
    import json

    result = CliRunner().invoke(main, ["station", "check", str(STATION), "--data-dir",
                                       str(tmp_path)])
    assert result.exit_code == 0, result.output
    published = json.loads((tmp_path / "watch" / "bench.json").read_text())
    assert published["safe"] is True and published["as_of"] == "labspin station check"


def test_station_check_of_a_bench_left_off_says_nothing_was_on():
    result = CliRunner().invoke(main, ["station", "check", str(STATION)])
    assert result.exit_code == 0, result.output
    assert "nothing was left on" in " ".join(result.output.split())
    assert "Found:" not in result.output


# -- everything make_safe switches off, each found from the instrument --------------------------
def _model(bench, name: str):
    return next(model for model in bench.instruments.values() if type(model).__name__ == name)


def _sine(st, amplitude=5e-3, frequency=1333.0, start=True):
    """A 6221 as a killed HarmonicHall leaves it: its sine armed and running, OUTP? 0."""
    src = st["source"]
    src.waveform_function = "sine"
    src.waveform_amplitude = amplitude
    src.waveform_offset = 0
    src.waveform_frequency = frequency
    src.waveform_duration_set_infinity()
    src.waveform_arm()
    if start:
        src.waveform_start()


def _bench_on(bench) -> dict[str, object]:
    """What the simulated bench itself drives or holds: nothing, once safe."""
    source = _model(bench, "Keithley6221Model")
    pulser = _model(bench, "Keysight81160AModel")
    on: dict[str, object] = {}
    if source.wave_state or source.armed or source.output:
        on["source"] = (source.wave_state, source.armed, source.output)
    if any(s.dc or s.ac_amplitude for s in bench.sources.values()):
        on["bar current"] = dict(bench.sources)
    on.update({f"pulser {n}": True for n, ch in pulser.channels.items() if ch.output})
    on.update({f"rf {name}": True for name, rf in bench.rf_sources.items()
               if rf.rf_output() is not None})
    on.update({f"magnet {axis}": coil.current for axis, coil in bench.coils.items()
               if abs(coil.current) > 1e-9 or coil.output_enabled})
    return on


#: one case per thing make_safe switches off (labspin.shutdown): how a killed process
#: leaves it, and the words the check must find it by
LEFT_ON = {
    "sine running": (_sine, "source (the current source) was driving a 5 mA sine at "
                            "1333 Hz (armed or running), left on by a previous process: "
                            "aborted; it now reads off"),
    "sine armed": (lambda st: _sine(st, 2e-3, 17.0, start=False),
                   "source (the current source) was driving a 2 mA sine at 17 Hz (armed "
                   "or running), left on by a previous process: aborted; it now reads off"),
    "delta armed": (lambda st: st["source"].write(":SOUR:DELT:ARM"),
                    "source (the current source) had a delta test armed, left on by a "
                    "previous process: aborted; it now reads off"),
    "pulse delta armed": (lambda st: st["source"].write(":SOUR:PDEL:ARM"),
                          "source (the current source) had a pulse-delta test armed, left "
                          "on by a previous process: aborted; it now reads off"),
    "DC output": (lambda st: (st["source"].write(":SOUR:CURR 0.003"),
                              st["source"].write(":OUTP 1")),
                  "source (the current source) had its current output on at 3 mA DC, left "
                  "on by a previous process: switched off; it now reads off"),
    "pulser output 2": (lambda st: (st["pulser"].write(":VOLT2 1.5"),
                                    st["pulser"].write(":OUTP2 ON")),
                        "pulser (the pulse generator) had output 2 (1.5 V pulses) on, left "
                        "on by a previous process: switched off; it now reads off"),
    "RF output": (lambda st: (st["rf_source"].write(":POW 3 dBm"),
                              st["rf_source"].write(":FREQ 9 GHz"),
                              st["rf_source"].write(":OUTP 1")),
                  "rf_source (the RF generator) had its RF output on at 3 dBm, 9 GHz, left "
                  "on by a previous process: switched off; it now reads off"),
    "magnet x": (lambda st: st.magnet("x").ramp_to(0.2),
                 "magnet x was at 200 mT (4 A), left on by a previous process: ramped to "
                 "zero at 0.5 T/s and switched off; it now reads"),
    "magnet y supply on at 0 A": (lambda st: setattr(st.magnet("y").supply,
                                                     "output_enabled", True),
                                  "magnet y had its supply output on at 0 A, left on by a "
                                  "previous process: switched off; it now reads"),
}


@pytest.fixture(scope="module")
def station():
    with Station.open(STATION) as st:
        yield st


@pytest.mark.parametrize("case", LEFT_ON)
def test_station_check_finds_each_thing_make_safe_switches_off(station, case):
    """A sine armed or running reads OUTP? 0 on a 6221: it was aborted silently, and the
    check said nothing was on. Every item is now read from the instrument itself, and the
    bench (not labspin's belief) is off afterwards."""
    from labspin.station_check import check_and_make_safe, found_lines

    leave, words = LEFT_ON[case]
    assert _bench_on(station.bench) == {}
    leave(station)
    assert _bench_on(station.bench) != {}, "the case left nothing on"
    report = check_and_make_safe(station)
    assert report.unread == {} and report.hazards == {}
    [line] = found_lines(report)
    assert line.startswith(f"Found: {words}"), line
    assert _bench_on(station.bench) == {}  # the bench's own state


def test_make_safe_reads_back_the_sine_it_aborted(station, monkeypatch):
    """A 6221 that ignores WAVE:ABOR (its sine still armed) is not called safe because
    OUTP? reads 0: the warning says the waveform is still armed."""
    from labspin.shutdown import make_safe

    _sine(station)
    source = station["source"]
    write = type(source).write
    monkeypatch.setattr(type(source), "write", lambda self, command, *a, **k: None
                        if "WAVE:ABOR" in command else write(self, command, *a, **k))
    warnings = make_safe(station)
    assert station.bench.ac_source() is not None  # the bench still drives the sine
    assert "its waveform armed after being switched off" in warnings["source"]
    monkeypatch.undo()
    assert make_safe(station) == {} and _bench_on(station.bench) == {}
