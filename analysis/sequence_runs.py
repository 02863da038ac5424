"""Batch fit of a PulseSequence run: the two read-out levels and what each pulse did.

Row 0 holds the state before the first pulse, row k the read-out after pulse k. The
read-outs fall into two levels (the two magnetization states); they are split at the
midpoint that separates them best (two-means), each level's mean and the pooled read
noise give the contrast and its sigma. Per distinct pulse (amplitude and width) the note
says after how many of them the bar was in each state and how often the pulse switched
it, which is the deterministic-switching figure of Choi et al. 2025 in numbers.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from labspin.analysis.loaders import RunData
from labspin.analysis.models._common import DataError
from labspin.analysis.run_columns import column
from labspin.analysis.verdicts import UNDETERMINED, worsen

READOUTS = ("R_xy (ohm)", "R_xx 2w (ohm)")
#: the two levels must lie this many read-noise sigmas apart to call them two states
MIN_CONTRAST_SIGMAS = 5.0


def readout_column(run: RunData) -> str:
    name = next((c for c in READOUTS if c in run.data.columns and
                 np.isfinite(run.data[c].to_numpy(float)).any()), None)
    if name is None:
        raise DataError("no readout column (R_xy or R_xx 2w) holds any data")
    return name


def two_levels(values: np.ndarray) -> tuple[float, np.ndarray]:
    """(threshold, True where above it): the split of sorted values that minimises the
    spread within both groups (exact two-means in one dimension)."""
    v = np.sort(values)
    n = v.size
    best, cut = math.inf, n // 2
    for k in range(1, n):
        low, high = v[:k], v[k:]
        cost = float(((low - low.mean()) ** 2).sum() + ((high - high.mean()) ** 2).sum())
        if cost < best:
            best, cut = cost, k
    threshold = 0.5 * (v[cut - 1] + v[cut])
    return threshold, values > threshold


def _pulse_name(amplitude: float, width: float) -> str:
    from labspin.analysis.formatting import si

    return f"{'+' if amplitude > 0 else ''}{si(amplitude, 'A')} x {si(width, 's')}"


def fit_sequence_run(run: RunData, **_: Any) -> dict:
    """Levels, contrast (with sigma), read noise, the number of state changes, and per
    pulse kind what it did (in ``note``)."""
    readout = readout_column(run)
    signal = column(run, readout)
    amplitude = column(run, "Pulse current (A)")
    width = column(run, "Pulse width (s)")
    ok = np.isfinite(signal) & np.isfinite(amplitude) & np.isfinite(width)
    signal, amplitude, width = signal[ok], amplitude[ok], width[ok]
    if signal.size < 3:
        raise DataError(f"{signal.size} read-outs: a pulse sequence needs at least 3")
    threshold, high = two_levels(signal)
    n_high, n_low = int(high.sum()), int((~high).sum())
    level_high, level_low = float(signal[high].mean()), float(signal[~high].mean())
    resid = np.concatenate([signal[high] - level_high, signal[~high] - level_low])
    dof = max(signal.size - 2, 1)
    noise = float(np.sqrt((resid ** 2).sum() / dof))
    contrast = level_high - level_low
    contrast_err = noise * math.sqrt(1 / max(n_high, 1) + 1 / max(n_low, 1))
    changes = int(np.count_nonzero(high[1:] != high[:-1]))
    out: dict[str, Any] = {
        "readout": readout, "n_pulses": int(np.count_nonzero(amplitude != 0)),
        "level_high": level_high, "level_high_stderr": noise / math.sqrt(max(n_high, 1)),
        "level_low": level_low, "level_low_stderr": noise / math.sqrt(max(n_low, 1)),
        "contrast": contrast, "contrast_stderr": contrast_err, "read_noise": noise,
        "threshold": threshold, "state_changes": changes,
        "verdict": "ok", "verdict_reason": "", "undetermined": ""}
    notes = []
    kinds = sorted({(a, w) for a, w in zip(amplitude[1:], width[1:], strict=True) if a != 0},
                   key=lambda p: (-p[0], p[1]))
    for a, w in kinds:
        sel = np.nonzero((amplitude == a) & (width == w))[0]
        sel = sel[sel > 0]
        after_high = int(high[sel].sum())
        switched = int(np.count_nonzero(high[sel] != high[sel - 1]))
        notes.append(f"{_pulse_name(a, w)}: {len(sel)} pulse(s), high after "
                     f"{after_high}, low after {len(sel) - after_high}, switched {switched}")
    # two-means splits pure noise too, at about 2.7 read-noise sigmas: real states
    # stand well apart from each other compared with the noise within each
    if min(n_high, n_low) < 1 or not abs(contrast) > MIN_CONTRAST_SIGMAS * noise:
        worsen(out, UNDETERMINED,
               f"contrast: the read-out shows no two states (levels {level_low:.4g} and "
               f"{level_high:.4g} ohm differ by less than {MIN_CONTRAST_SIGMAS:g} sigma of "
               f"the read noise {noise:.2g} ohm): the pulses did not switch the bar",
               ["contrast", "level_high", "level_low"])
    out["note"] = "; ".join(notes)
    return out
