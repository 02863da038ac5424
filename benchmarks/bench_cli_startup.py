"""CPU time of ``labspin --help`` and of every subcommand's ``--help``, each in a fresh
process (user + system, from getrusage of the children), least of ``--rounds``.

    python benchmarks/bench_cli_startup.py [--rounds 5]

The target is under 0.3 s each; ``tests/runs/test_cli_startup.py`` holds them under a
looser bound for a loaded CI machine and checks that no heavy module is imported.
"""

from __future__ import annotations

import argparse
import subprocess
import sys

from labspin.cli_startup import command_paths, help_cpu_seconds, labspin_command


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    baseline = []
    for _ in range(args.rounds):
        import resource

        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        subprocess.run([sys.executable, "-c", "pass"], check=True)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        baseline.append(after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime)
    print(f"{'command':<28} CPU s (least of {args.rounds})")
    print(f"{'(python -c pass)':<28} {min(baseline):.3f}")
    worst = 0.0
    for path in command_paths():
        seconds = min(help_cpu_seconds(path) for _ in range(args.rounds))
        worst = max(worst, seconds)
        print(f"{'labspin ' + ' '.join(path) + ' --help':<28} {seconds:.3f}")
    print(f"slowest: {worst:.3f} s ({'within' if worst < 0.3 else 'OVER'} the 0.3 s target); "
          f"command: {' '.join(labspin_command())}")


if __name__ == "__main__":
    main()
