"""Report figures of real runs: what was measured, in engineering units, titled by
sample, procedure and parameters, at 150 dpi as PNG and SVG, with the verdict on it."""

from __future__ import annotations

import re

import numpy as np
import pytest
from matplotlib.colors import to_hex
from PIL import Image

from labspin.analysis.batch import fit_run
from labspin.analysis.figure_panels import wilson
from labspin.analysis.figures import PROCEDURE_NAMES, draw_figure, new_figure
from labspin.analysis.formatting import VERDICT_COLOURS
from labspin.analysis.loaders import load_run
from labspin.analysis.report import make_report
from labspin.analysis.verdicts import worsen
from tests.analysis.conftest import PLAN, cut

ROLES = [role for role, *_ in PLAN]


@pytest.fixture(scope="module")
def report(every_kind, tmp_path_factory):
    folder = tmp_path_factory.mktemp("report")
    short = cut(every_kind["hall"], folder.parent / "hall-cut.csv", 0.6)
    return make_report([*every_kind.values(), short], folder / "out", workers=1)


def _drawn(path, row=None):
    run = load_run(path)
    row = fit_run(run) if row is None else row
    fig = new_figure()
    axes = draw_figure(fig, run, row)
    fig.canvas.draw()
    return run, row, fig, axes


def _texts(fig) -> list[str]:
    return [t.get_text() for ax in fig.axes for t in ax.texts]


def _verdict_box(fig):
    return next(t for ax in fig.axes for t in ax.texts if t.get_gid() == "verdict")


def test_every_run_is_saved_as_png_at_150_dpi_and_svg_with_its_verdict(report):
    assert not report.plot_errors
    assert len(report.images) == len(PLAN) + 1
    verdicts = dict(zip(report.summary["file"], report.summary["verdict"], strict=True))
    for file, png in report.images.items():
        with Image.open(png) as image:
            assert image.format == "PNG"
            assert image.info["dpi"] == pytest.approx((150, 150), abs=0.5)
            assert image.size[0] == pytest.approx(7.5 * 150, abs=2)
        svg = png.with_suffix(".svg").read_text(encoding="utf-8")
        assert svg.lstrip().startswith("<?xml") and "</svg>" in svg
        assert f"Verdict: {verdicts[file]}" in svg  # text kept as text


@pytest.mark.parametrize("role", ROLES)
def test_the_title_names_sample_procedure_and_parameters_not_the_file(every_kind, role):
    run, _, fig, _ = _drawn(every_kind[role])
    title = fig._suptitle.get_text()
    head, parameters = title.split("\n")
    assert head == f"{run.metadata['Sample']} — {PROCEDURE_NAMES[run.procedure]}"
    assert run.path.stem not in title and ".csv" not in title
    assert len(parameters) > 10


@pytest.mark.parametrize(("role", "xunit", "yunit"), [
    ("hall", "mT", "Ω"), ("usmr", "mT", "µΩ"), ("switching", "mA", "µΩ"),
    ("angle_scan", "°", "nV"), ("field_sweep", "mT", "µV"),
])
def test_axes_are_in_engineering_units(every_kind, role, xunit, yunit):
    _, _, _, (ax,) = _drawn(every_kind[role])
    assert ax.get_xlabel().endswith(f"({xunit})")
    assert ax.get_ylabel().endswith(f"({yunit})")
    data = np.concatenate([ln.get_ydata() for ln in ax.lines  # the measured points
                           if ln.get_marker() not in ("None", "", None)
                           and len(ln.get_ydata())])
    top = np.nanmax(np.abs(data))
    assert 1 <= top < 1000  # the prefix fits the data
    formatter = ax.yaxis.get_major_formatter()
    assert not formatter.get_useOffset()


def test_pulse_sequence_draws_the_readout_after_each_pulse_under_the_train(every_kind):
    run, row, _, (train, readout) = _drawn(every_kind["sequence"])
    assert train.get_shared_x_axes().joined(train, readout)
    current = run.data["Pulse current (A)"].to_numpy()
    bars = train.patches
    assert len(bars) == np.count_nonzero(current)
    assert sorted(b.get_height() for b in bars) == pytest.approx(
        sorted(current[current != 0] * 1e3))  # mA
    points = [ln for ln in readout.lines if ln.get_linestyle() == "None"]
    xs = np.sort(np.concatenate([ln.get_xdata() for ln in points]))
    assert xs.tolist() == run.data["Pulse index"].tolist()  # one read-out per row
    signal = run.data[row["readout"]].to_numpy()
    ys = np.concatenate([ln.get_ydata() for ln in points])
    assert sorted(ys) == pytest.approx(sorted(signal * 1e6))  # µΩ
    assert readout.get_ylabel().endswith("(µΩ)") and "Pulse number" in readout.get_xlabel()


def test_probability_shows_p_sw_with_binomial_errors_the_fits_and_i50_against_width(
        every_kind):
    run, _, _, (left, right) = _drawn(every_kind["probability"])
    widths = sorted(run.data["Pulse width (s)"].unique())
    bars = left.containers
    assert len(bars) == len(widths)
    for container in bars:
        segments = container.lines[2][0].get_segments()
        spans = [abs(s[1][1] - s[0][1]) for s in segments]
        assert all(span > 0 for span in spans)  # also at P = 0 and 1 (Wilson)
    assert len([ln for ln in left.lines if ln.get_linestyle() == "-"]) == len(widths)
    assert right.get_xscale() == "log"
    assert len(right.containers) == len(widths)  # I_50 with its sigma per width
    assert right.get_ylabel().endswith("(mA)")


def test_wilson_errors_are_binomial():
    low, high = wilson(np.array([0.0, 0.5, 1.0]), np.array([10, 400, 10]))
    assert low[0] == 0 and high[0] > 0.05 and high[2] == 0 and low[2] > 0.05
    assert low[1] == pytest.approx(np.sqrt(0.25 / 400), rel=0.01)


def test_a_report_with_probability_runs_of_several_widths_plots_i50_across_them(report):
    assert len(report.series_images) == 1
    (name, png), = report.series_images.items()
    assert "sim-py-nio" in name
    assert png.is_file() and png.with_suffix(".svg").is_file()
    assert png.name in report.index_html.read_text()


@pytest.mark.parametrize("verdict", ["ok", "poor", "not determined"])
def test_the_verdict_box_is_coloured_and_gives_the_reason(every_kind, verdict):
    run = load_run(every_kind["hall"])
    row = fit_run(run)
    if verdict != "ok":
        worsen(row, verdict, "reduced chi-square 41 (expected about 1)")
    _, _, fig, (ax,) = _drawn(every_kind["hall"], row)
    box = _verdict_box(fig)
    assert box.get_text().startswith(f"Verdict: {verdict}")
    assert to_hex(box.get_bbox_patch().get_facecolor()) == VERDICT_COLOURS[verdict]
    if verdict != "ok":
        assert "reduced chi-square 41" in box.get_text()
    fits = [ln for ln in ax.lines if ln.get_label().startswith("fit")]
    assert bool(fits) == (verdict != "not determined")


def test_an_undetermined_threshold_has_no_line_and_no_number(every_kind):
    run = load_run(every_kind["hall"])
    row = fit_run(run)
    value = row["b_c_minus"]
    worsen(row, "poor", "b_c_minus: threshold outside the swept range", ["b_c_minus"])
    _, _, fig, (ax,) = _drawn(every_kind["hall"], row)
    texts = "\n".join(_texts(fig))
    assert "B_c-: not determined" in texts and "B_c+ = " in texts
    shown = f"{abs(value) * 1e3:.3g}"  # the number that must not appear, in mT
    assert not re.search(rf"-{re.escape(shown)}\b", texts)
    assert len([t for t in ax.texts if "B_c" in t.get_text()]) == 1  # B_c+ only
    assert [ln.get_label() for ln in ax.lines if ln.get_label().startswith("fit")] == [
        "fit (up)"]


@pytest.mark.parametrize("edge", [0.9, 0.97])
def test_threshold_labels_near_the_sweep_edges_stay_inside_the_frame(every_kind, edge):
    """A threshold near the end of the sweep has its label on the inner side of its
    line, not across the frame and the tick labels (tester D: I_c- clipped)."""
    run = load_run(every_kind["switching"])
    row = fit_run(run)
    top = float(np.nanmax(np.abs(run.data["Pulse current (A)"])))
    row.update(i_c_plus=edge * top, i_c_minus=-edge * top)
    _, _, fig, (ax,) = _drawn(every_kind["switching"], row)
    renderer = fig.canvas.get_renderer()
    frame = ax.get_window_extent(renderer)
    labels = [t for t in ax.texts if "I_c" in t.get_text()]
    assert len(labels) == 2
    for label in labels:
        box = label.get_window_extent(renderer)
        assert frame.x0 <= box.x0 and box.x1 <= frame.x1, (label.get_text(), box, frame)


def test_threshold_labels_away_from_the_edges_stay_outward(every_kind):
    run = load_run(every_kind["switching"])
    row = fit_run(run)
    top = float(np.nanmax(np.abs(run.data["Pulse current (A)"])))
    row.update(i_c_plus=0.3 * top, i_c_minus=-0.3 * top)
    _, _, _, (ax,) = _drawn(every_kind["switching"], row)
    sides = {t.get_text()[:9]: t.get_horizontalalignment() for t in ax.texts
             if "I_c" in t.get_text()}
    assert sides == {"$I_c^+$ =": "left", "$I_c^-$ =": "right"}
