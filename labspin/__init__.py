"""labspin: spin-orbit torque measurements on FM/AFMI Hall bars, on hardware or a simulated
bench."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("labspin")
except PackageNotFoundError:  # running from a source tree that is not installed
    __version__ = "0.0.0+unknown"

__all__ = ["__version__"]
