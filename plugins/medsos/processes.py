"""Worker processes shared by the stages that split a big batch: how many may work
(``MEDSOS_PARSE_WORKERS``), how a worker is started, and how work is shared between the
workers and the calling process."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from contextlib import contextmanager
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


class OneAhead:
    """Tasks ``work`` shared like ``from_both_ends``, but handed to a one-process pool one
    at a time: the next from the front only when the one before is done. A pool queues
    a task more than its processes hold, and a queued task can no longer be cancelled,
    so with tasks queued all at once the calling process could wait at the end for two
    long tasks (two GX chunks, 3 s) instead of at most the rest of one.

    ``start()`` hands the first task over (the pool works on it while the caller gets
    ready); ``run(here)`` takes tasks from the back until the two meet and returns every
    result in the tasks' order."""

    def __init__(self, pool, fn: Callable[[Any], Any], work: Sequence[Any]):
        import threading

        self._pool, self._fn, self._work = pool, fn, work
        self._lock = threading.Condition()
        self._front, self._back = 0, len(work)  # next for the pool; one past the next here
        self._futures: list[Future | None] = [None] * len(work)

    def start(self) -> OneAhead:
        self._feed()
        return self

    def _feed(self, _done: Future | None = None) -> None:
        with self._lock:
            if self._pool is None or self._front >= self._back:
                return
            i = self._front
            self._front += 1
        try:
            future = self._pool.submit(self._fn, self._work[i])
        except BaseException as exc:  # noqa: BLE001 - a broken pool: the caller hears of it
            future = Future()
            future.set_exception(exc)
        with self._lock:
            self._futures[i] = future
            self._lock.notify_all()
        future.add_done_callback(self._feed)

    def run(self, here: Callable[[Any], Any]) -> list[Any]:
        done: list[Any] = [None] * len(self._work)
        try:
            while True:
                with self._lock:
                    if self._back <= self._front:
                        break
                    self._back -= 1
                    i = self._back
                done[i] = here(self._work[i])
        except BaseException:
            with self._lock:
                self._back = self._front  # nothing more for the pool
            raise
        with self._lock:
            taken = self._front
            self._lock.wait_for(lambda: all(self._futures[k] is not None for k in range(taken)))
            futures = self._futures[:taken]
        for k, future in enumerate(futures):
            assert future is not None
            done[k] = future.result()
        return done


class KeptPerThread:
    """A connection per thread, kept inside a ``kept()`` block (or for the thread's life:
    ``keep_for_good``, a worker's initializer) and closed at its end; outside one, each
    ``using()`` opens its own and closes it. ``tidy(con)`` clears what a use of a kept
    connection leaves behind; a connection it fails on is closed, not used again."""

    def __init__(self, make: Callable[[], Any], tidy: Callable[[Any], None] | None = None):
        import threading

        self._make, self._tidy = make, tidy
        self.local = threading.local()  # .con: the kept connection; .keeping

    def kept(self):
        @contextmanager
        def block():
            if getattr(self.local, "keeping", False):
                yield
                return
            self.local.keeping = True
            try:
                yield
            finally:
                self.local.keeping = False
                con, self.local.con = getattr(self.local, "con", None), None
                if con is not None:
                    con.close()

        return block()

    def keep_for_good(self) -> None:
        self.local.keeping = True

    def using(self):
        @contextmanager
        def block():
            con = getattr(self.local, "con", None)
            if con is None:
                con = self._make()
                if getattr(self.local, "keeping", False):
                    self.local.con = con
            try:
                yield con
            finally:
                self._done(con)

        return block()

    def _done(self, con: Any) -> None:
        if getattr(self.local, "con", None) is con:
            if self._tidy is None:
                return
            try:
                self._tidy(con)
                return
            except Exception:  # noqa: BLE001 - a connection its own clean-up fails on
                self.local.con = None
        con.close()


# --------------------------------------------------------------------------- lasting objects

_lasting_blocks = 0


@contextmanager
def lasting_objects() -> Iterator[None]:
    """A block that holds big, lasting Python structures (a year's manifest: 143,780
    files as dicts and lists), in which ``settle()`` leaves everything alive when it is
    called out of the cyclic garbage collector's passes until the block ends.

    Why: every full pass of the collector walks every container alive, and a stage that
    makes many objects runs one every few hundred thousand. With a year's manifest held,
    each pass took about 0.2 s, and a backfill's parse, validation and load ran 34 of
    them (about 10 s of the main process). Raising the collector's thresholds instead
    kept GX's garbage until the end of validation (3.2 GB). Each stage calls ``settle()``
    right after building its lasting structures (reading a manifest makes no garbage);
    what little garbage is young then waits for the block's end. Nested blocks share one:
    the outermost gives everything back to the collector when it ends.
    """
    global _lasting_blocks
    import gc

    _lasting_blocks += 1
    try:
        yield
    finally:
        _lasting_blocks -= 1
        if _lasting_blocks == 0:
            gc.unfreeze()


def settle() -> None:
    """Inside ``lasting_objects``: what is alive now is left out of the collector's
    passes (``gc.freeze``) until the block ends. Elsewhere nothing."""
    import gc

    if _lasting_blocks:
        gc.freeze()
