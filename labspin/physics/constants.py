"""Physical constants in SI units (CODATA 2018 exact or recommended values)."""

import math

MU0 = 1.25663706212e-6  # vacuum permeability, T m / A
HBAR = 1.054571817e-34  # reduced Planck constant, J s
H_PLANCK = 6.62607015e-34  # Planck constant, J s
E_CHARGE = 1.602176634e-19  # elementary charge, C
K_B = 1.380649e-23  # Boltzmann constant, J / K
MU_B = 9.2740100783e-24  # Bohr magneton, J / T
GAMMA = 1.76085963e11  # electron gyromagnetic ratio |gamma_e|, rad / (s T)
RESISTANCE_QUANTUM = H_PLANCK / E_CHARGE**2  # h / e^2, ohm (25.8 kohm)
LN2 = math.log(2.0)
