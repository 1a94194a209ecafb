"""Worker processes shared by the stages that split a big batch: how many may work
(``MEDSOS_PARSE_WORKERS``), how a worker is started, and how work is shared between the
workers and the calling process."""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from typing import Any


def processes(workers: int | None = None) -> int:
    """Processes a big batch is worked on by, the calling one included
    (``$MEDSOS_PARSE_WORKERS``, default 1, at most 8)."""
    wanted = workers or int(os.environ.get("MEDSOS_PARSE_WORKERS", "1") or 1)
    return max(1, min(wanted, 8))


def spawn_pool(
    workers: int, initializer: Callable[..., None] | None = None, initargs: tuple = ()
) -> ProcessPoolExecutor:
    """``workers`` processes started with spawn, not fork: the Airflow task process has
    threads that a fork would copy."""
    import multiprocessing

    return ProcessPoolExecutor(
        workers,
        mp_context=multiprocessing.get_context("spawn"),
        initializer=initializer,
        initargs=initargs,
    )


def from_both_ends(
    futures: Sequence[Future], run_here: Callable[[int], Any], count: int
) -> tuple[list[Any], list[bool]]:
    """Tasks ``0 .. count-1``, queued for a pool as ``futures`` (none without a pool):
    this process takes them from the back, cancelling each before a worker starts it,
    until it meets the workers, which take them from the front (so it never waits idle
    while they start). Returns what this process got for each task (None for the
    workers' ones) and which it ran; the caller collects the rest from ``futures``."""
    done: list[Any] = [None] * count
    ran_here = [False] * count
    for i in range(count - 1, -1, -1):
        if futures and not futures[i].cancel():
            break  # a worker has it (and every task before it)
        done[i], ran_here[i] = run_here(i), True
    return done, ran_here
