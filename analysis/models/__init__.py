"""lmfit models of labspin's measurements, one module per family.

Each module has pure lineshape functions (reusing ``labspin.physics.formulas``), lmfit
``Model`` subclasses with parameter hints and a data-driven ``guess()``, and ``fit_*``
helpers that return a plain dict ``{"name": value, "name_stderr": err, ..., "report":
lmfit report}``:

* :mod:`.loops` - Hall and USMR field loops (coercive fields, exchange bias, squareness)
* :mod:`.switching` - current-switching loops (I_c, J_c, switching ratio, energy)
* :mod:`.probability` - switching probability and I_50 vs pulse width (I_c0, Delta_0)
* :mod:`.phase_diagram` - J_c vs in-plane bias (Lee line: B_K,eff, xi_DL)
* :mod:`.harmonic` - harmonic Hall (Hayashi for perpendicular, Avci for in-plane magnets)
* :mod:`.series` - a fitted quantity vs temperature or AFMI thickness
"""

from labspin.analysis.models._common import DataError, FitError

__all__ = ["DataError", "FitError"]
