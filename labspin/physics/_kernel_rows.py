"""Device parameters and properties packed into the flat float arrays the compiled
kernels take (``_activation_kernels``, ``_quasistatic_kernels``).

Rows are cached by the identity of the (immutable, themselves cached) objects they pack,
so packing costs a dictionary lookup once the bar has seen a temperature.
"""

from __future__ import annotations

import math
from functools import lru_cache

import numpy as np

from labspin.physics import _activation_kernels as _ak
from labspin.physics.activation import threshold_tables
from labspin.physics.parameters import DeviceParameters
from labspin.physics.properties import DeviceProperties

_SIGMA = np.array([0.0, 1.0, 0.0])
_MAX_ROWS = 16384
_rows: dict[int, tuple[DeviceProperties, np.ndarray, np.ndarray, float]] = {}


def _pack(props: DeviceProperties) -> tuple[DeviceProperties, np.ndarray, np.ndarray, float]:
    tr = props.transport
    activation = np.array([props.anisotropy_field, props.demag_field, props.switching_field,
                           props.barrier, props.damping, tr.b_dl_per_ampere,
                           tr.b_fl_per_ampere + tr.b_oersted_per_ampere])
    readout = np.array([props.channel_resistance, tr.xi_dl, tr.conducting_thickness,
                        props.anisotropy_field, props.demag_field, tr.b_dl_per_ampere,
                        tr.b_fl_per_ampere + tr.b_oersted_per_ampere])
    # the Apalkov-Visscher threshold profile depends on B_K / (B_K + M_eff) only
    stiffness = props.anisotropy_field / (props.anisotropy_field + props.demag_field)
    entry = (props, activation, readout, stiffness)
    if len(_rows) >= _MAX_ROWS:
        _rows.clear()
    _rows[id(props)] = entry
    return entry


def _entry(props: DeviceProperties):
    entry = _rows.get(id(props))
    if entry is None or entry[0] is not props:
        entry = _pack(props)
    return entry


def activation_row(props: DeviceProperties) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(row, r, tail): the activation kernels' row and the threshold table of ``props``."""
    _, row, _, stiffness = _entry(props)
    r, tail = threshold_tables(stiffness)
    return row, r, tail


def activation_table(props_list: list[DeviceProperties]):
    """(rows, which, r_tables, tail_tables) for a sequence of temperatures."""
    rows = np.empty((len(props_list), len(_ak.ROW_FIELDS)))
    keys: dict[int, int] = {}
    which = np.empty(len(props_list), dtype=np.int64)
    tables = []
    for k, props in enumerate(props_list):
        _, row, _, stiffness = _entry(props)
        rows[k] = row
        r, tail = threshold_tables(stiffness)
        j = keys.get(id(r))
        if j is None:
            j = keys[id(r)] = len(tables)
            tables.append((r, tail))
        which[k] = j
    r_tables = np.array([t[0] for t in tables])
    tail_tables = np.array([t[1] for t in tables])
    return rows, which, r_tables, tail_tables


def readout_row(props: DeviceProperties) -> np.ndarray:
    return _entry(props)[2]


@lru_cache(maxsize=256)
def kinetics_vector(params: DeviceParameters) -> np.ndarray:
    """The ``kin`` vector of ``_activation_kernels``."""
    kin = params.kinetics
    u = np.asarray(params.ferromagnet.easy_axis, dtype=float)
    cross = np.cross(_SIGMA, u)
    antidamping = 1.0 if abs(float(u[1])) >= math.sqrt(0.5) else 0.0
    return np.array([kin.field_exponent, kin.current_exponent, kin.attempt_time,
                     kin.chirality_field, u[0], u[1], u[2], antidamping, *cross])


@lru_cache(maxsize=256)
def readout_consts(params: DeviceParameters) -> np.ndarray:
    """The ``consts`` vector of ``_quasistatic_kernels``."""
    ro, hb = params.readout, params.hall_bar
    planar = math.nan if ro.planar_hall is None else ro.planar_hall
    return np.array([ro.amr_ratio, ro.smr_ratio, ro.usmr_efficiency, ro.anomalous_hall,
                     ro.ordinary_hall, hb.hall_misalignment, hb.width, hb.length,
                     ro.nernst_coefficient, planar, *params.ferromagnet.easy_axis])
