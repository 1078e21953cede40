"""Grading jobs on a Dask cluster, for courses that outgrow one machine.

The jobs are the same ``grade_job`` calls the local pool runs; Dask only schedules them.
By default a local cluster (one process per worker) is started; pass the address of an
existing scheduler (``tcp://host:8786``) to use a real cluster. Every worker must see the
course directory at the same path (a shared file system) and the same gradebook: use a
PostgreSQL ``--db-url`` there, since SQLite is a file for one machine.
"""

from __future__ import annotations

from typing import Callable, Iterator


def run_on_dask(func: Callable, jobs: list, scheduler: str = "local", workers: int = 1) -> Iterator:
    """Yield ``func(job)`` for every job as Dask finishes them."""
    from dask.distributed import Client, LocalCluster, as_completed

    cluster = None
    if scheduler == "local":
        cluster = LocalCluster(n_workers=max(1, workers), threads_per_worker=1, processes=True,
                               dashboard_address=None, host="127.0.0.1")
        client = Client(cluster)
    else:
        client = Client(scheduler)
    try:
        futures = client.map(func, jobs, pure=False)
        for future in as_completed(futures):
            yield future.result()
    finally:
        client.close()
        if cluster is not None:
            cluster.close()
