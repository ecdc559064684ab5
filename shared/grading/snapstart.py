"""Lambda SnapStart (template.yaml turns it on for every function's published versions): Lambda runs a function's
init once, when a version is published, snapshots the execution environment's memory and disk, and starts later
environments from that snapshot instead of running the init again. `prime` registers a before-snapshot hook that
also builds what the first request would otherwise build: the AWS clients the function uses (botocore's service
models, endpoint rules, handlers) and the validators of every pydantic model it imported (`grading.modelbase`
builds them on first use otherwise), so they are in the snapshot. The clients make no call there: credentials and
connections are resolved on the first call, after the restore.

`snapshot_restore_py` ships with Lambda's Python managed runtimes and is not on PyPI's path here: anywhere else
(tests, the local runner, the bench) there is no snapshot, `prime` registers nothing, and each client is built by
its first use as before."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any


def prime(*builders: Callable[[], Any]) -> bool:
    """Call each builder (a cached client factory, a cached document) before the snapshot. True if registered."""
    try:
        from snapshot_restore_py import register_before_snapshot
    except ImportError:
        return False

    def before_snapshot() -> None:
        from grading import modelbase

        modelbase.build_all()
        for build in builders:
            build()

    register_before_snapshot(before_snapshot)
    return True
