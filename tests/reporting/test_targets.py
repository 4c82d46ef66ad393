"""Annual targets: the model's invariants, the services and their scope (a manager sets targets for the units they
head and those units' officers only), the admin, and progress measured with the dashboard's own KPIs."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from types import SimpleNamespace

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import translation

from accounts.models import User
from accounts.roles import Role
from core.errors import ApplicationError
from funding import services as funding
from projects.models import Signing
from projects.stages import Stage
from reporting import services
from reporting.filters import ReportFilters
from reporting.kpis import kpis
from reporting.models import Metric, Target
from reporting.targets import target_progress
from tests.factories import join, make_unit, make_user
from tests.projects.conftest import english_client
from tests.reporting.test_kpis import at, inject, moved, registered, sign

pytestmark = pytest.mark.django_db

YEAR_2026 = ReportFilters(date_from=dt.date(2026, 1, 1), date_to=dt.date(2026, 12, 31))


def client_for(user: User):
    client = english_client()
    client.force_login(user)
    return client


def set_target(actor, metric, value, **owner) -> Target:
    return services.target_set(actor=actor, year=2026, metric=metric, value=Decimal(value), **owner)


# --- The model ---------------------------------------------------------------------------------------------------


def test_a_target_is_for_a_unit_or_an_officer_never_both_nor_neither(world):
    both = Target(year=2026, metric=Metric.SIGNINGS_COUNT, value=5, unit=world.unit_a, officer=world.a)
    neither = Target(year=2026, metric=Metric.SIGNINGS_COUNT, value=5)

    with translation.override("en"):
        for target in (both, neither):
            with pytest.raises(ValidationError) as error:
                target.full_clean()
            assert error.value.messages == ["Set the target either for a unit or for an officer, not both."]
    with pytest.raises(IntegrityError), transaction.atomic():
        both.save()
    with pytest.raises(IntegrityError), transaction.atomic():
        neither.save()


def test_a_target_cannot_be_negative(world):
    target = Target(year=2026, metric=Metric.SIGNED_AMOUNT, value=Decimal("-1"), unit=world.unit_a)

    with translation.override("en"):
        with pytest.raises(ValidationError) as error:
            target.full_clean()
        assert error.value.message_dict == {"value": ["Ensure this value is greater than or equal to 0."]}
    with pytest.raises(IntegrityError), transaction.atomic():
        target.save()


def test_a_unit_and_an_officer_have_one_target_per_metric_and_year(world):
    Target.objects.create(year=2026, metric=Metric.SIGNINGS_COUNT, value=5, unit=world.unit_a)
    Target.objects.create(year=2026, metric=Metric.SIGNINGS_COUNT, value=5, officer=world.a)
    Target.objects.create(year=2025, metric=Metric.SIGNINGS_COUNT, value=5, unit=world.unit_a)  # another year

    again = Target(year=2026, metric=Metric.SIGNINGS_COUNT, value=6, unit=world.unit_a)
    with translation.override("en"):
        with pytest.raises(ValidationError) as error:
            again.full_clean()
        assert error.value.messages == ["This unit already has a target for this metric and year."]
    with pytest.raises(IntegrityError), transaction.atomic():
        again.save()
    with pytest.raises(IntegrityError), transaction.atomic():
        Target.objects.create(year=2026, metric=Metric.SIGNINGS_COUNT, value=7, officer=world.a)


def test_a_counted_metric_takes_a_whole_number(world):
    target = Target(year=2026, metric=Metric.TALENT_ARRIVED, value=Decimal("2.5"), unit=world.unit_a)

    with translation.override("en"):
        with pytest.raises(ValidationError) as error:
            target.full_clean()
        assert error.value.message_dict == {
            "value": ["This metric counts projects or people: enter a whole number."]
        }


# --- Services ----------------------------------------------------------------------------------------------------


def test_setting_a_target_again_changes_its_value_and_keeps_history(world):
    first = set_target(world.manager_a, Metric.SIGNED_AMOUNT, "5000", unit=world.unit_a)
    second = set_target(world.manager_a, Metric.SIGNED_AMOUNT, "6000.50", unit=world.unit_a)

    assert second.pk == first.pk
    assert Target.objects.get().value == Decimal("6000.50")
    assert [(h.value, h.history_user) for h in second.history.order_by("history_id")] == [
        (Decimal("5000.00"), world.manager_a),
        (Decimal("6000.50"), world.manager_a),
    ]


def test_a_head_sets_targets_for_their_unit_and_its_officers(world):
    set_target(world.manager_a, Metric.SIGNINGS_COUNT, 8, unit=world.unit_a)
    set_target(world.manager_a, Metric.SIGNINGS_COUNT, 3, officer=world.a)

    assert Target.objects.count() == 2


@pytest.mark.parametrize(
    ("owner", "message"),
    [
        ("unit_b", "You can set targets only for the units you head or manage and their sub-units."),
        ("b", "You can set targets only for officers of the units you head or manage."),
        ("bureau", "You can set targets only for the units you head or manage and their sub-units."),
    ],
)
def test_a_head_cannot_set_targets_outside_their_subtree(world, owner, message):
    field = "officer" if owner == "b" else "unit"

    with translation.override("en"), pytest.raises(ApplicationError) as error:
        set_target(world.manager_a, Metric.SIGNINGS_COUNT, 8, **{field: getattr(world, owner)})

    assert error.value.message == message
    assert not Target.objects.exists()


def test_the_director_sets_targets_anywhere(world):
    set_target(world.director, Metric.SIGNINGS_COUNT, 8, unit=world.unit_b)
    set_target(world.director, Metric.SIGNINGS_COUNT, 8, officer=world.b)

    assert Target.objects.count() == 2


def test_an_officer_sets_no_targets_not_even_their_own(world):
    with pytest.raises(ApplicationError):
        set_target(world.a, Metric.SIGNINGS_COUNT, 8, officer=world.a)


def test_deleting_a_target_records_who_deleted_it(world):
    target = set_target(world.manager_a, Metric.SIGNINGS_COUNT, 8, unit=world.unit_a)

    services.target_delete(actor=world.manager_a, target=target)

    assert not Target.objects.exists()
    assert Target.history.latest().history_type == "-"
    assert Target.history.latest().history_user == world.manager_a


# --- Admin -------------------------------------------------------------------------------------------------------


def add_form(**values) -> dict:
    return {"year": 2026, "metric": Metric.SIGNINGS_COUNT, "value": "8", "note": "", **values}


def test_a_head_adds_targets_for_their_unit_and_its_officer_in_the_admin(world):
    client = client_for(world.manager_a)
    assert client.get(reverse("admin:reporting_target_add")).status_code == 200

    for_unit = client.post(reverse("admin:reporting_target_add"), add_form(unit=world.unit_a.pk))
    for_officer = client.post(reverse("admin:reporting_target_add"), add_form(officer=world.a.pk))

    assert (for_unit.status_code, for_officer.status_code) == (302, 302)
    assert {(t.unit, t.officer) for t in Target.objects.all()} == {(world.unit_a, None), (None, world.a)}
    assert {t.history.get().history_user for t in Target.objects.all()} == {world.manager_a}


def test_a_head_picks_units_and_officers_by_autocomplete(world):
    client = client_for(world.manager_a)

    def picked(field: str, term: str) -> list[str]:
        response = client.get(
            reverse("admin:autocomplete"),
            {"app_label": "reporting", "model_name": "target", "field_name": field, "term": term},
        )
        assert response.status_code == 200
        return [row["text"] for row in response.json()["results"]]

    assert "香港合作处" in picked("unit", "香港")
    assert picked("officer", "officer_a") == ["officer_a"]


@pytest.mark.parametrize(
    ("field", "owner", "message"),
    [
        ("unit", "unit_b", "You can set targets only for the units you head or manage and their sub-units."),
        ("officer", "b", "You can set targets only for officers of the units you head or manage."),
    ],
)
def test_choosing_a_unit_or_officer_outside_the_subtree_is_a_form_error(world, field, owner, message):
    response = client_for(world.manager_a).post(
        reverse("admin:reporting_target_add"), add_form(**{field: getattr(world, owner).pk})
    )

    assert response.status_code == 200
    assert response.context["adminform"].form.errors == {field: [message]}
    assert not Target.objects.exists()


def test_the_director_adds_a_target_for_any_unit_in_the_admin(world):
    response = client_for(world.director).post(
        reverse("admin:reporting_target_add"), add_form(unit=world.unit_b.pk)
    )

    assert response.status_code == 302
    assert Target.objects.get().unit == world.unit_b


def test_a_head_sees_only_their_subtrees_targets_and_404s_on_another(world):
    mine = set_target(world.director, Metric.SIGNINGS_COUNT, 8, unit=world.unit_a)
    officers = set_target(world.director, Metric.SIGNINGS_COUNT, 3, officer=world.a)
    theirs = set_target(world.director, Metric.SIGNINGS_COUNT, 8, unit=world.unit_b)
    their_officers = set_target(world.director, Metric.SIGNINGS_COUNT, 3, officer=world.b)
    client = client_for(world.manager_a)

    listed = client.get(reverse("admin:reporting_target_changelist"))

    assert set(listed.context["cl"].result_list) == {mine, officers}
    assert client.get(reverse("admin:reporting_target_change", args=[mine.pk])).status_code == 200
    assert client.get(reverse("admin:reporting_target_change", args=[theirs.pk])).status_code == 404
    assert client.get(reverse("admin:reporting_target_change", args=[their_officers.pk])).status_code == 404
    assert client.get(reverse("admin:reporting_target_history", args=[theirs.pk])).status_code == 404
    assert (
        client_for(world.director).get(reverse("admin:reporting_target_change", args=[theirs.pk])).status_code
        == 200
    )


def test_an_officer_has_no_targets_admin(world):
    target = set_target(world.manager_a, Metric.SIGNINGS_COUNT, 3, officer=world.a)
    client = client_for(world.a)

    assert client.get(reverse("admin:reporting_target_changelist")).status_code == 403
    assert client.get(reverse("admin:reporting_target_change", args=[target.pk])).status_code == 403
    assert client_for(world.manager_a).get(reverse("admin:reporting_target_changelist")).status_code == 200


def test_changing_a_targets_value_in_the_admin_writes_a_history_row(world):
    target = set_target(world.manager_a, Metric.SIGNED_AMOUNT, "5000", unit=world.unit_a)

    response = client_for(world.manager_a).post(
        reverse("admin:reporting_target_change", args=[target.pk]), {"value": "7500.00", "note": "年中调整"}
    )

    assert response.status_code == 302
    target.refresh_from_db()
    assert (target.value, target.note, target.unit, target.metric) == (
        Decimal("7500.00"),
        "年中调整",
        world.unit_a,
        Metric.SIGNED_AMOUNT,
    )
    assert [h.value for h in target.history.order_by("history_id")] == [
        Decimal("5000.00"),
        Decimal("7500.00"),
    ]


def test_deleting_a_target_in_the_admin_goes_through_the_service(world):
    target = set_target(world.manager_a, Metric.SIGNINGS_COUNT, 8, unit=world.unit_a)

    response = client_for(world.manager_a).post(
        reverse("admin:reporting_target_delete", args=[target.pk]), {"post": "yes"}
    )

    assert response.status_code == 302
    assert not Target.objects.exists()
    assert Target.history.latest().history_user == world.manager_a


def test_the_list_shows_each_targets_progress(world, settings):
    settings.REPORT_CACHE_SECONDS = 0
    lead = registered(world.a, world.unit_a)
    sign(lead, dt.date(2026, 2, 1), "150000000.00")
    set_target(world.manager_a, Metric.PROJECTS_100M, 4, unit=world.unit_a)

    response = client_for(world.manager_a).get(reverse("admin:reporting_target_changelist"))

    assert "1 (25.0%)" in response.content.decode()


@pytest.mark.parametrize("count", [2, 20])
def test_the_target_list_takes_the_same_queries_whatever_the_rows(world, settings, count):
    """Half the targets are sub-units' of unit A, half their officers', every metric, each owner with a signing,
    a capital injection and an arrival."""
    settings.REPORT_CACHE_SECONDS = 0
    metrics = list(Metric.values)
    for index in range(count // 2):
        unit = make_unit(f"招商小组{index}", parent=world.unit_a)
        officer = join(make_user(Role.OFFICER), unit)
        lead = registered(officer, unit)
        sign(lead, dt.date(2026, 2, 1), "150000000.00")
        inject(lead, dt.date(2026, 3, 1), "1000000.00")
        moved(registered(officer, unit, talent=True), (Stage.T_ARRIVED, at(dt.date(2026, 3, 1))))
        set_target(world.manager_a, metrics[index % 5], 10, unit=unit)
        set_target(world.manager_a, metrics[(index + 1) % 5], 10, officer=officer)
    client = client_for(world.manager_a)

    with CaptureQueriesContext(connection) as queries:
        response = client.get(reverse("admin:reporting_target_changelist"))

    assert len(response.context["cl"].result_list) == count
    # 1 session, 2 user, 3-4 permissions (the user's, their groups'), 5 administrator check, 6 memberships
    # (the scope), 7 unit filter's units, 8 count, 9 the page of targets, 10 signings grouped, 11 rates,
    # 12 new signings that may reach 1亿, 13 capital grouped, 14 arrivals grouped, 15 year filter's values.
    assert len(queries) == 15, "\n".join(q["sql"][:200] for q in queries.captured_queries)


# --- Progress ----------------------------------------------------------------------------------------------------


@pytest.fixture
def year(world, settings):
    """Unit A (and its sub-unit A1) and unit B's rows of 2026, and one of 2025."""
    settings.REPORT_CACHE_SECONDS = 0
    funding.exchange_rate_set(currency="HKD", date=dt.date(2026, 2, 20), rate_to_cny=Decimal("0.92"))
    unit_a1 = make_unit("香港合作处一组", parent=world.unit_a)
    c = join(make_user(Role.OFFICER, username="officer_c"), unit_a1)
    own = registered(world.a, world.unit_a)
    sign(own, dt.date(2026, 2, 1), "150000000.00")
    sign(own, dt.date(2025, 6, 1), "30000000.00", investor="SIP")  # the year before
    inject(own, dt.date(2026, 3, 1), "1000000.00", "HKD")  # 920,000 yuan
    inject(own, dt.date(2026, 3, 2), "50000.00", "USD")  # no rate
    heads = registered(world.manager_a, world.unit_a)
    sign(heads, dt.date(2026, 4, 1), "20000000.00", kind=Signing.Kind.RESIGN)
    sign(heads, dt.date(2026, 5, 1), "5000000.00", kind=Signing.Kind.CAPITAL_INCREASE)
    moved(registered(world.a, world.unit_a, talent=True), (Stage.T_ARRIVED, at(dt.date(2026, 3, 1))))
    sign(registered(c, unit_a1), dt.date(2026, 2, 10), "10000000.00")
    sign(registered(world.b, world.unit_b), dt.date(2026, 2, 1), "500000000.00")

    targets = {
        metric: set_target(world.manager_a, metric, value, unit=world.unit_a)
        for metric, value in [
            (Metric.SIGNINGS_COUNT, 10),
            (Metric.SIGNED_AMOUNT, 50000),
            (Metric.PROJECTS_100M, 4),
            (Metric.TALENT_ARRIVED, 3),
            (Metric.CAPITAL_IN_PLACE, 100),
        ]
    }
    set_target(world.manager_a, Metric.SIGNINGS_COUNT, 2, officer=world.a)
    set_target(world.manager_a, Metric.SIGNED_AMOUNT, 0, officer=world.a)
    set_target(world.director, Metric.SIGNINGS_COUNT, 5, unit=world.unit_b)
    services.target_set(
        actor=world.manager_a, year=2025, metric=Metric.SIGNINGS_COUNT, value=Decimal(1), unit=world.unit_a
    )
    return SimpleNamespace(unit_a1=unit_a1, c=c, targets=targets)


def shown(progress: list[dict]) -> list[tuple]:
    return [(row["label"], row["target"].metric, row["actual"], row["percent"]) for row in progress]


def test_progress_counts_each_targets_year_with_the_dashboards_figures(world, year):
    progress = target_progress(world.manager_a, year=2026, today=dt.date(2026, 7, 2))

    assert shown(progress) == [
        # new 1.5亿 + re-sign + A1's new; the 2025 signing and the capital increase are no signings
        ("香港合作处", Metric.SIGNINGS_COUNT, 3, 30.0),
        # 150,000,000 + 20,000,000 + 5,000,000 (capital increase, by amount) + 10,000,000 yuan, in 万元
        ("香港合作处", Metric.SIGNED_AMOUNT, Decimal("18500.00"), 37.0),
        ("香港合作处", Metric.PROJECTS_100M, 1, 25.0),
        ("香港合作处", Metric.TALENT_ARRIVED, 1, 33.3),
        ("香港合作处", Metric.CAPITAL_IN_PLACE, Decimal("92.00"), 92.0),
        ("officer_a", Metric.SIGNINGS_COUNT, 1, 50.0),
        ("officer_a", Metric.SIGNED_AMOUNT, Decimal("15000.00"), None),  # a target of 0 has no percentage
    ]
    assert [row["ratio"] for row in progress] == [0.3, 0.37, 0.25, 0.3333, 0.92, 0.5, None]
    capital = progress[4]
    assert capital["unconverted"] == [{"currency": "USD", "amount": Decimal("50000.00"), "count": 1}]
    assert capital["metric_label"] == str(Metric.CAPITAL_IN_PLACE.label)
    assert capital["year_elapsed"] == 50.1  # 183 of 365 days


def test_progress_actuals_equal_the_kpis_of_the_unit_and_officer(world, year):
    progress = {
        (row["label"], row["target"].metric): row["actual"]
        for row in target_progress(world.manager_a, year=2026)
    }
    unit = kpis(world.manager_a, YEAR_2026.replace(unit=world.unit_a))
    officer = kpis(world.manager_a, YEAR_2026.replace(owner=world.a))

    assert progress[("香港合作处", Metric.SIGNINGS_COUNT)] == unit["signings"]
    assert progress[("香港合作处", Metric.SIGNED_AMOUNT)] * 10000 == unit["contracted_amount"]["cny"]
    assert progress[("香港合作处", Metric.PROJECTS_100M)] == sum(unit["projects_100m"].values())
    assert progress[("香港合作处", Metric.TALENT_ARRIVED)] == unit["talent_arrived"]
    assert progress[("香港合作处", Metric.CAPITAL_IN_PLACE)] * 10000 == unit["capital_in_place"]["cny"]
    assert progress[("officer_a", Metric.SIGNINGS_COUNT)] == officer["signings"]
    assert progress[("officer_a", Metric.SIGNED_AMOUNT)] * 10000 == officer["contracted_amount"]["cny"]


def test_the_director_also_sees_unit_bs_target(world, year):
    progress = target_progress(world.director, year=2026)

    assert ("产业招商一处", Metric.SIGNINGS_COUNT, 1, 20.0) in shown(progress)
    assert len(progress) == 8


def test_an_officer_sees_their_units_and_their_own_targets_counted_over_the_leads_they_see(world, year):
    progress = shown(target_progress(world.a, year=2026))

    # Officer A is a member of unit A, not of A1: A1's signing is outside what they can open.
    assert progress[0] == ("香港合作处", Metric.SIGNINGS_COUNT, 2, 20.0)
    assert [row[0] for row in progress] == ["香港合作处"] * 5 + ["officer_a"] * 2


def test_another_units_officer_sees_none_of_unit_as_targets(world, year):
    assert [row[0] for row in shown(target_progress(world.b, year=2026))] == ["产业招商一处"]


def test_progress_of_another_year_counts_that_years_rows(world, year):
    assert shown(target_progress(world.manager_a, year=2025)) == [
        ("香港合作处", Metric.SIGNINGS_COUNT, 1, 100.0),
    ]
