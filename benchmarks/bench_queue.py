"""Rehearsal speed of the simulated bench, and the cost of a procedure per point.

    python benchmarks/bench_queue.py [--quick] [--rounds 3] [--split]

1. A queue that would take a night on hardware (switching loops over bias fields and
   pulse widths, USMR loops over temperature) runs on the simulated bench, --rounds
   times. Printed: the night's length by the procedures' own hardware estimates and by
   the bench's clock (the virtual time that passed), and for each the speed-up over
   real time per CPU second (process CPU, all threads) and per wall second, from the
   fastest and the median round. CPU time is the honest measure on a shared machine;
   wall time shows what a user waits. With --split, one more round counts the CPU spent
   inside the simulated bench (its physics, not SCPI, pyvisa or the procedures).
2. The same Hall-loop point (ramp the magnet, read V_xy and V_xx with a DC current) done
   by the HallLoop procedure through the runner, and by a bare pyvisa loop sending the
   equivalent SCPI to the same bench, in interleaved rounds; printed: ms per point (CPU
   and wall, fastest and median round) and their ratio.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from labspin.procedures import procedure_class  # noqa: E402
from labspin.queue_runner import run_queue  # noqa: E402
from labspin.queues import load_queue_file, plan_queue  # noqa: E402
from labspin.runs import open_catalog, run_procedure  # noqa: E402
from labspin.station import Station  # noqa: E402

NIGHT = {
    "name": "a night of py-nio",
    "steps": [
        {"procedure": "SwitchingLoop", "label": "phase diagram",
         "parameters": {"max_pulse_current": 0.04, "pulse_steps": 20, "bias_axis": "y"},
         "sweep": [{"bias_field": {"linspace": [-0.008, 0.008, 9]}}], "repeat": 12},
        {"procedure": "SwitchingLoop", "label": "pulse widths",
         "parameters": {"max_pulse_current": 0.045, "pulse_steps": 20},
         "sweep": [{"pulse_width": {"values": [5e-5, 1e-4, 3e-4, 1e-3]}}], "repeat": 18},
        {"procedure": "USMRLoop", "label": "USMR vs temperature",
         "parameters": {"field_max": 0.03, "field_step": 0.002},
         "sweep": [{"stage_temperature": {"values": [280, 300, 320, 340]}}], "repeat": 12},
    ],
}


def night_round(night: dict) -> dict:
    """One rehearsal of ``night`` on a fresh simulated station: its sizes and times."""
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "night.yaml"
        path.write_text(yaml.safe_dump(night))
        with Station.open(sim=True, seed=1) as station, open_catalog(Path(tmp)) as catalog:
            plan = plan_queue(load_queue_file(path), str(path), station.guard)
            bench_start = station.now()
            cpu, wall = time.process_time(), time.perf_counter()
            outcome = run_queue(plan, station, catalog)
            cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
            bench_seconds = station.now() - bench_start
    return {"runs": len(plan.runs), "points": sum(r.rows for r in outcome.records),
            "finished": outcome.finished, "hardware": plan.duration, "bench": bench_seconds,
            "cpu": cpu, "wall": wall}


def bench_cpu_round(night: dict) -> tuple[float, float]:
    """(CPU seconds of a round, CPU seconds spent inside the simulated bench's entry
    points), the latter by wrapping them (which adds about a microsecond per call)."""
    from labspin.simulated_instruments.bench import Bench

    inside = {"cpu": 0.0, "depth": 0}
    names = ("advance", "catch_up", "pulse", "harmonic_voltages", "voltage", "voltage_at",
             "compliance_current", "two_terminal_resistance", "two_terminal_resistance_at",
             "set_source", "lockin_reference", "heating_current", "sample_field", "lab_field")
    originals = {name: getattr(Bench, name) for name in names}

    def timed(func):
        def wrapper(*args, **kwargs):
            if inside["depth"]:
                return func(*args, **kwargs)
            inside["depth"] += 1
            start = time.process_time()
            try:
                return func(*args, **kwargs)
            finally:
                inside["cpu"] += time.process_time() - start
                inside["depth"] -= 1
        return wrapper

    for name, func in originals.items():
        setattr(Bench, name, timed(func))
    try:
        total = night_round(night)["cpu"]
    finally:
        for name, func in originals.items():
            setattr(Bench, name, func)
    return total, inside["cpu"]


def rehearse(quick: bool, rounds: int, split: bool) -> None:
    night = dict(NIGHT)
    if quick:
        night["steps"] = [dict(s, repeat=1) for s in NIGHT["steps"]]
    results = [night_round(night) for _ in range(rounds)]
    first = results[0]
    hardware_h, bench_h = first["hardware"] / 3600, first["bench"] / 3600
    print(f"queue '{night['name']}': {first['runs']} runs, {first['points']} points, "
          f"{first['finished']} finished; hardware estimate {hardware_h:.2f} h, bench clock "
          f"{bench_h:.2f} h (the same in every round: {rounds} rounds)")
    for clock in ("cpu", "wall"):
        times = [r[clock] for r in results]
        fastest, median = min(times), statistics.median(times)
        print(f"  {clock.upper():4s} per round: fastest {fastest:7.1f} s, median {median:7.1f} s"
              f"   speed-up by the bench clock {first['bench'] / fastest:6.0f}x (fastest) "
              f"{first['bench'] / median:6.0f}x (median); by the hardware estimate "
              f"{first['hardware'] / fastest:6.0f}x {first['hardware'] / median:6.0f}x")
    if split:
        total, inside = bench_cpu_round(night)
        print(f"  one more round, instrumented: {total:.1f} s CPU, of which {inside:.1f} s "
              f"({inside / total:.0%}) inside the simulated bench (device physics, coils, "
              "stage, noise); the rest is SCPI, pyvisa, drivers, procedures and the catalog")


def hall_loop_round(points: int) -> tuple[float, float, int, list[float]]:
    """The HallLoop procedure through the runner on a fresh bench: (CPU s, wall s, rows,
    field setpoints)."""
    with Station.open(sim=True, preset="cofeb-nio-pma", seed=1) as station, \
            tempfile.TemporaryDirectory() as tmp, open_catalog(Path(tmp)) as catalog:
        step = 1e-3
        hall_loop = procedure_class("HallLoop")(field_max=points * step / 4, field_step=step,
                                                readout="reversal", settle_time=0.0)
        cpu, wall = time.process_time(), time.perf_counter()
        record = run_procedure(hall_loop, station, catalog)
        cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
        fields = list(record.load().data["Field setpoint (T)"])
    return cpu, wall, record.rows, fields


def bare_round(fields: list[float]) -> tuple[float, float]:
    """The same points by hand on a fresh bench: field, DC current, read V_xy (ch 1) and
    V_xx (ch 2), the procedure's field points with the same settle and reads."""
    with Station.open(sim=True, preset="cofeb-nio-pma", seed=1) as station:
        supply, source, meter = station["magnet_z"], station["source"], station["voltmeter"]
        supply.write("FUNC:MODE CURR;VOLT 20;OUTP ON")
        source.write(":SOUR:CURR:COMP 10")
        meter.write(":SENS:FUNC 'VOLT';:SENS:VOLT:NPLC 1")
        coil = station.config.magnets["z"].coil_constant
        cpu, wall = time.process_time(), time.perf_counter()
        for field in fields:
            supply.write(f"CURR {field / coil:g}")
            supply.ask("MEAS:CURR?")
            station.sleep(0.05)
            for sign in (1, -1):
                source.write(f":SOUR:CURR {sign * 1e-4:g};:OUTP ON")
                meter.write(":SENS:CHAN 1")
                float(meter.ask(":READ?"))
                meter.write(":SENS:CHAN 2")
                float(meter.ask(":READ?"))
            source.write(":OUTP OFF")
        cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
        supply.write("CURR 0;OUTP OFF")
    return cpu, wall


def per_point_overhead(points: int, rounds: int) -> None:
    procedure = {"cpu": [], "wall": []}
    bare = {"cpu": [], "wall": []}
    n, fields = 0, []
    for r in range(rounds):  # interleaved: procedure, bare, bare, procedure, ...
        for side in ("procedure", "bare") if r % 2 == 0 or not fields else ("bare",
                                                                           "procedure"):
            if side == "procedure":
                cpu, wall, n, fields = hall_loop_round(points)
                procedure["cpu"].append(cpu)
                procedure["wall"].append(wall)
            else:
                cpu, wall = bare_round(fields)
                bare["cpu"].append(cpu)
                bare["wall"].append(wall)
    print(f"Hall-loop point ({n} points, field ramp + R_xy and R_xx by current reversal), "
          f"{rounds} interleaved rounds, ms per point (fastest / median round):")
    for clock in ("cpu", "wall"):
        p_min = min(procedure[clock]) / n * 1e3
        p_med = statistics.median(procedure[clock]) / n * 1e3
        b_min = min(bare[clock]) / n * 1e3
        b_med = statistics.median(bare[clock]) / n * 1e3
        print(f"  {clock.upper():4s} HallLoop procedure via the runner {p_min:7.2f} / {p_med:7.2f};"
              f" bare pyvisa loop {b_min:7.2f} / {b_med:7.2f}; procedure / bare "
              f"{p_min / b_min:5.2f} / {p_med / b_med:5.2f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true",
                        help="one repeat of each step (about 40 min of hardware time instead "
                             "of a night of about 8 h)")
    parser.add_argument("--rounds", type=int, default=3, help="rehearsals of the night")
    parser.add_argument("--split", action="store_true",
                        help="one more round that counts the CPU inside the simulated bench")
    args = parser.parse_args()
    if args.rounds < 1:
        parser.error("--rounds must be at least 1")
    rehearse(args.quick, args.rounds, args.split)
    per_point_overhead(80 if args.quick else 200, args.rounds)


if __name__ == "__main__":
    main()
