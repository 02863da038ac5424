"""``labspin run``, ``procedures``, ``runs`` and ``queue``: thin wrappers over the library."""

from __future__ import annotations

import contextlib
import datetime as dt
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import click
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from labspin.cli import main
from labspin.procedures.base import format_duration

console = Console()
EXIT_ABORTED = 130


class SettingRefused(click.ClickException):
    """A --set value or option that cannot be used: one line, no usage text."""

    exit_code = 2


def _check_preset(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    if value is None:
        return value
    from labspin.physics.presets import preset_names

    names = preset_names()
    if value not in names:
        raise SettingRefused(f"--preset {value!r} is not a device preset; use one of "
                             f"{', '.join(names)}")
    return value


def station_options(func: Any) -> Any:
    options = [
        click.option("--station", "station_file", type=click.Path(dir_okay=False),
                     help="Station file (instruments, sample, limits)."),
        click.option("--sim", is_flag=True,
                     help="Run on the simulated bench (the station file's, or the built-in "
                          "one)."),
        click.option("--preset", default=None, callback=_check_preset,
                     help="Device preset of the simulated bench (with --sim)."),
        click.option("--seed", type=click.IntRange(0, 2**63 - 1), default=None,
                     help="Seed of the simulated bench."),
        click.option("--data-dir", type=click.Path(file_okay=False), default="labspin-data",
                     show_default=True, help="Where run files and the catalog live."),
    ]
    for option in reversed(options):
        func = option(func)
    return func


def _errors() -> tuple[type[BaseException], ...]:
    from labspin.physics.presets import UnknownPresetError
    from labspin.queue_lock import QueueLockError
    from labspin.queues import QueueFileError
    from labspin.runs import CatalogError
    from labspin.safety import LimitError
    from labspin.settings import SettingError
    from labspin.station import StationError
    from labspin.stationfile import StationFileError

    return (StationFileError, StationError, QueueFileError, CatalogError, LimitError,
            SettingError, UnknownPresetError, QueueLockError)


@contextlib.contextmanager
def friendly_errors() -> Iterator[None]:
    """Known errors become a one-paragraph message and a non-zero exit, no traceback."""
    try:
        yield
    except _errors() as exc:
        raise click.ClickException(str(exc)) from None


def open_station(station_file: str | None, sim: bool, preset: str | None,
                 seed: int | None) -> Any:
    from labspin.station import Station

    return Station.open(station_file, sim=sim, preset=preset, seed=seed)


def configured_procedure(procedure: str, settings: tuple[str, ...]) -> Any:
    """The PROCEDURE with every --set NAME=VALUE applied and checked; SettingRefused (one
    line naming the parameter, its unit and its range) otherwise."""
    from labspin.settings import SettingError, configure

    cls = _procedure(procedure)
    values: dict[str, Any] = {}
    for item in settings:
        name, sep, value = item.partition("=")
        name = name.strip()
        if not sep or not name:
            raise SettingRefused(f"--set {item[:60]!r}: write NAME=VALUE, e.g. "
                                 "--set pulse_width='1 ms'")
        values[name] = value.strip()
    try:
        return configure(cls, values)
    except SettingError as exc:
        raise SettingRefused(f"--set {exc}" if exc.parameter else str(exc)) from None


def check_before_opening(proc: Any, station_file: str | None, sim: bool,
                         preset: str | None, seed: int | None) -> None:
    """The run's requests against the station limits, before any instrument is opened."""
    from labspin.queues import check_procedure
    from labspin.station import default_sim_config, station_guard
    from labspin.stationfile import load_station_file

    if station_file is not None:
        config = load_station_file(station_file)
    elif sim:
        config = default_sim_config(preset or "py-nio", 0 if seed is None else seed)
    else:
        return  # Station.open says what is missing
    check_procedure(proc, station_guard(config))  # the limits of the run's bar


def _procedure(name: str) -> type:
    from labspin.procedures import UnknownProcedureError, procedure_class

    try:
        return procedure_class(name)
    except UnknownProcedureError as exc:
        raise click.BadParameter(str(exc), param_hint="PROCEDURE") from None


@main.command("procedures")
def procedures_command() -> None:
    """List every procedure with its parameters, units, ranges and defaults."""
    from labspin.procedures import PROCEDURES

    for name in PROCEDURES:
        cls = _procedure(name)
        table = Table(title=f"{name}: {cls.DESCRIPTION}", title_justify="left",
                      show_edge=False)
        for col in ("parameter", "label", "unit", "range / choices", "default"):
            table.add_column(col)
        for key, param in cls().parameter_objects().items():
            if getattr(param, "choices", None):
                span = ", ".join(str(c) for c in param.choices)
            elif getattr(param, "minimum", None) is not None:
                span = f"{param.minimum:g} … {param.maximum:g}"
            else:
                span = ""
            table.add_row(key, param.name, getattr(param, "units", None) or "", span,
                          str(param.default))
        console.print(table)
        console.print(f"  columns: {', '.join(cls.DATA_COLUMNS)}\n", highlight=False)


@main.command("run")
@click.argument("procedure")
@click.option("--set", "settings", multiple=True, metavar="NAME=VALUE",
              help="A parameter; values may carry units ('1 ms', '30 mA'). Repeatable.")
@click.option("--sample", default=None, metavar="ID",
              help="The bar of the station's chip to measure (its samples:); default: the "
                   "station file's first or default_sample.")
@station_options
def run_command(procedure: str, settings: tuple[str, ...], sample: str | None,
                station_file: str | None, sim: bool, preset: str | None, seed: int | None,
                data_dir: str) -> None:
    """Run one PROCEDURE on the probe station or the simulated bench."""
    from labspin.observe import station_notifier
    from labspin.runs import open_catalog, run_procedure
    from labspin.station import terminate_on_sigterm

    proc = configured_procedure(procedure, settings)
    proc.sample = sample
    with friendly_errors():
        check_before_opening(proc, station_file, sim, preset, seed)
    console.print(f"{procedure}: about {format_duration(proc.estimated_duration())} on "
                  "hardware", highlight=False)
    with friendly_errors(), open_catalog(data_dir) as catalog, terminate_on_sigterm():
        station = open_station(station_file, sim, preset, seed)
        try:
            with station:
                station_notifier(station)  # a notify variable not set: say so before running
                record = run_procedure(proc, station, catalog)
        except KeyboardInterrupt:
            console.print("Stopped; " + ("the bench is NOT confirmed safe:" if station.hazards
                                         else "the bench is safe."))
            print_hazards(station.hazards)
            sys.exit(EXIT_ABORTED)
    console.print(f"run {record.id}: [bold]{record.status}[/bold], {record.rows} rows → "
                  f"{record.file}", soft_wrap=True)
    if record.error:
        console.print(f"  {record.error}", highlight=False, soft_wrap=True)
    print_hazards(station.hazards)  # what may still be on comes last: the line to act on
    if record.status != "finished" or station.hazards:
        sys.exit(1)


def print_hazards(hazards: dict[str, str]) -> None:
    """One unwrapped line per instrument not confirmed safe, after everything else."""
    for line in hazards.values():
        console.print(f"[bold red]WARNING:[/bold red] {line}", highlight=False,
                      soft_wrap=True)


def _when(timestamp: float | None) -> str:
    if not timestamp:
        return ""
    return dt.datetime.fromtimestamp(timestamp).strftime("%Y-%m-%d %H:%M")


@main.command("runs")
@click.option("--status", type=click.Choice(["queued", "running", "finished", "failed",
                                             "aborted", "interrupted"]))
@click.option("--procedure")
@click.option("--sample")
@click.option("--queue", "queue_id", type=click.IntRange(0, 2**63 - 1),
              help="Runs of one queue.")
@click.option("--limit", type=click.IntRange(1, 10**9), default=50, show_default=True,
              help="Newest N runs.")
@click.option("--data-dir", type=click.Path(file_okay=False), default="labspin-data",
              show_default=True)
def runs_command(status: str | None, procedure: str | None, sample: str | None,
                 queue_id: int | None, limit: int, data_dir: str) -> None:
    """List and filter the runs catalog."""
    from labspin.runs import open_catalog

    with friendly_errors(), open_catalog(data_dir) as catalog:
        records = catalog.query(status=status, procedure=procedure, sample=sample,
                                queue_id=queue_id, limit=limit)
    table = Table(title=f"Runs in {data_dir}")
    for col in ("id", "procedure", "sample", "status", "rows", "started", "queue", "file"):
        table.add_column(col, overflow="fold")
    for r in records:
        queue = f"{r.queue_id}#{r.queue_index}" if r.queue_id is not None else ""
        table.add_row(str(r.id), r.procedure, r.sample or "", r.status, str(r.rows),
                      _when(r.started), queue, r.file or "")
    console.print(table)
    failed = [r for r in records if r.error]
    for r in failed[-5:]:
        console.print(f"  run {r.id}: {r.error}", highlight=False)


@main.group("queue")
def queue_group() -> None:
    """Queue files: plan, run (and resume) and follow a night of measurements."""


def _plan(file: str, station_file: str | None, sim: bool) -> tuple[Any, Any]:
    from labspin.queues import load_queue_file, plan_queue
    from labspin.station import default_sim_config, station_guard
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
    return plan_queue(queue, file, station_guard(config)), station_path


@queue_group.command("plan")
@click.argument("file", type=click.Path(dir_okay=False))
@click.option("--station", "station_file", type=click.Path(dir_okay=False))
@click.option("--sim", is_flag=True, help="Check against the built-in simulated station.")
@click.option("--all", "show_all", is_flag=True, help="List every run, not the first 40.")
def queue_plan(file: str, station_file: str | None, sim: bool, show_all: bool) -> None:
    """Validate FILE and show its runs and duration, touching no instrument."""
    from labspin.queues import varying_settings

    with friendly_errors():
        plan, _ = _plan(file, station_file, sim)
    table = Table(title=f"Queue '{plan.name}': {len(plan.runs)} runs, about "
                        f"{format_duration(plan.duration)} on hardware")
    for col in ("#", "step", "procedure", "parameters that vary", "estimate"):
        table.add_column(col, overflow="fold")
    settings = varying_settings(plan)
    for run in plan.runs if show_all else plan.runs[:40]:
        text = settings[run.index]
        table.add_row(str(run.index), f"{run.step} {run.label}", run.procedure, text,
                      format_duration(run.duration))
    console.print(table)
    if len(plan.runs) > 40 and not show_all:
        console.print(f"… and {len(plan.runs) - 40} more (--all lists them)")
    console.print("Every run is valid and within the station limits.")


@queue_group.command("run")
@click.argument("file", type=click.Path(dir_okay=False))
@click.option("--resume", is_flag=True,
              help="Continue the latest queue of FILE at its first unfinished run.")
@station_options
def queue_run(file: str, resume: bool, station_file: str | None, sim: bool,
              preset: str | None, seed: int | None, data_dir: str) -> None:
    """Run FILE (journaled: --resume after a crash never repeats a finished run)."""
    from labspin.queue_lock import QueueLock
    from labspin.queue_runner import check_resumable, run_queue
    from labspin.runs import open_catalog
    from labspin.station import terminate_on_sigterm

    with friendly_errors():
        plan, station_path = _plan(file, station_file, sim)
        # one runner per queue and data folder, decided before any instrument is opened
        with QueueLock(data_dir, file) as lock, open_catalog(data_dir) as catalog, \
                terminate_on_sigterm():
            if resume:
                check_resumable(catalog, plan)  # before any instrument is opened
            station = open_station(station_path, sim, preset, seed)
            progress = Progress(TextColumn("{task.description}"), BarColumn(),
                                TextColumn("{task.completed}/{task.total} runs"),
                                TimeElapsedColumn(), TextColumn("{task.fields[left]}"),
                                console=console, transient=False)
            task = progress.add_task(plan.name, total=len(plan.runs), left="")
            started = time.monotonic()

            def run_start(run: Any, queue_id: int) -> None:
                progress.update(task, description=f"queue {queue_id}: run {run.index + 1} of "
                                                  f"{len(plan.runs)} ({run.label})")

            def run_end(run: Any, record: Any) -> None:
                progress.advance(task)
                done = progress.tasks[0].completed
                rate = (time.monotonic() - started) / max(done, 1)
                left = rate * (len(plan.runs) - done)
                progress.update(task, left=f"~{format_duration(left)} left")
                if record.status != "finished":
                    progress.console.print(f"run {record.id} ({run.label}): {record.status}: "
                                           f"{record.error}", highlight=False)

            try:
                with station, progress:
                    outcome = run_queue(plan, station, catalog, resume=resume, lock=lock,
                                        on_run_start=run_start, on_run_end=run_end)
            except KeyboardInterrupt:
                console.print("Stopped; the bench is NOT confirmed safe (continue with "
                              "--resume once it is):" if station.hazards else
                              "Stopped; the bench is safe. Continue with --resume.")
                print_hazards(station.hazards)
                sys.exit(EXIT_ABORTED)
    console.print(f"queue {outcome.queue_id}: {outcome.finished} finished now, "
                  f"{outcome.skipped} before, {outcome.failed} failed"
                  + (" — stopped early" if outcome.stopped_early else ""))
    print_hazards(station.hazards)  # what may still be on comes last
    if outcome.failed or outcome.stopped_early or station.hazards:
        sys.exit(1)


@queue_group.command("status")
@click.argument("file", required=False, type=click.Path(dir_okay=False))
@click.option("--data-dir", type=click.Path(file_okay=False), default="labspin-data",
              show_default=True)
def queue_status(file: str | None, data_dir: str) -> None:
    """Where the latest queue (of FILE) stands: finished, failed, still to run."""
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
    console.print("  all attempts: " + ", ".join(f"{n} {s}" for s, n in sorted(tried.items())),
                  highlight=False, soft_wrap=True)
    if queue.get("log_file"):
        console.print(f"  log: {queue['log_file']}", highlight=False, soft_wrap=True)
