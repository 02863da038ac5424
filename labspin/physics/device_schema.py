"""What each key of a device file means: its unit, the unit files are written in, the
range a real Hall bar can have, and one line about it.

One :class:`Spec` per field of each parameter dataclass (labspin.physics.parameters),
so the device file, ``labspin device template`` and the error messages all read from
the same table; tests/physics/test_devicefile.py fails when a dataclass gains a field
this table does not describe. The ranges are wider than any real film (they are there
to catch a wrong unit, ``thickness: 3`` read as 3 m, not to judge a material); the
dataclasses' own checks (positive, consistent) still apply on top.
"""

from __future__ import annotations

from dataclasses import dataclass

from labspin.physics.parameters import (
    Antiferromagnet,
    Ferromagnet,
    HallBar,
    HeavyMetal,
    OxideCap,
    Readout,
    SwitchingKinetics,
    ThermalEnvironment,
)


@dataclass(frozen=True)
class Spec:
    """One key of a device file."""

    unit: str  # SI unit the model uses ("1" for a pure number)
    shown: str  # unit written in files and tables ("nm"); "" for a pure number
    scale: float  # SI value of one ``shown`` unit
    low: float | None  # smallest allowed SI value
    high: float | None  # largest allowed SI value
    about: str
    low_open: bool = False  # the smallest value itself is refused (> rather than >=)
    kind: str = "float"  # float, int, text, axis
    nullable: bool = False  # null is a value (meaning written in ``about``)
    difference: bool = False  # a temperature difference: degC would add 273 K

    def show(self, value: float | None) -> str:
        """``value`` (SI) in the file's unit: ``5e-9`` -> ``'5 nm'``."""
        if value is None:
            return "null"
        if self.kind in ("int", "text"):
            return str(value)
        number = format_number(value / self.scale)
        return f"{number} {self.shown}" if self.shown else number

    def show_short(self, value: float) -> str:
        """``value`` (SI) to 4 digits in the file's unit: ``1e-6`` -> ``'1000 nm'``."""
        return f"{short_number(value / self.scale)} {self.shown}".strip()

    @property
    def range_text(self) -> str:
        """The allowed values in words: 'above 0, at most 1000 nm'."""
        unit = f" {self.shown}" if self.shown else ""

        def short(x: float) -> str:
            return short_number(x / self.scale)

        low = None if self.low is None else short(self.low)
        high = None if self.high is None else short(self.high)
        if low is not None and self.low_open:
            return f"above {low}" + (f", at most {high}{unit}" if high else unit)
        if low is not None:
            return f"{low} to {high}{unit}" if high else f"at least {low}{unit}"
        return f"at most {high}{unit}" if high is not None else "any value"


def short_number(x: float) -> str:
    return f"{x:.4g}".replace("e+0", "e").replace("e+", "e").replace("e-0", "e-")


def format_number(x: float) -> str:
    """Up to 12 significant digits, no trailing zeros: what reads back to the same
    float that :func:`labspin.configfiles.parse_quantity` makes of it."""
    text = f"{x:.12g}"
    return text.replace("e+", "e")


def _q(unit, shown, scale, low, high, about, **kw) -> Spec:
    return Spec(unit, shown, scale, low, high, about, **kw)


_NAME = Spec("", "", 1.0, None, None, "what the layer is, as the stack label shows it",
             kind="text")
_THICKNESS = _q("m", "nm", 1e-9, 0.0, 1e-6, "film thickness", low_open=True)
_RESISTIVITY = _q("ohm*m", "uohm cm", 1e-8, 1e-9, 1e-3,
                  "electrical resistivity at 300 K", )
_LAMBDA = _q("m", "nm", 1e-9, 0.0, 1e-6, "spin diffusion length", low_open=True)
_SHA = _q("1", "", 1.0, -1.0, 1.0, "spin Hall angle (efficiency of the charge-to-spin "
          "conversion, its sign included)")
_G_SPIN = _q("1/(ohm*m**2)", "ohm^-1 m^-2", 1.0, 0.0, 1e17, "spin conductance")
_FL = _q("1", "", 1.0, -20.0, 20.0, "field-like / damping-like torque ratio")

FERROMAGNET = {
    "name": _NAME,
    "thickness": _THICKNESS,
    "resistivity": _RESISTIVITY,
    "spin_diffusion_length": _LAMBDA,
    "spin_hall_angle": _SHA,
    "saturation_magnetization": _q("A/m", "kA/m", 1e3, 0.0, 3e6,
                                   "M_s at 300 K", low_open=True),
    "curie_temperature": _q("K", "K", 1.0, 0.0, 2000.0, "Curie temperature", low_open=True),
    "gilbert_damping": _q("1", "", 1.0, 0.0, 1.0, "intrinsic Gilbert damping alpha_0 "
                          "(without any spin sink)", low_open=True),
    "anisotropy_field": _q("T", "mT", 1e-3, 0.0, 20.0, "uniaxial anisotropy field B_K "
                           "along the easy axis, at 300 K", low_open=True),
    "effective_magnetization": _q("T", "T", 1.0, 0.0, 3.0, "mu0 M_eff of the easy-plane "
                                  "term at 300 K (0 for a perpendicular magnet)"),
    "easy_axis": Spec("1", "", 1.0, None, None, "easy axis: x (along the current), y "
                      "(across it), z (the film normal) or a vector [x, y, z]",
                      kind="axis"),
    "nucleation_field": _q("T", "mT", 1e-3, 0.0, 20.0, "zero-temperature reversal field "
                           "of the whole bar (null: the anisotropy field, a single "
                           "domain)", low_open=True, nullable=True),
    "resistivity_temperature_coefficient": _q("1/K", "K^-1", 1.0, -0.01, 0.01,
                                              "beta: d(rho)/dT / rho"),
    "field_like_ratio": _FL,
    "anisotropy_exponent": _q("1", "", 1.0, 0.0, 10.0, "k in B_K(T) ~ M_s(T)^k (1 for "
                              "shape anisotropy)", low_open=True),
}

ANTIFERROMAGNET = {
    "name": _NAME,
    "thickness": _THICKNESS,
    "neel_temperature": _q("K", "K", 1.0, 0.0, 2000.0, "bulk Neel temperature",
                           low_open=True),
    "spin_conductance": _q("1/(ohm*m**2)", "ohm^-1 m^-2", 1.0, 0.0, 1e17,
                           "magnon spin conductance G_A of a thick film at T_N"),
    "magnon_length": _q("m", "nm", 1e-9, 0.0, 1e-6, "thickness over which the magnon "
                        "spin conductance builds up", low_open=True),
    "neel_thickness_scale": _q("m", "nm", 1e-9, 0.0, 1e-7, "finite-size lowering: T_N(t) "
                               "= T_N (1 - scale / t)"),
    "magnon_exponent": _q("1", "", 1.0, 0.0, 10.0, "p: how fast the magnon population "
                          "rises below T_N", low_open=True),
    "paramagnetic_floor": _q("1", "", 1.0, 0.0, 1.0, "G_A far above T_N, as a fraction "
                             "of its peak"),
    "pumping_fraction": _q("1", "", 1.0, 0.0, 1.0, "share of G_A that absorbs GHz spin "
                           "pumping (extra damping)"),
    "critical_width": _q("K", "K", 1.0, 0.0, 1000.0, "width of the critical enhancement "
                         "around T_N", low_open=True, difference=True),
    "critical_weight": _q("1", "", 1.0, 0.0, 100.0, "height of the critical enhancement "
                          "at T_N"),
}

OXIDE_CAP = {
    "name": _NAME,
    "thickness": _q("m", "nm", 1e-9, 0.0, 1e-5, "film thickness", low_open=True),
    "spin_conductance": _q("1/(ohm*m**2)", "ohm^-1 m^-2", 1.0, 0.0, 1e17,
                           "spin conductance (0: reflects all spin current)"),
}

HEAVY_METAL = {
    "name": _NAME,
    "thickness": _THICKNESS,
    "resistivity": _RESISTIVITY,
    "spin_diffusion_length": _LAMBDA,
    "spin_hall_angle": _SHA,
    "interface_conductance": _q("1/(ohm*m**2)", "ohm^-1 m^-2", 1.0, 0.0, 1e17,
                                "effective spin-mixing conductance of the HM/FM interface",
                                low_open=True),
    "spin_memory_loss": _q("1", "", 1.0, 0.0, 1.0, "fraction of the spin current lost at "
                           "the interface"),
    "field_like_ratio": _FL,
}

HALL_BAR = {
    "width": _q("m", "um", 1e-6, 1e-8, 1e-2, "width of the current channel"),
    "length": _q("m", "um", 1e-6, 1e-8, 1e-2, "distance between the V_xx probes"),
    "hall_misalignment": _q("1", "", 1.0, -1.0, 1.0, "R_xy offset from misaligned Hall "
                            "probes, as a fraction of R_xx of the probe section"),
}

READOUT = {
    "amr_ratio": _q("1", "", 1.0, -0.5, 0.5, "anisotropic magnetoresistance dR_AMR / R_0"),
    "smr_ratio": _q("1", "", 1.0, -0.5, 0.5, "spin Hall magnetoresistance dR_SMR / R_0"),
    "anomalous_hall": _q("ohm", "ohm", 1.0, -1e4, 1e4, "anomalous Hall resistance R_AHE"),
    "planar_hall": _q("ohm", "ohm", 1.0, -1e4, 1e4, "planar Hall resistance R_PHE (null: "
                      "what the AMR of the bar gives, dR_AMR w / (2 L))", nullable=True),
    "ordinary_hall": _q("ohm/T", "ohm/T", 1.0, -1e4, 1e4, "ordinary Hall coefficient R_OHE"),
    "usmr_efficiency": _q("m**2/A", "m^2/A", 1.0, -1e-12, 1e-12, "unidirectional "
                          "magnetoresistance per unit of xi_DL J: dR_USMR / R_0 / (xi_DL J)"),
    "nernst_coefficient": _q("V/A**2", "V/A^2", 1.0, -1e4, 1e4, "anomalous Nernst voltage "
                             "per current squared"),
}

THERMAL = {
    "stage_temperature": _q("K", "K", 1.0, 0.0, 1000.0, "temperature of the chuck",
                            low_open=True),
    "thermal_resistance": _q("K/W", "K/W", 1.0, 0.0, 1e8, "Joule heating: temperature "
                             "rise per watt in the bar", low_open=True),
    "thermal_time_constant": _q("s", "ns", 1e-9, 0.0, 1.0, "how fast the bar heats and "
                                "cools", low_open=True),
    "failure_temperature": _q("K", "K", 1.0, 0.0, 3000.0, "the bar burns open above it",
                              low_open=True),
}

KINETICS = {
    "barrier": _q("1", "", 1.0, 0.0, 1000.0, "energy barrier Delta_0 at 300 K, zero field "
                  "and current, in units of k_B T", low_open=True),
    "attempt_time": _q("s", "ns", 1e-9, 1e-15, 1e-3, "attempt time tau_0 of thermal "
                       "activation"),
    "current_exponent": _q("1", "", 1.0, 0.0, 10.0, "n in Delta (1 - I/I_c0)^n",
                           low_open=True),
    "field_exponent": _q("1", "", 1.0, 0.0, 10.0, "exponent of the field factor of the "
                         "barrier", low_open=True),
    "grains": Spec("1", "", 1.0, 1.0, 4096.0, "number of reversal units the bar is made "
                   "of (more: smoother loops, slower)", kind="int"),
    "dispersion": _q("1", "", 1.0, 0.0, 1.0, "relative scatter of the grains' barriers "
                     "and fields"),
    "chirality_field": _q("T", "mT", 1e-3, 0.0, 10.0, "in-plane field above which a "
                          "perpendicular magnet reverses deterministically", low_open=True),
}

#: the fields of each parameter class
FIELDS: dict[type, dict[str, Spec]] = {
    Ferromagnet: FERROMAGNET,
    Antiferromagnet: ANTIFERROMAGNET,
    OxideCap: OXIDE_CAP,
    HeavyMetal: HEAVY_METAL,
    HallBar: HALL_BAR,
    Readout: READOUT,
    ThermalEnvironment: THERMAL,
    SwitchingKinetics: KINETICS,
}

#: the layers ``bottom`` and ``top`` may be, by the ``type`` a file gives
LAYER_TYPES: dict[str, type] = {
    "Antiferromagnet": Antiferromagnet,
    "OxideCap": OxideCap,
    "HeavyMetal": HeavyMetal,
}

#: sections of a device file and the class each holds (None: a layer, chosen by type)
SECTIONS: dict[str, type | None] = {
    "ferromagnet": Ferromagnet,
    "bottom": None,
    "top": None,
    "hall_bar": HallBar,
    "readout": Readout,
    "thermal": ThermalEnvironment,
    "kinetics": SwitchingKinetics,
}

#: what people write for a key, and the key they mean
ALIASES: dict[str, str] = {
    "ms": "saturation_magnetization", "m_s": "saturation_magnetization",
    "magnetization": "saturation_magnetization",
    "alpha": "gilbert_damping", "damping": "gilbert_damping",
    "tc": "curie_temperature", "t_c": "curie_temperature",
    "tn": "neel_temperature", "t_n": "neel_temperature",
    "bk": "anisotropy_field", "b_k": "anisotropy_field", "hk": "anisotropy_field",
    "meff": "effective_magnetization", "m_eff": "effective_magnetization",
    "rho": "resistivity", "theta": "spin_hall_angle", "theta_sh": "spin_hall_angle",
    "lambda": "spin_diffusion_length", "lambda_sf": "spin_diffusion_length",
    "g_mix": "interface_conductance", "spin_mixing_conductance": "interface_conductance",
    "g_a": "spin_conductance", "t": "thickness",
    "r_ahe": "anomalous_hall", "r_phe": "planar_hall",
    "r_th": "thermal_resistance", "tau_th": "thermal_time_constant",
    "delta": "barrier", "delta_0": "barrier", "tau_0": "attempt_time",
    "fm": "ferromagnet", "afm": "top", "antiferromagnet": "top", "heavy_metal": "bottom",
    "heavymetal": "bottom", "oxide": "top", "oxidecap": "top", "afmi": "top", "substrate": "bottom",
    "cap": "top", "hallbar": "hall_bar", "geometry": "hall_bar", "bar": "hall_bar",
    "thermal_environment": "thermal", "switching_kinetics": "kinetics",
}
