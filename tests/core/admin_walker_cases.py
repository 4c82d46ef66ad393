"""The admin walker's world: one real object "of unit A" for every registered model admin.

The actors are the API walker's (tests/api/walker_cases.py): an officer, a unit manager, an event recorder and a
report viewer in each of unit A and unit B, and an administrator in no unit. Every object is built through the
services where one exists, about unit A: the lead of unit A's officer and its records, an event unit A's recorder
staffs and the people met there, a funding application of the lead, a target of unit A, an import unit A's
officer uploaded. Reference data (organizations, programmes, calendars, rules, schedules) belongs to no unit.

Building all of it costs a few seconds, so the module's tests share one world inside one transaction that is
rolled back at the end (each test runs in a savepoint of its own, so a delete made by one test is undone before
the next).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from functools import cached_property
from typing import Any

from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.contrib.auth.models import Group
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import models
from django.utils import timezone
from django_celery_beat.models import (
    ClockedSchedule,
    CrontabSchedule,
    IntervalSchedule,
    PeriodicTask,
    SolarSchedule,
)
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts import services as account_services
from accounts.models import Unit
from accounts.roles import Role
from core.imports.services import import_upload
from directory import services as directory_services
from directory.models import Holiday, Region
from funding import services as funding_services
from funding.models import Funder, ProgramType
from projects import services as lead_services
from projects.models import AftercareTouchpoint, LeadContact, MilestoneTemplate, Pass
from projects.services.handover import handover_request
from reminders.models import Reminder, ReminderRule
from reporting import services as reporting_services
from reporting.models import Metric
from talent.models import ConsentText, DuplicatePair, PersonalDataAccess, PersonalDataLog
from talent.services.consent import consent_text_save, consent_withdraw
from talent.services.merge import contact_merge
from talent.services.rights import personal_data_access_log
from tests.api import walker_cases as api
from tests.factories import make_lead, make_unit

M = Decimal(1_000_000)


def days_ago(days: int) -> dt.date:
    return timezone.localdate() - dt.timedelta(days=days)


class AdminWorld(api.World):
    """The API walker's world plus what the admin's models hang on: unit A's event, its people, a second lead of
    unit A offered to a third unit (a hand-over must not make unit B's managers see the first lead), a programme
    with a version, and a fund."""

    def __init__(self) -> None:
        super().__init__()
        self.bureau = self.unit_a.parent
        self.objects: dict[str, Any] = {}
        self.sessions: dict[str, str] = {}  # actor → session key, signed in once for the module

    @cached_property
    def unit_c(self) -> Unit:
        """A carrier team under the bureau: receives unit A's hand-over."""
        return make_unit("园区科创载体专班", parent=self.bureau, kind=Unit.Kind.CARRIER_TEAM)

    @cached_property
    def event(self):
        return api.event_of_a(self)

    @cached_property
    def contact(self):
        return api._met_at(self, self.event, "陳大文", "9123 4567")

    @cached_property
    def version(self):
        return api.award()

    @cached_property
    def application(self):
        return funding_services.application_create(
            actor=self.officer_a, lead=self.lead, version=self.version, requested_amount=20 * M
        )

    @cached_property
    def fund(self):
        return funding_services.program_create(
            actor=self.administrator,
            code="walker-fund",
            name="苏港创新基金",
            name_en="Walker fund",
            program_type=ProgramType.FUND_INVESTMENT,
            funder=Funder.FUND,
        )

    @cached_property
    def commitment(self):
        return funding_services.commitment_create(
            actor=self.administrator,
            fund=self.fund,
            investor=api.investor(),
            committed_on=days_ago(60),
            amount=100 * M,
            currency="HKD",
        )

    def build(self, label: str, builder: Callable[[AdminWorld], Any]) -> Any:
        self.objects[label] = builder(self)
        return self.objects[label]


# --- One object per model admin -------------------------------------------------------------------------------


def api_token(world: AdminWorld) -> models.Model:
    token, _secret = account_services.api_token_issue(user=world.officer_a, label="港科大对接脚本")
    return token


def role_group(world: AdminWorld) -> models.Model:
    return Group.objects.get(name=Role.OFFICER)


def access_attempt(world: AdminWorld) -> models.Model:
    return AccessAttempt.objects.create(
        username="officer_a",
        ip_address="10.0.0.8",
        user_agent="walker",
        get_data="",
        post_data="",
        failures_since_start=2,
    )


def access_failure(world: AdminWorld) -> models.Model:
    return AccessFailureLog.objects.create(
        username="officer_a", ip_address="10.0.0.8", user_agent="walker", locked_out=False
    )


def access_log(world: AdminWorld) -> models.Model:
    return AccessLog.objects.create(username="officer_a", ip_address="10.0.0.8", user_agent="walker")


def import_job(world: AdminWorld) -> models.Model:
    """A lead-ledger upload of unit A's officer (officers hold the importer's permission, projects.add_lead)."""
    file = SimpleUploadedFile("台账.csv", "线索名称\n港科大 量子计算研发团队\n".encode(), "text/csv")
    return import_upload(actor=world.officer_a, kind="projects.ledger", file=file, options={})


def organization_alias(world: AdminWorld) -> models.Model:
    return directory_services.organization_add_alias(organization=world.lead.hk_organization, alias="科大")


def holiday(world: AdminWorld) -> models.Model:
    return directory_services.holiday_set(
        region=Region.HONG_KONG,
        date=dt.date(2027, 7, 1),
        kind=Holiday.Kind.DAY_OFF,
        name="香港特别行政区成立纪念日",
    )


def holiday_year(world: AdminWorld) -> models.Model:
    return directory_services.holiday_year_mark_complete(region=Region.HONG_KONG, year=2031, source="walker")


def clocked(world: AdminWorld) -> models.Model:
    return ClockedSchedule.objects.create(clocked_time=timezone.now() + dt.timedelta(days=3))


def crontab(world: AdminWorld) -> models.Model:
    return CrontabSchedule.objects.create(
        minute="17", hour="3", day_of_week="*", day_of_month="*", month_of_year="*"
    )


def interval(world: AdminWorld) -> models.Model:
    return IntervalSchedule.objects.create(every=17, period=IntervalSchedule.MINUTES)


def solar(world: AdminWorld) -> models.Model:
    return SolarSchedule.objects.create(
        event="sunrise", latitude=Decimal("31.30"), longitude=Decimal("120.62")
    )


def periodic_task(world: AdminWorld) -> models.Model:
    return PeriodicTask.objects.create(name="walker-task", task="core.tasks.walker", interval=interval(world))


def window(world: AdminWorld) -> models.Model:
    return funding_services.window_create(
        actor=world.administrator,
        version=world.version,
        batch="第一批",
        opens_on=days_ago(30),
        closes_on=days_ago(-30),
    )


def eligibility_rule(world: AdminWorld) -> models.Model:
    return funding_services.rule_create(
        actor=world.administrator,
        version=world.version,
        field="paid_in_cash",
        operator="gte",
        threshold=M,
        threshold_currency="CNY",
    )


def exchange_rate(world: AdminWorld) -> models.Model:
    return funding_services.exchange_rate_set(
        currency="HKD",
        date=days_ago(3),
        rate_to_cny=Decimal("0.92"),
        source="PBOC",
        actor=world.administrator,
    )


def capital_call(world: AdminWorld) -> models.Model:
    return funding_services.capital_call(
        actor=world.administrator, commitment=world.commitment, called_on=days_ago(20), amount=10 * M
    )


def fund_investment(world: AdminWorld) -> models.Model:
    return funding_services.investment_create(
        actor=world.administrator,
        fund=world.fund,
        lead=world.lead,
        invested_on=days_ago(10),
        amount=20 * M,
        currency="CNY",
    )


def tranche(world: AdminWorld) -> models.Model:
    """An unpaid tranche of the approved application of unit A's lead."""
    application = funding_services.application_submit(
        actor=world.officer_a, application=world.application, submitted_on=days_ago(20)
    )
    application = funding_services.application_approve(
        actor=world.manager_a, application=application, approved_amount=20 * M, decision_date=days_ago(10)
    )
    return funding_services.tranche_plan(
        actor=world.officer_a, application=application, planned_on=days_ago(5), amount=5 * M
    )


def totp_device(world: AdminWorld) -> models.Model:
    return TOTPDevice.objects.create(user=world.administrator, name="管理员手机", confirmed=True)


def aftercare(world: AdminWorld) -> models.Model:
    # Planned by the move that lands a lead; the lead's path there is not what this walker is about.
    return AftercareTouchpoint.objects.create(lead=world.lead, months=3, due_on=days_ago(-90))


def capital_injection(world: AdminWorld) -> models.Model:
    return lead_services.capital_injection_create(
        actor=world.officer_a, lead=world.lead, received_on=days_ago(2), amount=5 * M, currency="CNY"
    )


def coordination_need(world: AdminWorld) -> models.Model:
    return lead_services.coordination_need_add(
        actor=world.officer_a, lead=world.lead, request="协调洁净室", department="园区科技局"
    )


def document(world: AdminWorld) -> models.Model:
    return lead_services.document_upload(
        actor=world.officer_a, lead=world.lead, file=api.pdf(), title="投资意向书"
    )


def handover(world: AdminWorld) -> models.Model:
    """A second lead of unit A, offered to unit C: unit B takes no part in it."""
    lead = make_lead(owner=world.officer_a, unit=world.unit_a, name="理大 储能材料团队")
    return handover_request(actor=world.officer_a, lead=lead, to_unit=world.unit_c, note="转园区载体")


def lead_contact(world: AdminWorld) -> models.Model:
    return lead_services.lead_contact_add(
        actor=world.officer_a, lead=world.lead, contact=world.contact, role=LeadContact.Role.FOUNDER
    )


def with_history(obj: models.Model) -> models.Model:
    """Rows a data migration seeded have no history row yet: saving one as it is writes the first, so the history
    pages have a version to show."""
    obj.save()
    return obj


def milestone_template(world: AdminWorld) -> models.Model:
    return with_history(MilestoneTemplate.objects.order_by("code").first())


def lead_pass(world: AdminWorld) -> models.Model:
    return with_history(Pass.objects.get(code="resources"))


def reminder_rule(world: AdminWorld) -> models.Model:
    return with_history(ReminderRule.objects.order_by("code").first())


def reminder(world: AdminWorld) -> models.Model:
    milestone = world.objects["projects.Milestone"]
    return Reminder.objects.create(
        rule=world.objects["reminders.ReminderRule"],
        subject_type="milestone",
        subject_id=milestone.pk,
        recipient=world.officer_a,
        occurs_on=timezone.localdate(),
        lead=world.lead,
        not_before=timezone.now(),
    )


def target(world: AdminWorld) -> models.Model:
    return reporting_services.target_set(
        actor=world.manager_a,
        year=timezone.localdate().year,
        metric=Metric.SIGNINGS_COUNT,
        value=12,
        unit=world.unit_a,
    )


def attendance(world: AdminWorld) -> models.Model:
    return world.contact.attendances.get(event=world.event)


def consent_text(world: AdminWorld) -> models.Model:
    """A version not yet published: the one kind an administrator may still correct or delete."""
    return consent_text_save(
        actor=world.administrator,
        text=ConsentText(
            version="walker-2",
            published_on=days_ago(-30),
            body_zh_hans="同意苏州市投资促进局联系本人。",
            body_zh_hant="同意蘇州市投資促進局聯繫本人。",
            body_en="I agree to be contacted by the Suzhou investment promotion bureau.",
        ),
    )


def contact_merged(world: AdminWorld) -> models.Model:
    pair = api.contacts_of_a(world)
    return contact_merge(actor=world.officer_a, source=pair.source, target=pair.target)


def duplicate_pair(world: AdminWorld) -> models.Model:
    """Two records of one person met at unit A's event, still open in the review queue."""
    first = api._met_at(world, world.event, "黃志明", "6234 5678")
    api._met_at(world, world.event, "黃志明", "6234 5678")
    return DuplicatePair.objects.get(models.Q(first=first) | models.Q(second=first))


def personal_data_access(world: AdminWorld) -> models.Model:
    """Unit A's officer opened the page of the person met at unit A's event."""
    entry = personal_data_access_log(
        actor=world.officer_a, kind=PersonalDataLog.Kind.VIEW, channel="admin", contact_ids=[world.contact.pk]
    )
    return PersonalDataAccess.objects.get(pk=entry.pk)


def personal_data_log(world: AdminWorld) -> models.Model:
    """Unit A's officer records that the person met at unit A's event withdrew their consent."""
    consent_withdraw(actor=world.officer_a, contact=world.contact, purposes=[], channel="email")
    return PersonalDataLog.objects.get(
        kind=PersonalDataLog.Kind.WITHDRAWAL, contact_id_value=world.contact.pk
    )


# Label → builder. Order matters where one object is built on another (the reminder on the milestone).
BUILDERS: dict[str, Callable[[AdminWorld], Any]] = {
    "accounts.ApiToken": api_token,
    "accounts.Unit": lambda world: world.unit_a,
    "accounts.User": lambda world: world.officer_a,
    "auth.Group": role_group,
    "axes.AccessAttempt": access_attempt,
    "axes.AccessFailureLog": access_failure,
    "axes.AccessLog": access_log,
    "core.ImportJob": import_job,
    "directory.Carrier": api.carrier,
    "directory.Holiday": holiday,
    "directory.HolidayYear": holiday_year,
    "directory.Organization": lambda world: world.lead.hk_organization,
    "directory.OrganizationAlias": organization_alias,
    "directory.Sector": api.sector,
    "django_celery_beat.ClockedSchedule": clocked,
    "django_celery_beat.CrontabSchedule": crontab,
    "django_celery_beat.IntervalSchedule": interval,
    "django_celery_beat.PeriodicTask": periodic_task,
    "django_celery_beat.SolarSchedule": solar,
    "funding.ApplicationWindow": window,
    "funding.CapitalCall": capital_call,
    "funding.EligibilityRule": eligibility_rule,
    "funding.ExchangeRate": exchange_rate,
    "funding.FundCommitment": lambda world: world.commitment,
    "funding.FundInvestment": fund_investment,
    "funding.FundingApplication": lambda world: world.application,
    "funding.FundingProgram": lambda world: world.version.program,
    "funding.ProgramVersion": lambda world: world.version,
    "funding.Tranche": tranche,
    "otp_totp.TOTPDevice": totp_device,
    "projects.Activity": api.activity_of_a,
    "projects.AftercareTouchpoint": aftercare,
    "projects.CapitalInjection": capital_injection,
    "projects.CoordinationNeed": coordination_need,
    "projects.Document": document,
    "projects.HandOver": handover,
    "projects.Lead": api.lead_of_a,
    "projects.LeadContact": lead_contact,
    "projects.Milestone": api.milestone_of_a,
    "projects.MilestoneTemplate": milestone_template,
    "projects.Pass": lead_pass,
    "projects.Signing": api.signing_of_a,
    "projects.StageChange": api.registration_of_a,
    "reminders.ReminderRule": reminder_rule,
    "reminders.Reminder": reminder,
    "reporting.Target": target,
    "talent.Attendance": attendance,
    "talent.ConsentText": consent_text,
    "talent.Contact": lambda world: world.contact,
    "talent.ContactMerge": contact_merged,
    "talent.DuplicatePair": duplicate_pair,
    "talent.PersonalDataAccess": personal_data_access,
    "talent.PersonalDataLog": personal_data_log,
    "talent.RecruitmentEvent": lambda world: world.event,
}


def build_world() -> AdminWorld:
    world = AdminWorld()
    for actor in api.ACTORS:
        getattr(world, actor)
    for label, builder in BUILDERS.items():
        world.build(label, builder)
    # As the pages will read them back: amounts with their stored decimal places, and so on.
    world.objects = {label: type(obj)._base_manager.get(pk=obj.pk) for label, obj in world.objects.items()}
    return world


# --- What each actor gets -------------------------------------------------------------------------------------

# The columns of every row, in this order (tests/api/walker_cases.py's); anonymous always goes to the login.
ACTORS = api.ACTORS
A_ACTORS = api.A_ACTORS

LOGIN = "302 to the admin login"  # not signed in, or not staff (report viewers work on the dashboard only)
SEEN = "200 with A's object"  # a list, or autocomplete results, that holds the object
UNSEEN = "200 without A's object"
DELETED = "302 away, the object gone"
KEPT = "200, a page saying what stops the delete, the object kept"  # rows that other rows protect
MOVED = "302 elsewhere than the login"

Expected = int | str
Row = tuple[Expected, ...]
L = LOGIN

# Pages (an int is the status; on an object's own page, 200 also means its data is shown) and lists.
#                     officer A/B     manager A/B     recorder A/B    viewer A/B  administrator
ADMIN_ONLY: Row = (403, 403, 403, 403, 403, 403, L, L, 200)
ADMIN_ONLY_LIST: Row = (403, 403, 403, 403, 403, 403, L, L, SEEN)
NOBODY: Row = (403, 403, 403, 403, 403, 403, L, L, 403)
# Leads and what hangs on them: unit A's people and the administrator; B's get 404; recorders have no rights.
A_PAGE: Row = (200, 404, 200, 404, 403, 403, L, L, 200)
A_LIST: Row = (SEEN, UNSEEN, SEEN, UNSEEN, 403, 403, L, L, SEEN)
# Any officer or manager may register one (for their own unit's leads).
OFFICERS_ADD: Row = (200, 200, 200, 200, 403, 403, L, L, 200)
# Reference data officers and managers read, whichever their unit.
STAFF_PAGE: Row = (200, 200, 200, 200, 403, 403, L, L, 200)
STAFF_LIST: Row = (SEEN, SEEN, SEEN, SEEN, 403, 403, L, L, SEEN)
# Organizations: recorders read them too.
ALL_PAGE: Row = (200, 200, 200, 200, 200, 200, L, L, 200)
ALL_LIST: Row = (SEEN, SEEN, SEEN, SEEN, SEEN, SEEN, L, L, SEEN)
# People and events are not owned by units: officers and managers see all; recorders only the events they staff
# and the people met there, so unit B's recorder is the scoped negative.
PEOPLE_PAGE: Row = (200, 200, 200, 200, 200, 404, L, L, 200)
PEOPLE_LIST: Row = (SEEN, SEEN, SEEN, SEEN, SEEN, UNSEEN, L, L, SEEN)
EVERYONE_ADD: Row = (200, 200, 200, 200, 200, 200, L, L, 200)
MANAGERS_ADD: Row = (403, 403, 200, 200, 403, 403, L, L, 200)
# The delete page opens for the administrator, but other rows protect the object.
ADMIN_KEPT: Row = (403, 403, 403, 403, 403, 403, L, L, KEPT)
# A version page of a model without simple-history: the page does not exist, for anyone.
NO_VERSIONS: Row = (404, 404, 404, 404, 404, 404, L, L, 404)


@dataclass(frozen=True)
class Custom:
    """A page an admin adds in get_urls(): `args` builds the URL's arguments from the world and the case's
    object. POST (with an empty body) must answer like GET for every actor GET refuses; `post` overrides the
    whole POST row where the view answers POST differently (a POST-only action)."""

    args: Callable[[AdminWorld, Any], list[Any]]
    get: Row
    post: Row | None = None


@dataclass(frozen=True)
class Autocomplete:
    """The admin-wide autocomplete asked for the case's model through `source`, a relation field pointing to it
    ("app_label.model_name.field_name"), with `term` narrowing the results to the object."""

    source: str
    expect: Row
    term: Callable[[Any], str] = lambda obj: ""


@dataclass(frozen=True)
class AdminCase:
    """The rows of one model admin. `delete` is None where the admin serves no delete page. `history` and
    `version` (simple-history's page of one past version) default to `change`: the same people may read an
    object's past as its present; `version_post` defaults to 405 for all staff (reverts are off). `delete_post`
    defaults to the delete page's row with 200 read as DELETED. `view_on_site` (/admin/r/) defaults to `change`
    with 200 read as 404: no model has a public page to redirect to; for everyone else the answer is the change
    page's. `marker` is the text that shows the object in a page."""

    changelist: Row
    add: Row
    change: Row
    delete: Row | None
    history: Row | None = None
    version: Row | None = None
    version_post: Row | None = None
    delete_post: Row | None = None
    view_on_site: Row | None = None
    custom: dict[str, Custom] = field(default_factory=dict)
    autocomplete: Autocomplete | None = None
    marker: Callable[[Any], str] = str


def on_object(world: AdminWorld, obj: Any) -> list[Any]:
    return [obj.pk]


ONE_JOB: Row = (200, 404, 404, 404, 404, 404, L, L, 404)

# Label → rows. Columns: officer A/B, manager A/B, recorder A/B, report viewer A/B, administrator.
CASES: dict[str, AdminCase] = {
    # --- Accounts: units are scoped like leads; the staff list is read by officers and managers (co-owners are
    # picked from it); tokens are looked up and revoked by administrators only.
    "accounts.ApiToken": AdminCase(ADMIN_ONLY_LIST, NOBODY, ADMIN_ONLY, ADMIN_ONLY),
    "accounts.Unit": AdminCase(
        A_LIST,
        ADMIN_ONLY,
        A_PAGE,
        ADMIN_ONLY,
        delete_post=ADMIN_KEPT,  # its leads, hand-overs and targets hold it
        autocomplete=Autocomplete("projects.lead.owning_unit", A_LIST),
    ),
    "accounts.User": AdminCase(
        STAFF_LIST,
        ADMIN_ONLY,
        STAFF_PAGE,
        ADMIN_ONLY,
        delete_post=ADMIN_KEPT,  # the lead and the records they made hold them: users are deactivated
        custom={"auth_user_password_change": Custom(on_object, ADMIN_ONLY)},
        autocomplete=Autocomplete("projects.lead.co_owners", STAFF_LIST, term=lambda user: user.username),
    ),
    "auth.Group": AdminCase(
        ADMIN_ONLY_LIST,
        ADMIN_ONLY,
        ADMIN_ONLY,
        ADMIN_ONLY,
        autocomplete=Autocomplete("accounts.user.groups", ADMIN_ONLY_LIST),
    ),
    # --- Sign-in records (django-axes), schedules (django-celery-beat), second factors (django-otp): the
    # administrator's tools.
    "axes.AccessAttempt": AdminCase(
        ADMIN_ONLY_LIST,
        NOBODY,
        ADMIN_ONLY,
        ADMIN_ONLY,
        autocomplete=Autocomplete("axes.accessattemptexpiration.access_attempt", ADMIN_ONLY_LIST),
    ),
    "axes.AccessFailureLog": AdminCase(ADMIN_ONLY_LIST, NOBODY, ADMIN_ONLY, ADMIN_ONLY),
    "axes.AccessLog": AdminCase(ADMIN_ONLY_LIST, NOBODY, ADMIN_ONLY, ADMIN_ONLY),
    "django_celery_beat.ClockedSchedule": AdminCase(ADMIN_ONLY_LIST, ADMIN_ONLY, ADMIN_ONLY, ADMIN_ONLY),
    "django_celery_beat.CrontabSchedule": AdminCase(ADMIN_ONLY_LIST, ADMIN_ONLY, ADMIN_ONLY, ADMIN_ONLY),
    "django_celery_beat.IntervalSchedule": AdminCase(ADMIN_ONLY_LIST, ADMIN_ONLY, ADMIN_ONLY, ADMIN_ONLY),
    "django_celery_beat.PeriodicTask": AdminCase(ADMIN_ONLY_LIST, ADMIN_ONLY, ADMIN_ONLY, ADMIN_ONLY),
    "django_celery_beat.SolarSchedule": AdminCase(ADMIN_ONLY_LIST, ADMIN_ONLY, ADMIN_ONLY, ADMIN_ONLY),
    "otp_totp.TOTPDevice": AdminCase(
        ADMIN_ONLY_LIST,
        ADMIN_ONLY,
        ADMIN_ONLY,
        ADMIN_ONLY,
        custom={
            "otp_totp_totpdevice_config": Custom(on_object, ADMIN_ONLY),
            "otp_totp_totpdevice_qrcode": Custom(on_object, ADMIN_ONLY),
        },
    ),
    # --- Imports: a job is its uploader's alone (core/imports/admin.py), the administrator role included; the
    # list and the upload page need the permission of one importer (recorders have the sign-in sheets').
    "core.ImportJob": AdminCase(
        (SEEN, UNSEEN, UNSEEN, UNSEEN, UNSEEN, UNSEEN, L, L, UNSEEN),
        EVERYONE_ADD,
        ONE_JOB,
        None,
        custom={
            "core_importjob_status": Custom(on_object, ONE_JOB),
            "core_importjob_rejected": Custom(on_object, ONE_JOB),
            # POST only; the job is not checked yet, so its uploader is sent back to it with a message.
            "core_importjob_commit": Custom(
                on_object,
                get=(405, 405, 405, 405, 405, 405, L, L, 405),
                post=(MOVED, 404, 404, 404, 404, 404, L, L, 404),
            ),
        },
        autocomplete=Autocomplete(
            "core.importrow.job", (SEEN, UNSEEN, UNSEEN, UNSEEN, UNSEEN, UNSEEN, L, L, UNSEEN)
        ),
    ),
    # --- Reference data.
    "directory.Organization": AdminCase(
        ALL_LIST,
        OFFICERS_ADD,
        ALL_PAGE,
        ADMIN_ONLY,
        delete_post=ADMIN_KEPT,  # unit A's lead names it
        autocomplete=Autocomplete(
            "projects.lead.hk_organization", ALL_LIST, term=lambda org: org.abbreviation
        ),
    ),
    "directory.OrganizationAlias": AdminCase(STAFF_LIST, OFFICERS_ADD, STAFF_PAGE, ADMIN_ONLY),
    "directory.Carrier": AdminCase(
        STAFF_LIST,
        ADMIN_ONLY,
        STAFF_PAGE,
        ADMIN_ONLY,
        autocomplete=Autocomplete(
            "talent.recruitmentevent.carrier", STAFF_LIST, term=lambda carrier: carrier.name
        ),
    ),
    "directory.Sector": AdminCase(
        STAFF_LIST,
        ADMIN_ONLY,
        STAFF_PAGE,
        ADMIN_ONLY,
        autocomplete=Autocomplete("projects.lead.sector", STAFF_LIST, term=lambda sector: sector.name),
    ),
    "directory.Holiday": AdminCase(
        STAFF_LIST,
        ADMIN_ONLY,
        STAFF_PAGE,
        ADMIN_ONLY,
        custom={"directory_holiday_import": Custom(lambda world, obj: [], ADMIN_ONLY)},
    ),
    "directory.HolidayYear": AdminCase(
        ADMIN_ONLY_LIST,
        ADMIN_ONLY,
        ADMIN_ONLY,
        ADMIN_ONLY,
        custom={"directory_holidayyear_load": Custom(lambda world, obj: [], ADMIN_ONLY)},
    ),
    # --- Funding: programmes are reference data; applications and tranches are scoped through their leads;
    # the fund's books are the administrator's.
    "funding.FundingProgram": AdminCase(
        STAFF_LIST,
        ADMIN_ONLY,
        STAFF_PAGE,
        NOBODY,
        autocomplete=Autocomplete(
            "funding.programversion.program", STAFF_LIST, term=lambda program: program.code
        ),
    ),
    "funding.ProgramVersion": AdminCase(
        STAFF_LIST,
        ADMIN_ONLY,
        STAFF_PAGE,
        NOBODY,
        autocomplete=Autocomplete(
            "funding.applicationwindow.version", STAFF_LIST, term=lambda version: version.program.code
        ),
    ),
    "funding.ApplicationWindow": AdminCase(
        STAFF_LIST,
        ADMIN_ONLY,
        STAFF_PAGE,
        ADMIN_ONLY,
        delete_post=ADMIN_KEPT,  # the application was filed in it
        autocomplete=Autocomplete(
            "funding.fundingapplication.window", STAFF_LIST, term=lambda window: window.batch
        ),
    ),
    "funding.EligibilityRule": AdminCase(STAFF_LIST, ADMIN_ONLY, STAFF_PAGE, ADMIN_ONLY),
    "funding.ExchangeRate": AdminCase(STAFF_LIST, ADMIN_ONLY, STAFF_PAGE, NOBODY),
    "funding.FundingApplication": AdminCase(
        A_LIST,
        OFFICERS_ADD,
        A_PAGE,
        NOBODY,
        custom={
            "funding_fundingapplication_lead": Custom(
                lambda world, application: [application.lead_id], A_PAGE
            ),
            # The programme totals and the Hong Kong grants are lists in the reader's scope.
            "funding_fundingapplication_totals": Custom(lambda world, obj: [], STAFF_PAGE),
            "funding_fundingapplication_hk_grant": Custom(lambda world, obj: [], STAFF_PAGE),
            "funding_fundingapplication_submit": Custom(on_object, A_PAGE),
            # Approving is a manager's (accounts/roles.py), on top of the change permission officers hold.
            "funding_fundingapplication_approve": Custom(
                on_object, (403, 403, 200, 404, 403, 403, L, L, 200)
            ),
            "funding_fundingapplication_reject": Custom(on_object, A_PAGE),
            "funding_fundingapplication_close": Custom(on_object, A_PAGE),
            "funding_fundingapplication_plan_tranche": Custom(on_object, A_PAGE),
            "funding_fundingapplication_pay_tranche": Custom(
                lambda world, application: [application.pk, world.objects["funding.Tranche"].pk], A_PAGE
            ),
        },
        autocomplete=Autocomplete("funding.tranche.application", A_LIST),
    ),
    "funding.Tranche": AdminCase(A_LIST, NOBODY, A_PAGE, ADMIN_ONLY),
    "funding.FundCommitment": AdminCase(
        ADMIN_ONLY_LIST,
        ADMIN_ONLY,
        ADMIN_ONLY,
        NOBODY,
        autocomplete=Autocomplete("funding.capitalcall.commitment", ADMIN_ONLY_LIST),
    ),
    "funding.CapitalCall": AdminCase(ADMIN_ONLY_LIST, NOBODY, ADMIN_ONLY, NOBODY),
    "funding.FundInvestment": AdminCase(ADMIN_ONLY_LIST, ADMIN_ONLY, ADMIN_ONLY, NOBODY),
    # --- Leads and their records: unit A's; recorders and report viewers have no rights on any of it.
    "projects.Lead": AdminCase(
        A_LIST,
        OFFICERS_ADD,
        A_PAGE,
        ADMIN_ONLY,
        delete_post=ADMIN_KEPT,  # its signings, injections, applications and investments hold it
        custom={
            f"projects_lead_{name}": Custom(on_object, A_PAGE)
            for name in (
                "advance",
                "pause",
                "resume",
                "lost",
                "reopen",
                "add_signing",
                "add_capital_injection",
            )
        },
        autocomplete=Autocomplete("projects.activity.lead", A_LIST, term=lambda lead: lead.code),
    ),
    "projects.HandOver": AdminCase(A_LIST, NOBODY, A_PAGE, NOBODY),
    "projects.Signing": AdminCase(
        A_LIST, NOBODY, A_PAGE, NOBODY, autocomplete=Autocomplete("projects.document.signing", A_LIST)
    ),
    "projects.CapitalInjection": AdminCase(
        A_LIST,
        NOBODY,
        A_PAGE,
        NOBODY,
        autocomplete=Autocomplete("projects.document.capital_injection", A_LIST),
    ),
    "projects.Document": AdminCase(
        A_LIST,
        OFFICERS_ADD,
        A_PAGE,
        NOBODY,
        autocomplete=Autocomplete("funding.fundingapplication.document", A_LIST),
    ),
    # Append-only: no simple-history table, the admin's log is the history.
    "projects.StageChange": AdminCase(
        A_LIST,
        NOBODY,
        A_PAGE,
        NOBODY,
        version=NO_VERSIONS,
        version_post=NO_VERSIONS,
        autocomplete=Autocomplete("projects.document.stage_change", A_LIST),
    ),
    "projects.Activity": AdminCase(
        A_LIST,
        OFFICERS_ADD,
        A_PAGE,
        NOBODY,
        autocomplete=Autocomplete("projects.aftercaretouchpoint.activity", A_LIST),
    ),
    "projects.CoordinationNeed": AdminCase(A_LIST, OFFICERS_ADD, A_PAGE, NOBODY),
    "projects.LeadContact": AdminCase(A_LIST, OFFICERS_ADD, A_PAGE, NOBODY),
    "projects.Milestone": AdminCase(
        A_LIST, OFFICERS_ADD, A_PAGE, NOBODY, autocomplete=Autocomplete("projects.document.milestone", A_LIST)
    ),
    "projects.AftercareTouchpoint": AdminCase(A_LIST, NOBODY, A_PAGE, NOBODY),
    "projects.Pass": AdminCase(STAFF_LIST, NOBODY, STAFF_PAGE, NOBODY),
    "projects.MilestoneTemplate": AdminCase(
        STAFF_LIST,
        ADMIN_ONLY,
        STAFF_PAGE,
        NOBODY,
        autocomplete=Autocomplete(
            "projects.milestone.template", STAFF_LIST, term=lambda template: template.code
        ),
    ),
    # --- Reminders: the administrator's (rules are reference data; the queue shows whom and what).
    "reminders.ReminderRule": AdminCase(
        ADMIN_ONLY_LIST,
        ADMIN_ONLY,
        ADMIN_ONLY,
        ADMIN_ONLY,
        delete_post=ADMIN_KEPT,  # a reminder cites it
        autocomplete=Autocomplete("reminders.reminder.rule", ADMIN_ONLY_LIST, term=lambda rule: rule.code),
    ),
    # No simple-history table: no version page; those without rights on reminders are refused first.
    "reminders.Reminder": AdminCase(
        ADMIN_ONLY_LIST,
        NOBODY,
        ADMIN_ONLY,
        NOBODY,
        version=(403, 403, 403, 403, 403, 403, L, L, 404),
        autocomplete=Autocomplete("reminders.notification.reminder", ADMIN_ONLY_LIST),
    ),
    # --- Targets: set by the heads and managers of a unit for it and its officers (reporting.targets).
    "reporting.Target": AdminCase(
        (403, 403, SEEN, UNSEEN, 403, 403, L, L, SEEN),
        MANAGERS_ADD,
        (403, 403, 200, 404, 403, 403, L, L, 200),
        (403, 403, 200, 404, 403, 403, L, L, 200),
    ),
    # --- Talent: people, events and what was recorded about them.
    "talent.Contact": AdminCase(
        PEOPLE_LIST,
        EVERYONE_ADD,
        PEOPLE_PAGE,
        NOBODY,  # people are erased (a page of its own), never deleted
        custom={
            # Exports and erasures are rights requests: managers handle them (talent.manage_personal_data).
            "talent_contact_export": Custom(on_object, (403, 403, 200, 200, 403, 403, L, L, 200)),
            "talent_contact_erase": Custom(on_object, (403, 403, 200, 200, 403, 403, L, L, 200)),
            "talent_contact_withdraw_consent": Custom(on_object, PEOPLE_PAGE),
        },
        autocomplete=Autocomplete(
            "projects.leadcontact.contact", PEOPLE_LIST, term=lambda contact: contact.name
        ),
    ),
    "talent.RecruitmentEvent": AdminCase(
        PEOPLE_LIST,
        MANAGERS_ADD,
        PEOPLE_PAGE,
        ADMIN_ONLY,
        # Deleting it would delete its attendances, which nobody may delete: refused on confirmation.
        delete_post=NOBODY,
        custom={"talent_recruitmentevent_qr": Custom(on_object, PEOPLE_PAGE)},
        autocomplete=Autocomplete("projects.lead.source_event", PEOPLE_LIST),
    ),
    "talent.Attendance": AdminCase(PEOPLE_LIST, EVERYONE_ADD, PEOPLE_PAGE, NOBODY),
    # The review queue and the merges: officers' and managers' work, never recorders'. No simple-history table.
    "talent.DuplicatePair": AdminCase(
        STAFF_LIST, NOBODY, STAFF_PAGE, NOBODY, version=NO_VERSIONS, version_post=NO_VERSIONS
    ),
    "talent.ContactMerge": AdminCase(
        STAFF_LIST, NOBODY, STAFF_PAGE, NOBODY, version=NO_VERSIONS, version_post=NO_VERSIONS
    ),
    "talent.ConsentText": AdminCase(
        ADMIN_ONLY_LIST,
        ADMIN_ONLY,
        ADMIN_ONLY,
        ADMIN_ONLY,
        version=NO_VERSIONS,
        version_post=NO_VERSIONS,
        autocomplete=Autocomplete("talent.consent.text", ADMIN_ONLY_LIST),
    ),
    # The rights log names no one (talent/admin/records.py): every manager reads it; the access log (who viewed
    # whom) is the administrator's alone.
    "talent.PersonalDataLog": AdminCase(
        (403, 403, SEEN, SEEN, 403, 403, L, L, SEEN),
        NOBODY,
        (403, 403, 200, 200, 403, 403, L, L, 200),
        NOBODY,
        version=NO_VERSIONS,
        version_post=NO_VERSIONS,
    ),
    "talent.PersonalDataAccess": AdminCase(
        ADMIN_ONLY_LIST, NOBODY, ADMIN_ONLY, NOBODY, version=NO_VERSIONS, version_post=NO_VERSIONS
    ),
}
