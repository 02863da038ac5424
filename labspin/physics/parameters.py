"""Parameter dataclasses of an FM/AFMI Hall-bar device, one per layer or aspect, SI units.

Stacks are listed from the substrate up: ``bottom`` is grown first, then the
ferromagnet, then ``top``. Every dataclass validates itself on construction and raises
:class:`ParameterError` naming the offending field, so a typo in a preset or a station
file fails where it is written rather than as a NaN deep inside an integration.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, fields, replace
from typing import Any

import numpy as np


class ParameterError(ValueError):
    """A device parameter is missing, not finite, out of range or inconsistent."""


def _check(owner: object, name: str, *, positive: bool = False, nonnegative: bool = False,
           at_most: float | None = None, allow_inf: bool = False) -> None:
    value = getattr(owner, name)
    label = f"{type(owner).__name__}.{name}"
    try:
        x = float(value)
    except (TypeError, ValueError):
        raise ParameterError(f"{label} must be a number, got {value!r}") from None
    if math.isnan(x) or (math.isinf(x) and not allow_inf):
        raise ParameterError(f"{label} must be finite, got {value!r}")
    if positive and not x > 0:
        raise ParameterError(f"{label} must be > 0, got {value!r}")
    if nonnegative and x < 0:
        raise ParameterError(f"{label} must be >= 0, got {value!r}")
    if at_most is not None and x > at_most:
        raise ParameterError(f"{label} must be <= {at_most}, got {value!r}")


def _unit_vector(owner: object, name: str) -> tuple[float, float, float]:
    value = getattr(owner, name)
    label = f"{type(owner).__name__}.{name}"
    try:
        v = np.asarray(value, dtype=float).reshape(3)
    except (TypeError, ValueError):
        raise ParameterError(f"{label} must be a 3-vector, got {value!r}") from None
    if not np.all(np.isfinite(v)) or abs(np.linalg.norm(v) - 1.0) > 1e-6:
        raise ParameterError(f"{label} must be a finite unit vector, got {value!r}")
    return (float(v[0]), float(v[1]), float(v[2]))


class _Validated:
    """Mixin: run ``_validate`` after dataclass construction."""

    def __post_init__(self) -> None:
        self._validate()

    def _validate(self) -> None:  # pragma: no cover - overridden
        raise NotImplementedError

    def with_(self, **changes: Any):
        """A copy with some fields changed (validated again)."""
        return replace(self, **changes)


@dataclass(frozen=True)
class Ferromagnet(_Validated):
    """The conducting ferromagnetic layer that carries the current and switches.

    ``spin_hall_angle`` is theta_F, the efficiency with which the FM's own charge
    current makes a transverse spin current polarised along y (Wang et al., Nat.
    Nanotechnol. 14, 819 (2019)). Magnetic fields are flux densities (tesla) at the
    reference temperature 300 K; ``effective_magnetization`` is mu0 M_eff of the
    easy-plane (demagnetising minus interface) term, zero for perpendicular stacks whose
    ``anisotropy_field`` already is the net B_K,eff. ``nucleation_field`` is the
    zero-temperature reversal field of the whole Hall bar, lower than B_K because a
    micrometre bar reverses by nucleation; it sets field-driven switching.
    """

    name: str
    thickness: float  # t_F, m
    resistivity: float  # rho_F at 300 K, ohm m
    spin_diffusion_length: float  # lambda_F, m
    spin_hall_angle: float  # theta_F
    saturation_magnetization: float  # M_s at 300 K, A/m
    curie_temperature: float  # K
    gilbert_damping: float  # alpha_0, without any spin sink
    anisotropy_field: float  # B_K at 300 K, T
    effective_magnetization: float  # mu0 M_eff at 300 K, T
    easy_axis: tuple[float, float, float] = (0.0, 1.0, 0.0)
    nucleation_field: float | None = None  # T; None means B_K (a single domain)
    resistivity_temperature_coefficient: float = 2.5e-3  # beta, 1/K
    field_like_ratio: float = 0.1  # r_FL = B_FL / B_DL
    anisotropy_exponent: float = 1.0  # B_K(T) ~ M_s(T)^k: 1 for shape anisotropy

    def _validate(self) -> None:
        for name in ("thickness", "resistivity", "spin_diffusion_length",
                     "saturation_magnetization", "curie_temperature", "gilbert_damping",
                     "anisotropy_field", "anisotropy_exponent"):
            _check(self, name, positive=True)
        _check(self, "spin_hall_angle", at_most=1.0)
        _check(self, "effective_magnetization", nonnegative=True)
        _check(self, "resistivity_temperature_coefficient")
        _check(self, "field_like_ratio")
        if self.nucleation_field is not None:
            _check(self, "nucleation_field", positive=True)
        object.__setattr__(self, "easy_axis", _unit_vector(self, "easy_axis"))

    @property
    def spin_conductance(self) -> float:
        """G_F = 1/(rho_F lambda_F), ohm^-1 m^-2."""
        return 1.0 / (self.resistivity * self.spin_diffusion_length)

    @property
    def switching_field(self) -> float:
        """Zero-temperature reversal field of the bar, T."""
        return self.nucleation_field if self.nucleation_field is not None else \
            self.anisotropy_field


@dataclass(frozen=True)
class Antiferromagnet(_Validated):
    """An antiferromagnetic insulator that absorbs spin current through its magnons.

    Spin conductance G_A(T, t_A) = spin_conductance * f(T) * (1 - exp(-t_A /
    magnon_length)), f(T) = [floor + (1 - floor) [tau exp(1 - tau)]^p] [1 + w / (1 + ((T -
    T_N) / Gamma)^2)], tau = T / T_N(t_A): a broad hump that rises with the thermal magnon
    population (exponent p) and falls above T_N to a paramagnetic floor, times a critical
    enhancement by up to w = ``critical_weight`` within Gamma = ``critical_width`` (K) of
    the film's Neel temperature, where both peak (Qiu et al., Nat. Commun. 7, 12670
    (2016); labspin.physics.materials). ``spin_conductance`` is the hump's value at T_N;
    the peak is (1 + w) times it. Finite size lowers the Neel
    temperature, T_N(t) = T_N,bulk (1 - neel_thickness_scale / t).
    ``pumping_fraction`` is the share of G_A that absorbs GHz spin pumping: the magnon
    gap of NiO or CoO (about 1 THz) makes pumping less efficient than static absorption.
    """

    name: str
    thickness: float  # t_A, m
    neel_temperature: float  # bulk T_N, K
    spin_conductance: float  # peak G_A of a thick film, ohm^-1 m^-2
    magnon_length: float = 2e-9  # m
    neel_thickness_scale: float = 0.5e-9  # m
    magnon_exponent: float = 2.0  # p
    paramagnetic_floor: float = 0.1
    pumping_fraction: float = 0.15
    critical_width: float = 25.0  # Gamma, K
    critical_weight: float = 1.0  # w

    def _validate(self) -> None:
        for name in ("thickness", "neel_temperature", "magnon_length", "magnon_exponent",
                     "critical_width"):
            _check(self, name, positive=True)
        _check(self, "critical_weight", nonnegative=True)
        for name in ("spin_conductance", "neel_thickness_scale"):
            _check(self, name, nonnegative=True)
        _check(self, "paramagnetic_floor", nonnegative=True, at_most=1.0)
        _check(self, "pumping_fraction", nonnegative=True, at_most=1.0)
        if self.neel_thickness_scale >= self.thickness:
            raise ParameterError(
                f"Antiferromagnet.thickness ({self.thickness:g} m) must exceed "
                f"neel_thickness_scale ({self.neel_thickness_scale:g} m): the film would "
                "have no Neel order")


@dataclass(frozen=True)
class OxideCap(_Validated):
    """An insulating oxide (AlOx, MgO) that reflects spin current: G_C about 0."""

    name: str
    thickness: float
    spin_conductance: float = 0.0  # ohm^-1 m^-2

    def _validate(self) -> None:
        _check(self, "thickness", positive=True)
        _check(self, "spin_conductance", nonnegative=True)


@dataclass(frozen=True)
class HeavyMetal(_Validated):
    """A conducting heavy metal (Pt) beside the FM: it shunts current, makes a spin Hall
    torque and an Oersted field, and pumps spin (extra damping).

    ``interface_conductance`` is the effective spin-mixing conductance of the HM/FM
    interface; ``spin_memory_loss`` the fraction of spin current lost at the interface,
    which lowers the torque and adds damping (Zhu et al., PRL 122, 077201 (2019)).
    """

    name: str
    thickness: float
    resistivity: float  # ohm m
    spin_diffusion_length: float
    spin_hall_angle: float
    interface_conductance: float  # ohm^-1 m^-2
    spin_memory_loss: float = 0.0
    field_like_ratio: float = 0.1

    def _validate(self) -> None:
        for name in ("thickness", "resistivity", "spin_diffusion_length",
                     "interface_conductance"):
            _check(self, name, positive=True)
        _check(self, "spin_hall_angle", at_most=1.0)
        _check(self, "spin_memory_loss", nonnegative=True, at_most=1.0)
        _check(self, "field_like_ratio")

    @property
    def spin_conductance(self) -> float:
        return 1.0 / (self.resistivity * self.spin_diffusion_length)


Layer = Antiferromagnet | OxideCap | HeavyMetal


@dataclass(frozen=True)
class HallBar(_Validated):
    """Hall-bar geometry: current along x through width w; V_xx probes a length L apart."""

    width: float = 5e-6  # m
    length: float = 20e-6  # m, between the V_xx probes
    hall_misalignment: float = 0.002  # R_xy offset as a fraction of the probe section R_xx

    def _validate(self) -> None:
        _check(self, "width", positive=True)
        _check(self, "length", positive=True)
        _check(self, "hall_misalignment")


@dataclass(frozen=True)
class Readout(_Validated):
    """Magnetotransport coefficients of the FM (PHYSICS.md, Readout).

    R_xx = R_0 (1 + beta dT) + dR_AMR m_x^2 + dR_SMR (1 - m_y^2) - r_USMR I m_y
    R_xy = R_AHE m_z + 2 R_PHE m_x m_y + R_OHE B_z + R_offset
    The planar Hall coefficient is in the literature's convention, R_PHE sin^2(theta)
    sin(2 phi) (Hayashi 2014, Avci 2014); left at None it is dR_AMR w / (2 L), what the
    AMR of the bar gives (``labspin.physics.readout.planar_hall_resistance``).
    ``usmr_efficiency`` ties USMR to the torque: dR_USMR / R_0 = usmr_efficiency xi_DL J,
    in m^2/A, since both come from the same interfacial spin accumulation (Avci et al.,
    Nat. Phys. 11, 570 (2015)); a stack without net spin loss has none. The anomalous
    Nernst voltage of the vertical Joule gradient adds ``nernst_coefficient`` I^2 m_x
    (V/A^2) to V_xy and -(L/w) times it, with m_y, to V_xx.
    """

    amr_ratio: float = 0.012  # dR_AMR / R_0
    smr_ratio: float = 0.0  # dR_SMR / R_0
    anomalous_hall: float = 0.3  # R_AHE, ohm
    planar_hall: float | None = None  # R_PHE, ohm; None: dR_AMR w / (2 L)
    ordinary_hall: float = 0.02  # R_OHE, ohm / T
    usmr_efficiency: float = 2e-15  # m^2/A
    nernst_coefficient: float = 0.05  # V/A^2

    def _validate(self) -> None:
        for name in ("amr_ratio", "smr_ratio", "anomalous_hall", "ordinary_hall",
                     "usmr_efficiency", "nernst_coefficient"):
            _check(self, name)
        if self.planar_hall is not None:
            _check(self, "planar_hall")


@dataclass(frozen=True)
class ThermalEnvironment(_Validated):
    """Joule heating: dT = P R_th (1 - exp(-t / tau_th)); above ``failure_temperature``
    the bar burns open."""

    stage_temperature: float = 300.0  # K
    thermal_resistance: float = 1.0e3  # K/W
    thermal_time_constant: float = 20e-9  # s
    failure_temperature: float = 750.0  # K

    def _validate(self) -> None:
        for name in ("stage_temperature", "thermal_resistance", "thermal_time_constant",
                     "failure_temperature"):
            _check(self, name, positive=True)
        if self.failure_temperature <= self.stage_temperature:
            raise ParameterError(
                "ThermalEnvironment.failure_temperature must exceed stage_temperature")


@dataclass(frozen=True)
class SwitchingKinetics(_Validated):
    """Thermally activated reversal: tau = tau_0 exp(Delta), Delta = Delta_0 (field
    factor) (1 - I/I_c0)^n (Lee et al., APL 104, 072413 (2014): n about 1 for SOT).

    The bar is an ensemble of ``grains`` reversal units whose Delta_0 and nucleation
    field scatter by ``dispersion`` (relative, lognormal), so loops round off and
    switching can be partial. ``chirality_field`` is the in-plane field above which the
    reversal of a perpendicular magnet becomes deterministic (domain-wall chirality).
    """

    barrier: float = 60.0  # Delta_0 at 300 K, zero field and current
    attempt_time: float = 3e-9  # tau_0, s: the macrospin's own (labspin.physics.activation)
    current_exponent: float = 1.0  # n
    field_exponent: float = 2.0
    grains: int = 32
    dispersion: float = 0.05
    chirality_field: float = 5e-3  # T

    def _validate(self) -> None:
        for name in ("barrier", "attempt_time", "current_exponent", "field_exponent",
                     "chirality_field"):
            _check(self, name, positive=True)
        _check(self, "dispersion", nonnegative=True, at_most=1.0)
        if not isinstance(self.grains, int | np.integer) or self.grains < 1:
            raise ParameterError(
                f"SwitchingKinetics.grains must be a whole number >= 1, got {self.grains!r}")


@dataclass(frozen=True)
class DeviceParameters(_Validated):
    """A whole Hall-bar device: the stack (bottom, FM, top) and everything around it."""

    name: str
    ferromagnet: Ferromagnet
    bottom: Layer | None = None
    top: Layer | None = None
    hall_bar: HallBar = field(default_factory=HallBar)
    readout: Readout = field(default_factory=Readout)
    thermal: ThermalEnvironment = field(default_factory=ThermalEnvironment)
    kinetics: SwitchingKinetics = field(default_factory=SwitchingKinetics)
    description: str = ""

    def _validate(self) -> None:
        expected = {"ferromagnet": Ferromagnet, "hall_bar": HallBar, "readout": Readout,
                    "thermal": ThermalEnvironment, "kinetics": SwitchingKinetics}
        for name, cls in expected.items():
            if not isinstance(getattr(self, name), cls):
                raise ParameterError(f"DeviceParameters.{name} must be a {cls.__name__}")
        for name in ("bottom", "top"):
            layer = getattr(self, name)
            if layer is not None and not isinstance(layer, Antiferromagnet | OxideCap
                                                    | HeavyMetal):
                raise ParameterError(
                    f"DeviceParameters.{name} must be an Antiferromagnet, OxideCap, "
                    f"HeavyMetal or None, got {type(layer).__name__}")

    def __hash__(self) -> int:
        # The hash of the field values, as the dataclass would give it, computed once:
        # the bench looks its properties up by (parameters, temperature) thousands of
        # times a second, and rehashing the nested layers was a measurable share of it.
        cached = self.__dict__.get("_hash")
        if cached is None:
            cached = hash(tuple(getattr(self, f.name) for f in fields(self)))
            object.__setattr__(self, "_hash", cached)
        return cached

    def __getstate__(self) -> dict[str, Any]:
        # string hashes differ between processes: never carry the cached one along
        return {k: v for k, v in self.__dict__.items() if k != "_hash"}

    @property
    def heavy_metals(self) -> list[tuple[str, HeavyMetal]]:
        """The conducting heavy-metal layers with their side, 'bottom' or 'top'."""
        return [(side, layer) for side, layer in (("bottom", self.bottom), ("top", self.top))
                if isinstance(layer, HeavyMetal)]

    def flipped(self) -> DeviceParameters:
        """The same layers grown in the opposite order (bottom and top exchanged)."""
        return replace(self, bottom=self.top, top=self.bottom, name=f"{self.name} (flipped)")

    @property
    def stack_label(self) -> str:
        parts = [layer for layer in (self.bottom, self.ferromagnet, self.top) if layer]
        return " / ".join(f"{p.name} {p.thickness * 1e9:g} nm" for p in parts)

    def as_dict(self) -> dict[str, Any]:
        """Nested plain dict (for run metadata and JSON)."""
        def convert(obj: Any) -> Any:
            if hasattr(obj, "__dataclass_fields__"):
                out = {"type": type(obj).__name__}
                out.update({f.name: convert(getattr(obj, f.name)) for f in fields(obj)})
                return out
            if isinstance(obj, tuple):
                return list(obj)
            return obj
        return convert(self)
