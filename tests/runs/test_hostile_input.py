"""Hostile station files, queue files and --set values: refused through the command line
with a message naming the file (and the field), a non-zero exit, no traceback, quickly,
and before any station is opened.

Most cases run in this process (click's CliRunner) under a thread with a deadline, so a
hang fails the test instead of stalling the suite. The cases that would eat memory or
CPU without end if they regressed (``/dev/zero``, an alias bomb, a named pipe) run in a
child process with a memory ceiling and a timeout.
"""

import json
import os
import resource
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from labspin.cli import main
from labspin.station import Station

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
STATION = (EXAMPLES / "station-sim.yaml").read_text()
DEADLINE = 20.0  # s; every refusal here takes well under a second


@pytest.fixture(autouse=True)
def no_station(monkeypatch):
    """Fails the test if anything tries to open a station (and so an instrument)."""
    opened: list[tuple] = []
    # Station.open validates the file, then builds a Station: the door to instruments
    monkeypatch.setattr(Station, "__init__", lambda self, *a, **k: opened.append(a) or 1 / 0)
    yield opened
    assert opened == [], "a station was opened for hostile input"


def invoke(args: list[str]):
    """Run the CLI with a deadline; returns click's result."""
    box: dict = {}

    def work():
        box["result"] = CliRunner().invoke(main, args, env={"COLUMNS": "300"})

    started = time.monotonic()
    thread = threading.Thread(target=work, daemon=True)
    thread.start()
    thread.join(DEADLINE)
    assert not thread.is_alive(), f"labspin {' '.join(args)} hung for {DEADLINE} s"
    box["seconds"] = time.monotonic() - started
    return box["result"]


def refused(args: list[str], *needles: str) -> str:
    result = invoke(args)
    out = result.output
    assert result.exit_code != 0, out
    assert result.exception is None or isinstance(result.exception, SystemExit), \
        repr(result.exception)
    assert "Traceback" not in out
    for needle in needles:
        assert needle in out, f"{needle!r} not in {out!r}"
    return out


# -- station files ------------------------------------------------------------------------
def _bomb(leaf: str) -> str:
    lines = [f'x0: &x0 ["{leaf}"]']
    lines += [f"x{k}: &x{k} [" + ", ".join([f"*x{k - 1}"] * 10) + "]" for k in range(1, 10)]
    return "\n".join(lines)


def _station_with(old: str, new: str) -> str:
    assert old in STATION
    return STATION.replace(old, new)


STATION_CASES = {
    "binary": (os.urandom(4000) + b"\x00", "not UTF-8 text"),
    "latin1": (STATION.replace("PyNiO-D1", "Échantillon").encode("latin-1"), "not UTF-8"),
    "nul": ("name: a\x00b\n", "binary data"),
    "deep-flow": ("name: " + "[" * 20000 + "]" * 20000 + "\n", "nest"),
    "deep-block": ("".join("  " * k + f"k{k}:\n" for k in range(200)) + "  " * 200 + "x: 1\n",
                   "nested more than"),
    "alias": (STATION + "\nextra: &a [1]\nmore: *a\n", "anchors and aliases are not allowed"),
    "huge": (STATION + "#" + "x" * (2 * 1024 * 1024) + "\n", "far larger than any"),
    "two-documents": (STATION + "\n---\nname: other\n", "more than one document"),
    "python-tag": ('name: !!python/object/apply:os.system ["echo hi"]\n', "not valid YAML"),
    "list": ("- a\n- b\n", "expected a mapping"),
    "empty": ("", "expected a mapping"),
    "inf-current": (_station_with("max_current: 100 mA", "max_current: .inf"),
                    "limits.max_current", "not a finite number"),
    "1e300-current": (_station_with("max_current: 100 mA", "max_current: 1e300 A"),
                      "limits.max_current", "more than any instrument can deliver"),
    "1e9-tesla": (_station_with("max_field: {x: 0.5 T, y: 0.5 T, z: 0.3 T}", "max_field: 1e9 T"),
                  "limits.max_field.x", "more than magnets.x can make"),
    "magnet-amps": (_station_with("coil_constant: 30 mT/A\n    max_current: 12 A",
                                  "coil_constant: 30 mT/A\n    max_current: 1000 A"),
                    "magnets.z.max_current", "Kepco BOP 36-12"),
    "nan-width": (_station_with("width: 5 um", "width: .nan"), "sample.width", "finite"),
    "inf-energy": (_station_with("max_pulse_energy: 1 mJ", "max_pulse_energy: 1e999 J"),
                   "limits.max_pulse_energy"),
    "pint-expression": (_station_with("max_current: 100 mA", 'max_current: "9**9**9 mA"'),
                        "limits.max_current", "not a quantity"),
    "negative-seed": (_station_with("seed: 1 ", "seed: -1 "), "sim.seed"),
    # a key written twice: the later one would silently win (a limit, the device)
    "duplicate-limit": (_station_with("max_current: 100 mA", "max_current: 100 mA\n"
                                      "  max_current: 1 mA"),
                        "the key 'max_current' is given twice", "keep one"),
    "duplicate-preset": (_station_with("  seed: 1 ", "  preset: py-alox\n  seed: 1 "),
                         "the key 'preset' is given twice"),
    # slipped units: within the grammar, beyond any instrument or bar
    "rf-power-1e9-dBm": (_station_with("max_rf_power: 15 dBm", "max_rf_power: 1e9 dBm"),
                         "limits.max_rf_power", "is the unit right"),
    "rf-range-900-GHz": (_station_with("rf_frequency_range: [1 GHz, 20 GHz]",
                                       "rf_frequency_range: [1 GHz, 900 GHz]"),
                         "limits.rf_frequency_range", "is the unit right"),
    "ramp-1e30": (_station_with("max_ramp_rate: 0.5 T/s", "max_ramp_rate: 1e30 T/s"),
                  "limits.max_ramp_rate", "is the unit right"),
    # a copied line whose address was not changed: two drivers on one instrument
    "one-address-two-roles": (_station_with('SR830, resource: "GPIB0::8::INSTR"',
                                            'SR830, resource: "gpib::7"'),
                              "both have the resource", "its own address"),
    "fault-count-true": (_station_with("  seed: 1 ", "  faults: {voltmeter: {timeout_after: "
                                                 "true}}\n  seed: 1 "),
                         "sim.faults.voltmeter.timeout_after", "valid integer"),
    "thousands-of-unknown-keys": (STATION + "".join(f"junk{k}: 1\n" for k in range(3000)),
                                  "junk0: not a known key", "2,970 more problems"),
    "width-5-m": (_station_with("width: 5 um", "width: 5 m"), "sample.width",
                  "is the unit right"),
}


@pytest.mark.parametrize("case", sorted(STATION_CASES))
def test_hostile_station_file_is_refused(case, tmp_path):
    content, *needles = STATION_CASES[case]
    path = tmp_path / f"{case}.yaml"
    path.write_bytes(content if isinstance(content, bytes) else content.encode("utf-8"))
    refused(["station", "check", str(path), "--sim"], f"{case}.yaml", *needles)


@pytest.mark.parametrize("case", ["binary", "deep-flow", "1e300-current", "1e9-tesla"])
def test_hostile_station_file_given_to_run_and_to_a_queue(case, tmp_path):
    content, *needles = STATION_CASES[case]
    station = tmp_path / f"{case}.yaml"
    station.write_bytes(content if isinstance(content, bytes) else content.encode("utf-8"))
    refused(["run", "HallLoop", "--station", str(station), "--data-dir",
             str(tmp_path / "data")], f"{case}.yaml", *needles)
    queue = tmp_path / "queue.yaml"
    queue.write_text(f"name: q\nstation: {station.name}\nsteps:\n  - procedure: HallLoop\n")
    for extra in (["plan"], ["run", "--data-dir", str(tmp_path / "data")]):
        out = refused(["queue", *extra[:1], str(queue), *extra[1:]],
                      "queue.yaml: station:", f"{case}.yaml", *needles)
        assert out.count("Error:") == 1


def test_a_folder_given_as_station_file_is_named(tmp_path):
    refused(["station", "check", str(tmp_path), "--sim"], "is a directory")
    queue = tmp_path / "queue.yaml"
    queue.write_text("station: .\nsteps:\n  - procedure: HallLoop\n")
    refused(["queue", "plan", str(queue)], "queue.yaml: station:", "is a folder")


# -- queue files --------------------------------------------------------------------------
def _queue(step: dict, station: str = str(EXAMPLES / "station-sim.yaml")) -> str:
    return yaml.safe_dump({"name": "hostile", "station": station, "steps": [step]})


def _sweep(name: str, spec: dict, procedure: str = "HallLoop", **more) -> str:
    return _queue({"procedure": procedure, "sweep": [{name: spec}], **more})


QUEUE_CASES = {
    "binary": (b"\xff\xfe" + os.urandom(2000), "not UTF-8 text"),
    "latin1": ("steps:\n  - procedure: HallLoop\n    label: mesure à 300 K\n".encode("latin-1"),
               "not UTF-8"),
    "deep": ("steps: " + "[" * 20000 + "]" * 20000 + "\n", "nest"),
    "huge": ("#" + "x" * (1024 * 1024 + 10) + "\n", "far larger than any queue file"),
    "linspace-billion": (_sweep("field_max", {"linspace": ["-1 mT", "1 mT", 1000000000]}),
                         "step 1 (HallLoop)", "field_max", "1,000,000,000 values"),
    "logspace-inf": (_sweep("field_max", {"logspace": ["1 mT", "2 mT", ".inf"]}),
                     "field_max", "count"),
    "linspace-words": (_sweep("field_max", {"linspace": ["1 mT", "2 mT", "many"]}),
                       "field_max", "count"),
    "range-tiny-step": (_sweep("field_max", {"range": ["1 mT", "1 T", "1e-15 T"]}),
                        "field_max", "range gives"),
    "range-pint": (_sweep("field_max", {"range": ["1 mT", "9**9**9 T", "1 mT"]}),
                   "field_max", "not a quantity"),
    "too-many-runs": (_sweep("field_max", {"linspace": ["1 mT", "2 mT", 5000]}, repeat=1000),
                      "step 1 (HallLoop)", "5,000,000 runs"),
    "queue-too-long": (yaml.safe_dump({"station": str(EXAMPLES / "station-sim.yaml"),
                                       "steps": [{"procedure": "HallLoop", "repeat": 6000},
                                                 {"procedure": "USMRLoop", "repeat": 6000}]}),
                       "12,000 runs"),
    "pint-parameter": (_queue({"procedure": "SwitchingLoop",
                               "parameters": {"max_pulse_current": "9**9**9 mA"}}),
                       "max_pulse_current", "not a number", "1 µA to 200 mA"),
    "nan-parameter": (_queue({"procedure": "SwitchingLoop",
                              "parameters": {"pulse_width": float("nan")}}),
                      "pulse_width", "not a finite number"),
    "huge-integer": (_queue({"procedure": "HallLoop", "parameters": {"loops": 10**30}}),
                     "loops", "above its maximum 1000"),
    "inf-integer": (_queue({"procedure": "HallLoop", "parameters": {"loops": float("inf")}}),
                    "loops", "not a finite number"),
    "dict-value": (_queue({"procedure": "PulseSequence",
                           "parameters": {"sequence": {"a": 1}}}), "sequence", "not text"),
    "bad-sequence": (_queue({"procedure": "PulseSequence",
                             "parameters": {"sequence": "+30 mA for 1 ms"}}),
                     "sequence", "not understood"),
    "too-many-points": (_queue({"procedure": "SwitchingProbability",
                                "parameters": {"trials": 100000, "amplitude_steps": 1000}}),
                        "SwitchingProbability", "points in one run"),
    "over-the-limit": (_queue({"procedure": "SwitchingLoop",
                               "parameters": {"max_pulse_current": "150 mA"}}),
                       "step 1 (SwitchingLoop)", "limits.max_current"),
    "no-steps": ("name: x\nsteps: []\n", "steps"),
    "steps-not-a-list": ("steps: 3\n", "steps"),
}


@pytest.mark.parametrize("case", sorted(QUEUE_CASES))
def test_hostile_queue_file_is_refused(case, tmp_path):
    content, *needles = QUEUE_CASES[case]
    path = tmp_path / f"{case}.yaml"
    path.write_bytes(content if isinstance(content, bytes) else content.encode("utf-8"))
    refused(["queue", "plan", str(path), "--sim"], f"{case}.yaml", *needles)


@pytest.mark.parametrize("case", ["linspace-billion", "too-many-runs", "pint-parameter",
                                  "over-the-limit", "binary"])
def test_hostile_queue_file_is_refused_by_queue_run_before_the_station(case, tmp_path):
    content, *needles = QUEUE_CASES[case]
    path = tmp_path / f"{case}.yaml"
    path.write_bytes(content if isinstance(content, bytes) else content.encode("utf-8"))
    refused(["queue", "run", str(path), "--sim", "--data-dir", str(tmp_path / "d")],
            f"{case}.yaml", *needles)
    assert not (tmp_path / "d" / "catalog.sqlite").exists()


# -- --set values ---------------------------------------------------------------------------
SET_CASES = [
    ("PulseSequence", "sequence=+30 mA for 1 ms", "--set sequence:", "Pulse sequence"),
    ("SwitchingProbability", "pulse_widths=1 ms, banana", "--set pulse_widths:", "'banana'"),
    ("HarmonicHall", "field_magnitudes=0.1 T, 0.2 T", "--set field_magnitudes:", "tesla"),
    ("SwitchingLoop", "pulse_width=20 ms",
     "--set pulse_width 20 ms is above its maximum 12 ms", "s, 1 ns to 12 ms"),
    ("SwitchingLoop", "pulse_width=0.5 ns", "pulse_width 500 ps is below its minimum 1 ns"),
    ("SwitchingLoop", "pulse_width=20 mA", "pulse_width '20 mA' is not in units of s",
     "1 ns to 12 ms"),
    ("HallLoop", "field_max=banana", "field_max 'banana' is not a number", "T, 10 µT to 10 T"),
    ("HallLoop", "field_max=1 bananas", "field_max", "unknown unit"),
    ("HallLoop", "field_max=nan", "field_max 'nan' is not a finite number"),
    ("HallLoop", "field_max=1e999 T", "field_max", "not a finite number"),
    ("HallLoop", "field_max=9**9**9 T", "field_max", "not a number"),
    ("HallLoop", "field_max=" + "9" * 5000, "field_max", "too long"),
    ("SwitchingLoop", "loops=1.5", "loops 1.5 is not a whole number", "1 to 100"),
    ("SwitchingLoop", "loops=.inf", "loops", "not a finite number"),
    ("SwitchingLoop", "loops=" + "9" * 40, "loops", "above its maximum 100"),
    ("SwitchingLoop", "readout=foo", "readout 'foo' is not a choice",
     "one of 'R_xx 2w', 'R_xy dc', 'R_xy delta'"),
    ("HarmonicHall", "sweep_both_axes=maybe", "sweep_both_axes 'maybe' is not true or false"),
    ("HallLoop", "nplc=2 ms", "nplc '2 ms' is not in units of NPLC"),
    ("SwitchingProbability", "trials=100000", "SwitchingProbability", "1,800,000 points"),
    ("HallLoop", "no_such=1", "HallLoop has no parameter 'no_such'"),
    ("HallLoop", "field_max", "write NAME=VALUE"),
    ("PulseSequence", "sequence=" + "+1 mA x 1 ms, " * 2000, "sequence", "characters long"),
]


@pytest.mark.parametrize(("procedure", "setting", "needles"),
                         [(c[0], c[1], c[2:]) for c in SET_CASES],
                         ids=[c[1][:30] for c in SET_CASES])
def test_every_set_error_is_one_line_naming_the_parameter(procedure, setting, needles,
                                                          tmp_path):
    out = refused(["run", procedure, "--sim", "--set", setting, "--data-dir",
                   str(tmp_path)], *needles)
    assert len(out.strip().splitlines()) == 1, out
    assert "FloatParameter" not in out and "IntegerParameter" not in out


def test_a_mistyped_preset_is_one_line(tmp_path):
    for args in (["run", "HallLoop", "--sim"], ["queue", "run",
                                                 str(EXAMPLES / "queues" / "pulse-width.yaml"),
                                                 "--sim"]):
        out = refused([*args, "--preset", "py-nioo", "--data-dir", str(tmp_path)],
                      "--preset 'py-nioo' is not a device preset", "py-nio")
        assert len(out.strip().splitlines()) == 1, out


def test_good_settings_still_work(tmp_path, no_station):
    """The same path accepts what it should (the station is never opened here: the run
    stops at the patched door, after every check has passed)."""
    result = invoke(["run", "SwitchingLoop", "--sim", "--set", "pulse_width=50 us",
                     "--set", "loops=2", "--set", "readout=R_xy dc", "--set",
                     "max_pulse_current=0.03", "--data-dir", str(tmp_path)])
    assert len(no_station) == 1 and isinstance(result.exception, ZeroDivisionError)
    no_station.clear()


@pytest.mark.parametrize("args", [
    ["runs", "--limit", "1" + "0" * 30], ["runs", "--queue", "1" + "0" * 30],
    ["run", "HallLoop", "--sim", "--seed", "-1"], ["queue", "run", "x.yaml", "--seed", "1e99"],
])
def test_out_of_range_options_are_refused_by_click(args, tmp_path):
    refused([*args, "--data-dir", str(tmp_path)], "Invalid value for")


# -- the cases that would hang or eat memory: in a child with a ceiling -------------------
_CHILD = """
import json, sys
from click.testing import CliRunner
from labspin.cli import main
from labspin.station import Station
opened = []
Station.__init__ = lambda self, *a, **k: opened.append(a) or 1 / 0
out = []
for args in json.loads(sys.argv[1]):
    r = CliRunner().invoke(main, args)
    out.append({"code": r.exit_code, "output": r.output,
                "exception": None if r.exception is None or isinstance(r.exception, SystemExit)
                else repr(r.exception)})
print(json.dumps({"results": out, "opened": len(opened)}))
"""


def _ceiling():
    resource.setrlimit(resource.RLIMIT_AS, (3 * 2**30, 3 * 2**30))


def test_pipe_dev_zero_and_alias_bomb_are_refused_at_once(tmp_path):
    fifo = tmp_path / "fifo.yaml"
    os.mkfifo(fifo)
    zero = tmp_path / "zero.yaml"
    zero.write_text("name: z\nstation: /dev/zero\nsteps:\n  - procedure: HallLoop\n")
    bomb = tmp_path / "bomb.yaml"
    bomb.write_text(_bomb("+30 mA x 1 ms") + "\nsteps:\n  - procedure: PulseSequence\n"
                    "    parameters: {sequence: *x9}\n")
    station_bomb = tmp_path / "station-bomb.yaml"
    station_bomb.write_text(STATION + "\n" + _bomb("lol") + "\n")
    cases = [
        (["queue", "plan", str(fifo), "--sim"], ["fifo.yaml", "named pipe"]),
        (["station", "check", str(fifo), "--sim"], ["fifo.yaml", "named pipe"]),
        (["run", "HallLoop", "--station", str(fifo)], ["fifo.yaml", "named pipe"]),
        (["queue", "plan", str(zero)], ["zero.yaml: station:", "/dev/zero",
                                        "character device"]),
        (["queue", "run", str(zero), "--data-dir", str(tmp_path / "d")],
         ["zero.yaml: station:", "/dev/zero"]),
        (["station", "check", "/dev/zero"], ["/dev/zero", "character device"]),
        (["queue", "plan", str(bomb), "--sim"], ["bomb.yaml", "anchor (&x0)",
                                                 "not allowed"]),
        (["station", "check", str(station_bomb), "--sim"], ["station-bomb.yaml", "not allowed"]),
    ]
    started = time.monotonic()
    done = subprocess.run([sys.executable, "-c", _CHILD, json.dumps([a for a, _ in cases])],
                          capture_output=True, text=True, timeout=120, preexec_fn=_ceiling)
    assert done.returncode == 0, done.stderr[-3000:]
    report = json.loads(done.stdout.strip().splitlines()[-1])
    assert report["opened"] == 0
    for (args, needles), result in zip(cases, report["results"], strict=True):
        assert result["code"] != 0 and result["exception"] is None, (args, result)
        assert "Traceback" not in result["output"]
        for needle in needles:
            assert needle in result["output"], (args, result["output"])
    assert time.monotonic() - started < 60
