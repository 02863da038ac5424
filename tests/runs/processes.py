"""``labspin`` commands in real processes that start in milliseconds, for the tests that
kill, signal or race them.

A fresh ``python -m labspin`` pays about 1.5 s of CPU for its imports (pymeasure, pandas,
numba, lmfit) before it does anything; the kill and race tests start six of them. Here a
multiprocessing *forkserver*, started once per test session, imports labspin once, and
every command is a process forked from it: its own pid, file locks, signal handlers and
exit code, as the command line gives it, only without the second import. The forkserver
is a clean single-threaded process, so forking it is safe (forking pytest itself, with Qt
and numba threads running, would not be).

At least one test per behaviour that depends on the real entry point still starts
``python -m labspin`` itself (tests/procedures/test_fault_matrix.py,
tests/runs/test_hostile_input.py).
"""

from __future__ import annotations

import multiprocessing
import os
import sys
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

#: what the forkserver imports once, so that each command starts with it loaded
PRELOAD = ["labspin.cli", "labspin.cli_queue", "labspin.queues", "labspin.queue_runner",
           "labspin.station", "labspin.procedures.switching", "labspin.analysis.batch",
           "tests.runs._warm_labspin"]


@lru_cache(maxsize=1)
def _context():
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(PRELOAD)
    return context


def _labspin(args: list[str], output: str, ready: str | None, go: str | None,
             environment: dict[str, str]) -> None:
    """The child: the test's environment (the server's is the one it started with),
    stdout and stderr to ``output``, then ``labspin ARGS`` (after waiting for ``go`` when
    given, so that racers start within milliseconds of each other)."""
    import time

    os.environ.clear()
    os.environ.update(environment)
    fd = os.open(output, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    os.dup2(fd, 1)
    os.dup2(fd, 2)
    os.close(fd)
    sys.stdout = open(1, "w", buffering=1, closefd=False)
    sys.stderr = open(2, "w", buffering=1, closefd=False)
    _fresh_consoles()
    from labspin.cli import main

    if ready is not None:
        Path(ready).touch()
        deadline = time.monotonic() + 120
        while go is not None and not os.path.exists(go) and time.monotonic() < deadline:
            time.sleep(0.002)
    try:
        main(args, prog_name="labspin")
    except SystemExit as exit_:
        code = exit_.code
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code if isinstance(code, int) else (0 if code is None else 1))
    sys.stdout.flush()
    os._exit(0)


def _fresh_consoles() -> None:
    """The command modules' rich consoles made anew in the child, as a fresh process
    makes them at import: the preloaded ones read the server's environment (COLUMNS)
    and streams when the server imported them."""
    from rich.console import Console

    for name, module in list(sys.modules.items()):
        if name.startswith("labspin.") and isinstance(getattr(module, "console", None),
                                                       Console):
            module.console = Console()


@dataclass
class LabspinProcess:
    """One running ``labspin`` command: ``pid`` to signal, ``wait()`` for its exit code
    (negative: the signal that killed it), ``output()`` for what it printed."""

    process: multiprocessing.process.BaseProcess
    output_file: Path

    @property
    def pid(self) -> int:
        return self.process.pid

    def poll(self) -> int | None:
        return self.process.exitcode

    def wait(self, timeout: float = 180) -> int:
        self.process.join(timeout)
        if self.process.exitcode is None:
            self.process.kill()
            self.process.join()
            raise TimeoutError(f"labspin did not end in {timeout} s: {self.output()[-2000:]}")
        return self.process.exitcode

    def output(self) -> str:
        try:
            return self.output_file.read_text(encoding="utf-8", errors="replace")
        except FileNotFoundError:
            return ""


def stop_server() -> None:
    """End the forkserver and wait for it, so that its CPU time and its children's are
    counted in this process's (a server left to exit on its own is reaped by init, and
    the suite's CPU would look smaller than it was). multiprocessing has no public call
    for this: ``_stop`` is private, and a test fails if it goes away."""
    from multiprocessing import forkserver

    if _context.cache_info().currsize:
        forkserver._forkserver._stop()
        _context.cache_clear()


def start(args: list[str], output: Path, ready: Path | None = None,
          go: Path | None = None) -> LabspinProcess:
    """Start ``labspin ARGS`` in its own process; what it prints goes to ``output``."""
    process = _context().Process(target=_labspin, daemon=False,
                                 args=(list(args), str(output),
                                       None if ready is None else str(ready),
                                       None if go is None else str(go),
                                       dict(os.environ)))
    process.start()
    return LabspinProcess(process, output)
