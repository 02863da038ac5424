"""What a HallLoop point costs through the procedure, against what it must cost.

    python benchmarks/bench_procedure.py [--points 200] [--rounds 5]

One Hall loop (z field swept +B -> -B -> +B in 1 mT steps, R_xy and R_xx by current
reversal at 100 uA, 1 NPLC, no settling) on the simulated bench of the cofeb-nio-pma
preset, four ways, in interleaved rounds, each on a freshly opened station (opening is
not timed):

1. ``procedure``: ``HallLoop`` through ``labspin.runs.run_procedure``, as ``labspin run``
   and the queue do it: the run in the catalog, CSV rows flushed and fsynced, metadata,
   make_safe at the end (the catalog and the station are opened before the clock starts,
   as a queue opens them once for many runs).
2. ``replay``: the exact messages the procedure's run sent (recorded once, from the
   first of the run to the last of its shutdown) and its waits, sent again through
   pyvisa (``write``, and ``read`` after a query) with nothing else: no pymeasure, no
   procedure, no runner. ``procedure / replay`` is the framework's own overhead.
3. ``minimal``: the fewest messages that give the same columns with the same checks and
   the same bench time, written by hand in pyvisa: the coil setpoint (no read-back of
   the coil current), the field read, the read current on at the polarity it has, the
   four 2182A readings with a channel change at each polarity but the first, the
   current off, the compliance register. ``replay / minimal`` is what the procedure's
   traffic costs beyond that.
4. ``physics``: the device model alone (``labspin.physics.Device``) for the same field
   sweep and readouts: per point the field set, the ramp's step interval waited, and
   per reading the integration time waited with the read current on and the voltages
   computed. ``procedure / physics`` is the target of issue 13 (<= 10).

Printed per way: messages and bench (virtual) seconds per point, CPU and wall
milliseconds per point (min and median over the rounds), and the ratios of the CPU
medians; with them the hardware estimate of a point (the procedure's
``seconds_per_point``) and its bus part.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from labspin.physics import Device, preset  # noqa: E402
from labspin.procedures import procedure_class  # noqa: E402
from labspin.runs import open_catalog, run_procedure  # noqa: E402
from labspin.simulated_instruments.instruments.keithley2182 import (  # noqa: E402
    LINE_FREQUENCY,
)
from labspin.station import Station  # noqa: E402

PRESET, SEED = "cofeb-nio-pma", 1
STEP, CURRENT, NPLC = 1e-3, 100e-6, 1.0
RAMP_INTERVAL = 0.1  # s, the Electromagnet's staircase step


@dataclass
class Outcome:
    messages: int
    bench_seconds: float
    points: int


def open_station() -> Station:
    return Station.open(sim=True, preset=PRESET, seed=SEED)


def hall_loop(points: int) -> Any:
    return procedure_class("HallLoop")(field_axis="z", field_max=points * STEP / 4,
                                       field_step=STEP, readout="reversal",
                                       read_current=CURRENT, nplc=NPLC, settle_time=0.0)


def count_messages(station: Station) -> Callable[[], int]:
    names = [m.name for m in station.bench.instruments.values()]
    start = {n: station.bench.faults_for(n).messages for n in names}
    return lambda: sum(station.bench.faults_for(n).messages - start[n] for n in names)


# -- 1. the procedure ------------------------------------------------------------------------
def run_procedure_once(station: Station, points: int, catalog: Any) -> Outcome:
    counted = count_messages(station)
    t0 = station.now()
    record = run_procedure(hall_loop(points), station, catalog)
    assert record.status == "finished", record.error
    return Outcome(counted(), station.now() - t0, record.rows)


def record_traffic(points: int) -> tuple[list[tuple[str, Any]], int]:
    """The procedure's run as ("write"|"query", role, message) and ("sleep", seconds)
    events, in order; and its rows."""
    from labspin.simulated_instruments.scpi import split_messages
    from labspin.simulated_instruments.visa import BenchSession

    events: list[tuple[str, Any]] = []
    original_write = BenchSession.write

    def write(session: Any, data: bytes, lock: Any) -> Any:
        complete, _ = split_messages(session.pending + data)
        for message in complete:
            kind = "query" if "?" in message else "write"
            events.append((kind, (session.resource_name, message)))
        return original_write(session, data, lock)

    station = open_station()
    original_sleep = station.sleep

    def sleep(seconds: float) -> None:
        events.append(("sleep", seconds))
        original_sleep(seconds)

    station.sleep = sleep  # type: ignore[method-assign]
    for magnet in station.magnets.values():
        magnet.sleep = sleep
    BenchSession.write = write
    try:
        with tempfile.TemporaryDirectory() as tmp, open_catalog(Path(tmp)) as catalog:
            record = run_procedure(hall_loop(points), station, catalog)
    finally:
        BenchSession.write = original_write
        station.close()
    return events, record.rows


# -- 2. the replay ---------------------------------------------------------------------------
def resources(station: Station) -> dict[str, Any]:
    """pyvisa resources by resource name, as the station opened them."""
    return {inst.adapter.connection.resource_name: inst.adapter.connection
            for inst in station.instruments.values()}


def replay(station: Station, events: list[tuple[str, Any]], rows: int) -> Outcome:
    counted = count_messages(station)
    by_name = resources(station)
    t0 = station.now()
    for kind, what in events:
        if kind == "sleep":
            station.sleep(what)
            continue
        name, message = what
        resource = by_name[name]
        resource.write(message)
        if kind == "query":
            resource.read()
    return Outcome(counted(), station.now() - t0, rows)


# -- 3. the minimal traffic ------------------------------------------------------------------
def minimal(station: Station, points: int) -> Outcome:
    counted = count_messages(station)
    by_role = {role: inst.adapter.connection for role, inst in station.instruments.items()}
    supply, gauss = by_role["magnet_z"], by_role["gaussmeter_z"]
    source, meter = by_role["source"], by_role["voltmeter"]
    coil = station.config.magnets["z"].coil_constant
    fields = hall_loop(points)
    setpoints = [f for _, _, f in fields.sweep()]
    t0 = station.now()
    # set-up, once: supply on in current mode, compliance, integration time, units
    supply.write("FUNC:MODE CURR;VOLT 20;CURR 0;OUTP ON")
    source.write(":SOUR:CURR:COMP 10")
    source.query(":STAT:MEAS?")
    meter.write(":SENS:VOLT:NPLC 1")
    meter.write(":SENS:CHAN 1")
    gauss.write("UNIT 2")
    level, channel = None, 1
    for field in setpoints:
        supply.write(f"CURR {field / coil:g}")
        station.sleep(RAMP_INTERVAL)
        float(gauss.query("RDGFIELD?"))
        signs = (-1.0, 1.0) if level == -CURRENT else (1.0, -1.0)
        for k, sign in enumerate(signs):
            if level != sign * CURRENT:
                source.write(f":SOUR:CURR {sign * CURRENT:g}")
                level = sign * CURRENT
            if k == 0:
                source.write("OUTP 1")
            for target in (channel, 3 - channel):  # the active channel first
                if target != channel:
                    meter.write(f":SENS:CHAN {target}")
                    channel = target
                float(meter.query(":READ?"))
        source.write("OUTP 0")
        if int(float(source.query(":STAT:MEAS?"))) & 8:
            raise RuntimeError("compliance")
    supply.write("CURR 0;OUTP OFF")
    return Outcome(counted(), station.now() - t0, len(setpoints))


# -- 4. the device model alone ---------------------------------------------------------------
def physics(points: int) -> Outcome:
    device = Device(preset(PRESET), seed=SEED)
    integration = 2 * NPLC / LINE_FREQUENCY  # the 2182A's reading, auto-zero doubled
    setpoints = [f for _, _, f in hall_loop(points).sweep()]
    for field in setpoints:
        device.set_field(np.array([0.0, 0.0, field]))
        device.wait(RAMP_INTERVAL)
        for sign in (1.0, -1.0):
            for _ in range(2):  # V_xy on channel 1, V_xx on channel 2
                device.wait(integration, current=sign * CURRENT)
                device.voltages(sign * CURRENT)
    return Outcome(0, 0.0, len(setpoints))


# -- rounds ----------------------------------------------------------------------------------
def timed(action: Callable[[], Outcome]) -> tuple[float, float, Outcome]:
    cpu, wall = time.process_time(), time.perf_counter()
    outcome = action()
    return time.process_time() - cpu, time.perf_counter() - wall, outcome


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--points", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    events, rows = record_traffic(args.points)
    ways: dict[str, Callable[[Station, Any], Outcome]] = {
        "procedure": lambda station, catalog: run_procedure_once(station, args.points,
                                                                 catalog),
        "replay": lambda station, catalog: replay(station, events, rows),
        "minimal": lambda station, catalog: minimal(station, args.points),
        "physics": lambda station, catalog: physics(args.points),
    }
    results: dict[str, list[tuple[float, float, Outcome]]] = {w: [] for w in ways}
    for _ in range(args.rounds + 1):  # the first round warms caches up and is dropped
        for name, action in ways.items():
            # the station and the catalog are opened before the clocks start: a queue
            # opens them once for many runs
            with tempfile.TemporaryDirectory() as tmp, open_catalog(Path(tmp)) as catalog:
                station = open_station()
                try:
                    results[name].append(timed(partial(action, station, catalog)))
                finally:
                    station.close()
    proc = hall_loop(args.points)
    print(f"HallLoop, {rows} points (+-{proc.field_max * 1e3:g} mT in 1 mT steps, reversal, "
          f"{CURRENT * 1e6:g} uA, {NPLC:g} NPLC), {args.rounds} interleaved rounds; "
          "per point:")
    print(f"{'':10s} {'messages':>8s} {'bench s':>8s} {'CPU ms min':>11s} {'median':>7s} "
          f"{'wall ms min':>12s} {'median':>7s}")
    medians = {}
    for name, runs in results.items():
        runs = runs[1:]
        outcome = runs[0][2]
        n = outcome.points
        cpu = [r[0] / n * 1e3 for r in runs]
        wall = [r[1] / n * 1e3 for r in runs]
        medians[name] = statistics.median(cpu)
        messages = f"{outcome.messages / n:8.2f}" if name != "physics" else f"{'-':>8s}"
        bench = f"{outcome.bench_seconds / n:8.3f}" if name != "physics" else f"{'-':>8s}"
        print(f"{name:10s} {messages} {bench} {min(cpu):11.3f} {statistics.median(cpu):7.3f} "
              f"{min(wall):12.3f} {statistics.median(wall):7.3f}")
    print("ratios of the CPU medians:")
    print(f"  procedure / physics  {medians['procedure'] / medians['physics']:6.2f}"
          "   (issue 13: <= 10)")
    print(f"  procedure / replay   {medians['procedure'] / medians['replay']:6.2f}"
          "   (the framework's own overhead)")
    print(f"  replay / minimal     {medians['replay'] / medians['minimal']:6.2f}"
          "   (the procedure's traffic against the fewest messages)")
    if not hasattr(proc, "traffic_per_point"):  # a labspin before the traffic counts
        return
    traffic = proc.traffic_per_point()
    print(f"hardware estimate of a point: {proc.seconds_per_point() * 1e3:.0f} ms, of which "
          f"{traffic.seconds() * 1e3:.0f} ms bus ({traffic.messages:g} messages: "
          f"{traffic.writes:g} GPIB writes x 2 ms, {traffic.queries:g} GPIB queries x 4 ms, "
          f"{traffic.serial:g} serial queries x 10 ms)")

if __name__ == "__main__":
    main()
