"""The example phase-diagram queue feeds `labspin fit --phase-diagram`: planned, run on
the simulated bench and fitted end to end (a trimmed copy: fewer steps and fields), with
B_K,eff where the model's own thresholds at those fields put it."""

from pathlib import Path

import numpy as np
import pytest
import yaml
from click.testing import CliRunner

from labspin.analysis.models.phase_diagram import fit_lee_phase_diagram
from labspin.cli import main
from labspin.physics import preset
from labspin.physics.predictions import critical_current

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
BIASES = (0.012, 0.016, 0.020, 0.024)  # T, the example's range in 4 steps


def test_the_example_phase_diagram_queue_runs_and_fits(tmp_path):
    queue = yaml.load((EXAMPLES / "queues" / "phase-diagram.yaml").read_text(),
                      Loader=yaml.CSafeLoader)
    [step] = queue["steps"]
    assert step["parameters"]["bias_axis"] == "x"  # what the Lee fit needs
    step["parameters"]["pulse_steps"] = 12
    step["sweep"] = [{"bias_field": {"values": [f"{b * 1e3:g} mT" for b in BIASES]}}]
    queue["station"] = str((EXAMPLES / "queues" / queue["station"]).resolve())
    path = tmp_path / "phase-diagram.yaml"
    path.write_text(yaml.safe_dump(queue), encoding="utf-8")
    data = tmp_path / "data"
    runner = CliRunner()

    planned = runner.invoke(main, ["queue", "plan", str(path)])
    assert planned.exit_code == 0, planned.output
    ran = runner.invoke(main, ["queue", "run", str(path), "--data-dir", str(data)])
    assert ran.exit_code == 0, ran.output
    assert "4 finished now" in ran.output
    fitted = runner.invoke(main, ["fit", str(data), "--phase-diagram", "--workers", "1",
                                  "--ms", "1.0 MA/m", "--thickness-f", "1.2 nm"],
                           env={"COLUMNS": "1000"})
    assert fitted.exit_code == 0, fitted.output
    # 1 ms pulses: thermally activated, so the Lee line's constants are not determined
    # and the verdict says why and what to measure instead (README's command, its output)
    assert "B_K,eff: not determined" in fitted.output
    assert "|ξ_DL|: not determined" in fitted.output
    assert "verdict: poor: b_k_eff, xi_dl, b_x_zero: 1 ms pulses switch by thermal " \
           "activation" in fitted.output
    assert "harmonic Hall" in fitted.output and "at most 5 ns" in fitted.output
    assert "J_c at zero bias (the line of these loops, extrapolated) = " in fitted.output
    measured = float(fitted.output.split("this line gives B_K,eff ")[1].split(" mT")[0]) \
        * 1e-3

    params = preset("cofeb-nio-pma")
    area = params.hall_bar.width * params.ferromagnet.thickness
    i_c = [critical_current(params, 1e-3, field=(b, 0.0, 0.0)) for b in BIASES]
    model = fit_lee_phase_diagram(np.array(BIASES), np.array(i_c) / area)
    # thermally activated 1 ms pulses: below the macrospin B_K (80 mT), near the line
    # through the model's own thresholds at these fields
    assert measured == pytest.approx(model["b_k_eff"], rel=0.15)
    assert measured < params.ferromagnet.anisotropy_field


def test_loops_biased_along_y_are_named_as_the_reason(tmp_path):
    from labspin.analysis.stages import StageError, phase_diagram_stage
    from tests.analysis.test_stages import lee_summary

    summary = lee_summary([0.0, 0.01, 0.02, 0.03], "y", 1e6, 1.2e-9, 0.03, 0.08)
    with pytest.raises(StageError) as refused:
        phase_diagram_stage(summary)
    message = str(refused.value)
    assert "along x" in message and "in-plane field along the current" in message
    assert "3 loop(s) with the bias along y or z left out" in message
    assert "bias_axis x" in message
