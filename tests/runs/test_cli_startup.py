"""``labspin --help`` and every subcommand's ``--help`` answer at once: nothing heavy
(numpy, pandas, pymeasure, lmfit, Qt, ...) is imported to show help."""

import subprocess
import sys

from labspin.cli_startup import command_paths, help_cpu_seconds

#: generous for a loaded CI machine; on an idle one they take about 0.15 s
CPU_BOUND = 0.6


def test_top_level_help_takes_little_cpu():
    # the least of three: another process on the same core only ever adds
    assert min(help_cpu_seconds(()) for _ in range(3)) < CPU_BOUND


#: the subcommands with the longest option lists and the widest imports behind them; that no
#: subcommand's help imports anything heavy is checked for all of them below (in one process)
TIMED = [("run",), ("queue", "run"), ("fit",), ("gui",), ("sim", "serve")]


def test_the_widest_subcommands_help_takes_little_cpu():
    assert set(TIMED) <= set(command_paths())
    slow = {}
    for path in TIMED:
        seconds = help_cpu_seconds(path)
        if seconds >= CPU_BOUND:
            seconds = min(seconds, help_cpu_seconds(path))  # once more, if the machine hiccuped
        if seconds >= CPU_BOUND:
            slow[" ".join(path)] = round(seconds, 2)
    assert not slow, f"--help over {CPU_BOUND} s of CPU: {slow}"


def test_no_help_imports_a_heavy_module():
    # in a fresh interpreter: this test process has numpy and pandas loaded already
    code = ("from labspin.cli_startup import heavy_modules_for_help\n"
            "for path, mods in heavy_modules_for_help().items():\n"
            "    print('@@', ' '.join(path) or '(labspin)', '@@', ','.join(mods))\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    lines = [line for line in done.stdout.splitlines() if line.startswith("@@ ")]
    assert len(lines) == len(command_paths()) >= 15
    heavy = [line for line in lines if not line.endswith(" @@ ")]
    assert not heavy, heavy
