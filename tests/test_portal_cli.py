"""``medsos portal add-user`` and ``medsos portal bench`` as staff run them."""

from __future__ import annotations

import csv

from argon2 import PasswordHasher

from medsos.cli import main


def _password(out: str) -> str:
    return out.strip().splitlines()[-1].rsplit(": ", 1)[1]


def test_add_user_prints_a_one_time_password_and_keeps_only_its_hash(tmp_path, capsys):
    users = tmp_path / "config" / "portal_users.csv"
    assert main(["portal", "--users", str(users), "add-user", "KPU-Bojonegoro", "--role", "office",
                 "--code", "3522"]) == 0
    password = _password(capsys.readouterr().out)
    assert len(password) >= 16
    rows = list(csv.DictReader(users.open(encoding="utf-8")))
    assert [(r["user"], r["role"], r["code"]) for r in rows] == [("kpu-bojonegoro", "office", "35.22")]
    assert password not in users.read_text() and rows[0]["password_hash"].startswith("$argon2id$")
    assert PasswordHasher().verify(rows[0]["password_hash"], password)
    assert oct(users.stat().st_mode & 0o777) == "0o640"  # not for every account on the host
    # a second user keeps the first; the same name again is refused unless --reset
    assert main(["portal", "--users", str(users), "add-user", "jatim", "--role", "province", "--code", "35"]) == 0
    assert main(["portal", "--users", str(users), "add-user", "jatim", "--role", "province", "--code", "35"]) == 2
    assert "already exists" in capsys.readouterr().err
    before = users.read_text()
    assert main(["portal", "--users", str(users), "add-user", "jatim", "--role", "province", "--code", "35",
                 "--reset"]) == 0
    new = _password(capsys.readouterr().out)
    rows = {r["user"]: r for r in csv.DictReader(users.open(encoding="utf-8"))}
    assert set(rows) == {"kpu-bojonegoro", "jatim"} and users.read_text() != before
    assert PasswordHasher().verify(rows["jatim"]["password_hash"], new)


def test_add_user_refuses_what_does_not_fit_the_role(tmp_path, capsys):
    users = tmp_path / "portal_users.csv"
    for args, words in [
        (["x1x", "--role", "office", "--code", "99.99"], "not the code of a KPU office"),
        (["x1x", "--role", "province", "--code", "35.06"], "not a province code"),
        (["x1x", "--role", "national", "--code", "35"], "sees every province"),
        (["a", "--role", "admin"], "3-64 characters"),
        (["../x", "--role", "admin"], "3-64 characters"),
    ]:
        assert main(["portal", "--users", str(users), "add-user", *args]) == 2, args
        assert words in capsys.readouterr().err, args
    assert not users.exists()


def test_bench_prints_the_time_from_upload_to_verdict(tmp_path, capsys):
    from medsos.sample import build_plan, write_sample_checked

    plan = build_plan("2024-W07", "2024-W07", seed=2024)
    write_sample_checked(tmp_path / "s", plan)
    export = next(p for p in sorted((tmp_path / "s" / "2024-W07" / "35.06").iterdir()) if p.suffix == ".csv")
    assert main(["portal", "bench", str(export), "--repeat", "2"]) == 0
    out = capsys.readouterr().out
    line = next(line for line in out.splitlines() if line.startswith(export.name[:40]))
    assert "35.06" in line and "loaded" in line
    assert float(line.split()[-2]) > 0
