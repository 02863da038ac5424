"""What each procedure sends per point, read at the simulated instruments: few messages,
no setting sent again while it holds, no state asked for again; and the checks that
guard a reading still run at every point (a compliance or a bar burning open mid-run is
caught at the first reading it affects), while a fault, a reset or a new run makes every
setting go out again.

The message counts before the per-run knowledge of instrument state (labspin main of
wave 2, same configurations): HallLoop 33.8 per point (reversal), USMRLoop 15.8,
SwitchingLoop 18.3 (R_xy dc), PulseSequence 28.0 (ns pulses), SwitchingProbability 52.0,
HarmonicHall 26.0, STFMR 18.1.
"""

from __future__ import annotations

import importlib
import math
from pathlib import Path
from typing import Any

import pytest

from labspin.runs import Catalog, run_procedure
from labspin.station import Station

from .harness import assert_bench_safe
from .test_fault_matrix import station_file
from .transcript import recording

cli_measure = importlib.import_module("labspin.cli_measure")
pytestmark = pytest.mark.filterwarnings("ignore::FutureWarning")  # pymeasure's SCPI notice

#: name -> (procedure, --set settings, most messages per point allowed)
CASES: dict[str, tuple[str, tuple[str, ...], float]] = {
    "HallLoop reversal": ("HallLoop", (
        "field_axis=z", "field_max=10 mT", "field_step=2 mT", "settle_time=10 ms"), 14.5),
    "HallLoop dc": ("HallLoop", (
        "field_axis=z", "field_max=10 mT", "field_step=2 mT", "readout=dc"), 10.5),
    "HallLoop delta": ("HallLoop", (
        "field_axis=z", "field_max=10 mT", "field_step=2 mT", "readout=delta"), 17.5),
    "USMRLoop": ("USMRLoop", (
        "field_max=4 mT", "field_step=1 mT", "time_constant=10 ms", "settle_time=10 ms"),
        11.5),
    "SwitchingLoop R_xy dc": ("SwitchingLoop", (
        "max_pulse_current=30 mA", "pulse_steps=4", "readout=R_xy dc", "bias_field=2 mT",
        "bias_axis=x", "settle_time=10 ms"), 15.5),
    "SwitchingLoop R_xx 2w": ("SwitchingLoop", (
        "max_pulse_current=30 mA", "pulse_steps=4", "readout=R_xx 2w",
        "settle_time=10 ms"), 12.5),
    "SwitchingLoop R_xy delta": ("SwitchingLoop", (
        "max_pulse_current=30 mA", "pulse_steps=4", "readout=R_xy delta",
        "settle_time=10 ms"), 12.5),
    "PulseSequence of ns pulses": ("PulseSequence", (
        "sequence=+20 mA x 20 ns *4, -20 mA x 20 ns *4", "readout=R_xx 2w",
        "settle_time=10 ms"), 12.5),
    "SwitchingProbability": ("SwitchingProbability", (
        "amplitude_min=30 mA", "amplitude_max=32 mA", "amplitude_steps=2",
        "pulse_widths=1 ms", "trials=4", "readout=R_xx 2w", "settle_time=0 s"), 26.5),
    "HarmonicHall angle scan": ("HarmonicHall", (
        "mode=angle scan", "field_magnitudes=0.05", "angle_step=45 deg", "current=1 mA",
        "time_constant=10 ms", "settle_time=10 ms"), 15.5),
    "HarmonicHall field sweep": ("HarmonicHall", (
        "mode=field sweep", "current=1 mA", "time_constant=10 ms", "settle_time=10 ms"),
        12.0),
    "STFMR": ("STFMR", (
        "frequencies=6, 9", "field_window=0.008", "field_step=0.001"), 10.5),
    "STFMR with DC bias": ("STFMR", (
        "frequencies=8", "field_window=0.008", "field_step=0.001", "dc_currents=-3, 3"),
        11.5),
}


@pytest.fixture(scope="module")
def transcripts(tmp_path_factory) -> dict[str, tuple[Any, Any, Any]]:
    """Each case run once through the runner: (procedure, record, transcript)."""
    folder = tmp_path_factory.mktemp("traffic")
    path = station_file(folder / "station.yaml")
    catalog = Catalog(folder / "data")
    out = {}
    for name, (procedure, settings, _) in CASES.items():
        proc = cli_measure.configured_procedure(procedure, settings)
        station = Station.open(path)
        try:
            with recording(station) as transcript:
                record = run_procedure(proc, station, catalog, on_row=transcript.mark)
        finally:
            station.close()
        out[name] = (proc, record, transcript)
    catalog.close()
    return out


@pytest.mark.parametrize("name", list(CASES))
def test_each_point_sends_few_messages_and_asks_no_unchanged_state_again(name, transcripts):
    _, record, transcript = transcripts[name]
    assert record.status == "finished", record.error
    rows = transcript.rows()
    assert len(rows) >= 6
    assert transcript.per_point() <= CASES[name][2]
    assert transcript.repeated_state_queries() == []
    for messages in rows:  # within a point, no setting sent again to the value it has
        last: dict[tuple[str, str], str] = {}
        for m in messages:
            header, _, value = m.text.partition(" ")
            if m.query or not value:  # a query, or an action (arm, trigger, clear)
                continue
            key = (m.role, header.upper())
            assert last.get(key) != value, f"{m.role} {m.text!r} sent again unchanged"
            last[key] = value


@pytest.mark.parametrize("name", list(CASES))
def test_the_duration_estimate_counts_the_messages_the_instruments_receive(
        name, transcripts):
    """``traffic_per_point`` (which ``seconds_per_point`` charges at 2 ms a write, 4 ms a
    query, 10 ms a serial query) against the mean of what the bench received."""
    proc, _, transcript = transcripts[name]
    declared = proc.traffic_per_point()
    rows = transcript.rows()
    serial = sum(m.role.startswith("gaussmeter") for r in rows for m in r) / len(rows)
    writes = sum(not m.query for r in rows for m in r) / len(rows)
    assert transcript.per_point() == pytest.approx(declared.messages,
                                                   abs=max(1.0, 0.12 * declared.messages))
    assert writes == pytest.approx(declared.writes, abs=max(1.0, 0.15 * declared.writes))
    assert serial == pytest.approx(declared.serial, abs=0.15)  # + the turn of a sweep
    bus = declared.seconds()
    assert proc.seconds_per_point() >= bus > 0


# -- the checks still run at every point ---------------------------------------------------
def _run_with(station: Station, proc: Any, at_row: int, action, tmp_path: Path,
              started=None):
    """Run ``proc`` through the runner, recording; ``action(station)`` right after row
    ``at_row`` is emitted; ``started(transcript)`` before the run begins."""
    catalog = Catalog(tmp_path / "data")
    with recording(station) as transcript:
        if started is not None:
            started(transcript)

        def on_row(record: Any) -> None:
            transcript.mark(record)
            if len(transcript.marks) == at_row:
                action(station)

        record = run_procedure(proc, station, catalog, on_row=on_row)
    catalog.close()
    return record, transcript


COMPLIANCE_CASES = {
    "HallLoop reversal": ("HallLoop", ("field_axis=z", "field_max=10 mT", "field_step=2 mT")),
    "HallLoop dc": ("HallLoop", ("field_axis=z", "field_max=10 mT", "field_step=2 mT",
                                 "readout=dc")),
    "USMRLoop": ("USMRLoop", ("field_max=4 mT", "field_step=1 mT", "time_constant=10 ms")),
    "SwitchingLoop R_xy dc": ("SwitchingLoop", ("max_pulse_current=30 mA", "pulse_steps=4",
                                                "readout=R_xy dc")),
    "HarmonicHall": ("HarmonicHall", ("mode=field sweep", "current=1 mA",
                                      "time_constant=10 ms")),
    "STFMR with DC bias": ("STFMR", ("frequencies=8", "field_window=0.008",
                                     "field_step=0.001", "dc_currents=3")),
}


@pytest.mark.parametrize("name", list(COMPLIANCE_CASES))
def test_a_compliance_mid_run_is_caught_at_the_point_it_affects(name, tmp_path):
    """The current leads go high-ohmic after row 4 (a probe lifting off a pad): the 6221
    can no longer drive the current, so every later reading would be of a smaller
    current. The run must fail there, with no row measured at the smaller current."""
    procedure, settings = COMPLIANCE_CASES[name]
    path = station_file(tmp_path / "station.yaml")
    with Station.open(path) as station:
        def lift(station: Station) -> None:
            station.bench.options.lead_resistance = 1e6

        proc = cli_measure.configured_procedure(procedure, settings)
        record, _ = _run_with(station, proc, 4, lift, tmp_path)
        assert record.status == "failed"
        assert record.rows == 4
        assert "compliance" in record.error
        assert_bench_safe(station)


BURN_CASES = {
    "HallLoop reversal": ("HallLoop", ("field_axis=z", "field_max=10 mT", "field_step=2 mT")),
    "USMRLoop": ("USMRLoop", ("field_max=4 mT", "field_step=1 mT", "time_constant=10 ms")),
    "SwitchingLoop R_xx 2w": ("SwitchingLoop", ("max_pulse_current=30 mA", "pulse_steps=4",
                                                "readout=R_xx 2w")),
    "SwitchingLoop R_xy dc": ("SwitchingLoop", ("max_pulse_current=30 mA", "pulse_steps=4",
                                                "readout=R_xy dc")),
}
READING = (":READ?", "OUTP?1", "OUTP?2", ":TRAC:DATA?", "SNAP?")


@pytest.mark.parametrize("name", list(BURN_CASES))
def test_a_bar_that_burns_open_mid_run_is_caught_at_the_first_reading_after_it(
        name, tmp_path):
    """From row 3 on, any current the bar carries burns it open (``sim.burn_current``):
    it burns at the next current, and the first reading taken after that must stop the
    run: no row holds a reading of the open bar."""
    procedure, settings = BURN_CASES[name]
    path = station_file(tmp_path / "station.yaml")
    with Station.open(path) as station:
        bench = station.bench
        burnt_at: list[int] = []

        def arm(station: Station) -> None:
            bench.options.burn_current = 1e-6

        proc = cli_measure.configured_procedure(procedure, settings)
        original, watched = bench._check_burn, []

        def check_burn(current: float) -> None:
            was = bench.device.burnt
            original(current)
            if bench.device.burnt and not was:
                burnt_at.append(len(watched[0].messages))  # the message that burnt it

        bench._check_burn = check_burn
        record, transcript = _run_with(station, proc, 3, arm, tmp_path,
                                       started=watched.append)
        assert burnt_at, "the bar never burnt"
        burn = burnt_at[0]
        first_reading = next(i for i, m in enumerate(transcript.messages)
                             if i >= burn and m.text.upper().startswith(READING))
        assert record.status == "failed"
        assert transcript.marks[-1] <= first_reading  # no row holds it
        assert record.rows >= 3
        assert "open" in record.error or "compliance" in record.error
        assert_bench_safe(station)


# -- what is known does not outlive what could change it -------------------------------------
def test_every_run_sends_its_settings_again(tmp_path):
    """Two runs on one open station: the second knows nothing of the first (another
    program may have used the instruments in between) and sends every setting again."""
    path = station_file(tmp_path / "station.yaml")
    settings = ("field_axis=z", "field_max=4 mT", "field_step=2 mT", "nplc=2")
    with Station.open(path) as station:
        first_messages = []
        for _ in range(2):
            proc = cli_measure.configured_procedure("HallLoop", settings)
            record, transcript = _run_with(station, proc, 100, lambda s: None, tmp_path)
            assert record.status == "finished", record.error
            first_messages.append([m.text for m in transcript.messages
                                   [:transcript.marks[0]]])
        for texts in first_messages:
            assert ":SENS:VOLT:NPLC 2" in texts and ":SOUR:CURR:COMP 10" in texts
            assert "OUTPut?" in texts  # the magnet supply is asked again, too


def test_a_reset_through_the_station_makes_the_next_point_send_its_settings_again(
        tmp_path):
    """Someone resets the 2182A through the station mid-run (*RST: 5 NPLC, channel 1):
    the next point sends the run's integration time and channel again, and the
    instrument ends the run with the run's settings."""
    path = station_file(tmp_path / "station.yaml")
    settings = ("field_axis=z", "field_max=10 mT", "field_step=2 mT", "nplc=2")
    with Station.open(path) as station:
        def reset(station: Station) -> None:
            station["voltmeter"].write("*RST")

        proc = cli_measure.configured_procedure("HallLoop", settings)
        record, transcript = _run_with(station, proc, 4, reset, tmp_path)
        assert record.status == "finished", record.error
        after = [m.text for m in transcript.messages[transcript.marks[3]:transcript.marks[4]]]
        before = [m.text for m in transcript.messages[transcript.marks[2]:transcript.marks[3]]]
        assert ":SENS:VOLT:NPLC 2" in after and ":SENS:VOLT:NPLC 2" not in before
        meter = next(m for m in station.bench.instruments.values() if m.name == "voltmeter")
        assert meter.nplc == 2.0


def test_a_magnet_supply_that_trips_off_mid_run_is_not_switched_back_on(tmp_path):
    """A supply that switches its output off by itself (interlock, overheating) is not
    silently switched back on: the coil does not follow the next ramp, the run fails
    naming the magnet, and the bench ends safe."""
    path = station_file(tmp_path / "station.yaml")
    settings = ("field_axis=z", "field_max=10 mT", "field_step=2 mT")
    with Station.open(path) as station:
        def trip(station: Station) -> None:
            station.bench.coils["z"].output_enabled = False

        proc = cli_measure.configured_procedure("HallLoop", settings)
        record, transcript = _run_with(station, proc, 3, trip, tmp_path)
        assert record.status == "failed" and record.rows == 3
        assert "magnet" in record.error and "output went off" in record.error
        during = [m.text for m in transcript.messages[transcript.marks[2]:]
                  if m.role == "magnet_z"]
        switched_on = [t for t in during if t.upper().startswith("OUTP") and
                       t.rstrip().endswith(("1", "ON"))]
        assert switched_on == []
        assert_bench_safe(station)
        assert math.isfinite(record.rows)
