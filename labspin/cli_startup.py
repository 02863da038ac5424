"""How long ``labspin ... --help`` takes: every command path and the CPU time of asking
for its help in a fresh process (``tests/runs/test_cli_startup.py`` and
``benchmarks/bench_cli_startup.py``)."""

from __future__ import annotations

import resource
import shutil
import subprocess
import sys
from pathlib import Path

#: modules that must not be imported to show help (each costs 0.1 to 1.5 s of CPU)
HEAVY_MODULES = ("numpy", "pandas", "scipy", "lmfit", "pymeasure", "pyvisa", "pint",
                 "matplotlib", "numba", "PyQt6", "pyqtgraph", "pydantic", "yaml")


def command_paths() -> list[tuple[str, ...]]:
    """Every command and subcommand of ``labspin``, e.g. ('queue', 'plan')."""
    import click

    from labspin.cli import main

    paths: list[tuple[str, ...]] = [()]

    def walk(group: click.Group, prefix: tuple[str, ...]) -> None:
        for name in sorted(group.list_commands(None)):  # type: ignore[arg-type]
            command = group.get_command(None, name)  # type: ignore[arg-type]
            paths.append((*prefix, name))
            if isinstance(command, click.Group):
                walk(command, (*prefix, name))

    walk(main, ())
    return paths


def labspin_command() -> list[str]:
    """The installed ``labspin`` script beside this Python, else ``python -m labspin``."""
    script = Path(sys.executable).with_name("labspin")
    if script.is_file():
        return [str(script)]
    found = shutil.which("labspin")
    return [found] if found else [sys.executable, "-m", "labspin"]


def help_cpu_seconds(path: tuple[str, ...]) -> float:
    """User plus system CPU seconds of ``labspin PATH --help`` in a fresh process."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    done = subprocess.run([*labspin_command(), *path, "--help"], capture_output=True,
                          text=True, timeout=60)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode != 0:
        raise RuntimeError(f"labspin {' '.join(path)} --help failed: {done.stderr[-500:]}")
    return (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def heavy_modules_for_help() -> dict[tuple[str, ...], list[str]]:
    """Per command path, the heavy modules its ``--help`` imported (in this process, the
    paths in order: each path's new imports are charged to it)."""
    from labspin.cli import main

    seen: dict[tuple[str, ...], list[str]] = {}
    for path in command_paths():
        try:
            main.main([*path, "--help"], prog_name="labspin", standalone_mode=False)
        except SystemExit:
            pass
        seen[path] = sorted(m for m in HEAVY_MODULES if m in sys.modules)
    return seen
