"""A stateful Hall-bar device for the simulated bench to drive.

The bar is an ensemble of reversal units (grains) each in state +1 or -1 along the easy
axis; within a state every grain sits on the same quasi-static branch, so the readout
needs two equilibria, not one per grain. Field changes follow the branches (a vanished
branch forces its grains over); holding a field or a current for a while, and current
pulses, reverse grains by thermal activation (``activation``); pulses shorter than
``LLG_MAX_PULSE`` are integrated with stochastic LLG instead. Every random draw comes
from one seeded generator, so the same seed and the same calls give the same history.

The rates, a pulse's heating transient and the branch readout run in numba kernels
(``_activation_kernels``, ``_quasistatic_kernels``); ``_device_reference.ReferenceDevice``
is the same bar in numpy, which the tests hold this one to. Readings of an unchanged bar
(same field, grains, branches and stage) are remembered, as are the properties at the
currents and temperatures it has seen.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from labspin.physics import _activation_kernels as _ak
from labspin.physics import _quasistatic_kernels as _rk
from labspin.physics import quasistatic, readout
from labspin.physics._kernel_rows import (
    activation_row,
    activation_table,
    kinetics_vector,
    readout_consts,
    readout_row,
)
from labspin.physics.parameters import DeviceParameters
from labspin.physics.properties import (
    DeviceProperties,
    properties_at,
    pulse_energy,
    steady_temperature,
    temperature_during_pulse,
)

LLG_MAX_PULSE = 50e-9  # s; shorter pulses are integrated with stochastic LLG
LLG_SEGMENTS = 8  # pieces of an LLG pulse, each at the bar's temperature in its middle
LLG_RELAX = 5e-9  # s integrated after an LLG pulse, torques off, for m to settle
_SIGMA = np.array([0.0, 1.0, 0.0])
#: sin(wt) at 16 equally spaced phases, as its 9 distinct values and their weights: the
#: mean of a rate over one period of a sine is exact to ~1e-12 for drives of the size a
#: read current gives (exp(a sin wt), a < 5)
_SINE_SAMPLES, _SINE_WEIGHTS = np.unique(np.round(np.sin(2 * np.pi * np.arange(16) / 16), 12),
                                         return_counts=True)
_SINE_WEIGHTS = _SINE_WEIGHTS / 16.0
_DC_SAMPLES, _DC_WEIGHTS = np.zeros(1), np.ones(1)  # no sine: the DC rate itself
_MEMO_SIZE = 512  # per-bar tables of pulses and lock-in points kept for reuse


@dataclass(frozen=True)
class PulseOutcome:
    """What one current pulse did."""

    amplitude: float  # A
    width: float  # s
    switched_fraction: float  # share of grains that reversed
    peak_temperature: float  # K
    energy: float  # J, I^2 integral of R(T(t)) dt, R between the V_xx probes (hot)
    regime: str  # "thermal" or "llg"
    burnt: bool


@dataclass(frozen=True)
class HarmonicVoltages:
    """Lock-in voltages for an AC current I_0 sin(wt), volts."""

    xx_1w: float
    xx_2w: float
    xy_1w: float
    xy_2w: float


class Device:
    """One Hall bar: magnetic state, temperature and readout, driven by field and current."""

    def __init__(self, params: DeviceParameters, seed: int | None = 0,
                 initial_state: int = 1) -> None:
        self.params = params
        self.rng = np.random.default_rng(seed)
        kin = params.kinetics
        self.barrier_scale = np.exp(kin.dispersion * self.rng.standard_normal(kin.grains))
        self.nucleation_scale = np.exp(kin.dispersion * self.rng.standard_normal(kin.grains))
        self.states = np.full(kin.grains, 1 if initial_state >= 0 else -1, dtype=np.int8)
        self.field = np.zeros(3)
        self.stage_temperature = params.thermal.stage_temperature
        self.burnt = False
        self._branches: dict[int, np.ndarray] = {}
        self._saturated = False
        self._kin = kinetics_vector(params)
        self._readout_consts = readout_consts(params)
        self._pulse_memo: dict[bytes, tuple] = {}
        self._harmonic_memo: dict[tuple, tuple] = {}
        self._memo: dict = {}
        self._thermal_memo: dict[tuple, tuple] = {}
        self._settled_branches: tuple | None = None
        self._update_branches()

    # -- state ------------------------------------------------------------------------
    @property
    def easy_axis(self) -> np.ndarray:
        return np.asarray(self.params.ferromagnet.easy_axis)

    @property
    def mean_state(self) -> float:
        """Mean of the grain states along the easy axis, from -1 to +1."""
        return float(np.mean(self.states))

    def reset(self, state: int) -> None:
        """Put every grain in ``state`` (+1 or -1), as a saturating field would."""
        self.states[:] = 1 if state >= 0 else -1
        self._update_branches()

    def set_stage_temperature(self, temperature: float) -> None:
        if not (math.isfinite(temperature) and temperature > 0):
            raise ValueError(f"stage temperature must be a positive number of kelvin, "
                             f"got {temperature!r}")
        self.stage_temperature = float(temperature)
        self._update_branches()

    def set_field(self, b_field) -> None:
        """Apply a field (3-vector in the sample frame, tesla); branches that vanish at
        this field force their grains into the other state at once."""
        b = np.asarray(b_field, dtype=float).reshape(3)
        if not np.all(np.isfinite(b)):
            raise ValueError(f"field must be finite, got {b_field!r}")
        self.field = b
        self._update_branches()

    def temperature(self, current: float = 0.0) -> float:
        """Steady bar temperature (K) with a DC ``current`` (A) flowing."""
        return steady_temperature(self.params, current, self.stage_temperature)

    # -- quasi-static magnetisation ---------------------------------------------------
    def _thermal(self, current: float) -> tuple[float, DeviceProperties]:
        """(steady temperature, properties there) with a DC ``current``, remembered per
        bar: the bench asks for the same few currents over and over."""
        key = (current, self.stage_temperature)
        found = self._thermal_memo.get(key)
        if found is None:
            t = self.temperature(current)
            props = properties_at(self.params,
                                  min(t, 10 * self.params.thermal.failure_temperature))
            found = self._remember(self._thermal_memo, key, (t, props))
        return found

    def _properties(self, current: float) -> DeviceProperties:
        return self._thermal(current)[1]

    def _terms(self, props: DeviceProperties, current: float) -> quasistatic.FieldTerms:
        tr = props.transport
        b_y = (tr.b_fl_per_ampere + tr.b_oersted_per_ampere) * current
        return quasistatic.FieldTerms(
            b_applied=self.field + b_y * _SIGMA, b_anisotropy=props.anisotropy_field,
            easy_axis=self.easy_axis, b_demag=props.demag_field,
            b_dl=tr.b_dl_per_ampere * current, sigma=_SIGMA)

    def _update_branches(self) -> None:
        """Follow the branches of the occupied states to the present field; a branch
        that has vanished sends its grains into the other well.

        Deterministic in (field, stage, grains, branches, saturation): when the last
        call changed none of them and nothing has changed since, this one would not
        either, and is skipped."""
        key = (np.asarray(self.field, dtype=float).tobytes(), self.stage_temperature,
               self.states.tobytes(), self._saturated)
        if self._settled_branches is not None and self._settled_branches[0] == key \
                and self._settled_branches[1] is self._branches:
            return
        states_before, branches_before = self.states.tobytes(), self._branches
        self._follow_branches()
        settled = (self.states.tobytes() == states_before and
                   self._saturated == key[3] and
                   self._branches.keys() == branches_before.keys() and
                   all(np.array_equal(m, branches_before[s])
                       for s, m in self._branches.items()))
        self._settled_branches = (key, self._branches) if settled else None

    def _follow_branches(self) -> None:
        p = _rk.field_terms(np.asarray(self.field, dtype=float), 0.0,
                            readout_row(self._properties(0.0)), self._readout_consts)
        u = self.easy_axis
        found = {}
        for s in (1, -1):  # quasistatic.branch of each occupied state, compiled
            if np.any(self.states == s):
                previous = self._branches.get(s)
                start = np.asarray(previous if previous is not None else s * u, dtype=float)
                found[s] = _rk.solve(p, start, _rk.TOL, _rk.MAX_ITERATIONS)[0]
        saturated = all(abs(float(m @ u)) < 1e-6 for m in found.values())
        if saturated:
            self._saturated = True
        elif self._saturated:
            # Leaving hard-axis saturation: each grain falls into either well.
            self.states[:] = self.rng.choice(np.array([-1, 1], dtype=np.int8),
                                             size=self.states.size)
            self._saturated = False
        branches: dict[int, np.ndarray] = {}
        for s, m in found.items():
            if not saturated and np.sign(m @ u) != s:
                self.states[self.states == s] = -s  # the branch is gone
                branches[-s] = m  # where its grains went: the other well
            else:
                branches[s] = m
        self._branches = branches

    def _branch_magnetizations(self, props: DeviceProperties, current: float,
                               ) -> dict[int, np.ndarray]:
        terms = self._terms(props, current)
        out = {}
        for s in (1, -1):
            if np.any(self.states == s):
                start = self._branches.get(s, s * self.easy_axis)
                out[s] = quasistatic.equilibrium(terms, start).m
        return out

    def magnetization(self, current: float = 0.0) -> np.ndarray:
        """Mean unit magnetisation of the bar with ``current`` flowing."""
        props = self._properties(current)
        branches = self._branch_magnetizations(props, current)
        return sum(np.mean(self.states == s) * m for s, m in branches.items())

    # -- readout ----------------------------------------------------------------------
    @property
    def is_open(self) -> bool:
        """True once the bar has burnt open: no current can flow."""
        return self.burnt

    def _state_memo(self) -> dict:
        """What has been read from the bar in its present state (field, grains, their
        branches, stage temperature): a reading repeated before anything changed, as
        instruments do when they check compliance or poll, costs a lookup."""
        key = (np.asarray(self.field, dtype=float).tobytes(), self.states.tobytes(),
               self.stage_temperature)
        memo = self._memo
        if memo.get("key") != key or memo.get("branches") is not self._branches \
                or len(memo) > _MEMO_SIZE:
            memo = self._memo = {"key": key, "branches": self._branches}
        return memo

    def _branch_arrays(self) -> tuple[np.ndarray, np.ndarray]:
        """The occupied branches as the readout kernel takes them: (state, share) rows
        and the magnetisation each is solved from, the +1 branch first."""
        memo = self._state_memo()
        arrays = memo.get("branch arrays")
        if arrays is None:
            n = self.states.size
            rows, starts = [], []
            for s in (1, -1):
                count = int(np.count_nonzero(self.states == s))
                if count:
                    rows.append((s, count / n))
                    starts.append(self._branches.get(s, s * self.easy_axis))
            arrays = memo["branch arrays"] = (np.array(rows, dtype=float).reshape(-1, 2),
                                              np.array(starts, dtype=float).reshape(-1, 3))
        return arrays

    def _readout(self, currents: np.ndarray, rows: np.ndarray) -> np.ndarray:
        """(V_xx, V_xy, R_xx, R_xy) at each current, properties ``rows`` (readout kernel)."""
        branches, starts = self._branch_arrays()
        out = np.empty((currents.size, 4))
        _rk.branch_voltages(currents, rows, np.asarray(self.field, dtype=float), branches,
                            starts, self._readout_consts, out)
        return out

    def _readout_at(self, current: float) -> tuple[float, float, float, float]:
        memo = self._state_memo()
        key = ("dc", float(current))
        found = memo.get(key)
        if found is None:
            row = readout_row(self._properties(current))
            out = self._readout(np.array([float(current)]), row.reshape(1, -1))[0]
            found = memo[key] = (float(out[0]), float(out[1]), float(out[2]), float(out[3]))
        return found

    def resistances(self, current: float) -> readout.Resistances:
        """Grain-averaged R_xx and R_xy (ohm) with ``current`` flowing."""
        if self.burnt:
            return readout.Resistances(math.inf, math.inf)
        out = self._readout_at(current)
        return readout.Resistances(out[2], out[3])

    def voltages(self, current: float) -> tuple[float, float]:
        """(V_xx, V_xy) in volts with a DC ``current``, including the Nernst terms."""
        if self.burnt:
            return math.inf, math.inf
        out = self._readout_at(current)
        return out[0], out[1]

    def harmonic_voltages(self, amplitude: float, n_phase: int = 32) -> HarmonicVoltages:
        """1w and 2w voltages for I_0 sin(wt): quasi-static response at each phase."""
        memo = self._state_memo()
        found = memo.get(("harmonic", float(amplitude), int(n_phase)))
        if found is not None:
            return found
        key = (float(amplitude), int(n_phase), self.stage_temperature)
        tables = self._harmonic_memo.get(key)
        if tables is None:
            phases = 2 * np.pi * np.arange(n_phase) / n_phase
            currents = np.round(amplitude * np.sin(phases), 15)
            distinct, where = np.unique(currents, return_inverse=True)
            rows = np.array([readout_row(self._properties(float(i))) for i in distinct])
            tables = self._remember(self._harmonic_memo, key, (distinct, rows, where))
        distinct, rows, where = tables
        v = self._readout(distinct, rows)[where]
        xx1, xx2 = readout.harmonic_projection(v[:, 0])
        xy1, xy2 = readout.harmonic_projection(v[:, 1])
        found = HarmonicVoltages(xx1, xx2, xy1, xy2)
        memo[("harmonic", float(amplitude), int(n_phase))] = found
        return found

    @staticmethod
    def _remember(memo: dict, key, value):
        if len(memo) >= _MEMO_SIZE:
            memo.clear()
        memo[key] = value
        return value

    # -- switching --------------------------------------------------------------------
    def _escape_rates(self, props: DeviceProperties, current: float,
                      states: np.ndarray | None = None) -> np.ndarray:
        """Per grain, the rate (1/s) out of the well of ``states`` (default: the present
        ones) at a DC ``current`` with the properties ``props``."""
        states = self.states if states is None else np.asarray(states, dtype=np.int8)
        return self._rate_pair(props, current, states)[0]

    def _rate_pair(self, props: DeviceProperties, current: float,
                   states: np.ndarray | None = None) -> np.ndarray:
        """Per grain, (rate out of its present well, rate back into it), shape (2, n)."""
        states = self.states if states is None else states
        row, r, tail = activation_row(props)
        out = np.empty((2, states.size))
        _ak.rate_pairs(out, states, np.asarray(self.field, dtype=float), float(current), row,
                       self._kin, r, tail, self.barrier_scale, self.nucleation_scale)
        return out

    def _flip(self, probability: np.ndarray) -> int:
        flips = self.rng.random(self.states.size) < probability
        count = int(np.count_nonzero(flips))
        if count:
            self.states[flips] *= -1
        return count

    def wait(self, duration: float, current: float = 0.0, ac_amplitude: float = 0.0) -> int:
        """Hold the present field for ``duration`` seconds with a DC ``current`` and a sine
        of peak ``ac_amplitude`` (A) flowing; return the number of grains that reversed
        thermally.

        The bar heats with the rms current, sqrt(I_dc^2 + I_ac^2 / 2): its thermal time
        constant (tens of ns) is far shorter than any wait, but it follows a kHz sine
        only as its mean power. The torque follows the instantaneous current, so the
        escape rates are averaged over one period of the sine (PHYSICS.md, Readout): a
        wait is many periods long and each grain sees the period-averaged rate. The
        damping-like torque of a sine thus averages out; what remains raises the rates
        of both wells alike (the rate is convex in the current), lowering the coercive
        field of a loop symmetrically instead of shifting it. A DC current does shift
        it (Pai et al., PRB 93, 144409 (2016))."""
        if duration <= 0 or self.burnt:
            return 0
        heating = math.hypot(current, ac_amplitude / math.sqrt(2))
        t, props = self._thermal(heating)
        if t >= self.params.thermal.failure_temperature:
            self.burnt = True
            return 0
        row, r, tail = activation_row(props)
        sine, weights = (_SINE_SAMPLES, _SINE_WEIGHTS) if ac_amplitude else (_DC_SAMPLES,
                                                                            _DC_WEIGHTS)
        flipped = self._flip(_ak.wait_reversal(
            self.states, np.asarray(self.field, dtype=float), float(current),
            float(ac_amplitude), sine, weights, float(duration), row, self._kin, r, tail,
            self.barrier_scale, self.nucleation_scale))
        if flipped:
            self._update_branches()
        return flipped

    def apply_pulse(self, amplitude: float, width: float) -> PulseOutcome:
        """A rectangular current pulse (A, s) along x; the bar starts at the stage
        temperature and heats with the thermal time constant."""
        if not (math.isfinite(amplitude) and math.isfinite(width) and width > 0):
            raise ValueError(f"pulse needs a finite amplitude and a positive width, got "
                             f"{amplitude!r} A, {width!r} s")
        th = self.params.thermal
        if self.burnt:
            return PulseOutcome(amplitude, width, 0.0, self.stage_temperature, 0.0,
                                "thermal", True)
        times, temps = self._heating_transient(amplitude, width)
        peak = float(temps[-1])
        energy, _ = pulse_energy(self.params, amplitude, width, self.stage_temperature)
        if peak >= th.failure_temperature:
            self.burnt = True
            return PulseOutcome(amplitude, width, 0.0, peak, energy, "thermal", True)
        before = self.states.copy()
        if width < LLG_MAX_PULSE:
            self._pulse_llg(amplitude, width)
            regime = "llg"
        else:
            self._flip(self._pulse_reversal(amplitude, width, times, temps))
            regime = "thermal"
        self._update_branches()
        switched = np.count_nonzero(before != self.states) / self.states.size
        return PulseOutcome(amplitude, width, switched, peak, energy, regime, False)

    def _heating_transient(self, amplitude: float, width: float,
                           ) -> tuple[np.ndarray, np.ndarray]:
        """Times (s) across the heating transient of a pulse (its first 8 thermal time
        constants, or all of it) and the bar's temperature (K) at each."""
        th = self.params.thermal
        transient = min(width, 8 * th.thermal_time_constant)
        key = ("transient", float(amplitude), transient, self.stage_temperature)
        found = self._thermal_memo.get(key)
        if found is None:
            times = np.linspace(0.0, transient, 33)
            temps = temperature_during_pulse(self.params, amplitude, times,
                                             self.stage_temperature)
            found = self._remember(self._thermal_memo, key, (times, temps))
        return found

    def _pulse_reversal(self, amplitude: float, width: float, times: np.ndarray,
                        temps: np.ndarray) -> np.ndarray:
        """Per grain, the probability to end the pulse in the other well.

        A grain is a two-state system: it leaves its well at rate r_out and comes back at
        r_back, so q' = r_out (1 - q) - r_back q. Where only r_out matters (a torque
        that favours one well) this is 1 - exp(-integral of r_out); where heat makes both
        fast, q tends to r_out / (r_out + r_back) instead of flipping every grain.
        Rates are held constant over each step of the heating transient, then at their
        steady value for the rest of the pulse."""
        times = np.ascontiguousarray(times, dtype=float)
        temps = np.ascontiguousarray(temps, dtype=float)
        key = times.tobytes() + temps.tobytes()
        tables = self._pulse_memo.get(key)
        if tables is None:
            tables = self._remember(self._pulse_memo, key, activation_table(
                [properties_at(self.params, float(t)) for t in temps]))
        rows, which, r_tables, tail_tables = tables
        return _ak.pulse_reversal(self.states, np.asarray(self.field, dtype=float),
                                  float(amplitude), float(width), times, rows, which,
                                  self._kin, r_tables, tail_tables, self.barrier_scale,
                                  self.nucleation_scale)

    def switching_probability(self, amplitude: float, width: float) -> float:
        """Expected share of grains that one pulse reverses, without applying it
        (thermal regime; used for predictions and plans)."""
        th = self.params.thermal
        times, temps = self._heating_transient(amplitude, width)
        if temps[-1] >= th.failure_temperature:
            return math.nan
        return float(np.mean(self._pulse_reversal(amplitude, width, times, temps)))

    def _pulse_llg(self, amplitude: float, width: float) -> None:
        """Stochastic LLG of each occupied branch through the pulse and after it
        (``_device_llg.pulse_llg``)."""
        from labspin.physics._device_llg import pulse_llg  # numba's LLG loads on first use

        pulse_llg(self, amplitude, width)
