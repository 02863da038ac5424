"""A quantity that is not determined is never written as a number with an error bar:
not in ``labspin fit``'s console table, its CSV or JSON, nor in the report's tables.

Two ways a row gets there: the fit model says so (as the fit models do with the verdict
interface; simulated here by a fitter that marks B_c- undetermined) and the generic
rule for results without a verdict (a loop cut short, whose sigmas cannot be
estimated)."""

from __future__ import annotations

import json
import math

import pandas as pd
import pytest
from click.testing import CliRunner

import labspin.analysis.batch as batch
from labspin.analysis.report import make_report
from labspin.analysis.verdicts import worsen
from labspin.cli import main
from tests.analysis.conftest import cut

REASON = "b_c_minus: threshold -123 mT outside the swept range -20..20 mT"


@pytest.fixture
def model_says_undetermined(monkeypatch):
    """The Hall-loop fitter, with B_c- marked undetermined the way a fit model would."""
    original = batch._FITTERS["hall_loop"]

    def fitter(run, **kwargs):
        result = original(run, **kwargs)
        result.update(verdict="ok", verdict_reason="", undetermined="")
        return worsen(result, "poor", REASON, ["b_c_minus"])

    monkeypatch.setitem(batch._FITTERS, "hall_loop", fitter)


def _no_number_for(text: str, label: str) -> None:
    assert f"{label}: not determined" in text
    assert f"{label} = " not in text


def test_console_csv_and_json_of_labspin_fit(every_kind, tmp_path, model_says_undetermined):
    hall = str(every_kind["hall"])
    csv_out, json_out = tmp_path / "s.csv", tmp_path / "s.json"
    runner = CliRunner()
    result = runner.invoke(main, ["fit", hall, "--workers", "1", "--out", str(csv_out)],
                           env={"COLUMNS": "250"})
    assert result.exit_code == 0, result.output
    _no_number_for(result.output, "B_c-")
    _no_number_for(result.output, "B_eb")  # computed from B_c-
    assert "B_c+ = " in result.output and REASON in result.output
    row = pd.read_csv(csv_out).iloc[0]
    assert row["verdict"] == "poor" and row["verdict_reason"] == REASON
    assert set(row["undetermined"].split(",")) == {"b_c_minus", "exchange_bias",
                                                   "coercivity"}
    for name in ("b_c_minus", "exchange_bias", "coercivity"):
        assert math.isnan(row[name]) and math.isnan(row[f"{name}_stderr"])  # empty cells
    assert row["b_c_plus"] > 0
    runner.invoke(main, ["fit", hall, "--workers", "1", "--out", str(json_out)])
    (record,) = json.loads(json_out.read_text())
    assert record["b_c_minus"] is None and record["b_c_minus_stderr"] is None
    assert record["verdict"] == "poor" and record["b_c_plus"] > 0


def test_report_tables(every_kind, tmp_path, model_says_undetermined):
    result = make_report([every_kind["hall"]], tmp_path / "report", workers=1)
    for path in (result.index_html, result.summary_md):
        text = path.read_text()
        _no_number_for(text, "B_c-")
        assert REASON in text and "poor" in text
    summary = pd.read_csv(result.summary_csv)
    assert math.isnan(summary["b_c_minus"].iloc[0])


def test_a_file_cut_short_prints_no_threshold(every_kind, tmp_path):
    short = cut(every_kind["hall"], tmp_path / "short.csv", 0.6)
    result = CliRunner().invoke(main, ["fit", str(short), "--workers", "1"],
                                env={"COLUMNS": "250"})
    assert result.exit_code == 0, result.output
    _no_number_for(result.output, "B_c+")
    assert "planned rows" in result.output
    assert "±" not in result.output.split("B_c+")[1].split("\n")[0]


def test_xi_dl_is_in_the_console_table_when_it_can_be_computed(every_kind):
    result = CliRunner().invoke(main, [
        "fit", str(every_kind["field_sweep"]), "--workers", "1", "--ms", "1.1e6"],
        env={"COLUMNS": "250"})
    assert result.exit_code == 0, result.output
    assert "ξ_DL = " in result.output
