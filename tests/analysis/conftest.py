"""Small real runs of every procedure from the simulated bench, made once per session
for the tests of verdicts, run-level checks and figures."""

from __future__ import annotations

from pathlib import Path

import pytest

#: (role, preset, procedure, parameters): short runs, one of each kind of figure
PLAN = [
    ("hall", "cofeb-nio-pma", "HallLoop", {"field_max": 0.02, "field_step": 0.002}),
    ("usmr", "py-nio", "USMRLoop", {"field_max": 0.02, "field_step": 0.002}),
    ("switching", "py-nio", "SwitchingLoop", {"max_pulse_current": 0.04,
                                             "pulse_steps": 12}),
    ("sequence", "py-nio", "PulseSequence",
     {"sequence": "+35 mA x 1 ms *2, -35 mA x 1 ms *2, +35 mA x 1 ms, +15 mA x 1 ms"}),
    ("probability", "py-nio", "SwitchingProbability",
     {"amplitude_min": 0.025, "amplitude_max": 0.031, "amplitude_steps": 4,
      "pulse_widths": "100 us, 1 ms", "trials": 6}),
    ("probability_2ms", "py-nio", "SwitchingProbability",
     {"amplitude_min": 0.023, "amplitude_max": 0.029, "amplitude_steps": 4,
      "pulse_widths": "2 ms", "trials": 6}),
    ("angle_scan", "py-nio", "HarmonicHall",
     {"mode": "angle scan", "field_magnitudes": "0.3, 0.5", "angle_step": 60,
      "current": 0.007, "time_constant": 0.1}),
    ("field_sweep", "cofeb-nio-pma", "HarmonicHall",
     {"mode": "field sweep", "field_max": 0.005, "field_step": 0.001, "current": 0.002,
      "initial_field_z": 0.1}),
]


@pytest.fixture(scope="session")
def every_kind(tmp_path_factory) -> dict[str, Path]:
    """role -> run file, one finished run of each procedure (seeded)."""
    from labspin.procedures import procedure_class
    from labspin.runs import open_catalog, run_procedure
    from labspin.station import Station

    files = {}
    with open_catalog(tmp_path_factory.mktemp("every-kind")) as catalog:
        for role, preset_name, name, values in PLAN:
            with Station.open(sim=True, preset=preset_name, seed=3) as station:
                proc = procedure_class(name)()
                proc.set_parameters(values)
                record = run_procedure(proc, station, catalog)
            assert record.status == "finished", (role, record.error)
            files[role] = Path(record.file)
    return files


def cut(path: Path, out: Path, share: float, *, planned_entry: bool = True) -> Path:
    """A copy of a run file with only ``share`` of its data rows (a run that stopped),
    optionally without its "Planned points" metadata line (files of older versions)."""
    lines = path.read_text().splitlines()
    start = lines.index("#Data:") + 2
    header, rows = lines[:start], lines[start:]
    if not planned_entry:
        header = [line for line in header if not line.startswith("#\tPlanned points:")]
    out.write_text("\n".join(header + rows[:round(share * len(rows))]) + "\n")
    return out
