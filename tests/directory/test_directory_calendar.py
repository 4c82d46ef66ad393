from __future__ import annotations

import datetime as dt
from io import BytesIO, StringIO

import pytest

from core.errors import ApplicationError
from directory import services
from directory.models import Holiday, HolidayYear, Region
from directory.services import WorkingDay, working_days_after

pytestmark = pytest.mark.django_db

CN, HK = Region.MAINLAND, Region.HONG_KONG


def test_zero_working_days_after_a_date_is_that_date(mainland_2026):
    assert working_days_after(start=dt.date(2026, 2, 15), days=0) == WorkingDay(dt.date(2026, 2, 15), False)


def test_a_negative_count_is_refused(english):
    with pytest.raises(ApplicationError) as refused:
        working_days_after(start=dt.date(2026, 1, 5), days=-1)

    assert refused.value.message == "The number of working days cannot be negative."


def test_an_ordinary_week_skips_the_weekend(mainland_2026):
    # Friday 2026-03-06 + 1 working day = Monday 2026-03-09.
    assert working_days_after(start=dt.date(2026, 3, 6), days=1) == WorkingDay(dt.date(2026, 3, 9), False)


def test_new_year_holiday_ends_on_a_make_up_sunday(mainland_2026):
    # 1–3 January 2026 are off; Sunday 4 January is a 调休 workday.
    assert working_days_after(start=dt.date(2025, 12, 31), days=1) == WorkingDay(dt.date(2026, 1, 4), False)


def test_the_saturday_before_spring_festival_is_a_working_day(mainland_2026):
    assert working_days_after(start=dt.date(2026, 2, 13), days=1) == WorkingDay(dt.date(2026, 2, 14), False)


def test_spring_festival_is_skipped_whole(mainland_2026):
    # Saturday 14 February works, 15–23 February are off, Tuesday 24 February is the next working day.
    assert working_days_after(start=dt.date(2026, 2, 13), days=2) == WorkingDay(dt.date(2026, 2, 24), False)


def test_the_make_up_saturday_after_spring_festival_counts(mainland_2026):
    assert working_days_after(start=dt.date(2026, 2, 27), days=1) == WorkingDay(dt.date(2026, 2, 28), False)


def test_a_count_into_a_year_without_a_calendar_uses_weekends_only_and_is_provisional(mainland_2026):
    # 31 Dec (Thu, 2026 data), 1 Jan 2027 (Fri: surely a holiday, but 2027 has no calendar yet), 4 Jan (Mon).
    assert working_days_after(start=dt.date(2026, 12, 30), days=3) == WorkingDay(dt.date(2027, 1, 4), True)


def test_days_entered_for_an_incomplete_year_are_ignored_until_the_year_is_complete(mainland_2026):
    services.holiday_set(region=CN, date=dt.date(2027, 1, 1), kind=Holiday.Kind.DAY_OFF, name="元旦")

    assert working_days_after(start=dt.date(2026, 12, 30), days=3) == WorkingDay(dt.date(2027, 1, 4), True)


def test_completing_the_year_makes_the_count_final_and_skips_its_day_off(mainland_2026):
    services.holiday_set(region=CN, date=dt.date(2027, 1, 1), kind=Holiday.Kind.DAY_OFF, name="元旦")
    services.holiday_year_mark_complete(region=CN, year=2027, source="test")

    assert working_days_after(start=dt.date(2026, 12, 30), days=3) == WorkingDay(dt.date(2027, 1, 5), False)


def test_a_count_takes_two_queries_however_long(mainland_2026, django_assert_num_queries):
    # 1: the region's complete years; 2: its calendar days in the window. The date agrees with
    # chinese_calendar.is_workday counted day by day.
    with django_assert_num_queries(2):
        result = working_days_after(start=dt.date(2026, 1, 1), days=200)

    assert result == WorkingDay(dt.date(2026, 10, 26), False)


def test_a_long_run_of_days_off_makes_the_count_read_another_window(db):
    services.holiday_year_mark_complete(region=CN, year=2030, source="test")
    first = dt.date(2030, 3, 1)
    for offset in range(60):
        services.holiday_set(region=CN, date=first + dt.timedelta(days=offset), kind=Holiday.Kind.DAY_OFF)

    assert working_days_after(start=dt.date(2030, 2, 28), days=1) == WorkingDay(dt.date(2030, 4, 30), False)


def test_hong_kong_counts_its_own_calendar(db):
    services.holiday_year_load(region=HK, year=2027)

    # Lunar New Year 2027: Saturday 6 February, then Monday 8 and Tuesday 9 February are off.
    assert working_days_after(start=dt.date(2027, 2, 5), days=1, region=HK) == WorkingDay(
        dt.date(2027, 2, 10), False
    )


def test_is_working_day_follows_the_calendar(mainland_2026):
    assert services.is_working_day(dt.date(2026, 1, 4)) is True  # make-up Sunday
    assert services.is_working_day(dt.date(2026, 2, 16)) is False  # Spring Festival Monday
    assert services.is_working_day(dt.date(2026, 3, 7)) is False  # ordinary Saturday
    assert services.is_working_day(dt.date(2027, 1, 1)) is True  # no 2027 calendar: weekday rule


def test_loading_a_mainland_year_stores_days_off_and_make_up_days_with_chinese_names(db):
    changed = services.holiday_year_load(region=CN, year=2026)

    assert changed == Holiday.objects.filter(region=CN).count() == 39
    assert list(Holiday.objects.filter(region=CN, kind=Holiday.Kind.WORKDAY).values_list("date", "name")) == [
        (dt.date(2026, 1, 4), "元旦"),
        (dt.date(2026, 2, 14), "春节"),
        (dt.date(2026, 2, 28), "春节"),
        (dt.date(2026, 5, 9), "劳动节"),
        (dt.date(2026, 9, 20), "国庆节"),
        (dt.date(2026, 10, 10), "国庆节"),
    ]
    assert HolidayYear.objects.get(region=CN, year=2026).source == "chinese_calendar 1.11.0"


def test_loading_a_year_again_changes_nothing(mainland_2026):
    history_rows = Holiday.history.count()

    assert services.holiday_year_load(region=CN, year=2026) == 0
    assert Holiday.history.count() == history_rows


def test_loading_a_mainland_year_the_package_lacks_is_refused(english):
    with pytest.raises(ApplicationError) as refused:
        services.holiday_year_load(region=CN, year=2027)

    assert refused.value.message.startswith(
        "The chinese_calendar package (version 1.11.0) has no mainland calendar"
    )
    assert HolidayYear.objects.count() == 0


def test_loading_a_hong_kong_year_stores_its_public_holidays_in_traditional_chinese(db):
    services.holiday_year_load(region=HK, year=2027)

    assert Holiday.objects.get(region=HK, date=dt.date(2027, 2, 6)).name == "農曆年初一"
    assert set(Holiday.objects.filter(region=HK).values_list("kind", flat=True)) == {Holiday.Kind.DAY_OFF}
    assert Holiday.objects.filter(region=HK).count() == 15


def test_loading_a_year_announces_it_after_commit(db, completed_years, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        services.holiday_year_load(region=HK, year=2027)
        assert completed_years == []

    assert len(callbacks) == 1
    assert completed_years == [(HK, 2027)]


def test_loading_an_unchanged_year_announces_nothing(
    mainland_2026, completed_years, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        services.holiday_year_load(region=CN, year=2026)

    assert callbacks == []
    assert completed_years == []


def test_a_failed_load_announces_nothing(db, completed_years, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True) as callbacks, pytest.raises(ApplicationError):
        services.holiday_year_load(region=CN, year=2027)

    assert callbacks == []
    assert completed_years == []


# --- CSV import -------------------------------------------------------------------------------------------------

CALENDAR_2027 = """date,region,kind,name
2027-01-01,CN,day_off,元旦
2027/2/6,CN,休,春节
2027-02-20,CN,班,春节
2027-02-06,HK,day_off,農曆年初一
"""


def test_a_csv_file_is_imported_with_counts(db):
    result = services.holiday_import_csv(file=BytesIO(CALENDAR_2027.encode()))

    assert result == services.HolidayImportResult(created=4, updated=0, unchanged=0, completed_years=())
    assert list(Holiday.objects.values_list("region", "date", "kind", "name")) == [
        (CN, dt.date(2027, 1, 1), Holiday.Kind.DAY_OFF, "元旦"),
        (CN, dt.date(2027, 2, 6), Holiday.Kind.DAY_OFF, "春节"),
        (CN, dt.date(2027, 2, 20), Holiday.Kind.WORKDAY, "春节"),
        (HK, dt.date(2027, 2, 6), Holiday.Kind.DAY_OFF, "農曆年初一"),
    ]
    assert HolidayYear.objects.count() == 0


def test_a_gbk_file_with_chinese_headers_updates_existing_days(db):
    services.holiday_set(region=CN, date=dt.date(2027, 1, 1), kind=Holiday.Kind.WORKDAY, name="待定")
    gbk = "日期,地区,类型,名称\r\n2027-01-01,内地,休,元旦\r\n".encode("gbk")

    result = services.holiday_import_csv(file=BytesIO(gbk))

    assert (result.created, result.updated, result.unchanged) == (0, 1, 0)
    assert Holiday.objects.get(region=CN, date=dt.date(2027, 1, 1)).name == "元旦"


def test_importing_with_mark_complete_completes_each_region_and_year_after_commit(
    db, completed_years, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        result = services.holiday_import_csv(file=StringIO(CALENDAR_2027), mark_complete=True)

    assert result.completed_years == ((CN, 2027), (HK, 2027))
    assert sorted(HolidayYear.objects.values_list("region", "year")) == [(CN, 2027), (HK, 2027)]
    assert completed_years == [(CN, 2027), (HK, 2027)]
    assert working_days_after(start=dt.date(2026, 12, 31), days=1) == WorkingDay(dt.date(2027, 1, 4), False)


def test_a_region_argument_fills_empty_region_cells(db):
    services.holiday_import_csv(file=StringIO("date,kind\n2027-10-01,day_off\n"), region=HK)

    assert list(Holiday.objects.values_list("region", "date")) == [(HK, dt.date(2027, 10, 1))]


def test_a_bad_file_names_every_bad_row_and_changes_nothing(db, english):
    services.holiday_set(region=CN, date=dt.date(2027, 1, 1), kind=Holiday.Kind.DAY_OFF, name="元旦")
    bad = (
        "date,region,kind,name\n"
        "2027-01-01,CN,workday,changed\n"
        "2027-13-01,CN,day_off,\n"
        "2027-02-01,XX,holiday,\n"
        "2027-01-01,CN,day_off,again\n"
    )

    with pytest.raises(ApplicationError) as refused:
        services.holiday_import_csv(file=StringIO(bad))

    assert refused.value.message == (
        "Nothing was imported. Fix these rows and import the file again: "
        "row 3: “2027-13-01” is not a date (write 2027-01-01).; "
        "row 4: “XX” is not a region (write CN or HK).; "
        "row 4: “holiday” is not a kind (write day_off or 休, workday or 班).; "
        "row 5: the same day is already on row 2."
    )
    assert [error["row"] for error in refused.value.extra["errors"]] == [3, 4, 4, 5]
    assert list(Holiday.objects.values_list("date", "kind", "name")) == [
        (dt.date(2027, 1, 1), Holiday.Kind.DAY_OFF, "元旦")
    ]


def test_a_row_for_another_region_than_the_import_is_refused(db, english):
    with pytest.raises(ApplicationError) as refused:
        services.holiday_import_csv(file=StringIO(CALENDAR_2027.replace("CN", "HK", 1)), region=CN)

    assert refused.value.message == (
        "Nothing was imported. Fix these rows and import the file again: "
        "row 2: the row is for Hong Kong, but this import is for Mainland China.; "
        "row 5: the row is for Hong Kong, but this import is for Mainland China."
    )
    assert Holiday.objects.count() == 0


def test_a_file_without_the_needed_columns_is_refused(db, english):
    with pytest.raises(ApplicationError) as refused:
        services.holiday_import_csv(file=StringIO("date,name\n2027-01-01,元旦\n"))

    assert refused.value.message == (
        "The first row must name the columns date, region, kind and name. Missing: kind, region."
    )


def test_a_file_with_only_a_header_is_refused(db, english):
    with pytest.raises(ApplicationError) as refused:
        services.holiday_import_csv(file=StringIO("date,region,kind,name\n"))

    assert refused.value.message == "The file has a header row but no days."
