"""``labspin run``, ``procedures`` and ``runs``: thin wrappers over the library.

Only click and rich at import time: pymeasure, pandas and the analysis are imported by
the commands that use them, so that ``--help`` answers at once.
"""

from __future__ import annotations

import contextlib
import functools
import logging
import sys
from collections.abc import Iterator
from typing import Any

import click
from rich.console import Console

from labspin.cli import main

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
        click.option("--device", "device_file", default=None, callback=_check_device,
                     type=click.Path(dir_okay=False),
                     help="Device file (YAML) of the simulated bench (with --sim): your own "
                          "stack instead of a preset; see labspin device template."),
        click.option("--seed", type=click.IntRange(0, 2**63 - 1), default=None,
                     help="Seed of the simulated bench."),
        click.option("--data-dir", type=click.Path(file_okay=False), default="labspin-data",
                     show_default=True, help="Where run files and the catalog live."),
    ]
    @functools.wraps(func)
    def with_device(*args: Any, device_file: str | None = None, **kwargs: Any) -> Any:
        if device_file is not None:  # a device file goes wherever a preset name goes
            if kwargs.get("preset") is not None:
                raise SettingRefused("give --preset or --device, not both: a device file "
                                     "starts from a preset with `base: PRESET`")
            kwargs["preset"] = device_file
        return func(*args, **kwargs)

    for option in reversed(options):
        with_device = option(with_device)
    return with_device


def _check_device(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    if value is None:
        return value
    from labspin.physics.devicefile import DeviceFileError, load_device

    try:
        load_device(value)
    except DeviceFileError as exc:
        raise SettingRefused(f"--device {exc}") from None
    return value


def _errors() -> tuple[type[BaseException], ...]:
    from labspin.physics.devicefile import DeviceFileError
    from labspin.physics.presets import UnknownPresetError
    from labspin.queue_lock import QueueLockError
    from labspin.queues import QueueFileError
    from labspin.runs import CatalogError
    from labspin.safety import LimitError
    from labspin.settings import SettingError
    from labspin.station import StationError
    from labspin.station_needs import StationMismatch
    from labspin.stationfile import StationFileError

    return (StationFileError, StationError, QueueFileError, CatalogError, LimitError,
            SettingError, UnknownPresetError, QueueLockError, DeviceFileError,
            StationMismatch)


@contextlib.contextmanager
def friendly_errors() -> Iterator[None]:
    """Known errors become a one-paragraph message and a non-zero exit, no traceback."""
    try:
        yield
    except _errors() as exc:
        raise click.ClickException(str(exc)) from None


class _Restated(logging.Filter):
    """Passes over log records that restate what the command prints itself."""

    def filter(self, record: logging.LogRecord) -> bool:
        from labspin.shutdown import restated

        return not restated(record)


@contextlib.contextmanager
def outcome_printed_here() -> Iterator[None]:
    """For a command that prints each run's error and what may still be on itself: the
    log records that restate them (labspin.shutdown.restated) stay out of the terminal,
    so that each fact is said once. Other warnings still reach stderr through logging's
    handler of last resort, which prints them when no handler is configured (a queue's
    log file catches every record while the queue runs)."""
    handler = logging.lastResort
    if handler is None:
        yield
        return
    restated = _Restated()
    handler.addFilter(restated)
    try:
        yield
    finally:
        handler.removeFilter(restated)


def open_station(station_file: str | None, sim: bool, preset: str | None,
                 seed: int | None) -> Any:
    from labspin.station import Station

    return Station.open(station_file, sim=sim, preset=preset, seed=seed)


def check_at_start(station: Any, data_dir: str, command: str) -> Any:
    """Before the first run of ``labspin run`` or ``labspin queue run``: what a previous
    process left on (a kill -9, a crash) is read, made safe and said in the words of
    ``labspin station check`` (labspin.station_check); the state is published for the
    status page. Returns the check's report: its ``hazards`` are what could not be made
    safe, and then nothing may be measured."""
    from labspin.observe import bench_checked
    from labspin.station_check import check_and_make_safe, found_lines

    report = check_and_make_safe(station)
    for line in found_lines(report):
        console.print(line, highlight=False, soft_wrap=True)
    if report.found and not report.hazards:
        console.print("What was left on is off now (read back); measuring starts.",
                      highlight=False)
    bench_checked(station, data_dir, f"the check at the start of {command}")
    return report


def refuse_unsafe_start(report: Any, station: Any) -> None:
    """The bench could not be made safe before the first run: say so, what may still be
    on last, and exit 1 (nothing was measured)."""
    console.print("Nothing was measured: the bench could not be confirmed safe before the "
                  "first run. Make it safe (labspin station check), then run again.",
                  highlight=False, soft_wrap=True)
    print_hazards(station.hazards or report.hazards)
    sys.exit(1)


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
    """The run's requests against the station limits, the instruments and wiring it
    needs, and the station's driver options (the same checks as ``labspin queue plan``),
    before any instrument is opened."""
    from labspin.queues import check_procedure
    from labspin.safety import LimitError
    from labspin.station import default_sim_config, station_guard
    from labspin.station_needs import StationMismatch, station_problems
    from labspin.station_options import driver_option_problems
    from labspin.stationfile import load_station_file

    if station_file is not None:
        config = load_station_file(station_file, device=preset)
    elif sim:
        config = default_sim_config(preset or "py-nio", 0 if seed is None else seed)
    else:
        return  # Station.open says what is missing
    problems = driver_option_problems(config)  # what opening the station would refuse
    try:
        check_procedure(proc, station_guard(config))  # the limits of the run's bar
    except (LimitError, ValueError) as exc:
        problems.append(str(exc))
    problems += station_problems(proc, config)
    if problems:  # every one at once, as a queue plan lists them
        raise StationMismatch(problems)


def _procedure(name: str) -> type:
    from labspin.procedures import UnknownProcedureError, procedure_class

    try:
        return procedure_class(name)
    except UnknownProcedureError as exc:
        raise click.BadParameter(str(exc), param_hint="PROCEDURE") from None


@main.command("procedures")
def procedures_command() -> None:
    """List every procedure with its parameters, units, ranges and defaults."""
    from rich.table import Table

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
@click.option("--dry-run", is_flag=True,
              help="Only check the run against the station (limits, instruments, wiring, "
                   "driver options) and show its points and duration; opens no instrument.")
@station_options
def run_command(procedure: str, settings: tuple[str, ...], sample: str | None,
                dry_run: bool, station_file: str | None, sim: bool, preset: str | None,
                seed: int | None, data_dir: str) -> None:
    """Run one PROCEDURE on the probe station or the simulated bench.

    Shows the points as they are measured and ends with the run's fit and its verdict,
    the file, and last what may still be on if the bench is not confirmed safe."""
    from labspin.cli_progress import RunProgress, print_fit
    from labspin.observe import station_notifier
    from labspin.procedures.base import format_duration
    from labspin.runs import open_catalog, run_procedure
    from labspin.station import terminate_on_sigterm

    proc = configured_procedure(procedure, settings)
    proc.sample = sample
    with friendly_errors():
        check_before_opening(proc, station_file, sim, preset, seed)
    console.print(f"{procedure}: {proc.planned_points()} points, about "
                  f"{format_duration(proc.estimated_duration())} on hardware", highlight=False)
    if dry_run:
        console.print("Dry run: the run is within the station limits, and the station has "
                      "the instruments, wiring and driver options it needs; no instrument "
                      "was opened.", highlight=False)
        return
    with friendly_errors(), outcome_printed_here(), open_catalog(data_dir) as catalog, \
            terminate_on_sigterm():
        station = open_station(station_file, sim, preset, seed)
        try:
            with station:
                start = check_at_start(station, data_dir, f"labspin run {procedure}")
                if not start.hazards:
                    station_notifier(station)  # a notify variable not set: say so first
                    with RunProgress(console, proc, station) as progress:
                        record = run_procedure(proc, station, catalog, on_row=progress.row)
        except KeyboardInterrupt:
            console.print("Stopped; " + ("the bench is NOT confirmed safe:" if station.hazards
                                         else "the bench is safe."))
            print_hazards(station.hazards)
            sys.exit(EXIT_ABORTED)
    if start.hazards:
        refuse_unsafe_start(start, station)
    console.print(f"run {record.id}: [bold]{record.status}[/bold], {record.rows} rows → "
                  f"{record.file}", soft_wrap=True)
    print_error(record.error, station.hazards)
    if record.rows and record.file:
        print_fit(console, record.file)
    print_hazards(station.hazards)  # what may still be on comes last: the line to act on
    if record.status != "finished" or station.hazards:
        sys.exit(1)


def print_error(error: str | None, hazards: dict[str, str]) -> None:
    """A run's error under its status line, without what the hazard lines printed last
    say of the bench (what may still be on is said once, last)."""
    from labspin.runs import error_above_warnings

    if not error:
        return
    shown = error_above_warnings(error, hazards.values())
    console.print(f"  {shown}" if shown else "  its shutdown could not confirm the bench "
                  "safe (WARNING below)", highlight=False, soft_wrap=True)


def print_hazards(hazards: dict[str, str]) -> None:
    """One unwrapped line per instrument not confirmed safe, after everything else."""
    for line in hazards.values():
        console.print(f"[bold red]WARNING:[/bold red] {line}", highlight=False,
                      soft_wrap=True)


def display_index(queue_index: int | None) -> str:
    """The run's number in its queue as people count, from 1: the catalog stores
    ``queue_index``, the run's index in the plan, 0-based (``labspin.queues.PlannedRun``)."""
    return "" if queue_index is None else str(queue_index + 1)


def _when(timestamp: float | None) -> str:
    """A time as the status lines show it (``labspin queue status``)."""
    if not timestamp:
        return ""
    import datetime as dt

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
@click.option("--rebuild", is_flag=True, help="A damaged catalog: set it aside (kept as "
              "catalog.sqlite.damaged) and list the folder's run files in a new one.")
def runs_command(status: str | None, procedure: str | None, sample: str | None,
                 queue_id: int | None, limit: int, data_dir: str, rebuild: bool) -> None:
    """List and filter the runs catalog."""
    from labspin.cli_tables import runs_table, shown_path
    from labspin.data_folder import missing_reason
    from labspin.runs import open_catalog

    if rebuild:
        from labspin.catalog_rebuild import print_rebuild

        print_rebuild(console, data_dir)
    with friendly_errors(), open_catalog(data_dir) as catalog:
        records = catalog.query(status=status, procedure=procedure, sample=sample,
                                queue_id=queue_id, limit=limit)
    table, files = runs_table(records, data_dir, console.width, display_index)
    console.print(table)
    for line in files:  # a narrow terminal: each run's file on a line of its own
        console.print(line, highlight=False, soft_wrap=True)
    failed = [r for r in records if r.error]
    for r in failed[-5:]:
        console.print(f"  run {r.id}: {r.error}", highlight=False)
    problems = [r for r in records if r.file_problem()]
    for r in problems[:5]:  # a catalog copied without its files, a file moved away
        reason = missing_reason(shown_path(r.file, data_dir), r.file_elsewhere)
        console.print(f"  run {r.id}: {reason}", highlight=False)
    if len(problems) > 5:
        console.print(f"  and {len(problems) - 5} more run(s) whose file is not in "
                      f"{data_dir}", highlight=False)
