"""The verdict of a fit row: only ever made worse, consistent, never a number for an
undetermined quantity in any text labspin writes."""

from __future__ import annotations

import math

import pytest

from labspin.analysis.formatting import format_quantities, verdict_text
from labspin.analysis.verdicts import (
    ensure_verdict,
    is_undetermined,
    settle,
    worsen,
)


def _loop_row(**extra) -> dict:
    row = {"kind": "switching_loop", "fitted": True, "success": True,
           "i_c_plus": 0.027, "i_c_plus_stderr": 1e-4, "i_c_minus": -0.123,
           "i_c_minus_stderr": 2e-4, "i_c": 0.075, "i_c_stderr": 1e-4,
           "j_c_plus": 1.1e12, "j_c_plus_stderr": 1e9, "j_c_minus": -5e12,
           "j_c_minus_stderr": 1e9, "energy_minus": 1e-4, "energy_minus_stderr": 1e-6}
    return row | extra


def test_worsen_never_makes_a_verdict_better():
    worsen_ = worsen
    row = {"verdict": "ok", "verdict_reason": "", "undetermined": "", "x": 1.0,
           "x_stderr": 14.0}
    worsen_(row, "poor", "reduced chi-square 41 (expected about 1)")
    assert row["verdict"] == "poor"
    worsen_(row, "ok", "")
    assert row["verdict"] == "poor"
    worsen_(row, "not determined", "x: sigma 14 T is larger than the value", ["x"])
    worsen_(row, "poor", "file holds 60 % of its planned rows")
    assert row["verdict"] == "not determined"
    assert row["verdict_reason"].split("; ") == [
        "reduced chi-square 41 (expected about 1)", "x: sigma 14 T is larger than the value",
        "file holds 60 % of its planned rows"]
    assert row["undetermined"] == "x" and math.isnan(row["x"]) and math.isnan(row["x_stderr"])


def test_worsen_refuses_an_unknown_level():
    with pytest.raises(ValueError, match="not determined"):
        worsen({}, "bad", "why")


def test_derived_quantities_follow_the_threshold_they_come_from():
    row = _loop_row(verdict="poor", verdict_reason="i_c_minus: threshold -123 mA outside "
                    "the swept range -40..40 mA", undetermined="i_c_minus")
    settle(row)
    names = row["undetermined"].split(",")
    assert {"i_c_minus", "j_c_minus", "energy_minus", "i_c"} <= set(names)
    assert "i_c_plus" not in names and row["i_c_plus"] == 0.027
    for name in ("i_c_minus", "j_c_minus", "energy_minus", "i_c"):
        assert math.isnan(row[name]) and math.isnan(row[f"{name}_stderr"])
    text = "\n".join(format_quantities(row))
    assert "I_c+ = 27 mA" in text and "I_c-: not determined" in text
    assert "J_c-: not determined" in text and "-123" not in text and "-5e+12" not in text


def test_not_determined_takes_every_headline_number():
    row = _loop_row(verdict="not determined", verdict_reason="the loop never switched",
                    undetermined="")
    settle(row)
    assert all(is_undetermined(row, n) for n in ("i_c_plus", "i_c_minus", "j_c_plus"))
    assert math.isnan(row["i_c_plus"]) and math.isnan(row["j_c_plus_stderr"])
    lines = format_quantities(row)
    assert lines and all(line.endswith("not determined") for line in lines)
    assert verdict_text(row) == "not determined: the loop never switched"


def test_a_row_without_a_verdict_gets_the_generic_one():
    # sigma as large as the value: the USMR loop of the issue, B_c- = -5.84 mT +- 14 T
    row = {"kind": "usmr_loop", "fitted": True, "success": True, "step": 1.3e-3,
           "step_stderr": 2e-6, "b_c_plus": 6.1e-3, "b_c_plus_stderr": 4e-4,
           "b_c_minus": -5.84e-3, "b_c_minus_stderr": 14.0, "exchange_bias": 1e-4,
           "exchange_bias_stderr": 7.0}
    settle(row)
    assert row["verdict"] == "poor"
    assert "b_c_minus: sigma 14 T is as large as the value -5.84 mT" in row["verdict_reason"]
    assert set(row["undetermined"].split(",")) == {"b_c_minus", "exchange_bias"}
    assert row["b_c_plus"] == 6.1e-3  # 7 % sigma: a usable number
    text = " ".join(format_quantities(row))
    assert "B_c-: not determined" in text and "14 T" not in text
    # a row that already has a verdict (from the fit models) is left as it is
    kept = {"kind": "usmr_loop", "verdict": "ok", "b_c_minus": -5.84e-3,
            "b_c_minus_stderr": 14.0}
    assert ensure_verdict(kept)["verdict"] == "ok"


def test_a_run_whose_every_quantity_is_gone_is_not_determined():
    row = {"kind": "hall_loop", "fitted": True, "r_ahe": 0.9, "r_ahe_stderr": math.nan,
           "b_c_plus": 1e-3, "b_c_plus_stderr": math.nan}
    settle(row)
    assert row["verdict"] == "not determined"
    assert "could not estimate" in row["verdict_reason"]
