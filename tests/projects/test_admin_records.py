"""A lead's records in admin: recording signings and capital injections from the lead's page, the inlines that
add contacts and coordination needs, and the scoped admins of each record type."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.contrib import admin
from django.contrib.auth.models import Permission
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from projects import services
from projects.models import (
    Activity,
    AftercareTouchpoint,
    CapitalInjection,
    CoordinationNeed,
    Document,
    HandOver,
    Lead,
    LeadContact,
    Milestone,
    MilestoneTemplate,
    Pass,
    Signing,
    StageChange,
)
from projects.services.milestones import milestone_add
from tests.factories import make_lead, make_organization
from tests.projects.conftest import PDF, ago, form_data, pdf_file, talent_contacts, upload

pytestmark = pytest.mark.django_db

RECORD_MODELS = [
    "signing",
    "capitalinjection",
    "document",
    "stagechange",
    "activity",
    "coordinationneed",
    "leadcontact",
    "milestone",
    "aftercaretouchpoint",
]


def admin_url(model: str, name: str, *args) -> str:
    return reverse(f"admin:projects_{model}_{name}", args=args)


def messages_of(response) -> list[str]:
    return [str(message) for message in response.context["messages"]]


def stored_files(media) -> list[str]:
    return sorted(str(p.relative_to(media)) for p in media.rglob("*") if p.is_file())


@pytest.fixture
def investor():
    return make_organization("HKSTP", "香港科技园公司")


@pytest.fixture
def records(world, investor):
    """One record of each kind on unit A's lead."""
    lead = world.lead
    contact = talent_contacts(1, owner=world.b, unit=world.unit_b)[0]
    return {
        "signing": services.signing_create(
            actor=world.a,
            lead=lead,
            signed_on=timezone.localdate(),
            investor=investor,
            amount=Decimal("30000000"),
            currency="CNY",
        ),
        "capitalinjection": services.capital_injection_create(
            actor=world.a,
            lead=lead,
            received_on=timezone.localdate(),
            amount=Decimal("5000000"),
            currency="CNY",
        ),
        "document": upload(lead, world.a, "商业计划书.pdf"),
        "stagechange": lead.stage_changes.get(),
        "activity": services.activity_log(
            actor=world.a,
            lead=lead,
            kind=Activity.Kind.MEETING,
            occurred_at=ago(days=1),
            summary="在港科大面谈",
        ),
        "coordinationneed": services.coordination_need_add(
            actor=world.a, lead=lead, request="协调洁净室", department="园区科技局"
        ),
        "leadcontact": services.lead_contact_add(
            actor=world.a, lead=lead, contact=contact, role=LeadContact.Role.FOUNDER
        ),
        "milestone": milestone_add(
            actor=world.a, lead=lead, lead_pass=Pass.objects.get(code="rules"), title="核对检测标准"
        ),
        "aftercaretouchpoint": AftercareTouchpoint.objects.create(
            lead=lead, months=3, due_on=timezone.localdate()
        ),
    }


# --- Record a signing / a capital injection from the lead's page ------------------------------------------------


def signing_data(investor, **overrides) -> dict:
    return {
        "signed_on": timezone.localdate().isoformat(),
        "kind": Signing.Kind.NEW,
        "investor": investor.pk,
        "amount": "30000000",
        "currency": "CNY",
        "note": "在苏港合作交流会上签约",
        **overrides,
    }


def test_recording_a_signing_uploads_the_agreement_and_attaches_it(client_as, world, investor):
    response = client_as(world.a).post(
        reverse("admin:projects_lead_add_signing", args=[world.lead.pk]),
        {**signing_data(investor), "file": pdf_file("投资协议.pdf"), "file_title": "投资协议（签字版）"},
        follow=True,
    )
    signing = Signing.objects.get(lead=world.lead)
    assert response.redirect_chain == [(reverse("admin:projects_lead_change", args=[world.lead.pk]), 302)]
    assert messages_of(response) == [f"Signing recorded: {timezone.localdate()} New signing 30000000 CNY."]
    assert (signing.investor, signing.amount, signing.created_by) == (
        investor,
        Decimal("30000000.00"),
        world.a,
    )
    agreement = signing.documents.get()
    assert (agreement.title, agreement.kind, agreement.attached) == (
        "投资协议（签字版）",
        Document.Kind.AGREEMENT,
        True,
    )
    assert [(h.history_type, h.history_user) for h in signing.history.all()] == [("+", world.a)]


def test_recording_a_signing_can_cite_a_document_already_uploaded(client_as, world, investor):
    agreement = upload(world.lead, world.a, "投资协议.pdf")
    client_as(world.a).post(
        reverse("admin:projects_lead_add_signing", args=[world.lead.pk]),
        {**signing_data(investor), "documents": [agreement.pk]},
    )
    agreement.refresh_from_db()
    assert (agreement.signing, agreement.attached) == (Signing.objects.get(lead=world.lead), True)


def test_a_refused_signing_writes_nothing_and_keeps_no_uploaded_file(client_as, world, investor, settings):
    tomorrow = (timezone.localdate() + dt.timedelta(days=1)).isoformat()
    response = client_as(world.a).post(
        reverse("admin:projects_lead_add_signing", args=[world.lead.pk]),
        {**signing_data(investor, signed_on=tomorrow), "file": pdf_file("投资协议.pdf")},
    )
    assert response.status_code == 200
    assert messages_of(response) == ["This date cannot be in the future."]
    assert (Signing.objects.count(), Document.objects.count()) == (0, 0)
    assert stored_files(settings.MEDIA_ROOT) == []


def test_a_second_new_signing_with_the_same_investor_is_refused_with_the_services_message(
    client_as, world, investor, records
):
    response = client_as(world.a).post(
        reverse("admin:projects_lead_add_signing", args=[world.lead.pk]), signing_data(investor)
    )
    assert messages_of(response) == [
        f"{investor} already has a new signing on this lead. Record a capital increase or a re-signing instead."
    ]
    assert Signing.objects.count() == 1


def test_a_wrong_file_is_refused_with_the_upload_services_message(client_as, world, investor):
    response = client_as(world.a).post(
        reverse("admin:projects_lead_add_signing", args=[world.lead.pk]),
        {**signing_data(investor), "file": SimpleUploadedFile("协议.pdf", b"<html>not a pdf</html>")},
    )
    assert messages_of(response) == [
        "The file's contents do not match its “.pdf” name. Save it again in that format."
    ]
    assert (Signing.objects.count(), Document.objects.count()) == (0, 0)


def test_recording_a_capital_injection_with_its_bank_receipt(client_as, world):
    response = client_as(world.a).post(
        reverse("admin:projects_lead_add_capital_injection", args=[world.lead.pk]),
        {
            "received_on": timezone.localdate().isoformat(),
            "amount": "5000000",
            "currency": "HKD",
            "file": pdf_file("银行回单.pdf"),
        },
        follow=True,
    )
    injection = CapitalInjection.objects.get(lead=world.lead)
    assert messages_of(response) == [f"Capital injection recorded: {timezone.localdate()} 5000000 HKD."]
    assert (injection.amount, injection.currency) == (Decimal("5000000.00"), "HKD")
    receipt = injection.documents.get()
    assert (receipt.title, receipt.kind, receipt.attached) == ("银行回单.pdf", Document.Kind.INVOICE, True)
    assert [h.history_type for h in injection.history.all()] == ["+"]


def test_a_refused_capital_injection_writes_nothing(client_as, world, settings):
    tomorrow = (timezone.localdate() + dt.timedelta(days=1)).isoformat()
    response = client_as(world.a).post(
        reverse("admin:projects_lead_add_capital_injection", args=[world.lead.pk]),
        {"received_on": tomorrow, "amount": "5000000", "currency": "CNY", "file": pdf_file("银行回单.pdf")},
    )
    assert messages_of(response) == ["This date cannot be in the future."]
    assert (CapitalInjection.objects.count(), Document.objects.count()) == (0, 0)
    assert stored_files(settings.MEDIA_ROOT) == []


# --- Inlines that add through the services ----------------------------------------------------------------------


def inline_prefix(response, model) -> str:
    return next(
        i.formset.prefix for i in response.context["inline_admin_formsets"] if i.formset.model is model
    )


def add_inline_row(data: dict, prefix: str, row: dict) -> None:
    index = int(data[f"{prefix}-TOTAL_FORMS"])
    data.update({f"{prefix}-{index}-{name}": value for name, value in row.items()})
    data[f"{prefix}-TOTAL_FORMS"] = index + 1


def test_a_contact_added_in_the_lead_page_goes_through_the_service(client_as, world):
    contact = talent_contacts(1, owner=world.b, unit=world.unit_b)[0]
    client = client_as(world.a)
    page = client.get(reverse("admin:projects_lead_change", args=[world.lead.pk]))
    data = form_data(page)
    add_inline_row(
        data, inline_prefix(page, LeadContact), {"contact": contact.pk, "role": LeadContact.Role.PI}
    )
    response = client.post(reverse("admin:projects_lead_change", args=[world.lead.pk]), data)
    assert response.status_code == 302
    link = world.lead.lead_contacts.get()
    assert (link.contact, link.role) == (contact, LeadContact.Role.PI)
    assert [(h.history_type, h.history_user) for h in link.history.all()] == [("+", world.a)]


def test_a_coordination_need_is_added_then_resolved_in_the_lead_page(client_as, world):
    client = client_as(world.a)
    change = reverse("admin:projects_lead_change", args=[world.lead.pk])
    page = client.get(change)
    data = form_data(page)
    add_inline_row(
        data, inline_prefix(page, CoordinationNeed), {"request": "协调人才公寓", "department": "园区人社局"}
    )
    assert client.post(change, data).status_code == 302
    need = world.lead.coordination_needs.get()
    assert (need.request, need.department, need.resolved_on) == ("协调人才公寓", "园区人社局", None)

    page = client.get(change)
    data = form_data(page)
    prefix = inline_prefix(page, CoordinationNeed)
    data.update({f"{prefix}-0-resolution": "已安排两套公寓", f"{prefix}-0-request": "改掉的请求"})
    assert client.post(change, data).status_code == 302
    need.refresh_from_db()
    # The request was recorded once and stays; only the resolution is taken.
    assert (need.request, need.resolution, need.resolved_on) == (
        "协调人才公寓",
        "已安排两套公寓",
        timezone.localdate(),
    )
    assert [h.history_type for h in need.history.order_by("history_id")] == ["+", "~"]


# --- The record admins: scoped through the lead ------------------------------------------------------------------


@pytest.mark.parametrize("model", RECORD_MODELS)
def test_record_lists_show_only_records_of_visible_leads(client_as, world, records, model):
    mine = records[model]
    assert list(client_as(world.a).get(admin_url(model, "changelist")).context["cl"].result_list) == [mine]
    assert mine not in client_as(world.b).get(admin_url(model, "changelist")).context["cl"].result_list


@pytest.mark.parametrize("model", RECORD_MODELS)
@pytest.mark.parametrize("view", ["change", "history"])
def test_record_pages_answer_the_owning_units_officer_and_404_to_another_units(
    client_as, world, records, model, view
):
    pk = records[model].pk
    assert client_as(world.a).get(admin_url(model, view, pk)).status_code == 200
    assert client_as(world.b).get(admin_url(model, view, pk)).status_code == 404


@pytest.mark.parametrize("model", RECORD_MODELS)
def test_records_are_never_deleted_in_admin_even_with_the_permission(client_as, world, records, model):
    # No service deletes these records; the stage history in particular is append-only.
    world.a.user_permissions.add(Permission.objects.get(codename=f"delete_{model}"))
    assert client_as(world.a).get(admin_url(model, "delete", records[model].pk)).status_code == 403


@pytest.mark.parametrize("model", RECORD_MODELS)
def test_a_recorder_has_no_access_to_lead_records(client_as, world, records, model):
    client = client_as(world.recorder)
    assert client.get(admin_url(model, "changelist")).status_code == 403
    assert client.get(admin_url(model, "change", records[model].pk)).status_code == 403


@pytest.mark.parametrize(
    "model", ["signing", "capitalinjection", "document", "stagechange", "activity", "leadcontact"]
)
def test_existing_records_open_read_only(client_as, world, records, model):
    response = client_as(world.a).get(admin_url(model, "change", records[model].pk))
    assert response.context["has_change_permission"] is False
    assert list(response.context["adminform"].form.fields) == []


@pytest.mark.parametrize("model", ["signing", "capitalinjection", "stagechange"])
def test_records_created_elsewhere_have_no_add_page(client_as, world, model):
    assert client_as(world.a).get(admin_url(model, "add")).status_code == 403


def test_the_document_list_links_each_file_to_its_download(client_as, world, records):
    document = records["document"]
    html = client_as(world.a).get(admin_url("document", "changelist")).content.decode()
    download = reverse("projects:document-download", kwargs={"pk": document.pk})
    assert f'<a href="{download}">商业计划书.pdf</a>' in html


# --- Adding records in their own admins goes through the services --------------------------------------------------


def test_logging_an_activity_goes_through_the_service_and_moves_last_activity(client_as, world):
    when = ago(hours=2)
    response = client_as(world.a).post(
        admin_url("activity", "add"),
        {
            "lead": world.lead.pk,
            "kind": Activity.Kind.CALL,
            "occurred_at_0": timezone.localtime(when).date().isoformat(),
            "occurred_at_1": timezone.localtime(when).strftime("%H:%M:%S"),
            "summary": "与PI电话沟通落地需求",
        },
    )
    assert response.status_code == 302
    activity = world.lead.activities.get()
    world.lead.refresh_from_db()
    assert (activity.created_by, activity.summary) == (world.a, "与PI电话沟通落地需求")
    assert world.lead.last_activity_at == activity.occurred_at


def test_the_activity_form_prefills_the_lead_from_the_lead_page_link(client_as, world):
    response = client_as(world.a).get(admin_url("activity", "add"), {"lead": world.lead.pk})
    assert response.context["adminform"].form.initial["lead"] == str(world.lead.pk)


def test_a_record_cannot_be_added_to_a_lead_out_of_scope(client_as, world):
    response = client_as(world.b).post(
        admin_url("activity", "add"),
        {
            "lead": world.lead.pk,
            "kind": Activity.Kind.CALL,
            "occurred_at_0": timezone.localdate().isoformat(),
            "occurred_at_1": "08:00:00",
            "summary": "越权记录",
        },
    )
    assert response.context["adminform"].form.errors == {
        "lead": ["Select a valid choice. That choice is not one of the available choices."]
    }
    assert Activity.objects.count() == 0


def test_uploading_a_document_to_a_lead_goes_through_the_service(client_as, world):
    response = client_as(world.a).post(
        admin_url("document", "add"),
        {
            "lead": world.lead.pk,
            "kind": Document.Kind.MINUTES,
            "title": "考察纪要",
            "file": pdf_file("纪要.pdf"),
        },
    )
    assert response.status_code == 302
    document = world.lead.documents.get()
    assert (document.title, document.original_name, document.kind) == (
        "考察纪要",
        "纪要.pdf",
        Document.Kind.MINUTES,
    )
    assert (document.uploaded_by, document.attached) == (world.a, True)
    assert document.file.read() == PDF


def test_a_refused_upload_becomes_a_message(client_as, world):
    response = client_as(world.a).post(
        admin_url("document", "add"),
        {
            "lead": world.lead.pk,
            "kind": Document.Kind.OTHER,
            "title": "",
            "file": SimpleUploadedFile("a.exe", b"MZ"),
        },
        follow=True,
    )
    assert messages_of(response) == [
        "Files of this type cannot be uploaded. Upload PDF, JPG, PNG, Word or Excel files."
    ]
    assert Document.objects.count() == 0


def test_adding_a_lead_contact_in_its_admin_goes_through_the_service(client_as, world):
    contact = talent_contacts(1, owner=world.b, unit=world.unit_b)[0]
    response = client_as(world.a).post(
        admin_url("leadcontact", "add"),
        {"lead": world.lead.pk, "contact": contact.pk, "role": LeadContact.Role.ADVISOR},
    )
    assert response.status_code == 302
    assert [(c.contact, c.role) for c in world.lead.lead_contacts.all()] == [
        (contact, LeadContact.Role.ADVISOR)
    ]


def test_a_coordination_need_is_resolved_in_its_admin_through_the_service(client_as, world, records):
    need = records["coordinationneed"]
    response = client_as(world.a).post(
        admin_url("coordinationneed", "change", need.pk),
        {"resolution": "园区已腾出洁净室", "resolved_on": ""},
    )
    assert response.status_code == 302
    need.refresh_from_db()
    assert (need.resolution, need.resolved_on) == ("园区已腾出洁净室", timezone.localdate())


def test_resolving_without_saying_how_is_refused_with_the_services_message(client_as, world, records):
    need = records["coordinationneed"]
    response = client_as(world.a).post(
        admin_url("coordinationneed", "change", need.pk),
        {"resolution": "", "resolved_on": timezone.localdate().isoformat()},
        follow=True,
    )
    assert messages_of(response) == ["Say how the need was resolved."]
    need.refresh_from_db()
    assert need.resolved_on is None


def test_the_open_filter_lists_unresolved_needs(client_as, world, records):
    resolved = services.coordination_need_add(
        actor=world.a, lead=world.lead, request="协调用电", department="供电局"
    )
    services.coordination_need_resolve(actor=world.a, need=resolved, resolution="已增容")
    client = client_as(world.a)
    open_needs = (
        client.get(admin_url("coordinationneed", "changelist"), {"resolved": "no"}).context["cl"].result_list
    )
    done_needs = (
        client.get(admin_url("coordinationneed", "changelist"), {"resolved": "yes"}).context["cl"].result_list
    )
    assert list(open_needs) == [records["coordinationneed"]]
    assert list(done_needs) == [resolved]


# --- Query counts of the record lists: 2 rows and 20 rows cost the same ------------------------------------------


def add_rows(world, investor, count: int) -> None:
    """`count` of every record, one on each of `count` leads (unit A's fixture lead first), each lead with two
    co-owners. Every lead's creation is one stage change."""
    contacts = talent_contacts(1, owner=world.b, unit=world.unit_b)
    co_owners = [world.b, world.manager_a]
    services.lead_update(actor=world.a, lead=world.lead, co_owners=co_owners)
    more = [make_lead(owner=world.a, unit=world.unit_a, co_owners=co_owners) for _ in range(count - 1)]
    for i, lead in enumerate([world.lead, *more]):
        services.signing_create(
            actor=world.a,
            lead=lead,
            signed_on=timezone.localdate(),
            investor=investor,
            amount=Decimal("1000000"),
            currency="CNY",
            documents=[upload(lead, world.a, f"协议{i}.pdf")],
        )
        services.capital_injection_create(
            actor=world.a,
            lead=lead,
            received_on=timezone.localdate(),
            amount=Decimal("500000"),
            currency="CNY",
        )
        services.activity_log(actor=world.a, lead=lead, kind="call", occurred_at=ago(hours=1), summary="电话")
        services.coordination_need_add(actor=world.a, lead=lead, request="协调用地", department="园区管委会")
        services.lead_contact_add(actor=world.a, lead=lead, contact=contacts[0], role=LeadContact.Role.PI)
        milestone_add(
            actor=world.a, lead=lead, lead_pass=Pass.objects.get(code="resources"), title="落实洁净间"
        )
        # Planned by a move to REGISTERED, whose evidence is beside the point of a list's query count.
        AftercareTouchpoint.objects.create(lead=lead, months=1, due_on=timezone.localdate())


# Every list runs: 1 session, 2 user, 3 user permissions, 4 group permissions, 5 administrator-group check,
# 6 memberships (the scope), 7 COUNT of the scoped rows (no second COUNT: show_full_result_count is off), then:
# - signing: 8 the page joined with lead, investor, credited event and recorder, 9 first and last date of the
#   date hierarchy, 10 the dates it offers;
# - capital injection: 8 the page with lead and recorder, 9-10 the date hierarchy;
# - document: 8 the page with lead and uploader, 9-10 the date hierarchy;
# - stage change: 8 the page with lead and actor, 9 their documents, 10-11 the date hierarchy;
# - activity: 8 the page with lead and author, 9-10 the date hierarchy;
# - coordination need: 8 the page with lead, 9-10 the date hierarchy, 11 the departments of the department filter;
# - lead contact: 8 the page with contact and lead;
# - milestone: 8 the page with lead, pass, template and assignee, 9-10 the date hierarchy, 11 the passes of the
#   pass filter;
# - aftercare touch-point: 8 the page with lead and activity, 9-10 the date hierarchy, 11 the months offered by
#   the months filter.
LIST_QUERIES = {
    "signing": 10,
    "capitalinjection": 10,
    "document": 10,
    "stagechange": 11,
    "activity": 10,
    "coordinationneed": 11,
    "leadcontact": 8,
    "milestone": 11,
    "aftercaretouchpoint": 11,
}


@pytest.mark.parametrize("rows", [2, 20])
@pytest.mark.parametrize("model", RECORD_MODELS)
def test_record_list_query_counts_do_not_grow_with_rows(
    client_as, django_assert_num_queries, world, investor, model, rows
):
    add_rows(world, investor, rows)
    client = client_as(world.a)
    with django_assert_num_queries(LIST_QUERIES[model]):
        response = client.get(admin_url(model, "changelist"))
    assert len(response.context["cl"].result_list) == rows


def test_every_record_model_of_a_lead_has_its_admin():
    registered = {model for model in admin.site._registry if model._meta.app_label == "projects"}
    assert registered == {
        Lead,
        Signing,
        CapitalInjection,
        Document,
        StageChange,
        Activity,
        CoordinationNeed,
        LeadContact,
        Milestone,
        AftercareTouchpoint,
        Pass,
        MilestoneTemplate,
        HandOver,
    }
