"""Offline analysis of saved runs: loaders, lmfit models, batch fitting and reports.

Imports only numpy/scipy/pandas/lmfit and ``labspin.physics``: no pyvisa, no Qt.
"""
