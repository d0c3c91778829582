"""A function's init phase with the garbage collector paused, and what it built frozen out of later passes.

A handler module's imports build what lives as long as the container: modules, classes, dataclasses'
methods, clients. The collector's passes over that heap while it grows find next to nothing to free
(about 600 objects of the 85,000 to 100,000 an init leaves) and cost 30 to 100 ms of each cold start
(bench.cold_start, "paused"). Frozen once built, those objects are never scanned again either: each full
pass during an invocation would otherwise walk them all, 20 to 45 ms, in the middle of a caller's request.
The gc module documents the same sequence for a process that builds its state once and then forks its
workers: disable early, freeze once built, enable."""

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def init_phase() -> Iterator[None]:
    """The handler module's imports and module-level objects, built without a collection, then frozen."""
    gc.disable()
    try:
        yield
    finally:
        gc.freeze()
        gc.enable()
