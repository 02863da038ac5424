"""Options shared by several commands (fit, report, gui): what a run file does not hold.

Kept apart from the command modules so that any of them can be imported first. The
values take units as station files do (``--width "5 um"``, ``--r-ahe "250 mohm"``,
``--ms "800 kA/m"``; a number alone is in SI), read by ``labspin.configfiles``'
quantity parser when the option is given (not at import: ``--help`` stays light).
"""

from __future__ import annotations

import click


class OptionRefused(click.ClickException):
    """An option value that cannot be used: one line, no usage text."""

    exit_code = 2


class Quantity(click.ParamType):
    """A number with an optional unit, as a float in ``unit`` (SI)."""

    name = "quantity"

    def __init__(self, unit: str, example: str, positive: bool = False,
                 plausible: str | None = None) -> None:
        self.unit, self.example, self.positive = unit, example, positive
        #: a key of labspin.calibration_ranges.PLAUSIBLE: a value no film can have (a
        #: slipped unit, --ms 800 for 800 kA/m) is refused
        self.plausible = plausible

    def convert(self, value, param, ctx):
        if isinstance(value, float):
            return value
        from labspin.configfiles import QuantityError, parse_quantity

        option = param.opts[0] if param is not None and param.opts else "the value"
        try:
            number = parse_quantity(value, self.unit, f"'{self.example}'")
        except QuantityError as exc:
            raise OptionRefused(f"{option} {exc} (a number alone is in {self.unit})") \
                from None
        if self.positive and not number > 0:
            raise OptionRefused(f"{option} {value!r} must be positive; write it like "
                                f"'{self.example}'")
        if self.plausible is not None:
            from labspin.calibration_ranges import check

            try:
                check(self.plausible, number, value, bare_means="a number alone")
            except ValueError as exc:
                raise OptionRefused(f"{option} {exc}") from None
        return number


def _quantity(name: str, unit: str, example: str, help_text: str, positive: bool = False,
              plausible: str | None = None):
    return click.option(name, type=Quantity(unit, example, positive, plausible), default=None,
                        metavar="QUANTITY",
                        help=f"{help_text} A number in {unit}, or with a unit: "
                             f"'{example}'.")


def fit_inputs(func):
    """The options that feed the fits what a run file does not hold (fit and report)."""
    options = [
        _quantity("--width", "m", "5 um", "Bar width for current densities: switching "
                  "loops (default: from the file) and harmonic-Hall xi_DL.", positive=True),
        _quantity("--thickness", "m", "6 nm", "Conducting thickness, with --width.",
                  positive=True),
        _quantity("--r-ahe", "ohm", "250 mohm", "R_AHE for harmonic-Hall torques (from a "
                  "Hall loop).", plausible="r_ahe"),
        _quantity("--m-eff", "T", "0.95 T", "Effective magnetization mu0 M_eff for "
                  "harmonic-Hall torques.", plausible="m_eff"),
    ]
    for option in reversed(options):
        func = option(func)
    return func


def torque_inputs(func):
    """Material and readout constants for the harmonic-Hall torques, xi_DL and the phase
    diagram (``labspin fit``; other commands may add them)."""
    options = [
        _quantity("--r-phe", "ohm", "2 ohm", "R_PHE, the amplitude of R_xy = R_PHE "
                  "sin^2(theta) sin(2 phi), for the planar Hall correction of harmonic-Hall "
                  "field sweeps (and Avci scans).", plausible="r_phe"),
        _quantity("--ms", "A/m", "800 kA/m", "Saturation magnetization M_s: xi_DL from "
                  "harmonic Hall (with --width, --thickness) and from --phase-diagram.",
                  positive=True, plausible="m_s"),
        _quantity("--thickness-f", "m", "1.2 nm", "Ferromagnet thickness t_F for xi_DL "
                  "(default: --thickness).", positive=True),
    ]
    for option in reversed(options):
        func = option(func)
    return func
