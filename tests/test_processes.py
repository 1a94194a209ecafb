"""Work shared between the calling process and a worker process (``medsos.processes``)."""

from __future__ import annotations

import time

import pytest

from medsos.processes import OneAhead, spawn_pool


@pytest.fixture(scope="module")
def pool():
    with spawn_pool(1) as p:
        p.submit(time.sleep, 0).result()  # started
        yield p


def test_the_worker_holds_one_task_at_a_time(pool):
    # the worker sleeps through the first task; meanwhile this process takes every other
    # one from the back: none was queued for the worker ahead of time
    ran_here = []

    def here(task):
        ran_here.append(task)
        return ("here", task)

    done = OneAhead(pool, time.sleep, [0.6, 0.01, 0.02, 0.03, 0.04]).start().run(here)
    assert done == [None, ("here", 0.01), ("here", 0.02), ("here", 0.03), ("here", 0.04)]
    assert ran_here == [0.04, 0.03, 0.02, 0.01]


def test_each_task_runs_once_and_results_keep_their_order(pool):
    work = [0.05] * 12

    def here(task):
        time.sleep(0.2)  # slower here: the worker takes most from the front
        return "here"

    done = OneAhead(pool, time.sleep, work).start().run(here)
    assert len(done) == 12
    worker = [i for i, d in enumerate(done) if d is None]
    mine = [i for i, d in enumerate(done) if d == "here"]
    assert sorted(worker + mine) == list(range(12))
    # the worker's tasks are the first ones, this process's the last ones
    assert worker == list(range(len(worker))) and len(worker) > len(mine) >= 1


def test_without_a_pool_everything_runs_here():
    assert OneAhead(None, time.sleep, [1, 2, 3]).start().run(lambda t: t * 10) == [10, 20, 30]


def test_a_failure_here_stops_the_feeding_and_is_raised(pool):
    def here(task):
        raise ValueError(f"bad chunk {task}")

    shared = OneAhead(pool, time.sleep, [0.3, 0.0, 0.0, 0.0]).start()
    with pytest.raises(ValueError, match="bad chunk 0.0"):
        shared.run(here)


# --------------------------------------------------------------------------- lasting objects


def test_settled_objects_are_left_out_of_collections_until_the_block_ends():
    import gc

    from medsos.processes import lasting_objects, settle

    assert gc.get_freeze_count() == 0
    settle()  # outside a block: nothing is set aside for good
    assert gc.get_freeze_count() == 0

    def collected(obj) -> bool:
        # the collector's generations hold it (a frozen object is in none of them; the
        # freeze count alone drops whenever any frozen object is freed)
        return any(o is obj for o in gc.get_objects())

    with lasting_objects():
        manifest = {"files": [{"relative_path": f"f{i}", "notes": []} for i in range(1000)]}
        assert collected(manifest["files"][0])
        settle()
        assert gc.get_freeze_count() >= 2000  # each file's dict and its list
        assert not collected(manifest["files"][0]) and not collected(manifest["files"])
        with lasting_objects():  # a stage inside a backfill's block
            settle()
        # the inner block's end gives nothing back: the outer one still holds the manifest
        assert not collected(manifest["files"][0]) and not collected(manifest["files"])
    assert gc.get_freeze_count() == 0
    assert collected(manifest["files"][0]) and len(manifest["files"]) == 1000


def test_garbage_made_after_settling_is_still_collected():
    import gc
    import weakref

    from medsos.processes import lasting_objects, settle

    class Node:
        pass

    with lasting_objects():
        settle()
        a, b = Node(), Node()
        a.other, b.other = b, a  # a cycle only the collector can free
        gone = weakref.ref(a)
        del a, b
        gc.collect()
        assert gone() is None


def test_reading_a_batch_file_leaves_the_collector_as_it_was(tmp_path):
    import gc

    from medsos.pipeline.batch import Batch

    batch = Batch(tmp_path, "2024-W07", "r")
    batch.write_json("files.json", {"files": [{"a": [1]}]})
    assert batch.read_json("files.json") == {"files": [{"a": [1]}]}
    assert gc.isenabled()
    gc.disable()
    try:
        batch.read_json("files.json")
        assert not gc.isenabled()
    finally:
        gc.enable()
