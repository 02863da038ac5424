"""A Hall loop that never switched inside its sweep (acceptance tester D's
``labspin run HallLoop`` on a 4 nm Py / 3 nm CoO bar swept along y to 30 mT): its
levels are combinations of an offset and a step that are both unknown but exactly
anticorrelated, so g C g of a level is rounding noise (-3.9e-9 against terms of 1.8e3).
That once made a zero-sigma ufloat and a ``UserWarning: Using UFloat objects with
std_dev==0`` in the command's output; the sigma is now the rounding floor, never 0."""

import math
import warnings

from click.testing import CliRunner

from labspin.cli import main

#: the tester's device file (py-coo with a 4 nm FM and 3 nm CoO, a 4 um x 16 um bar)
DEVICE = """base: py-coo
name: Py 4 nm / CoO 3 nm, chip A
ferromagnet:
  thickness: 4 nm
top: {name: CoO, thickness: 3 nm}
hall_bar: {width: 4 um, length: 16 um}
"""
ARGS = ["--seed", "1", "--set", "field_axis=y", "--set", "field_max=30 mT", "--set",
        "field_step=2 mT", "--set", "read_current=0.1 mA", "--set", "readout=reversal"]


def test_a_hall_loop_that_never_switched_prints_no_warning(tmp_path):
    device = tmp_path / "pycoo.yaml"
    device.write_text(DEVICE, encoding="utf-8")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result = CliRunner().invoke(main, ["run", "HallLoop", "--sim", "--device",
                                           str(device), "--data-dir", str(tmp_path / "d"),
                                           *ARGS])
    assert result.exit_code == 0, result.output
    assert "never switched" in result.output  # the tester's kind of loop
    assert "Warning" not in result.output and "std_dev" not in result.output
    assert not [w for w in caught if "std_dev" in str(w.message)], \
        [str(w.message) for w in caught]
    [csv] = (tmp_path / "d").rglob("*HallLoop*.csv")

    from labspin.analysis.loaders import load_run
    from labspin.analysis.models.loops import fit_loop, loop_quantities
    from labspin.analysis.run_columns import column, finite

    run = load_run(csv)
    field, signal, branch = finite(column(run, "Field (T)"), column(run, "R_xy (ohm)"),
                                   column(run, "Branch"))
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # any zero-sigma ufloat raises here
        q = loop_quantities(fit_loop(field, signal, branch))
    for name, value in q.items():
        if not isinstance(value, float):
            assert value.std_dev > 0 or math.isnan(value.std_dev), name
