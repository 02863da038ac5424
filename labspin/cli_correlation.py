"""The chip's correlation on the console (``labspin report``): one row per bar."""

from __future__ import annotations

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from labspin.analysis.correlation import Correlation
from labspin.analysis.correlation_text import headers, reasons, value_lines
from labspin.analysis.formatting import VERDICT_COLOURS

__all__ = ["print_correlation"]


def _cell(lines: list[str]) -> str:
    out = []
    for line in lines:
        colour = VERDICT_COLOURS.get(line)
        out.append(f"[{colour}]{escape(line)}[/{colour}]" if colour else escape(line))
    return "\n".join(out)


def print_correlation(console: Console, result: Correlation) -> None:
    """The table, how each quantity goes with the AFMI thickness, whether the paper's
    correlation holds, and why a value is not ok or has no model."""
    table = Table(title="The paper's correlation on this chip: spin loss, torque, switching")
    for title in headers(result):
        table.add_column(title, overflow="fold")
    for bar in result.bars:
        table.add_row(escape(bar.sample + (" (control)" if bar.is_control else "")),
                      bar.label, *(_cell(value_lines(v)) for v in bar.values.values()))
    console.print(table)
    for line in result.trends():
        console.print(f"  {line}", highlight=False, markup=False)
    for line in reasons(result) + result.notes:
        console.print(f"  note: {line}", highlight=False, markup=False)
