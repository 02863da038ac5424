"""Run-level checks on real run files: a file cut short, infinite values, too few rows;
one bad file never stops a batch."""

from __future__ import annotations

import math
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner

from labspin.analysis.batch import fit_many, fit_run
from labspin.analysis.loaders import RunFileError, load_run, load_runs
from labspin.analysis.run_checks import _from_parameters, planned_rows
from tests.analysis.conftest import PLAN, cut


@pytest.mark.parametrize("role", [role for role, *_ in PLAN])
def test_planned_rows_from_the_header_match_the_procedure(every_kind, role):
    """The header arithmetic for files without "Planned points" agrees with what each
    procedure wrote (its own planned_points(), in the metadata)."""
    run = load_run(every_kind[role])
    assert run.metadata["Planned points"] == len(run.data)
    assert _from_parameters(run) == run.metadata["Planned points"]


@pytest.mark.parametrize("planned_entry", [True, False])
@pytest.mark.parametrize("role", ["hall", "switching", "probability", "angle_scan"])
def test_a_file_cut_to_60_percent_is_said(every_kind, tmp_path, role, planned_entry):
    short = cut(every_kind[role], tmp_path / "short.csv", 0.6, planned_entry=planned_entry)
    run = load_run(short)
    assert ("Planned points" in run.metadata) == planned_entry
    row = fit_run(run)
    assert row["verdict"] in ("poor", "not determined")
    planned = len(load_run(every_kind[role]).data)
    share = f"{100 * len(run.data) / planned:.0f} %"
    assert 50 < 100 * len(run.data) / planned < 70
    assert f"{share} of its planned rows ({len(run.data)} of {planned})" \
        in row["verdict_reason"]
    full = fit_run(load_run(every_kind[role]))
    assert "planned rows" not in full["verdict_reason"]


def test_a_loop_cut_before_its_rising_branch_switched_has_no_threshold(every_kind,
                                                                       tmp_path):
    row = fit_run(load_run(cut(every_kind["hall"], tmp_path / "h.csv", 0.6)))
    # the rising branch stops at -6 mT, before the switch near +7 mT: B_c+ is not known
    assert "b_c_plus" in row["undetermined"].split(",")
    assert math.isnan(row["b_c_plus"]) and math.isnan(row["b_c_plus_stderr"])


def test_infinite_values_are_noted_per_column_and_line(every_kind, tmp_path):
    lines = every_kind["hall"].read_text().splitlines()
    start = lines.index("#Data:") + 2
    columns = lines[start - 1].split(",")
    where = columns.index("R_xy (ohm)")
    for offset in (5, 9):
        values = lines[start + offset].split(",")
        values[where] = "1e999" if offset == 5 else "-1e999"
        lines[start + offset] = ",".join(values)
    path = tmp_path / "inf.csv"
    path.write_text("\n".join(lines) + "\n")
    run = load_run(path)
    assert run.nonfinite == {"R_xy (ohm)": [start + 6, start + 10]}
    row = fit_run(run)
    assert row["fitted"] and row["verdict"] == "poor"
    assert (f"column 'R_xy (ohm)': 2 infinite values (lines {start + 6}, {start + 10})"
            in row["verdict_reason"])
    assert math.isfinite(row["r_ahe"])  # fitted on the finite rows


def test_too_few_rows_is_not_determined_and_raises_nothing(every_kind, tmp_path):
    short = cut(every_kind["hall"], tmp_path / "six.csv", 6 / 42)
    row = fit_run(load_run(short))
    assert row["verdict"] == "not determined"
    assert "holds 6 data row(s); a hall loop needs at least 8" in row["verdict_reason"]


def test_a_corrupt_row_in_the_middle_is_refused(every_kind, tmp_path):
    lines = every_kind["switching"].read_text().splitlines()
    lines[-10] = lines[-10].rsplit(",", 3)[0]
    path = tmp_path / "corrupt.csv"
    path.write_text("\n".join(lines) + "\n")
    with pytest.raises(RunFileError, match=r"corrupt\.csv: line \d+: corrupt row"):
        load_run(path)


def test_one_bad_file_never_stops_a_batch(every_kind, tmp_path, monkeypatch):
    import labspin.analysis.batch as batch

    folder = tmp_path / "batch"
    folder.mkdir()
    for role in ("hall", "switching", "sequence"):
        (folder / every_kind[role].name).write_text(every_kind[role].read_text())
    cut(every_kind["hall"], folder / "six.csv", 6 / 42)
    (folder / "garbage.csv").write_bytes(bytes(range(256)) * 8)

    def broken(run, **_):  # a model with a bug: the TypeError of the issue
        raise TypeError("unsupported operand type(s) for -: 'NoneType' and 'float'")

    monkeypatch.setitem(batch._FITTERS, "pulse_sequence", broken)
    runs, skipped = load_runs(sorted(folder.glob("*.csv")))
    assert [p.name for p, _ in skipped] == ["garbage.csv"]
    table = fit_many(runs, workers=1)
    by_name = {Path(f).name: row for f, row in zip(table["file"], table.to_dict("records"),
                                                   strict=True)}
    assert by_name[every_kind["hall"].name]["verdict"] == "ok"
    assert by_name[every_kind["switching"].name]["verdict"] == "ok"
    bug = by_name[every_kind["sequence"].name]
    assert not bug["fitted"] and bug["verdict"] == "not determined"
    assert "TypeError" in bug["verdict_reason"] and "labspin bug" in bug["verdict_reason"]
    assert by_name["six.csv"]["verdict"] == "not determined"


def test_fit_exit_status_and_strict(every_kind, tmp_path):
    from labspin.cli import main

    good = [str(every_kind[r]) for r in ("hall", "switching")]
    short = str(cut(every_kind["hall"], tmp_path / "six.csv", 6 / 42))
    garbage = tmp_path / "garbage.csv"
    garbage.write_bytes(b"\x00\xff" * 100)
    runner = CliRunner()
    assert runner.invoke(main, ["fit", *good, "--workers", "1"]).exit_code == 0
    # a run that is not determined is a result, not an error, unless --strict
    result = runner.invoke(main, ["fit", *good, short, "--workers", "1"])
    assert result.exit_code == 0, result.output
    assert "not determined" in result.output
    assert runner.invoke(main, ["fit", *good, short, "--strict", "--workers",
                                "1"]).exit_code == 3
    refused = runner.invoke(main, ["fit", *good, str(garbage), "--workers", "1"],
                            env={"COLUMNS": "200"})
    assert refused.exit_code == 1
    assert "garbage.csv: not a text file" in refused.output
    out = tmp_path / "summary.csv"
    runner.invoke(main, ["fit", *good, short, "--workers", "1", "--out", str(out)])
    summary = pd.read_csv(out)
    assert list(summary.columns[:7]) == ["file", "procedure", "kind", "fitted", "verdict",
                                         "verdict_reason", "undetermined"]
    assert planned_rows(load_run(short)) == 42
