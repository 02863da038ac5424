"""The chip's correlation on the console (``labspin report``, ``labspin fit
--correlation``): one row per bar."""

from __future__ import annotations

from typing import TYPE_CHECKING

import click
from rich.console import Console
from rich.markup import escape
from rich.table import Table

if TYPE_CHECKING:  # --help must not import pandas and the physics
    from labspin.analysis.correlation import Correlation

__all__ = ["CONTROL_OPTION", "correlation_inputs", "fit_correlation", "print_correlation"]

CONTROL_OPTION = click.option(
    "--control", metavar="SAMPLE", default=None,
    help="The control bar of a chip (no AFMI) that Δα is taken against; default: the one "
         "bar without an AFMI thickness that has ST-FMR runs.")


def correlation_inputs(func):
    """``labspin fit --correlation [--control SAMPLE]``."""
    func = CONTROL_OPTION(func)
    return click.option(
        "--correlation", is_flag=True,
        help="The paper's correlation of a chip's bars: per bar α and Δα (ST-FMR), ξ_DL "
             "(harmonic Hall) and J_c (switching loops) with sigma, verdict and the "
             "model's value; labspin report also draws it.")(func)


def fit_correlation(console: Console, summary, control: str | None) -> None:
    """Print the correlation of the fitted runs, or say why they hold none."""
    from labspin.analysis.correlation import correlation_stage
    from labspin.analysis.stages import StageError

    try:
        result = correlation_stage(summary, control=control)
    except StageError as exc:
        raise click.ClickException(str(exc)) from None
    if result is None:
        raise click.ClickException(
            "--correlation needs the runs of two or more bars (the header's Sample) "
            "measured by two or more of STFMR, HarmonicHall and SwitchingLoop")
    print_correlation(console, result)


def _cell(lines: list[str]) -> str:
    from labspin.analysis.formatting import VERDICT_COLOURS

    out = []
    for line in lines:
        colour = VERDICT_COLOURS.get(line)
        out.append(f"[{colour}]{escape(line)}[/{colour}]" if colour else escape(line))
    return "\n".join(out)


def print_correlation(console: Console, result: Correlation) -> None:
    """The table, how each quantity goes with the AFMI thickness, whether the paper's
    correlation holds, and why a value is not ok or has no model."""
    from labspin.analysis.correlation_text import headers, reasons, value_lines

    table = Table(title="The paper's correlation on this chip: spin loss, torque, switching")
    for i, title in enumerate(headers(result)):
        # a value and its sigma ("0.008831 ± 0.000029") on one line where it fits
        table.add_column(title, overflow="fold", min_width=20 if i > 1 else None)
    for bar in result.bars:
        table.add_row(escape(bar.sample),
                      bar.label, *(_cell(value_lines(v)) for v in bar.values.values()))
    console.print(table)
    for line in result.trends():
        console.print(f"  {line}", highlight=False, markup=False)
    for line in reasons(result) + result.notes:
        console.print(f"  note: {line}", highlight=False, markup=False)
