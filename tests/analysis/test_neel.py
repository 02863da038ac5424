"""The Neel temperature from a torque against temperature (labspin.analysis.models.neel).

Known answers: the film Neel temperature of the device model
(``labspin.physics.materials.neel_temperature``), for devices whose torque peak sits a few
kelvin off T_N because of the FM's own temperature dependences (M_s, resistivity, spin
diffusion length, spin Hall angle) and the saturation of the absorption.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from labspin.analysis.models._common import DataError
from labspin.analysis.models.neel import fit_neel_temperature, neel_critical_peak
from labspin.physics import preset, spin_transport
from labspin.physics.materials import neel_temperature

VARIANTS = {
    "py-coo": {},
    "strong sink": {"spin_conductance": 5e15},
    "weak sink": {"spin_conductance": 2e14},
    "T_N 330 K": {"neel_temperature": 330.0},
    "T_N 220 K, p = 2": {"neel_temperature": 220.0, "magnon_exponent": 2.0},
    "broad peak": {"critical_width": 40.0},
}


def torque_series(afm_changes: dict, quantity: str, step: float = 10.0, span: float = 60.0,
                  noise: float = 0.01, seed: int = 0) -> tuple[pd.DataFrame, float]:
    base = preset("py-coo")
    params = base.with_(top=base.top.with_(**afm_changes))
    t_n = neel_temperature(params.top)
    temps = np.arange(round(t_n) - span, round(t_n) + span + 1, step)
    y = np.array([abs(getattr(spin_transport(params, t), quantity)) for t in temps])
    sigma = noise * float(np.mean(y))
    y = y + np.random.default_rng(seed).normal(0, sigma, y.size)
    return pd.DataFrame({"T": temps, "q": y, "q_stderr": sigma}), t_n


@pytest.mark.parametrize("name", list(VARIANTS))
def test_the_critical_peak_centre_is_the_model_neel_temperature(name):
    for quantity in ("b_dl_per_ampere", "xi_dl"):
        table, t_n = torque_series(VARIANTS[name], quantity)
        fit = fit_neel_temperature(table, parameter="T", quantity="q")
        assert fit["verdict"] == "ok", fit["verdict_reason"]
        assert abs(fit["t_neel"] - t_n) < 6.0
        assert abs(fit["t_neel"] - t_n) < 3 * fit["t_neel_stderr"] + 3.0  # 3 K: the model


def test_the_raw_maximum_is_off_but_the_fit_is_not():
    """The peak of B_DL per ampere itself lies 3 K above T_N for py-coo (the FM's spin
    diffusion length shrinks as it warms, and B_DL goes as 1/M_s), 7 K for a strong sink
    whose absorption saturates."""
    table, t_n = torque_series({}, "b_dl_per_ampere", step=1.0, noise=0.0)
    raw = float(table["T"][table["q"].idxmax()])
    assert raw - t_n > 2.0
    strong, t_n_strong = torque_series(VARIANTS["strong sink"], "b_dl_per_ampere", step=1.0,
                                       noise=0.0)
    assert float(strong["T"][strong["q"].idxmax()]) - t_n_strong > 5.0
    coarse, _ = torque_series({}, "b_dl_per_ampere")
    assert abs(fit_neel_temperature(coarse, parameter="T", quantity="q")["t_neel"] - t_n) < 4


def test_a_known_curve_is_fitted_back_exactly():
    temps = np.arange(200.0, 330.0, 8.0)
    truth = {"t_neel": 258.0, "width": 22.0, "amplitude": 0.3, "background": 1.0,
             "slope": 2e-3, "curvature": -4e-5}
    table = pd.DataFrame({"T": temps, "q": neel_critical_peak(temps, **truth)})
    fit = fit_neel_temperature(table, parameter="T", quantity="q", weighted=False)
    for name, value in truth.items():
        assert fit[name] == pytest.approx(value, rel=1e-4, abs=1e-7)
    assert fit["background_order"] == 2


def test_too_few_temperatures_and_a_peak_outside_the_range_are_said():
    table, _ = torque_series({}, "b_dl_per_ampere", step=30.0)  # 5 temperatures
    with pytest.raises(DataError, match="needs more than 5 temperatures"):
        fit_neel_temperature(table, parameter="T", quantity="q")
    table, t_n = torque_series({}, "b_dl_per_ampere", span=120.0)
    above = table[table["T"] > t_n + 15].reset_index(drop=True)  # the peak is below
    fit = fit_neel_temperature(above, parameter="T", quantity="q")
    assert fit["verdict"] in ("not determined", "poor")
    if fit["verdict"] == "not determined":
        assert math.isnan(fit["t_neel"]) and fit["undetermined"] == "t_neel"
