"""The ``labspin`` command line: thin wrappers over the library."""

from __future__ import annotations

import math
import sys
from pathlib import Path

import click
from rich.console import Console

from labspin import __version__

# Only click and rich here and in the command modules: numpy, pymeasure, pandas and the
# analysis are imported by the commands that use them, so that ``labspin --help`` and
# every ``--help`` answer in a fraction of a second (tests/runs/test_cli_startup.py).


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="labspin")
def main() -> None:
    """labspin: spin-orbit torque switching measurements on FM/AFMI Hall bars.

    Every command runs on the probe station or on the simulated bench.
    """


def model_table(presets: tuple[str, ...]) -> None:
    """What the device model predicts for each preset: xi_DL, damping, Liu's threshold
    J_c0, and the current density and energy that switch half of the bar for 1 us and
    1 ms pulses (Joule heating included)."""
    from rich.table import Table

    from labspin.analysis.formatting import si
    from labspin.physics.devicefile import DeviceFileError, load_device
    from labspin.physics.predictions import predict
    from labspin.physics.presets import preset_names

    console = Console()
    names = list(presets) or preset_names()
    try:  # a preset name or a device file (--device)
        devices = [load_device(n) for n in names]
    except DeviceFileError as exc:
        raise click.BadParameter(str(exc), param_hint="--preset/--device") from None
    table = Table(title="Device model: pulse switching of half the bar (Joule heating included)")
    for col in ("preset", "ξ_DL", "α", "J_c0 Liu (A/m²)", "J_c 1 µs", "E 1 µs", "J_c 1 ms",
                "E 1 ms", "ΔT 1 ms"):
        table.add_column(col, justify="left" if col == "preset" else "right", no_wrap=True)
    predictions = {}

    def density(value: float) -> str:
        return f"{value:.2e}" if math.isfinite(value) else "—"

    with console.status("computing switching thresholds..."):
        for dev in devices:
            predictions[dev.name] = pred = predict(dev, (1e-6, 1e-3))
            us, ms = pred.at(1e-6), pred.at(1e-3)
            heating = ms.peak_temperature - dev.thermal.stage_temperature
            table.add_row(dev.name, f"{pred.xi_dl:+.4f}", f"{pred.damping:.4f}",
                          density(pred.threshold_density), density(us.current_density),
                          si(us.energy, "J"), density(ms.current_density),
                          si(ms.energy, "J"),
                          f"{heating:.0f} K" if math.isfinite(heating) else "—")
    console.print(table)
    for dev in devices:
        about = dev.description[:1].upper() + dev.description[1:]
        console.print(f"  [bold]{dev.name}[/bold]: {dev.stack_label}. {about}.")
    if "pt-py" in predictions and "py-nio" in predictions:
        for width in (1e-6, 1e-3):
            ratio = predictions["pt-py"].at(width).energy / predictions["py-nio"].at(width).energy
            console.print(f"Switching energy pt-py / py-nio at {si(width, 's')} pulses: "
                          f"[bold]{ratio:.2f}[/bold]")
    console.print("J_c: mean current density through the conducting stack (J_c0 Liu: the "
                  "zero-temperature instability threshold of Liu et al. 2012); E per switching "
                  "event = I_c² ∫R(T(t))dt, R between the V_xx probes as the pulse heats the "
                  "bar (what I V t_p gives with the voltage the 6221's pulse delta reads); "
                  "—: the bar burns open before it switches.")


@main.command()
@click.option("--out", "out_dir", type=click.Path(file_okay=False), default="labspin-demo",
              show_default=True, help="Where the runs, the catalog and the report go.")
@click.option("--seed", type=int, default=1, show_default=True)
@click.option("--model-only", is_flag=True,
              help="Only print the device model's predictions per preset (a few seconds).")
@click.option("--preset", "presets", multiple=True,
              help="With --model-only: preset(s) to show (default: all).")
@click.option("--device", "devices", multiple=True, type=click.Path(dir_okay=False),
              help="With --model-only: device file(s) to show (labspin device template).")
def demo(out_dir: str, seed: int, model_only: bool, presets: tuple[str, ...],
         devices: tuple[str, ...]) -> None:
    """The paper's experiments on the simulated bench, fitted and reported.

    py-nio: USMR loop, switching loop, pulse sequence, harmonic Hall angle scans;
    references pt-py and py-alox: USMR and switching loops. Prints the fitted xi_DL,
    J_c and switching-energy ratio beside the device model, writes OUT/report.
    """
    if model_only:
        model_table(presets + devices)
        return
    if devices:
        raise click.UsageError("the demo measures the presets; use --device with "
                               "--model-only, or measure your device with labspin run "
                               "PROCEDURE --sim --device FILE")
    from rich.table import Table
    from rich.text import Text

    from labspin.demo import run_demo

    console = Console()
    with console.status("starting") as status:
        result = run_demo(out_dir, seed=seed, progress=lambda m: status.update(m))
    table = Table(title="labspin demo: measured on the simulated bench vs the device model")
    for col in ("quantity", "measured", "model", "deviation", "verdict"):
        table.add_column(col, justify="right" if col in ("model", "deviation") else "left")
    for row in result.rows:
        unit = f" {row.unit}" if row.unit else ""
        table.add_row(row.quantity, row.measured_text(), f"{row.model:.4g}{unit}",
                      f"{100 * row.agreement:+.1f} %" if row.determined else "—",
                      Text(row.verdict_text()), style=None if row.verdict == "ok" else "yellow")
    console.print(table)
    for note in result.notes:
        console.print(f"  • {note}", highlight=False)
    console.print(f"{len(result.runs)} runs in {result.out_dir / 'data'}; report: "
                  f"{result.out_dir / 'report' / 'index.html'}", highlight=False)
    for line in next_steps(result.out_dir):
        console.print(line, highlight=False, soft_wrap=True)


def next_steps(out_dir) -> list[str]:
    """What to try after the demo; first, the window on the demo's own runs (its Past
    runs view reads the catalog of --data-dir, labspin-data by default)."""
    import shlex

    from labspin.station_sim import EXAMPLES

    data = shlex.quote(str(Path(out_dir) / "data"))
    # the example queue by its full path: the demo may run from any folder
    queue = EXAMPLES / "queues" / "phase-diagram.yaml"
    plan = f", labspin queue plan {shlex.quote(str(queue))}" if queue.is_file() else ""
    return [f"See these runs in the window: labspin gui --sim --data-dir {data}",
            f"Fit them again: labspin fit {data}",
            f"Next: labspin demo --model-only (the presets), labspin procedures{plan}"]


@main.group()
def sim() -> None:
    """The simulated bench."""


@sim.command("serve")
@click.option("--station", "station_file", type=click.Path(dir_okay=False),
              help="Station file describing the bench (instruments, wiring, faults).")
@click.option("--preset", default=None, help="Device preset for the default bench "
              "(default py-nio; with --station: overrides the file's sim.preset).")
@click.option("--device", "device_file", type=click.Path(dir_okay=False), default=None,
              help="Device file of the bench (your own stack; instead of --preset).")
@click.option("--seed", type=int, default=None, help="Random seed of the bench.")
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Address to bind; keep the loopback unless you mean to share it.")
@click.option("--port-base", type=click.IntRange(0, 65000), default=5025, show_default=True,
              help="First port; instruments get consecutive ports (0: any free ports).")
@click.option("--write-station", "write_station", type=click.Path(dir_okay=False),
              default=None, help="With --station: write a station file (backend: visa) "
              "that reaches the served instruments, for labspin itself; the bench outlives "
              "each process, so what a kill -9 leaves on stays on.")
def sim_serve(station_file: str | None, preset: str | None, device_file: str | None,
              seed: int | None, host: str, port_base: int,
              write_station: str | None) -> None:
    """Serve the simulated bench's instruments as raw SCPI sockets, one port each.

    Reach them from any VISA client as TCPIP::127.0.0.1::PORT::SOCKET, with the read
    termination printed for each. Bench time follows the wall clock while serving.
    Stop with Ctrl+C.
    """
    import signal
    import threading

    from labspin.cli_tables import cli_table
    from labspin.physics.devicefile import DeviceFileError, load_device
    from labspin.simulated_instruments.layout import bench_from_preset
    from labspin.simulated_instruments.server import BenchServer
    from labspin.stationfile import StationFileError, load_station_file

    if preset and device_file:
        raise click.UsageError("give --preset or --device, not both")
    if write_station and not station_file:
        raise click.UsageError("--write-station needs --station FILE: the station whose "
                               "bench is served (e.g. --station examples/station-sim.yaml)")
    chosen = device_file or preset
    try:
        if station_file:
            bench = load_station_file(station_file, device=chosen).build_bench(seed=seed)
        else:
            bench = bench_from_preset(load_device(chosen or "py-nio"), seed=seed or 0)
    except (StationFileError, DeviceFileError) as exc:
        raise click.ClickException(str(exc)) from None
    server = BenchServer(bench, host=host, base_port=port_base)
    try:
        served = server.start()
    except OSError as exc:
        raise click.ClickException(f"cannot bind {host}:{port_base}: {exc.strerror}; choose "
                                   "another --port-base (0 picks free ports)") from None
    console = Console()
    table = cli_table(f"Simulated bench ({bench.device.params.name}, seed {bench.seed}) "
                      f"on {host}")
    for col in ("instrument", "port", "VISA address", "read term.", "model"):
        # the model folds (a long IDN part); every other column keeps to one line
        table.add_column(col, no_wrap=col != "model", overflow="fold",
                         min_width=10 if col == "model" else None)
    for item in served:
        table.add_row(item.name, str(item.port), f"TCPIP::{host}::{item.port}::SOCKET",
                      item.termination_text,
                      item.idn.split(",")[1].strip() if "," in item.idn else item.idn)
    console.print(table)
    console.print("Set each client's read termination (read term.) as listed: replies "
                  "end with it. "
                  "Bench time follows the wall clock: a ramp or a settling lock-in "
                  "proceeds while the client waits.", highlight=False)
    if write_station:
        from labspin.station_sockets import write_sockets_station

        try:
            write_sockets_station(station_file, served, write_station, host)
        except StationFileError as exc:
            server.stop()
            raise click.ClickException(str(exc)) from None
        console.print(f"Wrote {write_station}: this bench as a station file (backend: "
                      "visa). labspin commands on it (run, queue run, station check) share "
                      "this bench, which outlives each of them: what a kill -9 leaves on "
                      "stays on.", highlight=False, soft_wrap=True)
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):  # before "Serving": a client may stop us
        signal.signal(sig, lambda *_: stop.set())
    console.print("Serving; Ctrl+C stops.", highlight=False)
    sys.stdout.flush()
    try:
        while not stop.wait(0.2):
            pass
    finally:
        server.stop()
        console.print("Stopped.")


@main.group()
def station() -> None:
    """Station files: check one, open it, make it safe."""


@station.command("check")
@click.argument("station_file", required=False, type=click.Path(dir_okay=False))
@click.option("--sim", is_flag=True, help="Open the station on the simulated bench.")
@click.option("--data-dir", type=click.Path(file_okay=False), default=None,
              help="Also publish the state the check leaves for `labspin watch` on this "
                   "data folder (after a kill -9 its page says the bench is unknown).")
def station_check(station_file: str | None, sim: bool, data_dir: str | None) -> None:
    """Validate a station file, open every instrument, show what answers, make safe.

    Says what was found on (a magnet left at a field, an output left on by a previous
    process) and what was done about it, before the instruments are closed."""
    from labspin.cli_measure import outcome_printed_here
    from labspin.cli_tables import cli_table
    from labspin.station import Station, StationError
    from labspin.station_check import check_and_make_safe, found_lines
    from labspin.stationfile import StationFileError

    console = Console()
    try:
        with outcome_printed_here(), Station.open(station_file, sim=sim) as st:
            table = cli_table(f"Station {st.config.name} "
                              f"({'simulated bench' if st.sim else 'hardware'})")
            for col in ("role", "driver", "resource", "answers as"):
                table.add_column(col, no_wrap=col != "answers as", overflow="fold")
            for role, entry in st.config.entries().items():
                idn = st[role].ask("*IDN?").strip()
                table.add_row(role, entry.driver, entry.resource, idn)
            console.print(table)
            report = check_and_make_safe(st)
            if data_dir is not None:
                from labspin.observe import bench_checked

                bench_checked(st, data_dir, "labspin station check")
    except (StationFileError, StationError) as exc:
        raise click.ClickException(str(exc)) from None
    for line in found_lines(report):
        console.print(line, highlight=False, soft_wrap=True)
    hazards = st.hazards or report.hazards
    if hazards:  # closing could not confirm everything off: say what, last
        for line in hazards.values():
            console.print(f"[bold red]WARNING:[/bold red] {line}", highlight=False,
                          soft_wrap=True)
        sys.exit(1)
    if report.found:
        console.print("All instruments answer; what was left on is now off and the magnets "
                      "are at zero (read back).", highlight=False)
    else:
        console.print("All instruments answer; nothing was left on: outputs are off and "
                      "magnets at zero.", highlight=False)


# the other commands register themselves on ``main`` when imported
from labspin import (  # noqa: E402,F401
    cli_analysis,
    cli_device,
    cli_gui,
    cli_measure,
    cli_queue,
    cli_report,
    cli_watch,
)

if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
