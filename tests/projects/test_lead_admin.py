"""The scoped lead admin: the list, the lead page and its saves; every view answers 404 outside the scope,
beside a positive control."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.contrib.admin import RelatedFieldListFilter
from django.contrib.auth.models import Permission
from django.contrib.contenttypes.models import ContentType
from django.urls import reverse
from django.utils import timezone

from directory import services as directory_services
from directory.models import Carrier, Organization
from projects import services
from projects.models import AftercareTouchpoint, Lead, LeadContact, LeadType, Pass, Signing, SourceChannel
from projects.services.milestones import milestone_add, milestone_complete
from projects.stages import Stage
from tests.factories import VALID_USCC, make_lead, make_organization, make_user
from tests.projects.conftest import ago, form_data, talent_contacts, upload

pytestmark = pytest.mark.django_db


def admin_url(name: str, *args) -> str:
    return reverse(f"admin:projects_lead_{name}", args=args)


def names_listed(response) -> list[str]:
    return [lead.name for lead in response.context["cl"].result_list]


# --- Scope: 2xx for unit A's officer, 404 for unit B's on the same id ------------------------------------------


@pytest.mark.parametrize("view", ["change", "history"])
def test_object_views_answer_the_owning_units_officer_and_404_to_another_units(client_as, world, view):
    assert client_as(world.a).get(admin_url(view, world.lead.pk)).status_code == 200
    assert client_as(world.b).get(admin_url(view, world.lead.pk)).status_code == 404


def test_delete_view_is_scoped_for_users_who_may_delete(client_as, world):
    delete_lead = Permission.objects.get(codename="delete_lead")
    world.a.user_permissions.add(delete_lead)
    world.b.user_permissions.add(delete_lead)
    assert client_as(world.a).get(admin_url("delete", world.lead.pk)).status_code == 200
    assert client_as(world.b).get(admin_url("delete", world.lead.pk)).status_code == 404


def test_delete_view_without_the_permission_is_403_whether_or_not_the_lead_exists(client_as, world):
    client = client_as(world.b)
    assert client.get(admin_url("delete", world.lead.pk)).status_code == 403
    assert client.get(admin_url("delete", 999999)).status_code == 403


def test_history_form_view_is_scoped_too(client_as, world):
    history_id = world.lead.history.latest().history_id
    assert client_as(world.a).get(admin_url("simple_history", world.lead.pk, history_id)).status_code == 200
    assert client_as(world.b).get(admin_url("simple_history", world.lead.pk, history_id)).status_code == 404


def test_changelist_lists_only_visible_leads(client_as, world):
    make_lead(owner=world.b, unit=world.unit_b, name="城大 光子芯片联合实验室")
    assert names_listed(client_as(world.a).get(admin_url("changelist"))) == ["港科大 量子计算研发团队"]
    assert names_listed(client_as(world.b).get(admin_url("changelist"))) == ["城大 光子芯片联合实验室"]


def test_owning_unit_autocomplete_offers_only_units_in_reach(client_as, world):
    url = reverse("admin:autocomplete") + "?app_label=projects&model_name=lead&field_name=owning_unit&term="
    assert [row["text"] for row in client_as(world.b).get(url).json()["results"]] == ["产业招商一处"]
    assert [row["text"] for row in client_as(world.a).get(url).json()["results"]] == ["香港合作处"]


def test_lead_autocomplete_offers_only_visible_leads(client_as, world):
    make_lead(owner=world.b, unit=world.unit_b, name="城大 光子芯片联合实验室")
    url = reverse("admin:autocomplete") + "?app_label=projects&model_name=activity&field_name=lead&term="
    assert [row["id"] for row in client_as(world.a).get(url).json()["results"]] == [str(world.lead.pk)]
    assert str(world.lead.pk) not in [row["id"] for row in client_as(world.b).get(url).json()["results"]]


def test_a_recorder_has_no_access_to_leads(client_as, world):
    client = client_as(world.recorder)
    assert client.get(admin_url("changelist")).status_code == 403
    assert client.get(admin_url("change", world.lead.pk)).status_code == 403
    assert client.get(admin_url("history", world.lead.pk)).status_code == 403


# --- The list ---------------------------------------------------------------------------------------------------


def test_the_list_shows_stage_with_phase_and_days_in_stage(client_as, world):
    make_lead(owner=world.a, unit=world.unit_a, name="理大 储能材料团队", occurred_at=ago(days=3, hours=1))
    response = client_as(world.a).get(admin_url("changelist"))
    html = response.content.decode()
    assert html.count('<td class="field-stage_shown">Attraction · Lead</td>') == 2
    assert '<td class="field-days_in_stage">3</td>' in html
    assert '<td class="field-days_in_stage">0</td>' in html


def test_the_list_is_newest_first_and_can_be_sorted_by_days_in_stage(client_as, world):
    make_lead(owner=world.a, unit=world.unit_a, name="理大 储能材料团队", occurred_at=ago(days=3))
    client = client_as(world.a)
    response = client.get(admin_url("changelist"))
    assert names_listed(response) == ["理大 储能材料团队", "港科大 量子计算研发团队"]
    column = response.context["cl"].list_display.index("days_in_stage")
    fewest_days_first = client.get(admin_url("changelist"), {"o": str(column)})
    assert names_listed(fewest_days_first) == ["港科大 量子计算研发团队", "理大 储能材料团队"]
    most_days_first = client.get(admin_url("changelist"), {"o": f"-{column}"})
    assert names_listed(most_days_first) == ["理大 储能材料团队", "港科大 量子计算研发团队"]


def test_the_phase_filter_uses_the_stages_of_each_phase(client_as, world):
    registered = make_lead(
        owner=world.a, unit=world.unit_a, name="科大 新能源电池公司", occurred_at=ago(days=2)
    )
    services.lead_advance(
        lead=registered,
        to_stage=Stage.REGISTERED,
        actor=world.a,
        evidence={
            "uscc": VALID_USCC,
            "registration_date": ago(days=1).date().isoformat(),
            "document_ids": [upload(registered, world.a, "营业执照.pdf").pk],
        },
    )
    client = client_as(world.a)
    assert names_listed(client.get(admin_url("changelist") + "?phase=landing")) == ["科大 新能源电池公司"]
    assert names_listed(client.get(admin_url("changelist") + "?phase=attraction")) == [
        "港科大 量子计算研发团队"
    ]
    assert names_listed(client.get(admin_url("changelist") + "?phase=conversion")) == []


def related_filters(response) -> dict:
    """The relation filters the list shows, by field; a filter with a single choice is not shown."""
    specs = response.context["cl"].filter_specs
    return {
        spec.field_path: spec.lookup_choices for spec in specs if isinstance(spec, RelatedFieldListFilter)
    }


def test_the_owner_and_unit_filters_offer_what_the_scope_reaches(client_as, world):
    officers_filters = related_filters(client_as(world.a).get(admin_url("changelist")))
    assert [name for _pk, name in officers_filters["owner"]] == ["manager_a", "officer_a", "recorder"]
    assert "owning_unit" not in officers_filters  # one unit in reach: nothing to choose
    directors_filters = related_filters(client_as(world.director).get(admin_url("changelist")))
    assert [name for _pk, name in directors_filters["owning_unit"]] == [
        "市投资促进局",
        "香港合作处",
        "产业招商一处",
    ]


@pytest.fixture
def searchable(world):
    """A lead whose HK organization goes by several names, and one that should never match."""
    hku = directory_services.organization_create(
        kind=Organization.Kind.UNIVERSITY,
        name="香港大学",
        name_zh_hant="香港大學",
        name_en="The University of Hong Kong",
        abbreviation="HKU",
        aliases=["港大"],
    )
    cityu = make_organization("CityU", "香港城市大学")
    found = make_lead(
        owner=world.a,
        unit=world.unit_a,
        name="光子芯片团队",
        name_zh_hant="光子晶片團隊",
        name_en="Photonic Chip Team",
        hk_organization=hku,
        uscc=VALID_USCC,
        hk_company_number="3123456",
    )
    make_lead(owner=world.a, unit=world.unit_a, name="储能材料团队", hk_organization=cityu)
    return found


@pytest.mark.parametrize(
    "term",
    [
        "光子芯片",  # simplified name
        "光子晶片團隊",  # traditional name
        "photonic chip",  # English name, every word
        "香港大學",  # the organization's traditional name, found through its simplified key
        "university of hong kong",  # its English name, spaces and all
        "港大",  # contained in two of its aliases (港大, 香港大学): still one row
        VALID_USCC.lower(),
        "3123456",
    ],
)
def test_search_finds_a_lead_by_code_names_organization_aliases_and_registration_numbers(
    client_as, searchable, world, term
):
    response = client_as(world.a).get(admin_url("changelist"), {"q": term})
    assert names_listed(response) == ["光子芯片团队"]


def test_search_by_code(client_as, searchable, world):
    response = client_as(world.a).get(admin_url("changelist"), {"q": searchable.code})
    assert names_listed(response) == ["光子芯片团队"]
    typed_lowercase = client_as(world.a).get(admin_url("changelist"), {"q": f" {searchable.code.lower()} "})
    assert names_listed(typed_lowercase) == ["光子芯片团队"]


def test_search_never_reaches_beyond_the_scope(client_as, searchable, world):
    response = client_as(world.b).get(admin_url("changelist"), {"q": "港大"})
    assert names_listed(response) == []


# --- The lead page ------------------------------------------------------------------------------------------------


def test_adding_a_lead_in_admin_goes_through_the_service_and_records_history(client_as, world):
    client = client_as(world.a)
    data = form_data(client.get(admin_url("add")))
    data.update(
        {
            "name": "浸大 体外诊断初创企业",
            "lead_type": LeadType.STARTUP,
            "source_channel": SourceChannel.UNIVERSITY_TTO,
            "hk_organization": make_organization("HKBU", "香港浸会大学").pk,
            "owning_unit": world.unit_a.pk,
            "co_owners": [world.b.pk],
            "priority": "high",
        }
    )
    response = client.post(admin_url("add"), data)
    lead = Lead.objects.get(name="浸大 体外诊断初创企业")
    assert response.status_code == 302
    assert response["Location"] == admin_url("changelist")
    assert lead.owner == world.a
    assert lead.code.startswith(f"HK-{timezone.localdate().year}-")
    assert list(lead.co_owners.all()) == [world.b]
    assert [(c.from_stage, c.to_stage) for c in lead.stage_changes.all()] == [("", Stage.LEAD)]
    # Creation, then the co-owners set right after it in the same transaction.
    assert [(h.history_type, h.history_user) for h in lead.history.order_by("history_id")] == [
        ("+", world.a),
        ("~", world.a),
    ]


def test_adding_a_lead_without_what_its_first_stage_needs_shows_it_beside_the_field(client_as, world):
    client = client_as(world.a)
    data = form_data(client.get(admin_url("add")))
    data.update(
        {
            "name": "无来源线索",
            "lead_type": LeadType.STARTUP,
            "source_channel": SourceChannel.EVENT,
            "owning_unit": world.unit_a.pk,
        }
    )
    response = client.post(admin_url("add"), data)
    assert response.status_code == 200
    assert response.context["adminform"].form.errors == {
        "hk_organization": ["A new lead needs the Hong Kong organization."]
    }
    assert not Lead.objects.filter(name="无来源线索").exists()


def test_adding_a_talent_lead_without_the_talent_says_so_once(client_as, world):
    client = client_as(world.a)
    data = form_data(client.get(admin_url("add")))
    data.update(
        {
            "name": "陈博士",
            "lead_type": LeadType.TALENT,
            "source_channel": SourceChannel.EVENT,
            "owning_unit": world.unit_a.pk,
        }
    )
    response = client.post(admin_url("add"), data)
    assert response.context["adminform"].form.errors == {
        "subject_contact": ["A talent-track lead needs the talent it is about."]
    }


def test_adding_a_lead_for_a_unit_out_of_reach_is_refused_beside_the_field(client_as, world):
    client = client_as(world.a)
    data = form_data(client.get(admin_url("add")))
    data.update(
        {
            "name": "越权线索",
            "lead_type": LeadType.STARTUP,
            "source_channel": SourceChannel.EVENT,
            "hk_organization": make_organization().pk,
            "owning_unit": world.unit_b.pk,
        }
    )
    response = client.post(admin_url("add"), data)
    assert response.status_code == 200
    assert response.context["adminform"].form.errors == {
        "owning_unit": ["You can only register leads for units you belong to or manage."]
    }
    assert not Lead.objects.filter(name="越权线索").exists()


def test_stage_status_owner_unit_type_code_and_track_are_read_only_in_the_change_form(client_as, world):
    response = client_as(world.a).get(admin_url("change", world.lead.pk))
    form = response.context["adminform"].form
    read_only = {"stage_shown", "status", "owner", "owning_unit", "lead_type", "code", "track"}
    assert read_only & set(form.fields) == set()
    assert read_only <= set(response.context["adminform"].readonly_fields)


def test_the_change_form_groups_fields_in_fieldsets(client_as, world):
    response = client_as(world.a).get(admin_url("change", world.lead.pk))
    assert [fieldset.name for fieldset in response.context["adminform"]] == [
        "Identity and names",
        "Stage and status",
        "Source",
        "Ownership",
        "Company facts",
        "People, space and technology",
        "Description",
        "Record",
    ]


def test_saving_the_change_form_goes_through_lead_update_with_the_co_owners(client_as, world):
    client = client_as(world.a)
    data = form_data(client.get(admin_url("change", world.lead.pk)))
    data.update({"name_en": "HKUST Quantum Computing Team", "co_owners": [world.manager_a.pk], "trl": 4})
    response = client.post(admin_url("change", world.lead.pk), data)
    assert response.status_code == 302
    world.lead.refresh_from_db()
    assert (world.lead.name_en, world.lead.trl) == ("HKUST Quantum Computing Team", 4)
    assert list(world.lead.co_owners.all()) == [world.manager_a]
    latest = world.lead.history.latest()
    assert (latest.history_type, latest.history_user, latest.name_en) == (
        "~",
        world.a,
        "HKUST Quantum Computing Team",
    )


def test_a_refusal_of_lead_update_becomes_a_message_and_changes_nothing(client_as, world):
    talent = make_lead(owner=world.a, unit=world.unit_a, lead_type=LeadType.TALENT, occurred_at=ago(days=2))
    call = services.activity_log(
        actor=world.a, lead=talent, kind="call", occurred_at=ago(days=1), summary="电话"
    )
    services.lead_advance(
        lead=talent, to_stage=Stage.T_ENGAGED, actor=world.a, evidence={"activity_id": call.pk}
    )
    first_talent = talent.subject_contact
    other_talent = talent_contacts(1, owner=world.b, unit=world.unit_b)[0]
    client = client_as(world.a)
    data = form_data(client.get(admin_url("change", talent.pk)))
    data.update({"subject_contact": other_talent.pk, "name_en": "Renamed"})
    response = client.post(admin_url("change", talent.pk), data, follow=True)
    assert [str(m) for m in response.context["messages"]] == [
        "The talent of a lead that has moved on cannot be replaced."
    ]
    talent.refresh_from_db()
    assert (talent.subject_contact, talent.name_en) == (first_talent, "")


def test_the_lead_page_links_its_documents_to_the_download_url(client_as, world):
    document = upload(world.lead, world.a, "可行性报告.pdf")
    response = client_as(world.a).get(admin_url("change", world.lead.pk))
    download = reverse("projects:document-download", kwargs={"pk": document.pk})
    assert f'<a href="{download}">可行性报告.pdf</a>' in response.content.decode()


def test_the_lead_page_shows_stage_history_oldest_first_with_its_evidence(client_as, world):
    carrier = directory_services.carrier_create(name="苏州工业园区", kind=Carrier.Kind.DISTRICT)
    today = timezone.localdate().isoformat()
    services.lead_advance(
        lead=world.lead,
        to_stage=Stage.VISITED,
        actor=world.a,
        evidence={"visit_date": today, "carrier_ids": [carrier.pk]},
    )
    html = client_as(world.a).get(admin_url("change", world.lead.pk)).content.decode()
    assert html.index("<td>— → Lead</td>") < html.index("<td>Lead → Site visit</td>")
    assert f"<td>the visit date: {today}<br>the carriers visited: 苏州工业园区</td>" in html


# --- Query counts: 2 rows and 20 rows cost the same --------------------------------------------------------------


@pytest.fixture
def related(world):
    """What every lead of the query-count tests carries: co-owners, contacts and an investor."""
    return {
        "co_owners": [make_user(username=f"co{i}") for i in range(20)],
        "contacts": talent_contacts(4, owner=world.b, unit=world.unit_b),
        "investor": make_organization("HKSTP", "香港科技园公司"),
    }


def add_records(lead, world, related, count: int) -> None:
    """`count` of every related object on `lead`: co-owners, stage changes, signings with their documents,
    contacts, capital injections, activities, coordination needs, milestones and aftercare touch-points."""
    passes = list(Pass.objects.all())
    lead.co_owners.set(related["co_owners"][:count])
    for _ in range(1, count):
        # Forward to QUALIFIED and back to LEAD, alternately: each is one more stage change.
        if lead.stage == Stage.LEAD:
            services.lead_advance(
                lead=lead,
                to_stage=Stage.QUALIFIED,
                actor=world.a,
                evidence={"assessment": "团队扎实", "decision": "follow"},
            )
        else:
            services.lead_advance(lead=lead, to_stage=Stage.LEAD, actor=world.manager_a, note="复核")
        lead.refresh_from_db()
    roles = list(LeadContact.Role)
    for i in range(count):
        services.signing_create(
            actor=world.a,
            lead=lead,
            signed_on=timezone.localdate(),
            investor=related["investor"],
            kind=Signing.Kind.NEW if i == 0 else Signing.Kind.CAPITAL_INCREASE,
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
        services.lead_contact_add(
            actor=world.a, lead=lead, contact=related["contacts"][i // len(roles)], role=roles[i % len(roles)]
        )
        services.activity_log(
            actor=world.a, lead=lead, kind="call", occurred_at=ago(hours=i + 1), summary="电话沟通"
        )
        services.coordination_need_add(
            actor=world.a, lead=lead, request="协调实验室用地", department="园区管委会"
        )
        milestone = milestone_add(
            actor=world.a,
            lead=lead,
            lead_pass=passes[i % len(passes)],
            title=f"临时事项{i}",
            due_on=timezone.localdate() - dt.timedelta(days=i),  # some overdue
        )
        if i % 3 == 0:
            milestone_complete(milestone=milestone, actor=world.a, evidence_note="已办结")
        # Planned by a move to REGISTERED, whose evidence is beside the point of a query count.
        AftercareTouchpoint.objects.create(lead=lead, months=i + 1, due_on=timezone.localdate())


@pytest.mark.parametrize("rows", [2, 20])
def test_changelist_query_count_does_not_grow_with_rows(
    client_as, django_assert_num_queries, world, related, rows
):
    more = [make_lead(owner=world.a, unit=world.unit_a, name=f"线索{i:03d}") for i in range(rows - 1)]
    for lead in [world.lead, *more]:
        add_records(lead, world, related, 2)
    client = client_as(world.a)
    # 1 session, 2 user, 3 user permissions, 4 group permissions, 5 administrator-group check, 6 memberships
    # (the scope), 7-10 the choices of the filters: carriers, sectors, staff of the visible units (owner), the
    # visible units (owning unit) — none of them scans the leads,
    # 11 exact COUNT of the scoped rows (not bureau-level, so no estimate), 12 the page of leads joined with
    # owner, owning unit and target carrier, 13 the passes, 14 the active milestone templates (the pass
    # progress's denominators), 15 the page's milestones counted per lead and pass.
    with django_assert_num_queries(15):
        response = client.get(admin_url("changelist"))
    assert len(response.context["cl"].result_list) == rows


@pytest.mark.parametrize("rows", [2, 20])
def test_change_form_query_count_does_not_grow_with_related_rows(
    client_as, django_assert_num_queries, world, related, rows
):
    add_records(world.lead, world, related, rows)
    client = client_as(world.a)
    ContentType.objects.clear_cache()  # the process-wide cache would make query 20 depend on test order
    # 1 session, 2 user, 3 savepoint, 4 administrator-group check, 5 memberships (the scope), 6 the lead with
    # owner, owning unit, founded-from, lost-to, merged-into and HK organization, 7 user permissions, 8 group
    # permissions, 9 the competing locations and 10 the co-owners (the form's initial values), 11 stage changes
    # with their actors, 12 their documents, 13 lead contacts with their contacts, 14 milestones with pass,
    # template and assignee, 15 signings with investor and credited event, 16 their documents, 17 capital
    # injections, 18 their documents, 19 documents with their uploaders, 20 coordination needs, 21 activities
    # with their authors, 22 aftercare touch-points with their activities, 23 the lead's content type (history
    # link), 24 release savepoint, 25 possible duplicates (same organization and a name in any script), 26 the
    # HK organization shown in its autocomplete, 27 the co-owners shown in theirs.
    with django_assert_num_queries(27):
        response = client.get(admin_url("change", world.lead.pk))
    assert response.status_code == 200
    shown = {
        type(inline.opts).__name__: len(inline.formset.table_rows)
        if hasattr(inline.formset, "table_rows")
        else len(inline.formset.forms)
        for inline in response.context["inline_admin_formsets"]
    }
    # Each lead's creation is one more stage change; the other kinds have exactly `rows` rows.
    assert shown == {
        "StageChangeInline": rows,
        "MilestoneInline": rows,
        "SigningInline": rows,
        "CapitalInjectionInline": rows,
        "DocumentInline": rows,
        "LeadContactInline": rows,
        "CoordinationNeedInline": rows,
        "ActivityInline": rows,
        "AftercareInline": rows,
    }


def test_list_rows_link_to_the_lead_page_keeping_the_lists_filters(client_as, world):
    html = client_as(world.a).get(admin_url("changelist"), {"status": "active"}).content.decode()
    change = admin_url("change", world.lead.pk)
    link = f'<a href="{change}?_changelist_filters=status%3Dactive">{world.lead.code}</a>'
    assert link in html
    unfiltered = client_as(world.a).get(admin_url("changelist")).content.decode()
    assert f'<a href="{change}">{world.lead.code}</a>' in unfiltered
