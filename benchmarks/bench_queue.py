"""Rehearsal speed of the simulated bench, and the cost of a procedure per point.

    python benchmarks/bench_queue.py [--quick]

1. A queue that would take a night on hardware (switching loops over bias fields and
   pulse widths, USMR loops over temperature) runs on the simulated bench; printed:
   hours of hardware time (the procedures' own estimates) and of bench (virtual) time
   per wall-clock second.
2. The same Hall-loop point (ramp the magnet, read V_xy and V_xx with a DC current) done
   by the HallLoop procedure through the runner, and by a bare pyvisa loop sending the
   equivalent SCPI to the same bench; printed: wall-clock ms per point and their ratio.
"""

from __future__ import annotations

import argparse
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


def rehearse(quick: bool) -> None:
    night = dict(NIGHT)
    if quick:
        night["steps"] = [dict(s, repeat=1) for s in NIGHT["steps"]]
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "night.yaml"
        path.write_text(yaml.safe_dump(night))
        with Station.open(sim=True, seed=1) as station, open_catalog(Path(tmp)) as catalog:
            plan = plan_queue(load_queue_file(path), str(path), station.guard)
            bench_start = station.now()
            start = time.perf_counter()
            outcome = run_queue(plan, station, catalog)
            wall = time.perf_counter() - start
            bench_hours = (station.now() - bench_start) / 3600
            points = sum(r.rows for r in outcome.records)
    hardware_hours = plan.duration / 3600
    print(f"queue '{night['name']}': {len(plan.runs)} runs, {points} points, "
          f"{outcome.finished} finished")
    print(f"  hardware estimate {hardware_hours:6.2f} h, bench (virtual) time "
          f"{bench_hours:6.2f} h, wall clock {wall:7.1f} s")
    print(f"  simulated hours per wall-clock second: {hardware_hours / wall:8.2f} "
          f"(hardware estimate), {bench_hours / wall:8.2f} (bench clock)")
    print(f"  that is {hardware_hours * 3600 / wall:,.0f}x faster than the hardware night")


def per_point_overhead(points: int) -> None:
    with Station.open(sim=True, preset="cofeb-nio-pma", seed=1) as station, \
            tempfile.TemporaryDirectory() as tmp, open_catalog(Path(tmp)) as catalog:
        step = 1e-3
        field_max = points * step / 4
        hall_loop = procedure_class("HallLoop")(field_max=field_max, field_step=step,
                                                readout="reversal", settle_time=0.0)
        start = time.perf_counter()
        record = run_procedure(hall_loop, station, catalog)
        procedure_ms = (time.perf_counter() - start) / record.rows * 1e3
        n = record.rows

        # the same points by hand: field, DC current, read V_xy (ch 1) and V_xx (ch 2)
        supply, source, meter = station["magnet_z"], station["source"], station["voltmeter"]
        supply.write("FUNC:MODE CURR;VOLT 20;OUTP ON")
        source.write(":SOUR:CURR:COMP 10")
        meter.write(":SENS:FUNC 'VOLT';:SENS:VOLT:NPLC 1")
        coil = station.config.magnets["z"].coil_constant
        fields = [row for row in record.load().data["Field setpoint (T)"]]
        start = time.perf_counter()
        for field in fields:  # the procedure's own field points, same settle and reads
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
        bare_ms = (time.perf_counter() - start) / n * 1e3
        supply.write("CURR 0;OUTP OFF")
    print(f"Hall-loop point ({n} points, field ramp + R_xy and R_xx by current reversal):")
    print(f"  HallLoop procedure via the runner: {procedure_ms:7.2f} ms/point")
    print(f"  bare pyvisa loop, same SCPI:      {bare_ms:7.2f} ms/point")
    print(f"  procedure / bare: {procedure_ms / bare_ms:5.2f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true",
                        help="one repeat of each step (about 40 min of hardware time instead "
                             "of a night of about 8 h)")
    args = parser.parse_args()
    rehearse(args.quick)
    per_point_overhead(80 if args.quick else 200)


if __name__ == "__main__":
    main()
