"""/api/v1/leads/{id}/milestones/ and /api/v1/milestones/{id}/complete/: a lead's pass checklist, ad-hoc
milestones through milestone_add, completion through milestone_complete."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from accounts.roles import Role
from projects import services
from projects.models import Document, Lead, Milestone, Pass
from tests.api.conftest import pdf
from tests.api.test_query_counts import SESSION_USER_SCOPE_PERMISSIONS
from tests.factories import join, make_lead, make_user

pytestmark = pytest.mark.django_db


def url(lead) -> str:
    return f"/api/v1/leads/{lead.pk}/milestones/"


def complete_url(milestone) -> str:
    return f"/api/v1/milestones/{milestone.pk}/complete/"


def in_days(days: int) -> dt.date:
    return timezone.localdate() + dt.timedelta(days=days)


def add(world, *, code: str = "resources", title: str = "落实洁净间", due_on: dt.date | None = None):
    return services.milestone_add(
        actor=world.officer_a,
        lead=world.lead,
        lead_pass=Pass.objects.get(code=code),
        title=title,
        due_on=due_on,
    )


@pytest.fixture
def viewer(world):
    return join(make_user(Role.REPORT_VIEWER, username="viewer"), world.unit_a)


# --- Reading --------------------------------------------------------------------------------------------------


def test_the_milestones_answer_the_units_officer_by_pass_then_due_date_and_404_to_another_units(api, world):
    add(world, code="rules", title="核对出口管制", due_on=in_days(5))
    add(world, code="resources", title="确认人才公寓", due_on=None)
    add(world, code="resources", title="落实洁净间", due_on=in_days(20))
    add(world, code="resources", title="对接园区载体", due_on=in_days(10))
    api.force_login(world.officer_a)
    response = api.get(url(world.lead))
    assert response.status_code == 200
    assert [(row["pass_code"], row["title"], row["due_on"]) for row in response.json()["results"]] == [
        ("resources", "对接园区载体", in_days(10).isoformat()),
        ("resources", "落实洁净间", in_days(20).isoformat()),
        ("resources", "确认人才公寓", None),
        ("rules", "核对出口管制", in_days(5).isoformat()),
    ]
    api.force_login(world.officer_b)
    response = api.get(url(world.lead))
    assert response.status_code == 404
    assert response.json() == {"detail": "Not found."}


def test_a_template_milestone_shows_its_template_code_and_its_title_in_the_readers_language(api, world):
    services.lead_advance(
        lead=world.lead,
        to_stage="NEGOTIATING",
        actor=world.officer_a,
        evidence={"needs_list": "实验室 300 平方米、洁净间"},
    )
    milestone = world.lead.milestones.select_related("template", "lead_pass").order_by("pk").first()
    api.force_login(world.officer_a)
    row = next(row for row in api.get(url(world.lead)).json()["results"] if row["id"] == milestone.pk)
    assert (row["template_code"], row["title"], row["pass_code"], row["pass_name"]) == (
        milestone.template.code,
        milestone.template.name_en,
        milestone.lead_pass.code,
        milestone.lead_pass.name_en,
    )
    assert row["status"] == "open"
    assert row["assignee"] == world.officer_a.pk
    chinese = api.get(url(world.lead), HTTP_ACCEPT_LANGUAGE="zh-hans").json()["results"]
    assert next(row for row in chinese if row["id"] == milestone.pk)["title"] == milestone.template.name


def test_the_recorder_and_report_viewer_roles_get_403_on_milestones_even_for_the_list(api, world, viewer):
    milestone = add(world)
    for user in (world.recorder, viewer):
        api.force_login(user)
        assert api.get(url(world.lead)).status_code == 403
        assert (
            api.post(url(world.lead), {"pass_code": "rules", "title": "越权"}, format="json").status_code
            == 403
        )
        assert api.post(complete_url(milestone), {"evidence_note": "越权"}, format="json").status_code == 403
    assert Milestone.objects.get().status == Milestone.Status.OPEN


# --- Adding ---------------------------------------------------------------------------------------------------


def test_adding_an_ad_hoc_milestone_goes_through_the_service_and_writes_history(api, world):
    api.force_login(world.officer_a)
    response = api.post(
        url(world.lead),
        {"pass_code": "rules", "title": "核对检测标准", "due_on": in_days(14).isoformat()},
        format="json",
    )
    assert response.status_code == 201
    milestone = Milestone.objects.get(pk=response.json()["id"])
    assert response.json() == {
        "id": milestone.pk,
        "pass_code": "rules",
        "pass_name": "Rules and standards pass",
        "title": "核对检测标准",
        "template_code": None,
        "due_on": in_days(14).isoformat(),
        "due_provisional": False,
        "status": "open",
        "assignee": world.officer_a.pk,
        "evidence_note": "",
        "completed_at": None,
        "document_ids": [],
    }
    assert [(row.history_type, row.history_user) for row in milestone.history.all()] == [
        ("+", world.officer_a)
    ]


def test_a_milestone_can_be_assigned_to_a_colleague(api, world):
    api.force_login(world.officer_a)
    response = api.post(
        url(world.lead),
        {"pass_code": "talent", "title": "人才公寓", "assignee": world.manager_a.pk},
        format="json",
    )
    assert response.status_code == 201
    assert Milestone.objects.get(pk=response.json()["id"]).assignee == world.manager_a


def test_another_units_officer_gets_404_adding_a_milestone_and_nothing_is_written(api, world):
    api.force_login(world.officer_b)
    response = api.post(url(world.lead), {"pass_code": "rules", "title": "越权"}, format="json")
    assert response.status_code == 404
    assert not Milestone.objects.exists()


def test_adding_a_milestone_to_a_merged_lead_is_409(api, world):
    Lead.objects.filter(pk=world.lead.pk).update(status=Lead.Status.MERGED)
    api.force_login(world.officer_a)
    response = api.post(url(world.lead), {"pass_code": "rules", "title": "核对"}, format="json")
    assert response.status_code == 409
    assert response.json() == {
        "non_field_errors": ["This lead was merged into another lead and can no longer be changed."]
    }


@pytest.mark.parametrize(
    ("body", "errors"),
    [
        ({"pass_code": "nope", "title": "核对"}, {"pass_code": ["Object with code=nope does not exist."]}),
        ({"pass_code": "rules", "title": "  "}, {"title": ["This field may not be blank."]}),
        ({}, {"pass_code": ["This field is required."], "title": ["This field is required."]}),
        (
            {"pass_code": ["rules"], "title": "核对"},
            {"pass_code": ["Object with code=['rules'] does not exist."]},
        ),
        (
            {"pass_code": "rules", "title": "核对", "due_on": "next week"},
            {"due_on": ["Date has wrong format. Use one of these formats instead: YYYY-MM-DD."]},
        ),
        (
            {"pass_code": "rules", "title": "核对", "assignee": 999999},
            {"assignee": ['Invalid pk "999999" - object does not exist.']},
        ),
    ],
)
def test_bad_milestone_fields_are_400_on_the_field(api, world, body, errors):
    api.force_login(world.officer_a)
    response = api.post(url(world.lead), body, format="json")
    assert response.status_code == 400
    assert response.json() == errors
    assert not Milestone.objects.exists()


# --- Completing -----------------------------------------------------------------------------------------------


def test_completing_a_milestone_with_a_note_and_a_document_returns_it_done(api, world):
    milestone = add(world)
    document = services.document_upload(actor=world.officer_a, lead=world.lead, file=pdf())
    api.force_login(world.officer_a)
    response = api.post(
        complete_url(milestone),
        {"evidence_note": "租赁协议已签", "document": document.pk, "not_applicable": False},
        format="json",
    )
    assert response.status_code == 200
    milestone.refresh_from_db()
    assert (milestone.status, milestone.evidence_note, milestone.completed_by) == (
        Milestone.Status.DONE,
        "租赁协议已签",
        world.officer_a,
    )
    assert response.json()["status"] == "done"
    assert response.json()["evidence_note"] == "租赁协议已签"
    assert response.json()["completed_at"] == timezone.localtime(milestone.completed_at).isoformat()
    assert response.json()["document_ids"] == [document.pk]
    document.refresh_from_db()
    assert (document.milestone, document.attached) == (milestone, True)
    assert [(row.history_type, row.history_user) for row in milestone.history.all()] == [
        ("~", world.officer_a),
        ("+", world.officer_a),
    ]


def test_a_milestone_that_does_not_apply_is_closed_with_the_reason(api, world):
    milestone = add(world)
    api.force_login(world.officer_a)
    response = api.post(
        complete_url(milestone), {"evidence_note": "团队自带实验室", "not_applicable": True}, format="json"
    )
    assert response.status_code == 200
    assert response.json()["status"] == "na"


def test_another_units_officer_gets_404_completing_the_milestone_that_its_own_officer_completes(api, world):
    milestone = add(world)
    api.force_login(world.officer_b)
    response = api.post(complete_url(milestone), {"evidence_note": "越权"}, format="json")
    assert response.status_code == 404
    assert response.json() == {"detail": "Not found."}
    api.force_login(world.officer_a)
    assert api.post(complete_url(milestone), {"evidence_note": "已落实"}, format="json").status_code == 200


def test_a_document_of_another_lead_is_400_with_the_services_message(api, world):
    milestone = add(world)
    other = make_lead(owner=world.officer_a, unit=world.unit_a)
    document = services.document_upload(actor=world.officer_a, lead=other, file=pdf())
    api.force_login(world.officer_a)
    response = api.post(
        complete_url(milestone), {"evidence_note": "见附件", "document": document.pk}, format="json"
    )
    assert response.status_code == 400
    assert response.json() == {"document": ["Only documents uploaded to this lead can be cited."]}
    assert Milestone.objects.get().status == Milestone.Status.OPEN
    assert Document.objects.get(pk=document.pk).milestone_id is None


def test_a_document_outside_the_users_scope_reads_exactly_like_one_that_does_not_exist(api, world):
    milestone = add(world)
    hidden_lead = make_lead(owner=world.officer_b, unit=world.unit_b)
    hidden = services.document_upload(actor=world.officer_b, lead=hidden_lead, file=pdf())
    api.force_login(world.officer_a)
    outside = api.post(
        complete_url(milestone), {"evidence_note": "见附件", "document": hidden.pk}, format="json"
    )
    missing = api.post(
        complete_url(milestone), {"evidence_note": "见附件", "document": 999999}, format="json"
    )
    assert outside.status_code == missing.status_code == 400
    assert outside.json() == {"document": [f'Invalid pk "{hidden.pk}" - object does not exist.']}
    assert missing.json() == {"document": ['Invalid pk "999999" - object does not exist.']}
    assert Milestone.objects.get().status == Milestone.Status.OPEN


def test_completing_a_closed_milestone_is_409(api, world):
    milestone = add(world)
    services.milestone_complete(milestone=milestone, actor=world.officer_a, evidence_note="已落实")
    api.force_login(world.officer_a)
    response = api.post(complete_url(milestone), {"evidence_note": "再次完成"}, format="json")
    assert response.status_code == 409
    assert response.json() == {"non_field_errors": ["This milestone is already “Done”."]}
    assert Milestone.objects.get().evidence_note == "已落实"


def test_completing_without_evidence_is_400_saying_what_to_give(api, world):
    milestone = add(world)
    api.force_login(world.officer_a)
    response = api.post(complete_url(milestone), {}, format="json")
    assert response.status_code == 400
    assert response.json() == {"evidence_note": ["Give the evidence: a note, a document or both."]}


def test_not_applicable_without_a_reason_is_400(api, world):
    milestone = add(world)
    api.force_login(world.officer_a)
    response = api.post(complete_url(milestone), {"not_applicable": True}, format="json")
    assert response.status_code == 400
    assert response.json() == {"evidence_note": ["Say why this milestone does not apply."]}


@pytest.mark.parametrize(
    ("body", "errors"),
    [
        (
            {"evidence_note": "见附件", "document": "abc"},
            {"document": ["Incorrect type. Expected pk value, received str."]},
        ),
        (
            {"evidence_note": "不适用", "not_applicable": "maybe"},
            {"not_applicable": ["Must be a valid boolean."]},
        ),
        ({"evidence_note": ["见附件"]}, {"evidence_note": ["Not a valid string."]}),
        (["见附件"], {"non_field_errors": ["Invalid data. Expected a dictionary, but got list."]}),
    ],
)
def test_wrongly_typed_completion_fields_are_400_on_the_field(api, world, body, errors):
    milestone = add(world)
    api.force_login(world.officer_a)
    response = api.post(complete_url(milestone), body, format="json")
    assert response.status_code == 400
    assert response.json() == errors
    assert Milestone.objects.get().status == Milestone.Status.OPEN


def test_a_malformed_completion_body_is_400_not_500(api, world):
    milestone = add(world)
    api.force_login(world.officer_a)
    response = api.post(complete_url(milestone), "{not json", content_type="application/json")
    assert response.status_code == 400
    assert list(response.json()) == ["non_field_errors"]


def test_a_milestone_cannot_be_read_or_deleted_through_the_completion_route(api, world):
    milestone = add(world)
    api.force_login(world.officer_a)
    assert api.get(complete_url(milestone)).status_code == 405
    assert api.delete(complete_url(milestone)).status_code == 405


# --- Query count ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("rows", [2, 20])
def test_the_milestone_list_answers_in_a_fixed_number_of_queries(api, world, rows, django_assert_num_queries):
    for number in range(rows):
        milestone = add(
            world, code=["resources", "rules"][number % 2], title=f"事项{number}", due_on=in_days(number)
        )
        # Two documents each: done with one, reopened, done again with the other.
        first, second = (
            services.document_upload(actor=world.officer_a, lead=world.lead, file=pdf()) for _ in "12"
        )
        services.milestone_complete(milestone=milestone, actor=world.officer_a, document=first)
        services.milestone_reopen(milestone=milestone, actor=world.officer_a, note="补充材料")
        services.milestone_complete(milestone=milestone, actor=world.officer_a, document=second)
    api.force_login(world.officer_a)
    # 1-6 (session, user, scope, permissions), then 7. the lead through the scope, 8. COUNT(*) of its milestones,
    # 9. the page with each row's pass and template, 10. the page's document ids.
    with django_assert_num_queries(SESSION_USER_SCOPE_PERMISSIONS + 4):
        response = api.get(url(world.lead))
    assert len(response.json()["results"]) == rows
    assert all(len(row["document_ids"]) == 2 for row in response.json()["results"])
