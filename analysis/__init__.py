"""Offline analysis of saved runs: loaders, lmfit models, batch fitting and reports.

Imports only numpy/scipy/pandas/lmfit and ``labspin.physics``: no pyvisa, no Qt.
"""


def __getattr__(name: str):
    """``load_dataset``, ``load_datasets`` and ``open_export`` (xarray) on first use."""
    if name in ("load_dataset", "load_datasets", "open_export"):
        from labspin.analysis import datasets

        return getattr(datasets, name)
    raise AttributeError(f"module 'labspin.analysis' has no attribute {name!r}")
