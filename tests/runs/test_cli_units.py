"""Analysis options take units as station files do, and refuse a bad one in one line."""

import pytest
from click.testing import CliRunner

from labspin.cli import main
from labspin.cli_options import OptionRefused, Quantity


@pytest.mark.parametrize(("text", "unit", "value"), [
    ("5 um", "m", 5e-6), ("5e-6", "m", 5e-6), ("250 mohm", "ohm", 0.25),
    ("250 mΩ", "ohm", 0.25), ("0.95 T", "T", 0.95), ("8e5", "A/m", 8e5),
    ("800 kA/m", "A/m", 8e5), ("-0.2 T", "T", -0.2),
])
def test_quantities_are_read_in_si(text, unit, value):
    assert Quantity(unit, "x").convert(text, None, None) == pytest.approx(value)


@pytest.mark.parametrize(("args", "message"), [
    (["--width", "5 T"], "--width '5 T' is not in units of m; write it like '5 um'"),
    (["--r-ahe", "many"], "--r-ahe 'many' is not a quantity; write it like '250 mohm'"),
    (["--ms", "-8e5"], "--ms '-8e5' must be positive; write it like '800 kA/m'"),
    (["--thickness-f", "1 parsec0"], "--thickness-f '1 parsec0'"),
    (["--m-eff", "inf"], "--m-eff 'inf' is not a finite number"),
])
def test_a_bad_quantity_is_one_line_without_usage(args, message, tmp_path):
    result = CliRunner().invoke(main, ["fit", str(tmp_path), *args])
    assert result.exit_code == 2
    assert message in result.output
    assert len(result.output.strip().splitlines()) == 1 and "Usage" not in result.output


def test_option_refused_is_a_click_error_with_exit_code_2():
    assert issubclass(OptionRefused, Exception) and OptionRefused("x").exit_code == 2


def test_a_switching_loop_fitted_with_units_equals_one_fitted_with_si_numbers(tmp_path):
    runner = CliRunner()
    data = tmp_path / "data"
    made = runner.invoke(main, ["run", "SwitchingLoop", "--sim", "--data-dir", str(data),
                                "--set", "pulse_steps=12", "--set", "max_pulse_current=35 mA"])
    assert made.exit_code == 0, made.output
    outs = []
    for width, thickness in (("5e-6", "10e-9"), ("5 um", "10 nm")):
        out = tmp_path / f"{len(outs)}.csv"
        result = runner.invoke(main, ["fit", str(data), "--workers", "1", "--out", str(out),
                                      "--width", width, "--thickness", thickness])
        assert result.exit_code == 0, result.output
        outs.append(out.read_text(encoding="utf-8"))
    assert outs[0] == outs[1] and "j_c_plus" in outs[0]
