"""Reminder rules: what full_clean refuses (with its exact messages), the database's own bounds, the seeded
rules, and the history rows edits leave behind."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import IntegrityError, transaction
from django.utils import translation

from core.errors import ApplicationError
from projects.stages import Stage
from reminders.models import MAX_RULE_DAYS, NotificationPreference, ReminderRule
from reminders.services import calendar_token_rotate, preference_update
from tests.factories import make_user

pytestmark = pytest.mark.django_db

Kind = ReminderRule.Kind
Repeat = ReminderRule.Repeat

SEEDED = {
    "milestone-due-7",
    "milestone-due-3",
    "milestone-due-today",
    "milestone-overdue",
    "milestone-escalation",
    "intake-sla",
    "no-activity-30",
    "pause-expired",
    "manager-digest",
    "unit-digest",
    "stuck-qualified",
    "stuck-engaged",
    "stuck-visited",
    "stuck-negotiating",
    "stuck-signed",
    "stuck-registered",
    "stuck-t-engaged",
    "stuck-t-interested",
    "stuck-t-offered",
    "funding-window-closing-10",
    "tranche-due-5",
}


@pytest.fixture(autouse=True)
def english():
    # The messages are compared in English, the msgid language, whatever the catalogs hold.
    with translation.override("en"):
        yield


def rule(**fields) -> ReminderRule:
    values = {
        "code": "test-rule",
        "name": "测试规则",
        "kind": Kind.MILESTONE_DUE_IN,
        "days": 5,
        "day_unit": ReminderRule.DayUnit.WORKING,
        "stage": "",
        "repeat": Repeat.ONCE,
    }
    values.update(fields)
    return ReminderRule(**values)


def errors_of(instance) -> dict[str, list[str]]:
    with pytest.raises(ValidationError) as caught:
        instance.full_clean()
    return caught.value.message_dict


# --- full_clean ---------------------------------------------------------------------------------------------


def test_a_well_formed_rule_passes_full_clean():
    rule().full_clean()
    rule(kind=Kind.STAGE_STUCK, stage=Stage.QUALIFIED, days=MAX_RULE_DAYS, day_unit="calendar").full_clean()


def test_negative_days_are_impossible():
    errors = errors_of(rule(days=-1))
    assert errors["days"] == [str(MinValueValidator(0).message) % {"limit_value": 0}]


def test_negative_days_are_refused_by_the_database_too():
    with pytest.raises(IntegrityError), transaction.atomic():
        ReminderRule.objects.create(code="negative", name="负数", kind=Kind.MILESTONE_DUE_IN, days=-1)


def test_more_than_a_year_of_days_is_refused_with_the_reason():
    errors = errors_of(rule(days=MAX_RULE_DAYS + 1))
    expected = str(
        translation.gettext("At most %(max)s days: a longer offset is almost certainly a typing slip.")
        % {"max": MAX_RULE_DAYS}
    )
    assert expected == "At most 366 days: a longer offset is almost certainly a typing slip."
    assert errors["days"] == [expected]


def test_the_database_bounds_the_days_as_well():
    with pytest.raises(IntegrityError), transaction.atomic():
        ReminderRule.objects.create(
            code="too-long", name="过长", kind=Kind.MILESTONE_DUE_IN, days=MAX_RULE_DAYS + 1
        )
    ReminderRule.objects.create(code="longest", name="最长", kind=Kind.MILESTONE_DUE_IN, days=MAX_RULE_DAYS)


@pytest.mark.parametrize(
    "kind",
    [Kind.MILESTONE_DUE_IN, Kind.MILESTONE_ESCALATION, Kind.STAGE_STUCK, Kind.NO_ACTIVITY, Kind.INTAKE_SLA],
)
def test_kinds_that_count_days_need_at_least_one(kind):
    stage = Stage.QUALIFIED if kind == Kind.STAGE_STUCK else ""
    errors = errors_of(rule(kind=kind, days=0, stage=stage))
    assert errors == {"days": ["This kind of rule needs a number of days of at least 1."]}


@pytest.mark.parametrize(
    ("kind", "repeat"),
    [
        (Kind.MILESTONE_DUE_TODAY, Repeat.ONCE),
        (Kind.MILESTONE_OVERDUE, Repeat.DAILY),
        (Kind.PAUSE_EXPIRED, Repeat.ONCE),
        (Kind.MANAGER_DIGEST, Repeat.DAILY),
        (Kind.UNIT_DIGEST, Repeat.DAILY),
    ],
)
def test_kinds_without_a_count_refuse_days_and_pass_with_zero(kind, repeat):
    errors = errors_of(rule(kind=kind, days=2, repeat=repeat))
    assert errors == {"days": ["This kind of rule has no number of days; leave it at 0."]}
    rule(kind=kind, days=0, repeat=repeat).full_clean()


def test_a_stage_rule_without_a_stage_is_refused():
    errors = errors_of(rule(kind=Kind.STAGE_STUCK, days=30, stage=""))
    assert errors == {"stage": ["Choose the stage this rule watches."]}


def test_only_a_stage_rule_may_name_a_stage():
    errors = errors_of(rule(kind=Kind.NO_ACTIVITY, days=30, stage=Stage.QUALIFIED))
    assert errors == {"stage": ["Only a “stage unchanged” rule watches a stage."]}


def test_an_overdue_rule_sent_once_is_refused():
    errors = errors_of(rule(kind=Kind.MILESTONE_OVERDUE, days=0, repeat=Repeat.ONCE))
    assert errors == {"repeat": ["An overdue reminder repeats daily until the milestone is resolved."]}


@pytest.mark.parametrize("kind", [Kind.MANAGER_DIGEST, Kind.UNIT_DIGEST])
def test_a_digest_sent_once_is_refused(kind):
    errors = errors_of(rule(kind=kind, days=0, repeat=Repeat.ONCE))
    assert errors == {"repeat": ["A digest is sent daily."]}


def test_every_problem_is_reported_at_once():
    errors = errors_of(rule(kind=Kind.STAGE_STUCK, days=0, stage=""))
    assert set(errors) == {"days", "stage"}


# --- The seeded rules ---------------------------------------------------------------------------------------


def test_the_seeded_rules_are_all_there_and_all_pass_full_clean():
    seeded = list(ReminderRule.objects.all())
    assert {r.code for r in seeded} == SEEDED
    for seeded_rule in seeded:
        seeded_rule.full_clean()
        assert seeded_rule.is_active
    stuck = {r.stage: r.days for r in seeded if r.kind == Kind.STAGE_STUCK}
    assert stuck[Stage.QUALIFIED] == 30
    assert stuck[Stage.SIGNED] == 90
    assert ReminderRule.objects.get(code="milestone-overdue").repeat == Repeat.DAILY
    assert ReminderRule.objects.get(code="milestone-escalation").days == 5


def test_every_kind_names_the_subject_of_its_rows():
    assert {ReminderRule(kind=k).subject_type for k in Kind.values} == {
        "milestone",
        "lead",
        "user",
        "unit",
        "window",
        "tranche",
    }


# --- History ------------------------------------------------------------------------------------------------


def test_editing_a_rule_writes_a_history_row():
    seeded = ReminderRule.objects.get(code="milestone-due-7")
    before = seeded.history.count()
    seeded.days = 10
    seeded.save()
    assert seeded.history.count() == before + 1
    assert seeded.history.first().days == 10
    assert seeded.history.first().history_type == "~"


def test_editing_notification_settings_writes_a_history_row():
    user = make_user()
    preference = preference_update(user=user, by_email=False)
    before = preference.history.count()
    assert before >= 1
    preference_update(user=user, quiet_from=dt.time(22), quiet_until=dt.time(8), language="en")
    preference.refresh_from_db()
    assert preference.history.count() == before + 1
    latest = preference.history.first()
    assert (latest.quiet_from, latest.quiet_until, latest.language, latest.by_email) == (
        dt.time(22),
        dt.time(8),
        "en",
        False,
    )


def test_the_calendar_key_never_reaches_the_history():
    user = make_user()
    preference = preference_update(user=user, by_wecom=False)
    old = preference.calendar_token
    rotated = calendar_token_rotate(user=user)
    assert rotated.calendar_token != old
    assert NotificationPreference.objects.get(pk=preference.pk).calendar_token == rotated.calendar_token
    assert not hasattr(preference.history.first(), "calendar_token")


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"quiet_from": dt.time(22)}, "Give both ends of the quiet hours, or neither."),
        (
            {"quiet_from": dt.time(22), "quiet_until": dt.time(22)},
            "Quiet hours cannot start and end at the same time.",
        ),
    ],
)
def test_half_or_empty_quiet_hours_are_refused(fields, message):
    user = make_user()
    with pytest.raises(ApplicationError) as caught:
        preference_update(user=user, **fields)
    assert caught.value.message == message
    assert not NotificationPreference.objects.filter(user=user, quiet_from__isnull=False).exists()
