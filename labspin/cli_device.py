"""``labspin device``: write, check and understand a device file (your own stack)."""

from __future__ import annotations

import math
from pathlib import Path

import click
from rich.console import Console
from rich.table import Table

from labspin.cli import main


@main.group("device")
def device_group() -> None:
    """Device files: your own stack for the simulated bench.

    A device file gives every parameter of the model with units; `base: PRESET` starts
    from a preset and keeps what the file leaves out. Use it with --device FILE on
    run, queue run, gui and sim serve, demo --model-only, or as sim.device in a
    station file.
    """


@device_group.command("show")
@click.argument("device")
@click.option("--yaml", "as_yaml", is_flag=True,
              help="Print the resolved device as a complete device file instead.")
@click.option("--no-model", is_flag=True, help="Skip the model's predictions (a few s).")
def device_show(device: str, as_yaml: bool, no_model: bool) -> None:
    """Check DEVICE (a device file or a preset) and show every parameter with its unit,
    then what the model predicts: xi_DL, damping, switching current at 1 us and 1 ms."""
    from labspin.physics.device_dump import device_yaml
    from labspin.physics.devicefile import DeviceFileError, load_device

    try:
        params = load_device(device)
    except DeviceFileError as exc:
        raise click.ClickException(str(exc)) from None
    if as_yaml:
        click.echo(device_yaml(params), nl=False)
        return
    console = Console()
    _parameter_table(console, params)
    if not no_model:
        _prediction_table(console, params)


def _parameter_table(console: Console, params) -> None:
    from dataclasses import fields

    from labspin.physics.device_dump import value_text
    from labspin.physics.device_schema import FIELDS, SECTIONS
    from labspin.physics.properties import channel_resistance

    table = Table(title=f"Device {params.name}: {params.stack_label}")
    for col in ("key", "value", "allowed"):
        table.add_column(col, overflow="fold")
    for section in SECTIONS:
        part = getattr(params, section)
        if part is None:
            table.add_row(f"[bold]{section}[/bold]", "none", "")
            continue
        kind = f" ({type(part).__name__})" if section in ("bottom", "top") else ""
        table.add_row(f"[bold]{section}[/bold]{kind}", "", "")
        specs = FIELDS[type(part)]
        for field in fields(part):
            spec = specs[field.name]
            allowed = "" if spec.kind in ("text", "axis") else spec.range_text
            value = getattr(part, field.name)
            shown = str(value) if spec.kind == "text" else value_text(spec, value)
            table.add_row(f"  {field.name}", shown, allowed)
    console.print(table)
    if params.description:
        console.print(f"  {params.description}", highlight=False)
    t = params.thermal.stage_temperature
    console.print(f"  R_xx between the V_xx probes at {t:g} K: "
                  f"{channel_resistance(params, t):.4g} ohm", highlight=False)


def _prediction_table(console: Console, params) -> None:
    from labspin.analysis.formatting import si
    from labspin.physics.predictions import predict

    with console.status("computing switching thresholds..."):
        pred = predict(params, (1e-6, 1e-3))
    table = Table(title="What the model predicts (pulse switching of half the bar, Joule "
                        "heating included)")
    for col in ("quantity", "value"):
        table.add_column(col, justify="left" if col == "quantity" else "right")
    table.add_row("ξ_DL (damping-like torque efficiency)", f"{pred.xi_dl:+.4f}")
    table.add_row("α (damping, spin pumping included)", f"{pred.damping:.4f}")
    table.add_row("J_c0 Liu (zero temperature)", _density(pred.threshold_density))
    for width in (1e-6, 1e-3):
        row = pred.at(width)
        label = si(width, "s")
        if not math.isfinite(row.current):
            table.add_row(f"I_c, {label} pulses", "— (burns open first)")
            continue
        table.add_row(f"J_c, {label} pulses", _density(row.current_density))
        table.add_row(f"I_c, {label} pulses", si(row.current, "A"))
        table.add_row(f"E per switching, {label}", si(row.energy, "J"))
        table.add_row(f"peak ΔT, {label}",
                      f"{row.peak_temperature - params.thermal.stage_temperature:.0f} K")
    console.print(table)


def _density(value: float) -> str:
    return f"{value:.3e} A/m²" if math.isfinite(value) else "—"


@device_group.command("template")
@click.option("--base", default="py-nio", show_default=True,
              help="Preset (or device file) whose values the template is filled with.")
@click.option("--out", type=click.Path(dir_okay=False), default=None,
              help="Write it to this file (default: print it).")
def device_template(base: str, out: str | None) -> None:
    """A device file with every key the model has, its unit and allowed range as a
    comment, filled with BASE's values: keep what differs, add `base: PRESET`."""
    from labspin.physics.device_dump import device_yaml
    from labspin.physics.devicefile import DeviceFileError, load_device

    try:
        params = load_device(base)
    except DeviceFileError as exc:
        raise click.ClickException(str(exc)) from None
    text = device_yaml(params, comments=True)
    if out is None:
        click.echo(text, nl=False)
        return
    path = Path(out)
    if path.exists():
        raise click.ClickException(f"{path} exists; choose another --out or remove it")
    path.write_text(text, encoding="utf-8")
    click.echo(f"template → {path}; check it with: labspin device show {path}")
