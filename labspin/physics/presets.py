"""Device presets: literature-typical stacks, not the numbers of Choi et al. (2025).

Calibration (what each number was chosen to reproduce; tests/physics/test_presets.py
computes every claim below from the model; ``labspin demo`` prints the numbers):

* ``py-nio`` (the paper's geometry: in-plane Py, easy axis y, current along x). Py of
  5 nm: rho = 25 uOhm cm, lambda_F = 2 nm, theta_F = 0.10 (the upper end of reported
  ferromagnet spin Hall angles; Py about 0.05 in Wang et al. 2019), M_s = 800 kA/m,
  mu0 M_eff = 0.95 T, alpha_0 = 0.008. The effective uniaxial anisotropy along y is
  B_K = 15 mT: a patterned Py bar with its easy axis across the current needs an
  induced anisotropy, and the exchange coupling to NiO stiffens it (Py/NiO bilayers
  show coercivities of several mT); with it the 1 s coercive field is about 6 mT.
  NiO 10 nm: T_N = 523 K bulk, peak magnon spin conductance 2e15 ohm^-1 m^-2, the size
  of the spin-mixing conductances of good sinks, which makes the absorption strong
  (eta about 0.45) and xi_DL = -0.037 (negative: the sink is on top; torque.py). Only
  15 % of G_A pumps at GHz (the NiO magnon gap is about 1 THz), so delta_alpha is
  about 0.002. Kinetics: Delta_0 = 60, tau_0 = 3 ns (the escape time of the grain's
  own macrospin dynamics, so that LLG and thermal activation meet at 50 ns), n = 1. The
  bar (5 x 20 um on oxidised Si) has R_th = 450 K/W and tau_th = 50 ns and warms by
  65-90 K at switching. Result: Liu's instability threshold J_c0 = 1.64e12 A/m^2, the
  activation law's threshold 1.077 times it (Apalkov-Visscher, activation.py), J_c =
  1.16e12 A/m^2 for 1 us and 1.02e12 A/m^2 for 1 ms pulses; the USMR read current
  1.3e11 A/m^2 is far below and does not switch.
* ``pt-py``: the same Py on Pt 5 nm (28 uOhm cm, close to Py's), theta_SH = 0.2,
  lambda = 1.5 nm, G_mix = 1e15 ohm^-1 m^-2 and 40 % spin memory loss (Zhu et al.
  2019), so xi_Pt is about 0.033; the Pt also absorbs Py's own spin current from below,
  adding about 0.02 with the same sign (xi_DL = +0.054 overall). Half of the current
  flows in the Pt, where it heats but does not switch; its Oersted field (about
  3 mT at switching) opposes the torque of a positive spin-Hall metal underneath, and
  spin pumping plus spin memory loss raise alpha to 0.021. The model then gives an
  energy per switching event (I_c^2 times the integral of R(T(t)) over the pulse, R the
  hot resistance between the V_xx probes) 3.1 times that of py-nio for 1 us pulses and
  3.3 for 1 ms, as the paper's headline suggests; this ratio is computed, never set. With
  a soft Py (B_K of a few mT) the Oersted field alone would reverse the Pt/Py bar, in
  the opposite sense, at a lower current: the stiffer anisotropy above is what makes
  the comparison one of torques.
* ``py-alox``: AlOx / Py / AlOx, the symmetric control: xi_DL = 0 and no Oersted
  field, so no current reverses it in a chosen sense; near the failure temperature
  (700 K) heat alone demagnetises it at random.
* ``py-coo``: CoO 10 nm with bulk T_N = 291 K, lowered by finite size to 261.9 K. Its
  spin absorption has a critical peak 25 K wide at that temperature on a broad magnon
  hump (materials.py), so B_DL per ampere peaks 3 K above it (the FM's own temperature
  dependences) and the ``neel`` trend of ``labspin fit`` finds it within about 3 K.
* ``cofeb-nio-pma``: MgO / CoFeB 1.2 nm / NiO 10 nm, perpendicular (B_K,eff = 80 mT,
  nucleation field 20 mT): AHE loops, and switching that needs an in-plane bias field
  (Lee et al. 2013 threshold).
"""

from __future__ import annotations

from collections.abc import Callable

from labspin.physics.parameters import (
    Antiferromagnet,
    DeviceParameters,
    Ferromagnet,
    HallBar,
    HeavyMetal,
    OxideCap,
    Readout,
    SwitchingKinetics,
    ThermalEnvironment,
)


class UnknownPresetError(KeyError):
    """No preset of that name."""

    def __str__(self) -> str:  # KeyError quotes its argument; say it plainly instead
        return str(self.args[0])


def _permalloy(thickness: float = 5e-9) -> Ferromagnet:
    return Ferromagnet(
        name="Py", thickness=thickness, resistivity=2.5e-7, spin_diffusion_length=2e-9,
        spin_hall_angle=0.10, saturation_magnetization=8.0e5, curie_temperature=850.0,
        gilbert_damping=0.008, anisotropy_field=15e-3, effective_magnetization=0.95,
        easy_axis=(0.0, 1.0, 0.0), resistivity_temperature_coefficient=2.0e-3,
        field_like_ratio=0.1,
    )


def _nio(thickness: float = 10e-9) -> Antiferromagnet:
    return Antiferromagnet(name="NiO", thickness=thickness, neel_temperature=523.0,
                           spin_conductance=2e15, magnon_length=2e-9,
                           neel_thickness_scale=0.5e-9, magnon_exponent=2.0,
                           paramagnetic_floor=0.1, pumping_fraction=0.15)


_THERMAL = ThermalEnvironment(stage_temperature=300.0, thermal_resistance=450.0,
                              thermal_time_constant=50e-9, failure_temperature=700.0)


def py_nio() -> DeviceParameters:
    return DeviceParameters(
        name="py-nio",
        bottom=OxideCap("SiO2", 100e-9),
        ferromagnet=_permalloy(),
        top=_nio(),
        hall_bar=HallBar(width=5e-6, length=20e-6),
        readout=Readout(amr_ratio=0.015, smr_ratio=2e-4, anomalous_hall=0.25,
                        ordinary_hall=-0.02, usmr_efficiency=2e-15,
                        nernst_coefficient=0.05),
        thermal=_THERMAL,
        kinetics=SwitchingKinetics(barrier=60.0, attempt_time=3e-9, current_exponent=1.0),
        description="the paper's geometry: in-plane (easy axis y), magnonic spin loss "
                    "at the top interface only",
    )


def py_coo() -> DeviceParameters:
    base = py_nio()
    coo = Antiferromagnet(name="CoO", thickness=10e-9, neel_temperature=291.0,
                          spin_conductance=2e15, magnon_length=2e-9,
                          neel_thickness_scale=1.0e-9, magnon_exponent=3.0,
                          paramagnetic_floor=0.1, pumping_fraction=0.15)
    return base.with_(name="py-coo", top=coo,
                      description="in-plane; the magnon sink peaks at the Neel temperature "
                                  "of the film, near room temperature")


def py_alox() -> DeviceParameters:
    base = py_nio()
    return base.with_(
        name="py-alox", bottom=OxideCap("AlOx", 2e-9), top=OxideCap("AlOx", 2e-9),
        readout=base.readout.with_(smr_ratio=0.0),
        description="symmetric control: no magnon sink, no torque")


def pt_py() -> DeviceParameters:
    base = py_nio()
    pt = HeavyMetal(name="Pt", thickness=5e-9, resistivity=2.8e-7, spin_diffusion_length=1.5e-9,
                    spin_hall_angle=0.20, interface_conductance=1e15, spin_memory_loss=0.4,
                    field_like_ratio=0.1)
    return base.with_(
        name="pt-py", bottom=pt, top=OxideCap("AlOx", 2e-9),
        readout=base.readout.with_(smr_ratio=6e-4),
        description="heavy-metal reference: current shared with the Pt, Oersted field")


def cofeb_nio_pma() -> DeviceParameters:
    cofeb = Ferromagnet(
        name="CoFeB", thickness=1.2e-9, resistivity=1.6e-6, spin_diffusion_length=1e-9,
        spin_hall_angle=0.10, saturation_magnetization=1.0e6, curie_temperature=1000.0,
        gilbert_damping=0.015, anisotropy_field=0.08, effective_magnetization=0.0,
        easy_axis=(0.0, 0.0, 1.0), nucleation_field=0.02,
        resistivity_temperature_coefficient=2e-4, field_like_ratio=0.3,
    )
    return DeviceParameters(
        name="cofeb-nio-pma",
        bottom=OxideCap("MgO", 2e-9),
        ferromagnet=cofeb,
        top=_nio(),
        hall_bar=HallBar(width=5e-6, length=20e-6),
        readout=Readout(amr_ratio=0.003, smr_ratio=2e-4, anomalous_hall=2.0,
                        ordinary_hall=-0.05, usmr_efficiency=2e-15, nernst_coefficient=0.05),
        thermal=_THERMAL,
        kinetics=SwitchingKinetics(barrier=50.0, attempt_time=3e-9, current_exponent=1.0),
        description="perpendicular magnet: switching needs an in-plane bias field",
    )


PRESETS: dict[str, Callable[[], DeviceParameters]] = {
    "py-nio": py_nio,
    "py-coo": py_coo,
    "py-alox": py_alox,
    "pt-py": pt_py,
    "cofeb-nio-pma": cofeb_nio_pma,
}


def preset(name: str) -> DeviceParameters:
    """The device parameters of a named preset (a fresh, immutable object)."""
    try:
        return PRESETS[name]()
    except KeyError:
        raise UnknownPresetError(
            f"unknown device preset {name!r}; choose one of {', '.join(PRESETS)}") from None


def preset_names() -> list[str]:
    return list(PRESETS)
