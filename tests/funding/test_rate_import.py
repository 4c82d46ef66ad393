"""The exchange-rate import: one currency on one day per row, new days added, changed days corrected, the same sheet
again changing nothing; only users allowed to add rates may use it."""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils import timezone, translation
from openpyxl import Workbook

from accounts.roles import Role
from core.errors import ApplicationError
from core.imports import registry
from core.imports.base import Outcome
from core.imports.models import ImportJob
from core.imports.reading import SourceRow
from core.imports.services import import_commit, import_upload, import_validate
from funding import services
from funding.imports import ExchangeRateImporter
from funding.models import ExchangeRate
from tests.factories import make_user

pytestmark = pytest.mark.django_db

DAY = dt.date(2025, 3, 10)


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


@pytest.fixture
def admin_user():
    return make_user(Role.ADMINISTRATOR, username="rates_admin")


@pytest.fixture
def officer():
    return make_user(Role.OFFICER, username="rates_officer")


def check_one(user, **cells):
    values = {"currency": None, "date": None, "rate": None, "rate_per_100": None, "source": None, **cells}
    return ExchangeRateImporter(actor=user, options={}).check([SourceRow(2, values)])[0]


# --- One row at a time ------------------------------------------------------------------------------------------


def test_the_importer_is_registered_for_administrators_only(admin_user, officer):
    assert registry.get("funding.rates") is ExchangeRateImporter
    assert ExchangeRateImporter in registry.available_to(admin_user)
    assert ExchangeRateImporter not in registry.available_to(officer)


def test_a_day_without_a_rate_is_new(admin_user):
    check = check_one(admin_user, currency="港币", date="2025年3月10日", rate="0.9188", source="中国人民银行")

    assert check.outcome == Outcome.NEW
    assert check.messages == []
    assert check.key == "HKD:2025-03-10"
    assert check.data == {"currency": "HKD", "date": "2025-03-10", "rate": "0.9188", "source": "中国人民银行"}


def test_the_same_rate_again_is_unchanged(admin_user):
    services.exchange_rate_set(currency="HKD", date=DAY, rate_to_cny=Decimal("0.9188"))

    check = check_one(admin_user, currency="HK$", date=DAY, rate=0.9188)

    assert check.outcome == Outcome.UNCHANGED
    assert check.messages == ["Already recorded: 1 HKD = 0.9188 CNY on 2025-03-10."]


def test_another_rate_that_day_will_change_it(admin_user):
    services.exchange_rate_set(currency="HKD", date=DAY, rate_to_cny=Decimal("0.9188"))

    check = check_one(admin_user, currency="HKD", date="2025-03-10", rate="0.9190")

    assert check.outcome == Outcome.MATCH
    assert check.messages == ["Will change the HKD rate of 2025-03-10 from 0.9188 to 0.919."]


def test_a_rate_per_100_units_is_divided_by_100(admin_user):
    check = check_one(admin_user, currency="美元", date="2025/3/10", rate_per_100="710.52")

    assert check.outcome == Outcome.NEW
    assert (check.data["currency"], check.data["rate"]) == ("USD", "7.1052")


@pytest.mark.parametrize(
    ("cells", "message"),
    [
        ({"currency": "人民币"}, "CNY is the reference currency and has no rate."),
        ({"currency": "EUR"}, "Unknown currency “EUR”: write HKD (港币) or USD (美元)."),
        ({"currency": ""}, "The currency is empty."),
        ({"date": "2025-13-01"}, "Month 13 does not exist."),
        ({"date": "soon"}, "Not a date: “soon”."),
        ({"rate": "abc"}, "Rate to CNY: not a number: “abc”."),
        ({"rate": "-0.92"}, "Rate to CNY must be greater than zero, not “-0.92”."),
        ({"rate": 0}, "Rate to CNY must be greater than zero, not “0”."),
        ({"rate": None}, "The rate is empty."),
        ({"rate": "0.123456789"}, "The rate 0.123456789 has more than 8 decimal places."),
        (
            {"rate": "91.88"},
            "1 HKD = 91.88 CNY cannot be right: if it is the rate for 100 HKD, put it in a column headed "
            "“每100” / “per 100”.",
        ),
        (
            {"rate": None, "rate_per_100": "0.9188"},
            "1 HKD = 0.009188 CNY cannot be right: if it is the rate for 1 HKD, put it in a column headed "
            "“汇率” / “rate”.",
        ),
        (
            {"rate": "0.92", "rate_per_100": "91.88"},
            "The rate 0.92 per unit and 91.88 per 100 units disagree: keep one of them.",
        ),
    ],
)
def test_a_row_that_cannot_be_used_is_an_error_saying_why(admin_user, cells, message):
    row = {"currency": "HKD", "date": "2025-03-10", "rate": "0.9188", **cells}

    check = check_one(admin_user, **row)

    assert check.outcome == Outcome.ERROR
    assert check.messages == [message]


def test_a_rate_for_a_future_day_is_an_error(admin_user):
    tomorrow = timezone.localdate() + dt.timedelta(days=1)

    check = check_one(admin_user, currency="HKD", date=tomorrow, rate="0.9188")

    assert check.outcome == Outcome.ERROR
    assert check.messages == [
        f"The date {tomorrow:%Y-%m-%d} is in the future: a rate is recorded once it is published."
    ]


def test_every_problem_of_a_row_is_named(admin_user):
    check = check_one(admin_user, currency="CNY", date="2025-02-30", rate="abc")

    assert check.messages == [
        "CNY is the reference currency and has no rate.",
        "Day 30 does not exist in 2025-02.",
        "Rate to CNY: not a number: “abc”.",
    ]


# --- Through the engine ---------------------------------------------------------------------------------------


def gbk_csv() -> SimpleUploadedFile:
    lines = [
        "币种,日期,汇率,来源",
        "港币,2025年3月10日,0.9188,中国人民银行",
        "美元,2025/3/10,7.1052,中国人民银行",
        "人民币,2025/3/10,1,中国人民银行",
    ]
    return SimpleUploadedFile("汇率.csv", ("\r\n".join(lines) + "\r\n").encode("gbk"))


def titled_xlsx() -> SimpleUploadedFile:
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["2025年3月 人民币汇率中间价"])
    sheet.merge_cells("A1:D1")
    sheet.append(["货币", "日期", "中间价（每100外币）", "来源"])
    sheet.append(["港元", dt.datetime(2025, 3, 11), 91.9, "PBOC"])
    sheet.append(["US$", "11/03/2025", 710.6, "PBOC"])
    sheet.append(["港元", dt.datetime(2025, 3, 12), "九十一", "PBOC"])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return SimpleUploadedFile("rates.xlsx", buffer.getvalue())


def run(user, file) -> ImportJob:
    job = import_validate(job=import_upload(actor=user, kind="funding.rates", file=file, options={}))
    assert job.status == ImportJob.Status.VALIDATED, job.problem
    return job


def outcomes(job: ImportJob) -> dict[int, tuple[str, list[str]]]:
    return {row.number: (row.outcome, row.messages) for row in job.rows.order_by("number")}


def rates() -> dict[tuple[str, dt.date], Decimal]:
    return {(rate.currency, rate.date): rate.rate_to_cny for rate in ExchangeRate.objects.all()}


def test_a_gbk_csv_is_checked_and_committed_and_again_creates_nothing(admin_user):
    job = run(admin_user, gbk_csv())

    assert job.counts == {"new": 2, "error": 1}
    assert outcomes(job)[4] == ("error", ["CNY is the reference currency and has no rate."])
    job = import_commit(job=job, actor=admin_user)
    assert job.status == ImportJob.Status.COMMITTED
    assert job.results == {"rates_created": 2, "rates_changed": 0}
    assert rates() == {("HKD", DAY): Decimal("0.9188"), ("USD", DAY): Decimal("7.1052")}
    hkd = ExchangeRate.objects.get(currency="HKD", date=DAY)
    assert hkd.source == "中国人民银行"
    assert hkd.history.get().history_user == admin_user

    again = run(admin_user, gbk_csv())

    assert again.counts == {"unchanged": 2, "error": 1}
    with pytest.raises(ApplicationError, match="Nothing to import"):
        import_commit(job=again, actor=admin_user)
    assert ExchangeRate.objects.count() == 2
    assert ExchangeRate.history.count() == 2


def test_an_xlsx_with_a_title_row_and_per_100_quotes_is_imported(admin_user):
    services.exchange_rate_set(currency="HKD", date=dt.date(2025, 3, 11), rate_to_cny=Decimal("0.9188"))

    job = run(admin_user, titled_xlsx())

    # The title above is passed over; the per-100 header is not taken for the per-unit one.
    assert dict(job.headers)["rate_per_100"] == "中间价（每100外币）"
    assert "rate" not in dict(job.headers)
    assert outcomes(job) == {
        3: ("match", ["Will change the HKD rate of 2025-03-11 from 0.9188 to 0.919."]),
        4: ("new", []),
        5: ("error", ["Rate to CNY per 100 units: not a number: “九十一”."]),
    }
    job = import_commit(job=job, actor=admin_user)
    assert job.results == {"rates_created": 1, "rates_changed": 1}
    assert rates() == {
        ("HKD", dt.date(2025, 3, 11)): Decimal("0.919"),
        ("USD", dt.date(2025, 3, 11)): Decimal("7.106"),
    }
    changed = ExchangeRate.objects.get(currency="HKD")
    assert [h.rate_to_cny for h in changed.history.order_by("history_date")] == [
        Decimal("0.9188"),
        Decimal("0.919"),
    ]
    assert ExchangeRateImporter.result_labels.keys() == job.results.keys()


def test_two_rows_for_the_same_currency_and_day_are_a_duplicate(admin_user):
    lines = "currency,date,rate\nHKD,2025-03-10,0.9188\nHK$,10/03/2025,0.9190\n"

    job = run(admin_user, SimpleUploadedFile("rates.csv", lines.encode()))

    assert outcomes(job)[3][0] == Outcome.ERROR
    assert "row 2" in outcomes(job)[3][1][0]


def test_an_officer_may_not_upload_rates_but_an_administrator_may(admin_user, officer):
    with pytest.raises(ApplicationError, match="permission"):
        import_upload(actor=officer, kind="funding.rates", file=gbk_csv(), options={})
    assert not ImportJob.objects.exists()

    job = import_upload(actor=admin_user, kind="funding.rates", file=gbk_csv(), options={})

    assert job.status == ImportJob.Status.UPLOADED


def test_the_rate_list_links_to_the_import_for_those_who_may_use_it(admin_user, officer):
    link = reverse("admin:core_importjob_add") + "?kind=funding.rates"
    page = reverse("admin:funding_exchangerate_changelist")

    admin_client = Client(HTTP_ACCEPT_LANGUAGE="en")
    admin_client.force_login(admin_user)
    officer_client = Client(HTTP_ACCEPT_LANGUAGE="en")
    officer_client.force_login(officer)

    assert link in admin_client.get(page).content.decode()
    response = officer_client.get(page)
    assert response.status_code == 200
    assert link not in response.content.decode()
    assert admin_client.get(link).status_code == 200
