"""Spin-torque FMR: the rectified mixing voltage of the macrospin's linear response.

An RF current I(t) = I_rf cos(omega t) along x drives the magnetisation through three
fields (PHYSICS.md, Dynamics): the damping-like torque, as the field
B_DL I(t) (m x sigma); the field-like torque and the Oersted field of any heavy metal,
(B_FL + B_Oe) I(t) sigma; and a stray RF field of the probe and leads,
b_stray I(t) sigma (``RFCircuit``). The resistance oscillates with m, and
<I(t) R(t)> leaves a DC voltage, V_mix = (I_rf / 2) Re[grad R . dm] (Liu, Moriyama,
Ralph, Buhrman, PRL 106, 036601 (2011)).

The response is solved in the tangent plane of the equilibrium m0 (basis e2, e3),
linearising the LLG of PHYSICS.md with every static term of
``quasistatic.FieldTerms`` (field, anisotropy, demagnetisation, and a DC current's
damping-like and field-like fields, so a DC bias changes the effective damping):

    (i omega - gamma J (K + i Gamma) - i omega alpha J) d = -gamma J h,

K the 2x2 stiffness (B_tot . m0 minus the projected Jacobian of B_tot), J the 90 degree
rotation, h the projected RF fields per I_rf. Gamma is the inhomogeneous broadening: a
Cauchy spread of local fields along m, whose average is exactly the response at
K + i Gamma (the poles lie in one half-plane).

So the line is the sum of a symmetric Lorentzian (damping-like torque, m out of the
plane) and an antisymmetric one (in-plane fields), around the Kittel field of
``labspin.physics.fmr``, with the half width kappa (alpha omega / gamma + Gamma) and
alpha = alpha_0 + delta_alpha of the one spin-sink conductance G_A (``torque``).

What the antisymmetric part is made of decides what the S/A ratio measures. With a
heavy metal it is its Oersted field (Liu's method) plus the field-like torque and any
stray field, which bias xi_FMR by the factor B_Oe / (B_Oe + B_FL + B_stray). In an
FM/AFMI bar all the current flows in the FM, whose Oersted field averages to zero over
its thickness: A is only the FM's field-like torque and the stray field, so S/A gives
B_DL / B_y, not xi. The damping-like efficiency then comes from the change of the
linewidth with a DC current (alpha_eff = alpha + 2 B_DL sin(phi) / (B_1 + B_2)).

With a DC current I_dc the lock-in also sees I_dc times the precession-averaged change
of R (second order in the cone angle) and the bolometric I_dc dR/dT dT_rf; the RF heats
the bar by its mean power, and the anomalous Nernst effect of that heat rectifies
(``readout.nernst_voltages`` at the rms current).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from labspin.physics import quasistatic, readout
from labspin.physics.constants import GAMMA
from labspin.physics.parameters import DeviceParameters
from labspin.physics.properties import channel_resistance, properties_at, steady_temperature

_SIGMA = np.array([0.0, 1.0, 0.0])
_J = np.array([[0.0, -1.0], [1.0, 0.0]])

#: inhomogeneous broadening Gamma (T) of the presets' films (literature-typical: thin
#: Py 0.2-0.5 mT, more on an exchange-coupled AFMI or a rough heavy metal)
INHOMOGENEOUS_BROADENING = {"py-nio": 0.6e-3, "py-coo": 0.6e-3, "py-alox": 0.3e-3,
                            "pt-py": 0.5e-3, "cofeb-nio-pma": 1.5e-3}
DEFAULT_BROADENING = 0.5e-3


def inhomogeneous_broadening(params: DeviceParameters) -> float:
    """Gamma of a preset (T), or the default for a device of another name."""
    return INHOMOGENEOUS_BROADENING.get(params.name, DEFAULT_BROADENING)


@dataclass(frozen=True)
class RFCircuit:
    """What lies between the generator and the bar: the RF current that reaches the bar
    is smaller than the generator's nominal.

    The generator (source impedance Z0) sends V_inc = sqrt(2 P Z0) peak down a line that
    loses ``loss_at_10ghz`` dB at 10 GHz, growing as sqrt(f) (skin effect), into the
    bar (resistance R) shunted by its pads (capacitance C):
    I_bar = 2 V_inc t / |R + Z0 (1 + i omega R C)|, t = 10^(-loss / 20). ``stray_field``
    is the RF field per ampere along y that the current in the probe and leads makes
    at the bar (a wire 0.1 mm away gives about 2 mT/A).
    """

    impedance: float = 50.0  # Z0, ohm
    loss_at_10ghz: float = 3.0  # dB
    pad_capacitance: float = 20e-15  # F
    stray_field: float = 1e-3  # T/A

    def loss_db(self, frequency: float) -> float:
        return self.loss_at_10ghz * math.sqrt(max(frequency, 0.0) / 10e9)

    def bar_current(self, power_dbm: float, frequency: float, resistance: float) -> float:
        """Peak RF current in the bar (A) for a generator level of ``power_dbm``."""
        if not math.isfinite(resistance):
            return 0.0
        v_inc = math.sqrt(2 * 1e-3 * 10 ** (power_dbm / 10) * self.impedance)
        t = 10 ** (-self.loss_db(frequency) / 20)
        omega = 2 * math.pi * frequency
        load = complex(resistance + self.impedance,
                       omega * resistance * self.pad_capacitance * self.impedance)
        return 2 * v_inc * t / abs(load)


def nominal_bar_current(power_dbm: float, resistance: float, impedance: float = 50.0) -> float:
    """The largest peak RF current ``power_dbm`` can drive into a bar of two-terminal
    ``resistance``: a lossless line and no pad capacitance (an upper bound for limits)."""
    v_inc = math.sqrt(2 * 1e-3 * 10 ** (power_dbm / 10) * impedance)
    return 2 * v_inc / (impedance + max(resistance, 0.0))


@dataclass(frozen=True)
class RFResponse:
    """The rectified voltages (V, CW: the RF at its set level throughout) on one contact
    pair, and what produced them."""

    mixing: float  # (I_rf / 2) Re[grad R . dm]
    dc_bias: float  # I_dc (<R> - R(m0)), second order in the precession
    bolometric: float  # I_dc (R(T with RF) - R(T without))
    nernst: float  # anomalous Nernst voltage of the mean RF heating
    temperature: float  # K, bar temperature with DC and RF
    m0: np.ndarray
    cone: complex  # in-plane complex amplitude d_2 (rad)
    damping: float

    @property
    def total(self) -> float:
        return self.mixing + self.dc_bias + self.bolometric + self.nernst


def _tangent_basis(m0: np.ndarray) -> np.ndarray:
    """3x2 basis (e2, e3) of the plane normal to m0: e2 in the film plane when m0 is."""
    z = np.array([0.0, 0.0, 1.0])
    e2 = np.cross(z, m0)
    if np.linalg.norm(e2) < 1e-6:
        e2 = np.cross(np.array([1.0, 0.0, 0.0]), m0)
    e2 /= np.linalg.norm(e2)
    return np.column_stack([e2, np.cross(m0, e2)])


def _gradient_and_hessian(func, m0: np.ndarray, step: float = 1e-3,
                          ) -> tuple[np.ndarray, np.ndarray]:
    """Gradient and Hessian of a quadratic function of m (exact for the readout)."""
    eye = np.eye(3)
    grad = np.array([(func(m0 + step * e) - func(m0 - step * e)) / (2 * step) for e in eye])
    hess = np.empty((3, 3))
    f0 = func(m0)
    for i in range(3):
        for j in range(3):
            if j < i:
                hess[i, j] = hess[j, i]
                continue
            a, b = step * eye[i], step * eye[j]
            hess[i, j] = (func(m0 + a + b) - func(m0 + a - b) - func(m0 - a + b)
                          + func(m0 - a - b)) / (4 * step * step) if i != j else \
                (func(m0 + a) - 2 * f0 + func(m0 - a)) / (step * step)
    return grad, hess


def linear_response(terms: quasistatic.FieldTerms, m0: np.ndarray, frequency: float,
                    alpha: float, drive: np.ndarray, broadening: float = 0.0,
                    gamma: float = GAMMA) -> np.ndarray:
    """Complex amplitude of dm (3-vector, in the tangent plane) for a drive field of
    complex amplitude ``drive`` (3-vector, T, already including the damping-like field
    B_DL (m0 x sigma)), about the equilibrium ``m0`` of ``terms``."""
    basis = _tangent_basis(m0)
    b0 = float(terms.total_field(m0) @ m0)
    jac = np.column_stack([(terms.total_field(m0 + 1e-4 * e) - terms.total_field(m0 - 1e-4 * e))
                           / 2e-4 for e in np.eye(3)])  # B_tot is linear in m: exact
    stiffness = b0 * np.eye(2) - basis.T @ jac @ basis + 1j * broadening * np.eye(2)
    omega = 2 * math.pi * frequency
    matrix = 1j * omega * np.eye(2) - gamma * _J @ stiffness - 1j * omega * alpha * _J
    delta = np.linalg.solve(matrix, -gamma * _J @ (basis.T @ drive))
    return basis @ delta


def rf_response(params: DeviceParameters, field: np.ndarray, frequency: float,
                rf_current: float, *, dc_current: float = 0.0,
                stage_temperature: float | None = None, mean_power_factor: float = 1.0,
                m_start: np.ndarray | None = None, broadening: float | None = None,
                stray_field: float = 0.0, contacts: str = "xx") -> RFResponse:
    """Rectified voltages on ``contacts`` ("xx" or "xy") with a CW RF current of peak
    ``rf_current`` (A) at ``frequency`` (Hz), a DC ``dc_current`` (A) and ``field``
    (sample frame, T). ``mean_power_factor`` scales the RF heating (an AM envelope
    A0 (1 + d s(t)) carries 1 + d^2/2 of the CW power for a sine s). ``m_start``
    picks the well (default: along the field)."""
    t_stage = params.thermal.stage_temperature if stage_temperature is None else \
        stage_temperature
    rf_rms2 = 0.5 * rf_current**2 * mean_power_factor
    heating = math.sqrt(dc_current**2 + rf_rms2)
    temperature = min(steady_temperature(params, heating, t_stage),
                      0.98 * params.ferromagnet.curie_temperature)
    props = properties_at(params, temperature)
    tr = props.transport
    field = np.asarray(field, dtype=float)
    terms = quasistatic.FieldTerms(
        b_applied=field + (tr.b_fl_per_ampere + tr.b_oersted_per_ampere) * dc_current * _SIGMA,
        b_anisotropy=props.anisotropy_field, easy_axis=np.asarray(params.ferromagnet.easy_axis),
        b_demag=props.demag_field, b_dl=tr.b_dl_per_ampere * dc_current, sigma=_SIGMA)
    start = m_start if m_start is not None and np.linalg.norm(m_start) > 0.5 else field
    if np.linalg.norm(start) == 0:
        start = np.asarray(params.ferromagnet.easy_axis)
    m0 = quasistatic.equilibrium(terms, np.asarray(start, dtype=float)).m
    gamma_inh = inhomogeneous_broadening(params) if broadening is None else broadening
    b_y = tr.b_fl_per_ampere + tr.b_oersted_per_ampere + stray_field
    drive = rf_current * (b_y * _SIGMA + tr.b_dl_per_ampere * np.cross(m0, _SIGMA))
    dm = linear_response(terms, m0, frequency, props.damping, drive, gamma_inh)

    pair = 0 if contacts == "xx" else 1

    def resistance(m: np.ndarray, at=props) -> float:
        r = readout.resistances(params, at, m, 0.0, field[2])
        return r.xx if pair == 0 else r.xy

    grad, hess = _gradient_and_hessian(resistance, m0)
    mixing = 0.5 * rf_current * float(np.real(grad @ dm))
    dc_bias = bolometric = 0.0
    if dc_current:
        # <R> - R(m0) over a precession cycle, the norm of m kept: second order in dm;
        # the Cauchy average of |dm|^2 is (Delta_h + Gamma) / Delta_h times |dm(K + i Gamma)|^2
        homogeneous = props.damping * 2 * math.pi * frequency / GAMMA
        spread = (homogeneous + gamma_inh) / homogeneous
        shift = 0.25 * (float(np.real(np.conj(dm) @ hess @ dm))
                        - float(grad @ m0) * float(np.real(np.conj(dm) @ dm)))
        dc_bias = dc_current * shift * spread
        # every term of R scales with the channel resistance R_0(T); R_0 taken continuous
        # in T (the cached properties are on a 1 mK grid, whose steps I_dc would show)
        cold = steady_temperature(params, dc_current, t_stage)
        r0_hot, r0_cold = (channel_resistance(params, t) for t in (temperature, cold))
        bolometric = dc_current * resistance(m0) * (1 - r0_cold / r0_hot)
    n_xx, n_xy = readout.nernst_voltages(params, m0, math.sqrt(rf_rms2))
    basis = _tangent_basis(m0)
    return RFResponse(mixing=mixing, dc_bias=dc_bias, bolometric=bolometric,
                      nernst=n_xx if pair == 0 else n_xy, temperature=temperature, m0=m0,
                      cone=complex(basis[:, 0] @ dm), damping=props.damping)
