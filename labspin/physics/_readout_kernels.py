"""Compiled readout of the Hall bar (numba): branch equilibria and the voltages they give.

``Device.voltages`` and ``Device.harmonic_voltages`` solve the torque balance of each
occupied branch at each current (``_quasistatic_kernels.solve``) and apply the readout
of :mod:`labspin.physics.readout`; a lock-in point needs that at some seventeen
currents. Here one call does all of them, with the same arithmetic in the same order as
``readout.resistances`` and ``readout.nernst_voltages`` (``tests/physics/
test_compiled_device.py`` holds them to the numpy path).

A row per current (:data:`ROW_FIELDS`) carries what depends on the bar's temperature at
that current; ``consts`` carries the rest: ``[amr, smr, usmr_efficiency, anomalous_hall,
ordinary_hall, hall_misalignment, width, length, nernst, planar_hall (NaN: from AMR),
u_x, u_y, u_z]``.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

from labspin.physics._quasistatic_kernels import solve

ROW_FIELDS = ("channel_resistance", "xi_dl", "conducting_thickness", "anisotropy_field",
              "demag_field", "b_dl_per_ampere", "b_y_per_ampere")
_R0, _XI, _TC, _BK, _BD, _BDL, _BY = range(len(ROW_FIELDS))
TOL, MAX_ITERATIONS = 1e-11, 200  # quasistatic.equilibrium's defaults


@njit(cache=True)
def field_terms(field, current, row, consts):
    """quasistatic._packed(Device._terms(props, current)) for sigma = y."""
    b_y = row[_BY] * current
    p = np.empty(13)
    p[0], p[1], p[2] = field[0] + b_y * 0.0, field[1] + b_y * 1.0, field[2] + b_y * 0.0
    p[3] = row[_BK]
    p[4], p[5], p[6] = consts[10], consts[11], consts[12]
    p[7], p[8], p[9] = row[_BD], row[_BDL] * current, 0.0
    p[10], p[11], p[12] = 0.0, 1.0, 0.0
    return p


@njit(cache=True)
def branch_voltages(currents, rows, field, branches, starts, consts, out):
    """out[k] = (V_xx, V_xy, R_xx, R_xy) with ``currents[k]`` flowing (properties
    ``rows[k]``): share-weighted sums over the occupied branches (``branches[j]`` =
    (state, share), solved from ``starts[j]``) of I R plus the Nernst voltages, and of R."""
    amr, smr, usmr, ahe, ohe = consts[0], consts[1], consts[2], consts[3], consts[4]
    misalign, width, length, nernst, planar_set = (consts[5], consts[6], consts[7],
                                                   consts[8], consts[9])
    b_z = field[2]
    for k in range(currents.size):
        current, row = currents[k], rows[k]
        p = field_terms(field, current, row, consts)
        r0 = row[_R0]
        j = current / (width * row[_TC])
        planar = planar_set if not math.isnan(planar_set) else \
            amr * r0 * width / (2.0 * length)
        c = nernst * current ** 2
        v_xx = v_xy = r_sum_xx = r_sum_xy = 0.0
        for b in range(branches.shape[0]):
            m, _, _, _ = solve(p, starts[b], TOL, MAX_ITERATIONS)
            mx, my, mz = m[0], m[1], m[2]
            share = branches[b, 1]
            r_xx = (r0 * (1.0 + amr * mx ** 2 + smr * (1.0 - my ** 2))
                    - r0 * usmr * row[_XI] * j * my)
            r_xy = ahe * mz + 2.0 * planar * mx * my + ohe * b_z + misalign * r0
            n_xx = -c * length / width * my
            n_xy = c * mx
            v_xx += share * (current * r_xx + n_xx)
            v_xy += share * (current * r_xy + n_xy)
            r_sum_xx += share * r_xx
            r_sum_xy += share * r_xy
        out[k, 0], out[k, 1], out[k, 2], out[k, 3] = v_xx, v_xy, r_sum_xx, r_sum_xy
