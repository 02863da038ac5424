"""Reports (PNGs, summary tables, HTML page) of real run files from the simulated bench."""

from __future__ import annotations

import pandas as pd
import pytest
from click.testing import CliRunner

from labspin.analysis.report import make_report
from tests.analysis.test_loaders import make_runs

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    """The Hall loop, switching loop and harmonic angle scan of test_loaders, plus a
    corrupt file in the same folder."""
    files = make_runs(tmp_path_factory.mktemp("report-runs"))
    corrupt = files["HallLoop"].parent / "corrupt.csv"
    corrupt.write_text("#Procedure: <labspin.procedures.loops.HallLoop>\n#Parameters:\n"
                       "#\tMaximum field: 0.02 T\n")  # truncated: no #Data: line
    return files, corrupt


@pytest.fixture(scope="module")
def report(runs, tmp_path_factory):
    files, corrupt = runs
    return make_report([*files.values(), corrupt], tmp_path_factory.mktemp("report"),
                       workers=1)


def test_one_valid_png_per_run(runs, report):
    files, _ = runs
    assert set(report.images) == {str(p) for p in files.values()}
    assert not report.plot_errors
    for image in report.images.values():
        assert image.parent == report.out_dir
        data = image.read_bytes()
        assert data[:8] == PNG_MAGIC
        assert len(data) > 10_000


def test_summary_csv_has_one_row_per_good_run(runs, report):
    files, _ = runs
    summary = pd.read_csv(report.summary_csv)
    assert sorted(summary["file"]) == sorted(str(p) for p in files.values())
    assert summary["fitted"].all()
    assert set(summary["kind"]) == {"hall_loop", "switching_loop", "harmonic_hall"}
    assert report.n_runs == report.n_fitted == 3


def test_markdown_and_html_list_runs_and_skipped(runs, report):
    files, corrupt = runs
    assert [p.name for p, _ in report.skipped] == [corrupt.name]
    md = report.summary_md.read_text()
    page = report.index_html.read_text()
    for path in files.values():
        assert path.name in md and path.name in page
    for text in (md, page):
        assert "Skipped" in text and corrupt.name in text and "#Data:" in text
        assert "R_AHE = " in text and "±" in text
    for image in report.images.values():
        assert f'src="{image.name}"' in page
    assert page.startswith("<!DOCTYPE html>") and page.rstrip().endswith("</html>")


def test_cli_report(runs, tmp_path):
    import labspin.cli_report  # noqa: F401 - registers `report`
    from labspin.cli import main

    files, _ = runs
    out = tmp_path / "out"
    result = CliRunner().invoke(main, ["report", str(files["HallLoop"].parent), "--out",
                                       str(out), "--workers", "1"])
    # the corrupt file is listed and makes the exit non-zero; the report is written
    assert result.exit_code == 1, result.output
    assert "index.html" in result.output and "1 skipped" in result.output
    assert "corrupt.csv" in result.output
    assert (out / "index.html").is_file() and len(list(out.glob("*.png"))) == 3
    assert len(list(out.glob("*.svg"))) == 3
    good = CliRunner().invoke(main, ["report", *map(str, files.values()), "--out",
                                     str(tmp_path / "good"), "--workers", "1"])
    assert good.exit_code == 0, good.output
    assert "verdicts:" in good.output
    empty = tmp_path / "empty"
    empty.mkdir()
    result = CliRunner().invoke(main, ["report", str(empty), "--out", str(tmp_path / "e")])
    assert result.exit_code != 0
    assert "no run could be read" in result.output
