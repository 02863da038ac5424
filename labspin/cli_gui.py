"""``labspin gui``: the probe-station window (a thin wrapper over labspin.gui)."""

from __future__ import annotations

import sys

import click

from labspin.cli import main
from labspin.cli_measure import friendly_errors, station_options
from labspin.cli_options import fit_inputs
from labspin.gui import VIEWS


@main.command("gui")
@station_options
@click.option("--realtime", is_flag=True,
              help="On the simulated bench, wait in real time as hardware would (demos); "
                   "default: virtual time, runs finish as fast as the model computes.")
@click.option("--view", type=click.Choice(VIEWS), default="measure", show_default=True,
              help="The view shown first.")
@click.option("--screenshot", type=click.Path(dir_okay=False), default=None,
              help="Render the window offscreen to this PNG and exit.")
@fit_inputs
def gui(station_file: str | None, sim: bool, preset: str | None, seed: int | None,
        data_dir: str, realtime: bool, view: str, screenshot: str | None,
        width: float | None, thickness: float | None, r_ahe: float | None,
        m_eff: float | None) -> None:
    """The probe-station window: measure with live plots, the station and Make safe, the
    queue, and past runs with their fits."""
    if station_file is None and not sim:
        raise click.UsageError("name a station: --station FILE, or --sim for the simulated "
                               "bench")
    from labspin.gui.app import run_gui

    fit_options = {k: v for k, v in (("width", width), ("thickness", thickness),
                                     ("r_ahe", r_ahe), ("m_eff", m_eff)) if v is not None}
    with friendly_errors():
        code = run_gui(station_file=station_file, sim=sim, preset=preset, seed=seed,
                       data_dir=data_dir, realtime=realtime, view=view, screenshot=screenshot,
                       fit_options=fit_options)
    if screenshot:
        click.echo(f"screenshot → {screenshot}")
    sys.exit(code)
