"""Options shared by several commands (fit, report, gui): what a run file does not hold.

Kept apart from the command modules so that any of them can be imported first.
"""

from __future__ import annotations

import click


def fit_inputs(func):
    """The options that feed the fits what a run file does not hold (fit and report)."""
    options = [
        click.option("--width", type=float, default=None,
                     help="Bar width (m) for current densities: switching loops (default: "
                          "from the file) and harmonic-Hall xi_DL."),
        click.option("--thickness", type=float, default=None,
                     help="Conducting thickness (m), with --width."),
        click.option("--r-ahe", type=float, default=None,
                     help="R_AHE (ohm) for harmonic-Hall torques (from a Hall loop)."),
        click.option("--m-eff", type=float, default=None,
                     help="Effective magnetization M_eff (T) for harmonic-Hall torques."),
    ]
    for option in reversed(options):
        func = option(func)
    return func


def torque_inputs(func):
    """Material and readout constants for the harmonic-Hall torques, xi_DL and the phase
    diagram (``labspin fit``; other commands may add them)."""
    options = [
        click.option("--r-phe", type=float, default=None,
                     help="R_PHE (ohm), the amplitude of R_xy = R_PHE sin^2(theta) "
                          "sin(2 phi), for the planar Hall correction of harmonic-Hall "
                          "field sweeps (and Avci scans)."),
        click.option("--ms", type=float, default=None,
                     help="Saturation magnetization M_s (A/m): xi_DL from harmonic Hall "
                          "(with --width, --thickness) and from --phase-diagram."),
        click.option("--thickness-f", type=float, default=None,
                     help="Ferromagnet thickness t_F (m) for xi_DL (default: --thickness)."),
    ]
    for option in reversed(options):
        func = option(func)
    return func
