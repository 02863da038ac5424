"""``labspin report``: plots and summary tables of saved runs (a thin wrapper over
labspin.analysis.report)."""

from __future__ import annotations

import sys

import click
from rich.console import Console

from labspin.cli import main
from labspin.cli_correlation import CONTROL_OPTION
from labspin.cli_options import fit_inputs, torque_inputs

console = Console()


@main.command("report")
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True))
@click.option("--out", "out_dir", type=click.Path(file_okay=False), default="report",
              show_default=True, help="Folder for the figures (PNG and SVG), "
                                      "summary.csv/.md and index.html.")
@click.option("--workers", type=click.IntRange(min=1), default=None,
              help="Local worker processes for the fits (default: one per CPU).")
@click.option("--strict", is_flag=True,
              help="Exit 3 when any run's verdict is 'not determined'.")
@CONTROL_OPTION
@fit_inputs
@torque_inputs
def report_command(paths: tuple[str, ...], out_dir: str, workers: int | None, strict: bool,
                   control: str | None, width: float | None, thickness: float | None,
                   r_ahe: float | None, m_eff: float | None, r_phe: float | None, ms: float | None,
                   thickness_f: float | None) -> None:
    """Report on saved runs: files or folders (searched for *.csv).

    Fits every run and draws one figure per run (PNG at 150 dpi and SVG) with the fitted
    curve over the data and the fit's verdict (ok, poor or not determined, with the
    reason), plus I_50 against ln t_p when switching-probability runs of several widths
    are given; writes summary.csv, summary.md and index.html into --out.

    When the runs are the bars of a chip measured by two or more of ST-FMR, harmonic Hall
    and switching loops, prints the paper's correlation per bar (AFMI thickness, α and Δα
    against the control bar, ξ_DL, J_c, each with its sigma, verdict and, for the
    simulated bench, the model's value) and draws it (correlation.png).

    Exit status: 0 when every file was read, whatever the verdicts; 1 when a file was
    refused as unreadable; 3 with --strict when a run is not determined.
    """
    from labspin.analysis.report import make_report

    if (width is None) != (thickness is None):
        raise click.UsageError("give both --width and --thickness, or neither")
    try:
        result = make_report(paths, out_dir, workers=workers, control=control, width=width,
                             thickness=thickness, r_ahe=r_ahe, m_eff=m_eff, r_phe=r_phe,
                             ms=ms, thickness_f=thickness_f)
    except (RuntimeError, OSError, ValueError) as exc:
        raise click.ClickException(str(exc)) from None
    console.print(f"report → {result.index_html}", highlight=False)
    verdicts = result.verdicts()
    console.print(f"{result.n_runs} run(s) ({result.n_fitted} fitted; verdicts: "
                  + (", ".join(f"{n} {v}" for v, n in verdicts.items()) or "none")
                  + f"), {len(result.skipped)} skipped", highlight=False)
    for path, reason in result.skipped:
        console.print(f"  skipped {path}: {reason}", highlight=False, markup=False)
    for file, error in result.plot_errors.items():
        console.print(f"  no plot for {file}: {error}", highlight=False, markup=False)
    if result.correlation is not None:
        from labspin.cli_correlation import print_correlation

        print_correlation(console, result.correlation)
    if result.n_runs == 0:
        console.print("[red]no run could be read[/red]")
        sys.exit(1)
    if result.skipped:
        sys.exit(1)
    if strict and verdicts.get("not determined"):
        sys.exit(3)
