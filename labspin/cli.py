"""The ``labspin`` command line: thin wrappers over the library."""

from __future__ import annotations

import math
import sys

import click
from rich.console import Console
from rich.table import Table

from labspin import __version__


def _si(value: float, unit: str, digits: int = 3) -> str:
    """Format with an SI prefix: 1.2e-8 J -> '12 nJ'."""
    if value is None or not math.isfinite(value):
        return "—"
    if value == 0:
        return f"0 {unit}"
    prefixes = [(1e-15, "f"), (1e-12, "p"), (1e-9, "n"), (1e-6, "µ"), (1e-3, "m"),
                (1.0, ""), (1e3, "k"), (1e6, "M"), (1e9, "G")]
    scale, prefix = prefixes[0]
    for s, p in prefixes:
        if abs(value) >= s:
            scale, prefix = s, p
    return f"{value / scale:.{digits}g} {prefix}{unit}"


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="labspin")
def main() -> None:
    """labspin: spin-orbit torque switching measurements on FM/AFMI Hall bars.

    Every command runs on the probe station or on the simulated bench.
    """


@main.command()
@click.option("--preset", "presets", multiple=True,
              help="Device preset(s) to show (default: all).")
def demo(presets: tuple[str, ...]) -> None:
    """Show what the device model predicts for each preset.

    Torque efficiency xi_DL, damping, the zero-temperature threshold J_c0, and the
    pulse current, current density and energy that switch half of the bar for 1 us
    and 1 ms pulses (Joule heating included).
    """
    from labspin.physics.predictions import predict
    from labspin.physics.presets import UnknownPresetError, preset, preset_names

    console = Console()
    names = list(presets) or preset_names()
    try:
        devices = [preset(n) for n in names]
    except UnknownPresetError as exc:
        raise click.BadParameter(str(exc), param_hint="--preset") from None
    table = Table(title="Device model: pulse switching of half the bar (Joule heating included)")
    for col in ("preset", "ξ_DL", "α", "J_c0 (A/m²)", "J_c 1 µs", "E 1 µs", "J_c 1 ms",
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
                          _si(us.energy, "J"), density(ms.current_density),
                          _si(ms.energy, "J"),
                          f"{heating:.0f} K" if math.isfinite(heating) else "—")
    console.print(table)
    for dev in devices:
        console.print(f"  [bold]{dev.name}[/bold]: {dev.stack_label}. {dev.description}")
    if "pt-py" in predictions and "py-nio" in predictions:
        for width in (1e-6, 1e-3):
            ratio = predictions["pt-py"].at(width).energy / predictions["py-nio"].at(width).energy
            console.print(f"Switching energy pt-py / py-nio at {_si(width, 's')} pulses: "
                          f"[bold]{ratio:.2f}[/bold]")
    console.print("J_c: mean current density through the conducting stack; E = I² R t per "
                  "switching event; —: the bar burns open before it switches.")


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
