"""Reports (PNGs, summary tables, HTML page) of real run files from the simulated bench."""

from __future__ import annotations

import re

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


def test_runs_of_two_folders_with_dotted_sample_ids_get_their_own_figures(every_kind,
                                                                         tmp_path):
    """Tester D: bars chipB-NiO1.5 of two data folders, same run file name: the ".5" is
    not an extension, each run has its own PNG and SVG and its caption shows it."""
    source = every_kind["switching"].read_text()
    files = []
    for folder in ("s2", "s3"):
        path = tmp_path / folder / "2026-12-03" / "00001_SwitchingLoop_chipB-NiO1.5.csv"
        path.parent.mkdir(parents=True)
        path.write_text(source)
        files.append(path)
    result = make_report(files, tmp_path / "rep", workers=1)
    assert not result.plot_errors
    images = [result.images[str(f)] for f in files]
    assert [p.name for p in images] == ["00001_SwitchingLoop_chipB-NiO1.5.png",
                                        "00001_SwitchingLoop_chipB-NiO1.5-2.png"]
    page = result.index_html.read_text()
    figures = re.findall(r'<figure id="([^"]+)"><img src="([^"]+)"[^>]*><figcaption>'
                         r'([^ ]+) .*?href="([^"]+)">SVG', page)
    assert len(figures) == 2
    for (anchor, src, caption_file, svg), file, png in zip(figures, files, images,
                                                           strict=True):
        assert caption_file == str(file) and src == png.name
        assert anchor == png.name.removesuffix(".png") and f'href="#{anchor}"' in page
        assert svg == png.name.removesuffix(".png") + ".svg"
        assert (result.out_dir / src).read_bytes()[:8] == PNG_MAGIC
        # the figure itself names the folder of the run it shows
        drawn = (result.out_dir / svg).read_text(encoding="utf-8")
        assert f"file: .../{file.parent.parent.name}/2026-12-03/{file.name}" in drawn
    md = result.summary_md.read_text()
    assert all(f"[PNG]({p.name})" in md for p in images)


def test_save_figure_keeps_a_dotted_stem_whole(tmp_path):
    from labspin.analysis.figures import new_figure, save_figure

    png, svg = save_figure(new_figure(), tmp_path / "i50-vs-width-chipB-NiO1.5")
    assert (png.name, svg.name) == ("i50-vs-width-chipB-NiO1.5.png",
                                    "i50-vs-width-chipB-NiO1.5.svg")
    assert png.is_file() and svg.is_file()
