"""``labspin watch`` and ``labspin export``: following a night from elsewhere, and data
in a format others read."""

from __future__ import annotations

import signal
import sys
import threading
from pathlib import Path

import click
from rich.console import Console

from labspin.cli import main

console = Console()


@main.command("watch")
@click.option("--data-dir", type=click.Path(file_okay=False), default="labspin-data",
              show_default=True, help="The data directory the runs and queues write to.")
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Address to bind. Any address other than the loopback requires the "
                   "random access token printed at start.")
@click.option("--port", type=click.IntRange(0, 65535), default=8765, show_default=True,
              help="Port (0: any free port).")
def watch_command(data_dir: str, host: str, port: int) -> None:
    """Serve a read-only status page: queue progress and time left, the running run's
    live plot, the bench's state, the last runs with their fits and verdicts.

    Nothing on the page can act on the bench or the runs. Stop with Ctrl+C.
    """
    from labspin.watch import WatchError, start

    try:
        server = start(data_dir, host, port)
    except WatchError as exc:
        raise click.ClickException(str(exc)) from None
    except OSError as exc:
        raise click.ClickException(f"cannot bind {host}:{port}: {exc.strerror or exc}; choose "
                                   "another --port (0 picks a free one)") from None
    console.print(f"labspin watch: {server.url}", highlight=False, soft_wrap=True)
    if server.token:
        console.print(f"Bound to {host}, not the loopback: the page needs the access token in "
                      "this URL. Share it only with those who may see the bench.",
                      highlight=False)
    if not (Path(data_dir) / "catalog.sqlite").is_file():
        console.print(f"No run in {data_dir} yet: the page shows the first as soon as it "
                      "starts there (check the folder if none comes).", highlight=False)
    console.print("Read-only; Ctrl+C stops.", highlight=False)
    sys.stdout.flush()
    server.serve_in_thread()
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    try:
        while not stop.wait(0.2):
            pass
    finally:
        server.stop()
        console.print("Stopped.")


@main.command("export")
@click.argument("sources", nargs=-1)
@click.option("--out", "-o", type=click.Path(dir_okay=False), default="labspin-export.h5",
              show_default=True, help="HDF5/NeXus file to write (replaced).")
@click.option("--data-dir", type=click.Path(file_okay=False), default="labspin-data",
              show_default=True, help="Catalog for run ids, status, times and snapshots.")
def export_command(sources: tuple[str, ...], out: str, data_dir: str) -> None:
    """Write runs to HDF5/NeXus (NXdata, parameters, sample, calibration, station snapshot).

    SOURCES are run ids of the catalog in --data-dir, run files or folders; none: every
    run of the catalog. The CSV files stay the primary record.
    """
    from labspin.export import ExportError, export_runs

    try:
        result = export_runs(sources, out, data_dir)
    except ExportError as exc:
        raise click.ClickException(str(exc)) from None
    count = len(result.entries)
    console.print(f"{count} run{'' if count == 1 else 's'} → {result.path}", highlight=False)
    for file, why in result.skipped:
        console.print(f"  skipped {file}: {why}", highlight=False)
    if not result.entries:
        sys.exit(1)
