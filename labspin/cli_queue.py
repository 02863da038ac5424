"""``labspin queue plan|run|status``: nights of measurements from a queue file.

Run numbers are shown as people count them, from 1: the plan's ``PlannedRun.index``
and the catalog's ``queue_index`` are 0-based, and every line here adds one.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import Any

import click

from labspin import cli_measure
from labspin.cli import main
from labspin.cli_measure import (
    EXIT_ABORTED,
    console,
    friendly_errors,
    outcome_printed_here,
    print_hazards,
    station_options,
)


@main.group("queue")
def queue_group() -> None:
    """Queue files: plan, run (and resume) and follow a night of measurements."""


def _plan(file: str, station_file: str | None, sim: bool) -> tuple[Any, Any]:
    from labspin.queues import QueueFileError, load_queue_file, plan_queue
    from labspin.station import default_sim_config, station_guard
    from labspin.station_options import driver_option_problems
    from labspin.stationfile import StationFileError, load_station_file

    queue = load_queue_file(file)
    station_path = station_file
    if station_path is None and queue.station:
        station_path = str((Path(file).parent / queue.station).resolve())
    if station_path is not None and station_file is None:
        try:
            config = load_station_file(station_path)
        except StationFileError as exc:  # say where the station was named
            raise StationFileError(f"{file}: station: {exc}") from None
    elif station_path is not None:
        config = load_station_file(station_path)
    elif sim:
        config = default_sim_config()
    else:
        raise click.UsageError("name a station: --station FILE, --sim, or 'station:' in the "
                               "queue file")
    # what opening the station tonight would refuse (a driver option at fault), said now,
    # in the same words, beside every problem of the queue file itself
    refused = driver_option_problems(config)
    try:  # the limits of each run's bar of a chip (samples:)
        plan = plan_queue(queue, file, station_guard(config), config)
    except QueueFileError as exc:
        if refused:
            raise StationFileError("\n".join([*refused, str(exc)])) from None
        raise
    if refused:
        raise StationFileError("\n".join(refused))
    return plan, station_path


@queue_group.command("plan")
@click.argument("file", type=click.Path(dir_okay=False))
@click.option("--station", "station_file", type=click.Path(dir_okay=False))
@click.option("--sim", is_flag=True, help="Check against the built-in simulated station.")
@click.option("--all", "show_all", is_flag=True, help="List every run, not the first 40.")
def queue_plan(file: str, station_file: str | None, sim: bool, show_all: bool) -> None:
    """Validate FILE and show its runs and duration, touching no instrument.

    Every run is checked against the station's limits and for the instruments and
    wiring it needs; every problem in the file is listed at once."""
    from rich.table import Table

    from labspin.procedures.base import format_duration
    from labspin.queues import varying_settings

    with friendly_errors():
        plan, _ = _plan(file, station_file, sim)
    table = Table(title=f"Queue '{plan.name}': {len(plan.runs)} runs, about "
                        f"{format_duration(plan.duration)} on hardware")
    bars = [run.sample for run in plan.runs]
    with_bar = any(bar is not None for bar in bars)  # a chip: the bar of every run
    for col in ("run", "step", "procedure", *(["sample"] if with_bar else []),
                "parameters that vary", "estimate"):
        table.add_column(col, overflow="fold")
    settings = varying_settings(plan, skip=("sample",) if with_bar else ())
    for run in plan.runs if show_all else plan.runs[:40]:
        bar = [str(bars[run.index] or "")] if with_bar else []
        table.add_row(str(run.index + 1), f"{run.step} {run.label}", run.procedure, *bar,
                      settings[run.index], format_duration(run.duration))
    console.print(table)
    if len(plan.runs) > 40 and not show_all:
        console.print(f"… and {len(plan.runs) - 40} more (--all lists them)")
    console.print("Every run is valid, within the station limits, and has the instruments "
                  "and wiring it needs.")


class _QueueBar:
    """Runs done of the queue, the running run and its points, the time left."""

    def __init__(self, plan: Any, hazards: Any = dict) -> None:
        from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

        self.plan = plan
        #: what may still be on after the latest run (the station's hazards)
        self.hazards = hazards
        self.progress = Progress(TextColumn("{task.description}"), BarColumn(),
                                 TextColumn("{task.completed}/{task.total} runs"),
                                 TimeElapsedColumn(), TextColumn("{task.fields[left]}"),
                                 console=console, transient=False)
        self.task = self.progress.add_task(plan.name, total=len(plan.runs), left="")
        self.started = time.monotonic()
        self.ended = 0
        self.current = ""
        self.points = 0

    def run_start(self, run: Any, queue_id: int) -> None:
        self.current = (f"queue {queue_id}: run {run.index + 1} of {len(self.plan.runs)} "
                        f"({run.label})")
        self.points = 0
        self.progress.update(self.task, description=self.current)

    def row(self, _record: Any = None) -> None:
        self.points += 1
        self.progress.update(self.task, description=f"{self.current}, {self.points} points")

    def run_end(self, run: Any, record: Any) -> None:
        from labspin.procedures.base import format_duration
        from labspin.runs import error_above_warnings

        self.progress.advance(self.task)
        self.ended += 1
        done = self.progress.tasks[0].completed
        rate = (time.monotonic() - self.started) / self.ended
        left = rate * (len(self.plan.runs) - done)
        self.progress.update(self.task, left=f"~{format_duration(left)} left")
        if record.status != "finished":
            # what may still be on is printed last, once (the queue stops on it)
            error = error_above_warnings(record.error, self.hazards().values()) or \
                "its shutdown could not confirm the bench safe (WARNING below)"
            self.progress.console.print(f"run {record.id} (queue run {run.index + 1}, "
                                        f"{run.label}): {record.status}: {error}",
                                        highlight=False, soft_wrap=True)
        elif not self.progress.console.is_terminal:
            # a log file (a night under nohup) gets no live bar: a line per run instead
            self.progress.console.print(
                f"run {record.id} (queue run {run.index + 1} of {len(self.plan.runs)}, "
                f"{run.label}): finished, {record.rows} rows → {record.file}",
                highlight=False, soft_wrap=True)


@queue_group.command("run")
@click.argument("file", type=click.Path(dir_okay=False))
@click.option("--resume", is_flag=True,
              help="Continue the latest queue of FILE at its first unfinished run.")
@station_options
def queue_run(file: str, resume: bool, station_file: str | None, sim: bool,
              preset: str | None, seed: int | None, data_dir: str) -> None:
    """Run FILE (journaled: --resume after a crash never repeats a finished run).

    The queue stops after a run whose end could not confirm the bench safe (a magnet
    may still carry current), whatever its step's on_error says."""
    from labspin.queue_lock import QueueLock
    from labspin.queue_runner import check_resumable, run_queue
    from labspin.runs import open_catalog
    from labspin.station import terminate_on_sigterm

    with friendly_errors():
        plan, station_path = _plan(file, station_file, sim)
        # one runner per queue and data folder, decided before any instrument is opened
        with QueueLock(data_dir, file) as lock, open_catalog(data_dir) as catalog, \
                outcome_printed_here(), terminate_on_sigterm():
            if resume:
                check_resumable(catalog, plan)  # before any instrument is opened
            station = cli_measure.open_station(station_path, sim, preset, seed)
            bar = _QueueBar(plan, lambda: station.hazards)
            try:
                with station:
                    # what a killed runner left on, said and made safe before run 1
                    start = cli_measure.check_at_start(
                        station, data_dir, f"labspin queue run{' --resume' * resume}")
                    if not start.hazards:
                        with bar.progress:
                            outcome = run_queue(plan, station, catalog, resume=resume,
                                                lock=lock, on_run_start=bar.run_start,
                                                on_run_end=bar.run_end, on_row=bar.row)
            except KeyboardInterrupt:
                console.print("Stopped; the bench is NOT confirmed safe (continue with "
                              "--resume once it is):" if station.hazards else
                              "Stopped; the bench is safe. Continue with --resume.")
                print_hazards(station.hazards)
                sys.exit(EXIT_ABORTED)
    if start.hazards:
        cli_measure.refuse_unsafe_start(start, station)
    console.print(f"queue {outcome.queue_id}: {outcome.finished} finished now, "
                  f"{outcome.skipped} before, {outcome.failed} failed"
                  + (" — stopped early" if outcome.stopped_early else ""))
    hazards = station.hazards or outcome.unsafe
    if outcome.unsafe:
        last = outcome.records[-1]
        console.print(f"The queue stopped after run {last.id}: the bench was not confirmed "
                      "safe, and the next run would have started on it. Make it safe, then "
                      "continue with --resume.", highlight=False, soft_wrap=True)
    print_hazards(hazards)  # what may still be on comes last
    if outcome.failed or outcome.stopped_early or hazards:
        sys.exit(1)


@queue_group.command("status")
@click.argument("file", required=False, type=click.Path(dir_okay=False))
@click.option("--data-dir", type=click.Path(file_okay=False), default="labspin-data",
              show_default=True)
def queue_status(file: str | None, data_dir: str) -> None:
    """Where the latest queue (of FILE) stands: finished, failed, still to run."""
    from labspin.cli_measure import _when
    from labspin.plan_problems import runs_text
    from labspin.queue_lock import current_runner
    from labspin.queue_runner import queue_progress
    from labspin.runs import open_catalog

    with friendly_errors(), open_catalog(data_dir) as catalog:
        queue = catalog.latest_queue(str(Path(file).resolve()) if file else None)
        if queue is None:
            raise click.ClickException(f"no queue has run in {data_dir}"
                                       + (f" from {file}" if file else ""))
        states = queue_progress(catalog, queue["id"])
        attempts = catalog.query(queue_id=queue["id"])
        runner = current_runner(data_dir, queue["file"])
    counts: dict[str, int] = {}
    for state in states.values():
        counts[state] = counts.get(state, 0) + 1
    tried: dict[str, int] = {}
    for record in attempts:
        tried[record.status] = tried.get(record.status, 0) + 1
    remaining = queue["total"] - counts.get("finished", 0)
    status = queue["status"]
    if runner is None and status == "running":
        status = "interrupted"  # its runner is gone (the lock died with it)
    console.print(f"queue {queue['id']} '{queue['name']}' ({queue['file']}): "
                  f"[bold]{status}[/bold]", highlight=False, soft_wrap=True)
    if runner is not None:
        console.print(f"  running now: {runner.describe()}", highlight=False, soft_wrap=True)
    elif queue.get("pid"):
        console.print(f"  nobody runs it now; last run by pid {queue['pid']} on "
                      f"{queue['host']} from {_when(queue['since'])}"
                      + ("; continue it with --resume" if remaining else ""),
                      highlight=False, soft_wrap=True)
    console.print(f"  {queue['total']} planned: " + ", ".join(
        f"{n} {s}" for s, n in sorted(counts.items())) + f"; {remaining} still to run",
        highlight=False, soft_wrap=True)
    if 0 < remaining:  # queue_index is 0-based in the catalog; runs count from 1
        todo = [i + 1 for i in range(queue["total"]) if states.get(i) != "finished"]
        console.print(f"  still to run: {runs_text(todo).removeprefix(', ')}",
                      highlight=False, soft_wrap=True)
    console.print("  all attempts: " + ", ".join(f"{n} {s}" for s, n in sorted(tried.items())),
                  highlight=False, soft_wrap=True)
    if queue.get("log_file"):
        console.print(f"  log: {queue['log_file']}", highlight=False, soft_wrap=True)
