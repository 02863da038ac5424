"""Error rules of the Avci angle-scan fit (labspin.analysis.models.harmonic_inplane):
the Student-t widening of sigmas read from a fit's own scatter, 1w scans that cannot
resolve R_PHE or B_K, and what the scans say of M_eff themselves when one is given."""

from __future__ import annotations

import math

import numpy as np

from labspin.analysis.models._common import DataError, FitError
from labspin.analysis.models._lsq import LeastSquaresFit
from labspin.analysis.models.thresholds import t_widening


def student(fit: LeastSquaresFit) -> None:
    """Widen a covariance whose noise was read from the fit's own scatter for the
    Student-t law of (value - truth) / sigma with the fit's n - p degrees of freedom
    (harmonic_inplane's module doc)."""
    if fit.covar is not None:
        fit.covar = fit.covar * t_widening(fit.nfree) ** 2


def check_planar(planar: LeastSquaresFit, ph: np.ndarray, fitted: list[str]) -> None:
    """R_PHE or B_K that the 1w scans cannot resolve (a singular fit) leave the torques
    undetermined: say so, and which angles would resolve them, rather than fit the 2w
    with a guess (B_K = 0 biased B_FL by 15 % on a 45 deg grid)."""
    bad = [n for n in fitted if not math.isfinite(planar.stderr(n))]
    if not bad:
        return
    # the signatures in R_xy^1w: R_PHE sin 2phi, and B_K's distortion of it, sin 4phi
    harmonic = {"r_phe": 2, "b_k": 4}
    blind = [n for n in fitted if np.max(np.abs(np.sin(harmonic[n] * ph))) < 1e-6]
    why = "; ".join(f"{n.upper()} shows as sin {harmonic[n]}phi, which vanishes at every "
                    "measured angle" for n in blind) or "the 1w fit is singular"
    named = blind or bad
    raise DataError(f"the first-harmonic angle scans cannot resolve "
                    f"{' and '.join(n.upper() for n in named)} ({why}), so neither the "
                    "damping-like nor the field-like field can be had: measure with an angle "
                    "step of 15 or 30 deg")


def own_stiffness(free_fit, m_eff: float, floor: float, from_scatter: bool) -> str:
    """What the scans say of M_eff themselves, when they fix it (a perpendicular bar,
    whose stiffness B + M_eff changes several-fold over the scans; not an in-plane film,
    B << M_eff): a note with the B_DL of the bar's own M_eff. A calibration belongs to
    the stage temperature and the read current warms the bar: on cofeb-nio-pma at 1 mA
    (2.4 K) the given M_eff left B_DL 0.18 % off, 5 sigma, while the scans' own M_eff,
    0.1 mT away and only 0.9 sigma of its own error from the given one, covers it."""
    from labspin.analysis.formatting import si

    try:
        free = free_fit()
    except (DataError, FitError):
        return ""
    if free.covar is None or not np.all(np.isfinite(free.residual)):
        return ""
    if from_scatter:
        student(free)
    own, own_err = free.values["m_eff"], free.stderr("m_eff")
    b_dl, b_dl_err = free.values["b_dl"], free.stderr("b_dl")
    if not (math.isfinite(own_err) and own_err < 0.05 * (own - floor)
            and math.isfinite(b_dl_err) and b_dl_err < 0.3 * abs(b_dl)):
        return ""
    return (f"the scans fix M_eff themselves: {si(own, 'T', 5)} ± {si(own_err, 'T', 2)} "
            f"(given {si(m_eff, 'T', 5)}, the calibration's temperature, not the warmed "
            f"bar's); with it B_DL = {si(b_dl, 'T', 5)} ± {si(b_dl_err, 'T', 2)} (leave "
            "M_eff out to fit with it)")
