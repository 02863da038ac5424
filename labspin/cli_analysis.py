"""``labspin fit``: batch fitting of saved runs (a thin wrapper over labspin.analysis)."""

from __future__ import annotations

import sys
from pathlib import Path

import click
from rich.console import Console
from rich.table import Table

from labspin.analysis.formatting import format_quantities
from labspin.cli import main

console = Console()

def _parse_query(items: tuple[str, ...]) -> dict[str, str]:
    filters = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise click.BadParameter(f"{item!r}: write KEY=VALUE, e.g. procedure=HallLoop",
                                     param_hint="--query")
        filters[key.strip()] = value.strip()
    return filters


def fit_inputs(func):
    """The options that feed the fits what a run file does not hold (fit and report)."""
    options = [
        click.option("--width", type=float, default=None,
                     help="Bar width (m) for switching current densities (default: from "
                          "the file)."),
        click.option("--thickness", type=float, default=None,
                     help="Conducting thickness (m), with --width."),
        click.option("--r-ahe", type=float, default=None,
                     help="R_AHE (ohm) for harmonic-Hall torques (from a Hall loop)."),
        click.option("--m-eff", type=float, default=None,
                     help="Effective magnetization M_eff (T) for harmonic-Hall torques."),
    ]
    for option in reversed(options):
        func = option(func)
    return func


@main.command("fit")
@click.argument("paths", nargs=-1, type=click.Path(exists=True))
@click.option("--query", "queries", multiple=True, metavar="KEY=VALUE",
              help="Fit the catalog's runs matching KEY=VALUE (a catalog column such as "
                   "procedure, sample, status, or a run parameter); repeat to combine.")
@click.option("--data-dir", type=click.Path(file_okay=False), default="labspin-data",
              show_default=True, help="Where the runs catalog lives (with --query).")
@click.option("--out", type=click.Path(dir_okay=False), default=None,
              help="Write the full summary (every quantity and its error) to this CSV.")
@click.option("--workers", type=click.IntRange(min=1), default=None,
              help="Local worker processes (default: one per CPU).")
@click.option("--scheduler", default=None, metavar="ADDRESS",
              help="Fit on this Dask cluster (e.g. tcp://host:8786) instead of locally.")
@fit_inputs
def fit_command(paths: tuple[str, ...], queries: tuple[str, ...], data_dir: str,
                out: str | None, workers: int | None, scheduler: str | None,
                width: float | None, thickness: float | None, r_ahe: float | None,
                m_eff: float | None) -> None:
    """Fit saved runs: files or folders (searched for *.csv) and/or a catalog --query.

    Picks the model from each run's procedure (Hall and USMR loops, switching loops,
    harmonic-Hall angle scans), prints the main quantities with their errors and lists
    the files that could not be read. Exits non-zero when nothing could be fitted.
    """
    from labspin.analysis.batch import fit_many
    from labspin.analysis.loaders import (
        CatalogQueryError,
        find_run_files,
        load_catalog_query,
        load_runs,
    )

    if not paths and not queries:
        raise click.UsageError("give run files or folders, or --query KEY=VALUE")
    if (width is None) != (thickness is None):
        raise click.UsageError("give both --width and --thickness, or neither")
    files = find_run_files(paths) if paths else []
    skipped: list[tuple[Path, str]] = []
    if queries:
        try:
            matched = load_catalog_query(data_dir, **_parse_query(queries))
        except CatalogQueryError as exc:
            raise click.ClickException(str(exc)) from None
        for _, rec in matched.iterrows():
            path = rec["path"]
            if path is None or not Path(path).is_file():
                skipped.append((Path(str(path)), f"run {rec['id']} ({rec['status']}): "
                                "its file is missing"))
            else:
                files.append(Path(path))
        files = find_run_files(files)
    if not files and not skipped:
        raise click.ClickException("no run files found")
    runs, bad = load_runs(files)
    skipped.extend(bad)
    try:
        summary = fit_many(runs, workers=workers, scheduler=scheduler, width=width,
                           thickness=thickness, r_ahe=r_ahe, m_eff=m_eff)
    except (RuntimeError, OSError, ValueError) as exc:
        raise click.ClickException(str(exc)) from None

    table = Table(title=f"Fits of {len(runs)} run(s)")
    for col in ("file", "kind", "quantities", "notes"):
        table.add_column(col, overflow="fold")
    for row in summary.to_dict("records"):
        if row.get("fitted"):
            notes = row.get("note") if isinstance(row.get("note"), str) else ""
            table.add_row(Path(row["file"]).name, row["kind"],
                          "\n".join(format_quantities(row)), notes)
        else:
            table.add_row(Path(row["file"]).name, row["kind"], "[red]not fitted[/red]",
                          str(row.get("error") or ""))
    console.print(table)
    if skipped:
        console.print(f"[yellow]Skipped {len(skipped)} file(s):[/yellow]")
        for path, reason in skipped:
            console.print(f"  {path}: {reason}", highlight=False, markup=False)
    if out:
        summary.to_csv(out, index=False)
        console.print(f"summary → {out}", highlight=False)
    n_fitted = int(summary["fitted"].astype(bool).sum()) if len(summary) else 0
    if n_fitted == 0:
        console.print("[red]nothing could be fitted[/red]")
        sys.exit(1)
