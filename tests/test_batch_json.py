"""A batch's JSON files are written part by part (medsos.pipeline.batch._write_json) and
read back as json.dumps of the same data would be."""

from __future__ import annotations

import json
from datetime import date

from medsos.pipeline.batch import JSON_PART, Batch


def test_a_manifest_written_in_parts_reads_back_whole(tmp_path):
    data = {
        "files": [
            {
                "relative_path": f"2024-W01/35.06/{i}.csv",
                "rows": i,
                "notes": ['é "q"'],
                "day": date(2024, 1, 1),
            }
            for i in range(JSON_PART * 2 + 7)
        ],
        "folders": {"2024-W01/35.06": [1.5, None], "kosong": []},
        # a dict of many keys is written a part of keys at a time
        "many_folders": {f"2024-W{i % 52 + 1:02d}/{i}": [i / 2, None] for i in range(JSON_PART * 2 + 3)},
        "few_at_a_time": {i: {"day": date(2024, 1, 2)} for i in range(JSON_PART + 1)},
        "recent_rows": [JSON_PART] * (JSON_PART + 1),
        "first_week": None,
    }
    batch = Batch(tmp_path, "2024-W01", "run")
    batch.write_json("files.json", data)
    assert batch.read_json("files.json") == json.loads(json.dumps(data, default=str))
    assert batch.read_json("files.json")["files"][5]["day"] == "2024-01-01"
    assert list(batch.read_json("files.json")["many_folders"]) == list(data["many_folders"])


def test_what_only_pythons_json_reads_still_reads(tmp_path):
    # the batch files are read by msgspec; json.dumps also writes NaN and Infinity, and
    # a lone surrogate, which msgspec refuses: those files are read by json instead
    data = {"median": float("nan"), "big": float("inf"), "text": "\ud800", "rows": [1, 2]}
    batch = Batch(tmp_path, "2024-W01", "run")
    batch.write_json("validation_results.json", data)
    back = batch.read_json("validation_results.json")
    assert back["median"] != back["median"] and back["big"] == float("inf")
    assert back["text"] == "\ud800" and back["rows"] == [1, 2]
