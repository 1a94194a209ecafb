"""Nothing in medsos deletes a file in the landing zone, and nothing deletes what it did
not make: every call in the package that deletes, moves or replaces a file is listed here
with what it touches, so a new one fails this test until someone has looked at it."""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "plugins" / "medsos"

DELETING = {"unlink", "rmtree", "remove", "rmdir", "replace", "rename", "move", "removedirs", "truncate"}

# (module, function) -> what it deletes or replaces, and why that is its own
REVIEWED = {
    ("api/record.py", "write"): "renames its own .medsos-partial- pull file into place (a new name)",
    ("bench.py", "_load_week"): "the batch folder of its own run, once loaded",
    ("bench.py", "_link_weeks"): "a week it was linking into its own folder, to copy it instead",
    ("bench.py", "_generated"): "its own gen/ folder, when the generated.json there names other options",
    ("bench.py", "run_bench"): "its own history/ and fresh/ folders (in a folder claimed for the bench)",
    ("bench.py", "run"): "its own temporary or --data-dir folder (claimed: empty or marked .medsos-bench)",
    ("demo.py", "prepare"): "the demo's own folders and DuckDB files, after check_folder found them its own",
    ("demo.py", "record"): "its mark file, replaced by a new one",
    ("demo.py", "run_demo"): "its temporary Airflow home",
    ("pipeline/batch.py", "_forget_old_batches"): "batch folders (with files.json) in MEDSOS_WORK older than two weeks",
    ("pipeline/parse.py", "_spilled"): "its own Parquet file of a worker's rows (medsos-parsed-rows-* in the temporary folder), when writing it failed",
    ("pipeline/parse.py", "_drop_files"): "the Parquet files of rows that _spilled made, once merged into the weeks' files, or for a parse that stopped or failed before merging them",
    ("pipeline/find.py", "find_new_files"): "the batch folder of the same run, when a task is tried again",
    ("pipeline/run.py", "load_week"): "the batch folder of its own run, once loaded",
    ("pipeline/run.py", "load_weeks"): "the batch folder of its own run, once loaded",
    ("portal/uploads.py", "folder_verdicts"): "its own verdict cache of a week folder, replaced atomically",
    ("portal/uploads.py", "receive"): "its own .medsos-partial- upload file, once linked to its final name or refused",
    ("portal/users.py", "add_user"): "portal_users.csv, replaced atomically by the same users plus the one added",
    ("rebuild.py", "run"): "its own unfinished new warehouse on failure; the swap keeps the old file beside",
    ("sample/__init__.py", "write_sample_checked"): "its own temporary folder",
    ("validate.py", "forget_old_results"): "Great Expectations results it stored, and their pages",
    ("warehouse.py", "publish"): "the published copy, replaced atomically by a new copy or its own spare brought up to date (the spare cut to the warehouse's size; the copy replaced becomes the next spare); its own empty clone attempt",
}


def _is_deleting(node: ast.Call) -> bool:
    if isinstance(node.func, ast.Attribute):
        name, receiver = node.func.attr, ast.unparse(node.func.value)
    else:
        name, receiver = getattr(node.func, "id", ""), ""
    if name not in DELETING:
        return False
    if name in ("replace", "remove", "rename"):
        # os.replace / os.remove / os.rename, Path.rename; not str.replace, list.remove,
        # dataclasses.replace
        return receiver == "os" or (name == "rename" and receiver not in ("str",))
    return True


def deleting_calls() -> dict[tuple[str, str], list[int]]:
    """(module, innermost enclosing function) -> lines of its deleting calls."""
    found: dict[tuple[str, str], list[int]] = {}

    class Visitor(ast.NodeVisitor):
        def __init__(self, module: str):
            self.module, self.stack = module, ["<module>"]

        def visit_FunctionDef(self, node):  # noqa: N802
            self.stack.append(node.name)
            self.generic_visit(node)
            self.stack.pop()

        visit_AsyncFunctionDef = visit_FunctionDef  # noqa: N815

        def visit_Call(self, node):  # noqa: N802
            if _is_deleting(node):
                found.setdefault((self.module, self.stack[-1]), []).append(node.lineno)
            self.generic_visit(node)

    for path in sorted(PACKAGE.rglob("*.py")):
        Visitor(path.relative_to(PACKAGE).as_posix()).visit(ast.parse(path.read_text(encoding="utf-8")))
    return found


def test_every_deleting_call_in_the_package_is_reviewed():
    calls = deleting_calls()
    assert set(calls) == set(REVIEWED), (
        f"not reviewed: {sorted(set(calls) - set(REVIEWED))}; no longer there: {sorted(set(REVIEWED) - set(calls))}")


def test_no_module_that_reads_the_landing_zone_deletes_anything():
    """The modules that read the landing zone (the walk, the parsers, the API pull that
    writes into it) have no deleting call at all, but the pull's rename into place."""
    found = deleting_calls()
    for module in ("landing.py", "parsers/", "api/", "registry.py", "report/"):
        calls = {k for k in found if k[0].startswith(module)}
        assert calls <= {("api/record.py", "write")}, calls
