"""Fit models of labspin's measurements, one module per family.

Each module has pure lineshape functions (reusing ``labspin.physics.formulas``), lmfit
``Model`` subclasses with parameter hints and a data-driven ``guess()`` (for fitting by
hand), and ``fit_*`` helpers (loops, probability and Avci scans fit with MINPACK
directly, :mod:`._lsq`, with lmfit-style reports; the small linear fits of the other
families still use lmfit) that return a plain dict ``{"name": value, "name_stderr":
err, ..., "verdict", "verdict_reason", "undetermined", "report"}`` (verdicts:
:mod:`._common`):

* :mod:`.loops` - Hall and USMR field loops (coercive fields, exchange bias, squareness);
  :mod:`.thresholds` the thermally activated staircase they are fitted with,
  :mod:`.loop_errors` what their sigmas contain, :mod:`.loop_checks` their verdict
* :mod:`.switching` - current-switching loops (I_c, J_c, switching ratio, energy)
* :mod:`.probability` - switching probability and I_50 vs pulse width (I_c0, Delta_0)
* :mod:`.phase_diagram` - J_c vs in-plane bias (Lee line: B_K,eff, xi_DL)
* :mod:`.harmonic` - harmonic Hall (Hayashi for perpendicular magnets; Avci for in-plane
  ones in :mod:`.harmonic_inplane`, with the in-plane anisotropy)
* :mod:`.series` - a fitted quantity vs temperature or AFMI thickness
"""

from labspin.analysis.models._common import DataError, FitError

__all__ = ["DataError", "FitError"]
