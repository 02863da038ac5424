"""Batch fitting on a Dask cluster gives the rows of the serial fit, in the same order."""

from __future__ import annotations

import pandas as pd
import pytest

from labspin.analysis.batch import fit_many
from labspin.analysis.loaders import load_runs
from tests.analysis.test_loaders import make_runs

distributed = pytest.importorskip("dask.distributed")


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    good, skipped = load_runs(make_runs(tmp_path_factory.mktemp("cluster")).values())
    assert not skipped
    return good


@pytest.fixture(scope="module")
def scheduler():
    """An in-process cluster (threads, no worker processes): starts in about a second."""
    with distributed.LocalCluster(processes=False, n_workers=1, threads_per_worker=1,
                                  dashboard_address=None) as cluster:
        yield cluster.scheduler_address


def test_dask_cluster_gives_the_serial_rows(runs, scheduler):
    # a repeated run spreads the runs over several chunks (about four per Dask thread)
    many = [*runs, *runs]
    serial = fit_many(many, workers=1)
    on_cluster = fit_many(many, scheduler=scheduler)
    pd.testing.assert_frame_equal(serial, on_cluster)
    assert list(on_cluster["file"]) == [str(r.path) for r in many]
    assert on_cluster["fitted"].all()


def test_fit_inputs_reach_the_cluster(runs, scheduler):
    kwargs = {"width": 1e-6, "thickness": 1e-9, "r_ahe": 0.25, "m_eff": 0.8}
    pd.testing.assert_frame_equal(fit_many(runs, workers=1, **kwargs),
                                  fit_many(runs, scheduler=scheduler, **kwargs))


def test_no_runs_on_a_cluster_is_an_empty_table(scheduler):
    assert fit_many([], scheduler=scheduler).empty
