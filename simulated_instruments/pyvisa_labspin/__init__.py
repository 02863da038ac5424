"""pyvisa backend entry point: ``pyvisa.ResourceManager("ARG@labspin")`` imports this.

pyvisa finds a backend named NAME by importing ``pyvisa_NAME`` and using its
``WRAPPER_CLASS``; the implementation lives in ``labspin.simulated_instruments.visa``.
"""

from labspin.simulated_instruments.visa import BenchVisaLibrary

WRAPPER_CLASS = BenchVisaLibrary

__all__ = ["WRAPPER_CLASS"]
