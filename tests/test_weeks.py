from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest

from medsos import weeks


def test_iso_week_edges():
    assert weeks.week_of(date(2024, 12, 30)) == "2025-W01"
    assert weeks.week_of(date(2021, 1, 3)) == "2020-W53"
    assert weeks.week_start("2025-W01") == date(2024, 12, 30)
    assert weeks.week_end("2024-W07") == date(2024, 2, 18)
    assert weeks.weeks_between("2024-W51", "2025-W02") == ["2024-W51", "2024-W52", "2025-W01", "2025-W02"]


@pytest.mark.parametrize("bad", ["2024-7", "2024-W7", "2021-W53", "2024-W00", "W07", ""])
def test_invalid_weeks_are_refused(bad):
    with pytest.raises(weeks.InvalidWeek):
        weeks.parse_week(bad)


def test_week_that_ended_before_uses_local_time():
    jkt = ZoneInfo("Asia/Jakarta")
    assert weeks.week_that_ended_before(datetime(2024, 2, 19, 6, 0, tzinfo=jkt)) == "2024-W07"
    assert weeks.week_that_ended_before(datetime(2024, 2, 18, 22, 0, tzinfo=jkt)) == "2024-W06"


def test_indonesian_labels():
    assert weeks.week_label("2024-W07") == "12–18 Feb 2024"
    assert weeks.week_label("2025-W01") == "30 Des 2024–5 Jan 2025"
    assert weeks.week_label("2024-W05") == "29 Jan–4 Feb 2024"
