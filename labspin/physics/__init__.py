"""The device physics of FM/AFMI Hall bars (PHYSICS.md), pure numpy and numba, SI units.

The simulated bench answers from this model; the analysis fits the same quantities back
out of measured data.
"""

from labspin.physics.device import Device, HarmonicVoltages, PulseOutcome
from labspin.physics.parameters import (
    Antiferromagnet,
    DeviceParameters,
    Ferromagnet,
    HallBar,
    HeavyMetal,
    OxideCap,
    ParameterError,
    Readout,
    SwitchingKinetics,
    ThermalEnvironment,
)
from labspin.physics.predictions import DevicePrediction, predict
from labspin.physics.presets import UnknownPresetError, preset, preset_names
from labspin.physics.torque import SpinTransport, spin_transport

__all__ = [
    "Antiferromagnet",
    "Device",
    "DeviceParameters",
    "DevicePrediction",
    "Ferromagnet",
    "HallBar",
    "HarmonicVoltages",
    "HeavyMetal",
    "OxideCap",
    "ParameterError",
    "PulseOutcome",
    "Readout",
    "SpinTransport",
    "SwitchingKinetics",
    "ThermalEnvironment",
    "UnknownPresetError",
    "predict",
    "preset",
    "preset_names",
    "spin_transport",
]
