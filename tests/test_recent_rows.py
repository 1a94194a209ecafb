"""A backfill compares each file's rows with its account's last four loaded files, as
that file's own weekly run would find them (``_recent_in_batch``)."""

from __future__ import annotations

import random
from statistics import median

from medsos.pipeline.batch import run_week_of
from medsos.pipeline.validate import _recent_in_batch


def looking_back(manifest, loads):
    # the rule stated plainly: for every file, every file its account's warehouse holds
    # when the file's own week runs, the newest four of them
    first = manifest["first_week"]
    run_of = {e["relative_path"]: run_week_of(e["delivery_week"], first) for e in manifest["files"]}
    out = {}
    for e in manifest["files"]:
        if e["status"] != "parsed" or not e.get("lists_posts", True):
            continue
        account, run = f"{e['office_code']}|{e['platform']}", run_of[e["relative_path"]]
        seen = [tuple(f) for f in manifest["recent_history"].get(account, ())
                if not (f[1] in run_of and run_of[f[1]] < run)]
        seen += [
            (o["delivery_week"], o["relative_path"], o["rows_in_file"])
            for o in manifest["files"]
            if o["status"] == "parsed" and o.get("lists_posts", True) and loads(o)
            and f"{o['office_code']}|{o['platform']}" == account and run_of[o["relative_path"]] < run
        ]
        last = sorted(seen, reverse=True)[:4]
        if last:
            out[e["relative_path"]] = median(n for _, _, n in last)
    return out


def entry(week, office, platform, name, rows, **extra):
    return {"relative_path": f"{week}/{office}/{name}", "delivery_week": week, "office_code": office,
            "platform": platform, "rows_in_file": rows, "status": "parsed", **extra}


def test_each_file_is_compared_with_the_four_files_before_its_own_week():
    manifest = {
        "first_week": "2024-W05",
        "recent_history": {
            "35.06|instagram": [["2024-W02", "2024-W02/35.06/a.csv", 10],
                                ["2024-W03", "2024-W03/35.06/a.csv", 20],
                                ["2024-W04", "2024-W04/35.06/a.csv", 30]],
        },
        "files": [
            entry("2024-W05", "35.06", "instagram", "a.csv", 40),
            entry("2024-W06", "35.06", "instagram", "a.csv", 50),
            entry("2024-W07", "35.06", "instagram", "a.csv", 60),
            # an older week's file delivered late: its run is the batch's first, and it
            # replaces the file of that week loaded before the batch
            entry("2024-W04", "35.06", "instagram", "a.csv", 36),
            entry("2024-W06", "35.06", "facebook", "b.csv", 5),
            entry("2024-W07", "35.06", "facebook", "b.csv", 7, lists_posts=False),
        ],
    }
    got = _recent_in_batch(manifest, lambda e: True)
    assert got == {
        "2024-W05/35.06/a.csv": 20,  # 10, 20, 30
        "2024-W04/35.06/a.csv": 20,  # the same run, before the file it replaces is gone
        "2024-W06/35.06/a.csv": 28,  # 10, 20, 36, 40
        "2024-W07/35.06/a.csv": 38,  # 20, 36, 40, 50
    }
    # a file that did not load is not among the files a later week finds
    got = _recent_in_batch(manifest, lambda e: e["rows_in_file"] != 40)
    assert got["2024-W06/35.06/a.csv"] == 20 and got["2024-W07/35.06/a.csv"] == 28


def test_the_sweep_over_runs_gives_what_looking_back_from_every_file_gives():
    rng = random.Random(7)
    for _ in range(200):
        weeks = [f"2024-W{w:02d}" for w in range(1, 13)]
        first = rng.choice(weeks[2:8])
        history, files = {}, []
        for office in ("35.06", "35.07"):
            for platform in ("instagram", "x"):
                account = f"{office}|{platform}"
                history[account] = [
                    [w, f"{w}/{office}/{platform}{k}.csv", rng.randint(0, 40)]
                    for w in weeks if w < first for k in range(rng.randint(0, 2))
                ]
                for w in weeks:
                    for k in range(rng.randint(0, 2)):
                        files.append(entry(w, office, platform, f"{platform}{k}.csv", rng.randint(0, 40),
                                           status=rng.choice(["parsed"] * 5 + ["rejected"]),
                                           lists_posts=rng.random() > 0.1))
        manifest = {"first_week": first, "recent_history": history, "files": files}
        dropped = {e["relative_path"] for e in files if rng.random() < 0.2}
        for loads in (lambda e: True, lambda e, dropped=dropped: e["relative_path"] not in dropped):
            assert _recent_in_batch(manifest, loads) == looking_back(manifest, loads)
