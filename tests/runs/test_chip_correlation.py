"""The paper's correlation on a chip, end to end: the example queue
(examples/queues/chip-correlation.yaml) through the real queue runner on the simulated
bench, then ``labspin fit --correlation`` and the report's section of it.

Known answers: each bar's device from the physics model, computed here independently of
the analysis (alpha and xi_DL from ``spin_transport``, the single-pulse 50 % current of a
1 ms pulse from ``critical_current`` over the FM's cross-section), for Py 5 nm / NiO 0.8,
1 and 8 nm and the AlOx control. One seed (the station file's), so each value within 3
sigma: over 10 seeds of this queue the rms of (measured - model) / sigma was 1.0 for
alpha and J_c, 1.2 for Delta alpha (every bar's shares the control's alpha) and 0.5 for
xi_DL, and 1 value of 130 lay beyond 3 sigma (J_c of the 1 nm bar, seed 6, +3.4). The
control bar's switching loop never switches (no torque): its J_c must read "not
determined", never a number."""

from __future__ import annotations

import math
import re
from itertools import pairwise
from pathlib import Path

import pandas as pd
import pytest
import yaml
from click.testing import CliRunner

from labspin.cli import main
from labspin.physics import preset, spin_transport
from labspin.physics.predictions import critical_current

pytestmark = pytest.mark.filterwarnings("ignore::FutureWarning")  # pymeasure's SCPI notice

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
BARS = {"chip9-NiO0.8": 0.8e-9, "chip9-NiO1": 1e-9, "chip9-NiO8": 8e-9}
CONTROL = "chip9-ref"
AREA = 5e-6 * 5e-9  # the bars' width times the Py thickness (the conducting layer)


def truth(thickness: float | None) -> dict[str, float]:
    params = preset("py-alox") if thickness is None else \
        preset("py-nio").with_(top=preset("py-nio").top.with_(thickness=thickness))
    transport = spin_transport(params, 300.0)
    out = {"alpha": transport.damping, "xi_dl": transport.xi_dl}
    if thickness is not None:
        out["j_c"] = critical_current(params, 1e-3) / AREA
    return out


@pytest.fixture(scope="module")
def chip(tmp_path_factory):
    folder = tmp_path_factory.mktemp("chip9")
    queue = yaml.load((EXAMPLES / "queues" / "chip-correlation.yaml").read_text(),
                      Loader=yaml.CSafeLoader)
    queue["station"] = str(EXAMPLES / "station-chip-series.yaml")
    # the control bar has no torque: a coarse loop to 30 mA never switches it
    queue["steps"].append({"procedure": "SwitchingLoop", "sample": CONTROL, "parameters": {
        "max_pulse_current": "30 mA", "pulse_steps": 8, "pulse_width": "1 ms",
        "readout": "R_xx 2w"}})
    (folder / "queue.yaml").write_text(yaml.safe_dump(queue, sort_keys=False))
    data = folder / "data"
    cli = CliRunner()
    ran = cli.invoke(main, ["queue", "run", str(folder / "queue.yaml"), "--sim",
                            "--data-dir", str(data)])
    assert ran.exit_code == 0, ran.output
    fitted = cli.invoke(main, ["fit", str(data), "--workers", "1", "--correlation",
                               "--out", str(folder / "summary.csv")],
                        env={"COLUMNS": "200"})
    assert fitted.exit_code == 0, fitted.output
    from labspin.analysis.correlation import correlation_stage

    summary = pd.read_csv(folder / "summary.csv")
    return folder, summary, correlation_stage(summary), fitted.output


def test_each_bar_recovers_the_model_by_three_techniques(chip):
    _, _, result, _ = chip
    assert result.control == CONTROL and result.pulse_width == pytest.approx(1e-3)
    bars = {b.sample: b for b in result.bars}
    assert set(bars) == {*BARS, CONTROL}
    control = truth(None)
    ref = bars[CONTROL].values["alpha"]
    assert ref.verdict == "ok" and abs(ref.value - control["alpha"]) < 3 * ref.stderr
    for sample, thickness in BARS.items():
        bar, known = bars[sample], truth(thickness)
        assert bar.afmi_thickness == pytest.approx(thickness)
        known["delta_alpha"] = known["alpha"] - control["alpha"]
        for key, expected in known.items():
            value = bar.values[key]
            # the ST-FMR runs are "poor" for xi_FMR (no DC bias), which is not alpha's
            assert value.verdict == "ok", (sample, key, value.reason)
            assert abs(value.value - expected) < 3 * value.stderr, (sample, key, value)
            assert value.stderr < 0.15 * abs(expected), (sample, key, value)
            # the model column, when the bench says which device it was
            assert value.model == pytest.approx(expected, rel=2e-3), (sample, key)


def test_more_spin_loss_more_torque_less_current_across_the_thicknesses(chip):
    _, _, result, output = chip
    series = result.series()
    assert [b.sample for b in series] == list(BARS)  # thinnest first

    def steps(key: str, magnitude: bool = False) -> list[float]:
        v = [b.values[key] for b in series]
        return [((abs(b.value) - abs(a.value)) if magnitude else (b.value - a.value))
                / math.hypot(a.stderr, b.stderr) for a, b in pairwise(v)]

    assert min(steps("alpha")) > 3 and min(steps("delta_alpha")) > 3
    assert min(steps("xi_dl", magnitude=True)) > 3
    assert max(steps("j_c")) < -3
    assert "the paper's correlation on this chip holds" in output
    assert re.search(r"J_c falls with AFMI thickness: 0\.8 nm→1 nm -\d", output)


def test_a_bar_that_never_switched_shows_no_number_for_j_c(chip):
    _, summary, result, output = chip
    loop = summary[(summary["meta: Sample"] == CONTROL)
                   & (summary["kind"] == "switching_loop")].iloc[0]
    assert loop["verdict"] == "not determined" and "never switched" in loop["verdict_reason"]
    j_c = next(b for b in result.bars if b.sample == CONTROL).values["j_c"]
    assert j_c.verdict == "not determined" and math.isnan(j_c.value)
    assert "never switched" in j_c.reason
    row = next(line for line in output.splitlines() if line.startswith(f"│ {CONTROL}"))
    cells = [c.strip() for c in row.split("│")[1:-1]]
    assert cells[:2] == [CONTROL, "control"] and cells[-1] == "not determined"
    assert cells[3] == "reference" and cells[4] == "not measured"
    assert f"note: {CONTROL} J_c (loop): not determined: the loop never switched" in output
    table = result.table().set_index("sample")
    assert math.isnan(table.loc[CONTROL, "j_c"]) and math.isnan(table.loc[CONTROL,
                                                                          "j_c_stderr"])


def test_the_report_writes_the_table_and_the_figure(chip):
    folder, summary, _, _ = chip
    from labspin.analysis.correlation_report import write_correlation

    out = folder / "report"
    out.mkdir()
    errors: dict[str, str] = {}
    result, csv_path, markdown, html = write_correlation(summary, out, None, errors)
    assert not errors and (out / "correlation.png").stat().st_size > 10_000
    assert (out / "correlation.svg").exists()
    table = pd.read_csv(csv_path).set_index("sample")
    assert table.loc["chip9-NiO8", "xi_dl"] == pytest.approx(
        next(b for b in result.bars if b.sample == "chip9-NiO8").values["xi_dl"].value)
    assert pd.isna(table.loc[CONTROL, "j_c"])  # an empty cell, not a number
    row = next(line for line in markdown if line.startswith(f"| {CONTROL}"))
    assert row.endswith("| not determined<br>model none before the bar burns open |")
    assert "correlation.png" in html and "not determined" in html


def test_a_named_control_without_runs_is_refused_naming_the_bars(chip):
    from labspin.analysis.correlation import correlation_stage
    from labspin.analysis.stages import StageError

    with pytest.raises(StageError, match=r"no runs of the control bar 'chip9-refx'; the bars "
                                         r"are chip9-NiO0\.8, chip9-NiO1, chip9-NiO8, chip9-ref"):
        correlation_stage(chip[1], control="chip9-refx")


def test_two_devices_without_thicknesses_still_find_the_control_on_the_bench(chip):
    """As in `labspin demo` (py-nio against py-alox, no AFMI thickness in the headers):
    of the bars with ST-FMR runs, the one whose simulated device has no AFMI is the
    control, and no trend against thickness is claimed."""
    from labspin.analysis.correlation import correlation_stage

    summary = chip[1].copy()
    summary["meta: AFMI thickness (m)"] = "not given"
    result = correlation_stage(summary)
    assert result.control == CONTROL and not result.series()
    assert result.trends() == ["0 bar(s) with an AFMI thickness in the header: no trend "
                               "against thickness"]
    nio8 = next(b for b in result.bars if b.sample == "chip9-NiO8")
    assert nio8.values["delta_alpha"].determined  # against the control, as before
    # the header's stack names NiO 8 nm, its thickness entry does not: no model value
    assert math.isnan(nio8.values["alpha"].model) and "is not the py-nio" in nio8.model_note


def test_a_chip_without_a_control_bar_says_so_in_its_empty_delta_alpha_panel(chip):
    from labspin.analysis.correlation import correlation_stage
    from labspin.analysis.correlation_plot import correlation_figure

    summary = chip[1]
    result = correlation_stage(summary[summary["meta: Sample"] != CONTROL])
    assert result.control is None
    figure = correlation_figure(result)
    delta_panel = figure.axes[0]
    assert any("no control bar on this chip" in t.get_text() for t in delta_panel.texts)
    assert not delta_panel.lines  # nothing drawn as if it were a value
