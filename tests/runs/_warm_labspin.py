"""Imported once by the test forkserver (tests/runs/processes.py): runs the compiled bench
kernels once, so that each forked ``labspin`` starts with numba loaded, as a second command
in a long-lived process would."""

from labspin.physics import preset
from labspin.physics.device import Device

_device = Device(preset("py-nio"), seed=0)
_device.apply_pulse(0.01, 1e-3)
_device.harmonic_voltages(1e-3)
_device.wait(1e-3)
