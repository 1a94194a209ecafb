"""Property tests for the value parsers every platform parser relies on."""

from __future__ import annotations

from datetime import datetime

import pytest
from hypothesis import assume, example, given
from hypothesis import strategies as st

from medsos.parsers.base import (
    MISSING_MARKERS,
    parse_count,
    parse_decimal,
    parse_duration_seconds,
    parse_fixed_datetime,
)

counts = st.integers(min_value=-(10**12), max_value=10**15)
moments = st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2099, 12, 31)).map(
    lambda d: d.replace(second=0, microsecond=0)
)
US_MINUTE = "%m/%d/%Y %H:%M"


def english(n: int) -> str:
    return f"{n:,}"


def indonesian(n: int) -> str:
    return f"{n:,}".replace(",", ".")


# --------------------------------------------------------------------------- counts


@given(counts)
@example(1204)
@example(1000)
@example(999)
@example(0)
def test_english_thousands_round_trip(n):
    assert parse_count(english(n)) == n


@given(counts)
@example(1234)
@example(1000)
def test_indonesian_thousands_round_trip(n):
    assert parse_count(indonesian(n), decimal_comma=True) == n


@given(counts, st.booleans())
def test_plain_digits_parse_in_either_language(n, decimal_comma):
    assert parse_count(str(n), decimal_comma=decimal_comma) == n


@given(st.integers(min_value=1000, max_value=10**12))
def test_the_other_languages_separator_is_never_read_as_thousands(n):
    """``1.234`` in an English file is not 1234, and ``1,234`` in an Indonesian one is not."""
    text_en, text_id = english(n), indonesian(n)
    for text, decimal_comma in ((text_id, False), (text_en, True)):
        try:
            got = parse_count(text, decimal_comma=decimal_comma)
        except ValueError:
            continue
        # the only accepted reading is a spreadsheet-style '12.0' (whole number, zero decimals)
        assert got != n or text.count(".") + text.count(",") == 0


@given(st.integers(min_value=0, max_value=10**9), st.booleans())
def test_counts_from_spreadsheet_cells(n, as_float):
    assert parse_count(float(n) if as_float else n) == n


@given(st.sampled_from(sorted(MISSING_MARKERS)), st.booleans(), st.sampled_from(["", " ", "  "]))
def test_missing_markers_are_none_never_zero(marker, upper, pad):
    value = pad + (marker.upper() if upper else marker) + pad
    assert parse_count(value) is None
    assert parse_count(value, decimal_comma=True) is None
    assert parse_decimal(value) is None
    assert parse_duration_seconds(value) is None


@pytest.mark.parametrize(
    ("text", "decimal_comma", "expected"),
    [
        ("1.2K", False, 1200),
        ("3,4 rb", True, 3400),
        ("2jt", True, 2_000_000),
        ("1.5M", False, 1_500_000),
        ("18,400", False, 18400),
        ("1.234", True, 1234),
        ("12.0", False, 12),
    ],
)
def test_count_examples(text, decimal_comma, expected):
    assert parse_count(text, decimal_comma=decimal_comma) == expected


@pytest.mark.parametrize("text", ["abc", "1,23", "12.5", "1.22158E+17", "1,2345"])
def test_count_rejects_non_counts(text):
    with pytest.raises(ValueError):
        parse_count(text)


# --------------------------------------------------------------------------- decimals


@given(st.integers(min_value=0, max_value=10**9), st.integers(min_value=0, max_value=9999))
@example(2275, 676)
def test_decimal_round_trip_in_both_languages(whole, frac):
    value = whole + frac / 10_000
    en = f"{whole:,}.{frac:04d}"
    id_ = f"{whole:,}".replace(",", ".") + f",{frac:04d}"
    assert parse_decimal(en) == pytest.approx(value)
    assert parse_decimal(id_, decimal_comma=True) == pytest.approx(value)
    assert parse_decimal(f"{whole}.{frac:04d}") == pytest.approx(value)
    assert parse_decimal(f"{whole},{frac:04d}", decimal_comma=True) == pytest.approx(value)


def test_indonesian_watch_hours():
    assert parse_decimal("2275,0676", decimal_comma=True) == pytest.approx(2275.0676)
    with pytest.raises(ValueError):
        parse_decimal("2275,0676")  # an English file never has a decimal comma


# --------------------------------------------------------------------------- dates


@given(moments)
def test_us_minute_format_round_trip(moment):
    assert parse_fixed_datetime(moment.strftime(US_MINUTE), (US_MINUTE,)) == moment


@given(moments)
def test_day_first_string_never_parses_as_month_first(moment):
    assume(moment.day > 12)
    text = moment.strftime("%d/%m/%Y %H:%M")
    with pytest.raises(ValueError):
        parse_fixed_datetime(text, (US_MINUTE,))


@given(moments)
def test_an_ambiguous_day_first_string_is_read_as_the_format_says(moment):
    """Day ≤ 12: the string is read month-first as the format says, never guessed."""
    assume(moment.day <= 12)
    text = moment.strftime("%d/%m/%Y %H:%M")
    got = parse_fixed_datetime(text, (US_MINUTE,))
    assert (got.month, got.day) == (moment.day, moment.month)


@given(st.dates(min_value=datetime(1990, 1, 1).date(), max_value=datetime(2090, 1, 1).date()))
def test_youtube_style_dates(day):
    text = f"{day:%b} {day.day}, {day.year}"
    assert parse_fixed_datetime(text, ("%b %d, %Y",)).date() == day


@given(moments)
def test_datetime_cells_pass_through(moment):
    assert parse_fixed_datetime(moment, (US_MINUTE,)) == moment


def test_excel_serial_dates():
    assert parse_fixed_datetime(45334, (US_MINUTE,)) == datetime(2024, 2, 12)
    assert parse_fixed_datetime("45334.5", (US_MINUTE,)) == datetime(2024, 2, 12, 12)


@pytest.mark.parametrize("text", ["99999999999999999999", "-9007199254740993", "1e30"])
def test_counts_beyond_any_real_count_are_refused(text):
    with pytest.raises(ValueError):
        parse_count(text)


def test_a_frame_read_back_from_parquet_keeps_every_value_and_type(tmp_path):
    """The batch files between stages are converted column by column (``conform``); they
    must come back exactly as ``frame`` builds them from rows, NULLs of every type included."""
    import pandas as pd

    from medsos.parsers.base import POST_COLUMNS, conform, frame
    from medsos.pipeline import read_frame, write_frame

    rows = [
        {"platform": "instagram", "office_code": "35.06", "post_id": "17912345678901234567",
         "published_at": datetime(2024, 3, 4, 1, 2, 3, 456789).astimezone(), "published_local": datetime(2024, 3, 4, 8, 2),
         "views": 1_234_567_890, "likes": 0, "duration_seconds": 12.5, "caption": "=1+1 #Pemilu", "source_row": 2},
        {"platform": "x", "office_code": "35", "post_id": "1", "views": None, "likes": None, "caption": None,
         "duration_seconds": None, "published_at": None, "published_local": None, "source_row": 3},
    ]
    expected = frame(rows, POST_COLUMNS)
    path = tmp_path / "posts.parquet"
    write_frame(expected, path)
    back = read_frame(path, POST_COLUMNS)
    pd.testing.assert_frame_equal(back, expected)
    # a frame with columns in another order, one missing and a gap in its index
    shuffled = expected[list(reversed(POST_COLUMNS))].drop(columns=["saves"]).set_axis([5, 9])
    pd.testing.assert_frame_equal(conform(shuffled, POST_COLUMNS), expected)
