"""``labspin fit``: batch fitting of saved runs (a thin wrapper over labspin.analysis)."""

from __future__ import annotations

import math
import sys
from pathlib import Path

import click
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from labspin.cli import main
from labspin.cli_correlation import correlation_inputs, fit_correlation
from labspin.cli_options import fit_inputs, torque_inputs

console = Console()
#: --trend choices (keys of labspin.analysis.stages.TRENDS; --help needs no pandas)
TREND_NAMES = ("none", "neel", "thickness")


def _parse_query(items: tuple[str, ...]) -> dict[str, str]:
    filters = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise click.BadParameter(f"{item!r}: write KEY=VALUE, e.g. procedure=HallLoop",
                                     param_hint="--query")
        filters[key.strip()] = value.strip()
    return filters


def _quantity_option(unit: str, example: str, plausible: str | None = None):
    """A click callback reading a number (SI) or a quantity with units; with
    ``plausible`` (a key of labspin.calibration_ranges.PLAUSIBLE) a value no film can
    have is refused."""

    def parse(ctx: click.Context, param: click.Parameter, value: str | None) -> float | None:
        if value is None:
            return None
        from labspin.configfiles import QuantityError, parse_quantity

        text, scale = value.strip(), 1.0
        if unit == "1/K":  # '1/K' is not a unit word of the quantity grammar
            if text.endswith("%/K") and text[:-3].strip():  # as the station file reads it
                text, scale = text[:-3].strip() + " 1/K", 0.01
            for tail in ("1/K", "/K"):
                if text.endswith(tail) and text[:-len(tail)].strip():
                    text = text[:-len(tail)].strip() + " K^-1"
                    break
        try:
            number = scale * parse_quantity(text, unit, example)
        except QuantityError as exc:
            raise click.BadParameter(str(exc)) from None
        if plausible is not None:
            from labspin.calibration_ranges import check

            try:
                check(plausible, number, value, bare_means="a number alone")
            except ValueError as exc:
                raise click.BadParameter(str(exc)) from None
        return number

    return parse


def calibration_inputs(func):
    """What the Joule-heating correction of I_c0 needs (default: the run header's sample
    calibration)."""
    options = [
        click.option("--dr-dt", default=None, metavar="OHM/K",
                     callback=_quantity_option("ohm/K", "0.4 or '0.4 ohm/K'", "dr_dt"),
                     help="dR/dT of the V_xx section (ohm/K) for the Joule-heating "
                          "correction of I_c0 (default: the sample's calibration in the "
                          "run header)."),
        click.option("--threshold-coefficient", default=None, metavar="1/K",
                     callback=_quantity_option("1/K", "-5e-3 or '-5e-3 1/K'",
                                               "threshold_temperature_coefficient"),
                     help="d ln I_c0/dT of the switching threshold (1/K), with --dr-dt "
                          "(default: the sample's calibration)."),
        click.option("--measure-threshold-coefficient", is_flag=True,
                     help="Measure d ln I_c0/dT of each sample from its SwitchingProbability "
                          "runs at 2 or more stage temperatures (3+ pulse widths each) and "
                          "print it for the sample's calibration."),
    ]
    for option in reversed(options):
        func = option(func)
    return func


def stage_inputs(func):
    """Second stages of ``labspin fit``: a series across runs, the phase diagram."""
    options = [
        click.option("--series", "series", default=None, metavar="PARAMETER",
                     help="Tabulate --quantity against this header entry of the runs "
                          "(as in the file header, e.g. 'Stage temperature')."),
        click.option("--quantity", default=None, metavar="NAME",
                     help="The fitted quantity of --series (a summary column, e.g. r_ahe, "
                          "i_c, b_dl_per_ampere)."),
        click.option("--trend", type=click.Choice(list(TREND_NAMES)), default="none",
                     show_default=True,
                     help="Fit the series: neel (peak at the Neel temperature, parameter in "
                          "K) or thickness (saturation, parameter in m)."),
        click.option("--series-out", type=click.Path(dir_okay=False), default=None,
                     help="Write the series table to this CSV."),
        click.option("--phase-diagram", is_flag=True,
                     help="Fit J_c of the switching loops against |bias field| (Lee line): "
                          "B_K,eff, and |xi_DL| with --ms and --thickness-f."),
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
              help="Write the full summary (every quantity, its error and the verdict) to "
                   "this file: CSV, or JSON when the name ends in .json.")
@click.option("--strict", is_flag=True,
              help="Exit 3 when any run's verdict is 'not determined' (default: only "
                   "unreadable files make the exit non-zero).")
@click.option("--workers", type=click.IntRange(min=1), default=None,
              help="Local worker processes (default: one per CPU).")
@click.option("--scheduler", default=None, metavar="ADDRESS",
              help="Fit on this Dask cluster (e.g. tcp://host:8786) instead of locally.")
@fit_inputs
@torque_inputs
@calibration_inputs
@stage_inputs
@correlation_inputs
def fit_command(paths: tuple[str, ...], queries: tuple[str, ...], data_dir: str,
                out: str | None, strict: bool, workers: int | None, scheduler: str | None,
                width: float | None, thickness: float | None, r_ahe: float | None,
                m_eff: float | None, r_phe: float | None, ms: float | None,
                thickness_f: float | None, dr_dt: float | None,
                threshold_coefficient: float | None, measure_threshold_coefficient: bool,
                series: str | None,
                quantity: str | None, trend: str, series_out: str | None,
                phase_diagram: bool, correlation: bool, control: str | None) -> None:
    """Fit saved runs: files or folders (searched for *.csv) and/or a catalog --query.

    Picks the model from each run's procedure (Hall and USMR loops, switching loops,
    pulse sequences, switching probability, harmonic Hall: Avci angle scans, Hayashi
    field sweeps), prints the main quantities with their errors and each fit's verdict:
    ok, poor (with the reason) or not determined (no number is printed). Files that
    cannot be read are listed with the reason.

    Exit status: 0 when every file was read, whatever the verdicts; 1 when a file was
    refused as unreadable (or no run file was found); 3 with --strict when a run's verdict is
    "not determined"; 2 for a usage error.

    R_AHE, R_PHE, M_eff, M_s, dR/dT and d ln I_c0/dT come from the sample's calibration
    in each run's header (the station file's samples); the options override it.

    Second stages over the fitted runs: --series PARAMETER --quantity NAME tabulates a
    quantity against a header entry (and fits --trend; e.g. --series "AFMI thickness"
    --trend thickness); --phase-diagram fits the switching loops' J_c against the bias
    field (Lee et al. 2013); --correlation tabulates a chip's spin loss, torque and
    switching per bar (README: "The paper's correlation on a chip").
    """
    from labspin.analysis.batch import fit_many

    _check_stage_options(width, thickness, series, quantity, trend, series_out)
    runs, skipped = _load(paths, queries, data_dir)
    try:
        summary = fit_many(runs, workers=workers, scheduler=scheduler, width=width,
                           thickness=thickness, r_ahe=r_ahe, m_eff=m_eff, r_phe=r_phe,
                           ms=ms, thickness_f=thickness_f, dr_dt=dr_dt,
                           threshold_coefficient=threshold_coefficient)
    except (RuntimeError, OSError, ValueError) as exc:
        raise click.ClickException(str(exc)) from None
    _print_fits(summary, len(runs), skipped)
    if out:
        _write_summary(summary, out)
    if len(summary) == 0:
        console.print("[red]nothing could be fitted: no file could be read[/red]")
        sys.exit(1)
    if series:
        _series(summary, series, quantity, trend, series_out)
    if phase_diagram:
        _phase_diagram(summary, ms, thickness_f if thickness_f is not None else thickness)
    if measure_threshold_coefficient:
        _measure_threshold_coefficient(runs, dr_dt)
    if correlation:
        fit_correlation(console, summary, control)
    from labspin.analysis.formatting import verdict_of

    undetermined = sum(verdict_of(r) == "not determined" for r in summary.to_dict("records"))
    if skipped:
        console.print(f"[red]{len(skipped)} file(s) could not be read (listed above)[/red]")
        sys.exit(1)
    if strict and undetermined:
        console.print(f"[red]--strict: {undetermined} run(s) not determined[/red]")
        sys.exit(3)


def _write_summary(summary, out: str) -> None:
    """CSV (undetermined quantities are empty cells) with its units sidecar, or JSON
    (null; units per record): ``labspin.analysis.summary_units``."""
    from labspin.analysis.summary_units import write_summary

    try:
        sidecar = write_summary(summary, out)
    except OSError as exc:
        raise click.ClickException(f"cannot write the summary {out}: "
                                   f"{exc.strerror or exc}") from None
    console.print(f"summary → {out}" + (f" (units → {sidecar})" if sidecar else ""),
                  highlight=False)


def _check_stage_options(width: float | None, thickness: float | None, series: str | None,
                         quantity: str | None, trend: str, series_out: str | None) -> None:
    if (width is None) != (thickness is None):
        raise click.UsageError("give both --width and --thickness, or neither")
    if series and not quantity:
        raise click.UsageError("--series needs --quantity NAME (the fitted quantity to "
                               "tabulate, e.g. r_ahe or i_c)")
    if not series and (quantity or series_out or trend != "none"):
        raise click.UsageError("--quantity, --trend and --series-out go with --series "
                               "PARAMETER")


def _data_dir_defaulted() -> bool:
    """True when --data-dir was left at its default (not given on the command line)."""
    ctx = click.get_current_context(silent=True)
    if ctx is None:
        return True
    source = ctx.get_parameter_source("data_dir")
    return source is None or source == click.core.ParameterSource.DEFAULT


def _sample_meant(data_dir: str, sample: str | None) -> str | None:
    """The catalog's sample id a --query sample=... most likely meant (another case)."""
    import sqlite3

    from labspin.samples import closest_sample

    path = Path(data_dir) / "catalog.sqlite"
    if sample is None or not path.is_file():
        return None
    try:
        db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            ids = [r[0] for r in db.execute("SELECT DISTINCT sample FROM runs")]
        finally:
            db.close()
    except sqlite3.Error:
        return None
    return closest_sample(sample, ids)


def _load(paths: tuple[str, ...], queries: tuple[str, ...],
          data_dir: str) -> tuple[list, list[tuple[Path, str]]]:
    """The run files named and queried, loaded; unreadable ones with the reason."""
    from labspin.analysis.loaders import (
        CatalogQueryError,
        find_run_files,
        load_catalog_query,
        load_runs,
    )

    if not paths and not queries:
        raise click.UsageError("give run files or folders, or --query KEY=VALUE")
    if queries and len(paths) == 1 and (Path(paths[0]) / "catalog.sqlite").is_file() \
            and _data_dir_defaulted():
        # `labspin fit DATA --query sample=A1`: the runs of DATA that match, not every
        # run of DATA and those of the default data folder that match
        data_dir, paths = paths[0], ()
    files = find_run_files(paths) if paths else []
    skipped: list[tuple[Path, str]] = []
    if queries:
        filters = _parse_query(queries)
        try:
            matched = load_catalog_query(data_dir, **filters)
        except CatalogQueryError as exc:
            raise click.ClickException(str(exc)) from None
        if matched.empty and not files:
            asked = ", ".join(f"{k}={v}" for k, v in filters.items())
            meant = _sample_meant(data_dir, filters.get("sample"))
            if meant:
                raise click.ClickException(f"no run in the catalog of {data_dir} matches "
                                           f"{asked}; did you mean sample={meant}?")
            raise click.ClickException(
                f"no run in the catalog of {data_dir} matches {asked}; a key is a catalog "
                "column (id, procedure, sample, station, file, status, queue_id, "
                "queue_index) or a parameter name (labspin runs lists the runs)")
        for _, rec in matched.iterrows():
            path = rec["path"]
            if path is None or not Path(path).is_file():
                from labspin.data_folder import missing_reason

                skipped.append((Path(str(path)), f"run {rec['id']} ({rec['status']}): "
                                + (missing_reason(path, rec.get("elsewhere"))
                                   if path is not None else "it has no file")))
            else:
                files.append(Path(path))
        files = find_run_files(files)
    if not files and not skipped:
        raise click.ClickException("no run files found")
    runs, bad = load_runs(files)
    return runs, skipped + bad


def _verdict_cell(row: dict) -> str:
    from labspin.analysis.formatting import VERDICT_COLOURS, reason_of, verdict_of

    verdict = verdict_of(row)
    colour = VERDICT_COLOURS[verdict]
    reason = reason_of(row)
    text = f"[bold {colour}]{verdict}[/bold {colour}]"
    if reason and verdict != "ok":
        text += "\n" + escape(reason)
    return text


def _print_fits(summary, n_runs: int, skipped: list[tuple[Path, str]]) -> None:
    from labspin.analysis.formatting import verdict_of
    from labspin.cli_tables import print_fits_table

    print_fits_table(console, summary, n_runs, _verdict_cell)
    counts: dict[str, int] = {}
    for row in summary.to_dict("records"):
        verdict = verdict_of(row)
        counts[verdict] = counts.get(verdict, 0) + 1
    if counts:
        console.print("verdicts: " + ", ".join(f"{n} {v}" for v, n in counts.items()),
                      highlight=False, markup=False)
    if skipped:
        console.print(f"[yellow]Could not read {len(skipped)} file(s):[/yellow]")
        for path, reason in skipped:
            console.print(f"  {path}: {reason}", highlight=False, markup=False)


def _value(value: float, err: float, unit: str) -> str:
    """"4.1 mT ± 0.2 mT" with SI prefixes when the unit is known, else plain numbers."""
    from labspin.analysis.formatting import si

    if unit:
        text = si(value, unit)
        return text + (f" ± {si(err, unit, 2)}" if math.isfinite(err) else "")
    return f"{value:.4g}" + (f" ± {err:.2g}" if math.isfinite(err) else "")


def _series(summary, parameter: str, quantity: str, trend: str,
            series_out: str | None) -> None:
    from labspin.analysis.stages import StageError, quantity_unit, series_stage

    try:
        result = series_stage(summary, parameter, quantity, trend)
    except StageError as exc:
        raise click.ClickException(str(exc)) from None
    from labspin.analysis.formatting import si

    unit = quantity_unit(quantity)
    # the swept value with an SI prefix when its unit is known ("1.5 nm", not 1.5e-09)
    name = result.label.removesuffix(f" ({result.unit})") if result.unit else result.label
    table = Table(title=f"{quantity} against {name}")
    for col in (name, quantity, "runs"):
        table.add_column(col)
    for row in result.table.to_dict("records"):
        x = row[result.label]
        table.add_row(si(x, result.unit) if result.unit else f"{x:.6g}",
                      _value(row[quantity], row[f"{quantity}_stderr"], unit),
                      str(row["runs"]))
    console.print(table)
    for note in result.notes:
        console.print(f"  note: {note}", highlight=False, markup=False)
    if result.fit is not None:
        console.print(f"{trend} trend ({result.trend}), reduced chi-square "
                      f"{result.fit.get('redchi', math.nan):.3g}:", highlight=False)
        for name, value, err, u in result.trend_quantities():
            console.print(f"  {name} = {_value(value, err, u)}", highlight=False)
    if series_out:
        result.table.to_csv(series_out, index=False)
        console.print(f"series → {series_out}", highlight=False)


def _phase_diagram(summary, ms: float | None, t_f: float | None) -> None:
    from labspin.analysis.formatting import si
    from labspin.analysis.stages import StageError, phase_diagram_stage

    try:
        result = phase_diagram_stage(summary, ms=ms, t_f=t_f)
    except StageError as exc:
        raise click.ClickException(str(exc)) from None
    table = Table(title="Switching phase diagram (Lee et al. 2013)")
    for col in ("file", "bias field", "J_c"):
        table.add_column(col)
    for row in result.table.to_dict("records"):
        table.add_row(Path(row["file"]).name, si(row["Bias field (T)"], "T"),
                      _value(row["J_c (A/m^2)"], row["J_c stderr (A/m^2)"], "A/m²"))
    console.print(table)
    for note in result.notes:
        console.print(f"  note: {note}", highlight=False, markup=False)
    fit = result.fit
    undetermined = set(filter(None, str(fit.get("undetermined", "")).split(",")))
    lines = [("B_K,eff", "b_k_eff", "T"),
             ("J_c at zero bias (the line of these loops, extrapolated)", "intercept",
              "A/m²"),
             ("dJ_c/d|B_x| (the slope of that line)", "slope", "A/m²/T"),
             ("|B_x| where J_c reaches 0", "b_x_zero", "T")]
    if "xi_dl" in fit:
        lines.append(("|ξ_DL|", "xi_dl", ""))
    for label, key, unit in lines:
        if key in undetermined or not math.isfinite(float(fit.get(key, math.nan))):
            shown = "not determined"
        elif key == "slope":
            shown = _value(-fit[key], fit[f"{key}_stderr"], "")
            shown = f"{shown} {unit}"
        else:
            shown = _value(fit[key], fit[f"{key}_stderr"], unit)
        console.print(f"  {label} = {shown}" if shown != "not determined" else
                      f"  {label}: not determined", highlight=False)
    if "xi_dl" not in fit:
        console.print("  |ξ_DL|: give --ms and --thickness-f (or M_s in the samples' "
                      "calibration)", highlight=False)
    verdict = fit.get("verdict", "ok")
    reason = fit.get("verdict_reason", "")
    console.print(f"  verdict: {verdict}" + (f": {reason}" if reason else ""),
                  highlight=False, markup=False)


def _measure_threshold_coefficient(runs: list, dr_dt: float | None) -> None:
    """d ln I_c0/dT per sample from its SwitchingProbability runs (README: "Joule
    heating"), printed as the line to put into the station file."""
    from labspin.analysis.calibration import header_calibration
    from labspin.analysis.formatting import si
    from labspin.analysis.joule_runs import threshold_coefficient_from_runs
    from labspin.analysis.models._common import DataError

    by_sample: dict[str, list] = {}
    for run in runs:
        if run.procedure == "SwitchingProbability":
            by_sample.setdefault(str(run.metadata.get("Sample", "")), []).append(run)
    if not by_sample:
        raise click.ClickException("--measure-threshold-coefficient: no SwitchingProbability "
                                   "run among the runs")
    for sample, group in by_sample.items():
        slope = dr_dt if dr_dt is not None else header_calibration(group[0]).get(
            "dr_dt", (None, 0.0))[0]
        if slope is None:
            console.print(f"sample {sample}: d ln I_c0/dT needs the bar's dR/dT (calibration "
                          "dr_dt in the station file, or --dr-dt)", highlight=False)
            continue
        try:
            found = threshold_coefficient_from_runs(group, resistance_slope=slope)
        except DataError as exc:
            console.print(f"sample {sample}: d ln I_c0/dT not measured: {exc}",
                          highlight=False, markup=False)
            continue
        temps = ", ".join(f"{t:g}" for t in found["stage_temperatures"])
        corrected = ", ".join(si(i, "A") for i in found["i_c0_corrected"])
        console.print(f"sample {sample}: d ln I_c0/dT = {found['value']:.3g} ± "
                      f"{found['stderr']:.2g} 1/K from {len(group)} runs at {temps} K "
                      f"(I_c0 corrected to each: {corrected}); put it into the sample's "
                      "calibration in the station file:\n"
                      f"    threshold_temperature_coefficient: \"{found['value']:.3g} ± "
                      f"{found['stderr']:.2g} 1/K\"", highlight=False, markup=False)
