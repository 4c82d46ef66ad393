"""Every list answers in a fixed number of queries: the same at 2 rows and at 20, each row with at least two of
every related object it shows."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.utils import timezone

from accounts.models import UnitMembership
from accounts.roles import Role
from directory import services as directory_services
from directory.models import Carrier, Organization, Sector
from projects import services
from projects.models import Signing
from tests.api.conftest import pdf
from tests.factories import join, make_lead, make_organization, make_unit, make_user

pytestmark = pytest.mark.django_db

QUALIFIED_EVIDENCE = {"assessment": "技术路线清晰", "decision": "follow"}

# Every request, before the list itself:
#   1. the session
#   2. the user
#   3. whether the user is an administrator          (visibility scope, cached on the user for the request)
#   4. the user's unit memberships                   (visibility scope)
#   5. the user's own permissions                    (model permissions)
#   6. the permissions of the user's groups          (model permissions)
SESSION_USER_SCOPE_PERMISSIONS = 6
# Reference lists have no scope: only 1, 2, 5 and 6.
SESSION_USER_PERMISSIONS = 4
# Reads of personal data are throttled, counted in the shared cache: no SQL with Redis; with the database cache
# 1. the user's request history, 2. SAVEPOINT, 3. COUNT(*) of the cache (culling), 4. the key's row,
# 5. INSERT or UPDATE of the history, 6. RELEASE.
THROTTLE = 0 if "redis" in settings.CACHES["default"]["BACKEND"].lower() else 6


@pytest.fixture
def officer():
    return join(make_user(Role.OFFICER, username="officer"), make_unit("香港合作处"))


@pytest.fixture
def manager(officer):
    unit = officer.memberships.get().unit
    return join(make_user(Role.MANAGER, username="manager"), unit, UnitMembership.Role.MANAGER)


@pytest.mark.parametrize("rows", [2, 20])
def test_the_lead_list(api, officer, rows, django_assert_num_queries):
    unit = officer.memberships.get().unit
    co_owners = [make_user(username=f"co{rows}_{n}") for n in range(2)]
    for _ in range(rows):
        lead = make_lead(owner=officer, unit=unit, co_owners=co_owners)
        services.lead_advance(lead=lead, to_stage="QUALIFIED", actor=officer, evidence=QUALIFIED_EVIDENCE)
    api.force_login(officer)
    # 1-6, then 7. COUNT(*) of the visible leads, 8. the page, 9. the page's co-owner ids.
    with django_assert_num_queries(SESSION_USER_SCOPE_PERMISSIONS + 3):
        response = api.get("/api/v1/leads/")
    assert len(response.json()["results"]) == rows
    assert all(len(row["co_owners"]) == 2 for row in response.json()["results"])


@pytest.mark.parametrize("rows", [2, 20])
def test_a_leads_stage_history(api, officer, manager, rows, django_assert_num_queries):
    lead = make_lead(owner=officer, unit=officer.memberships.get().unit)
    # Rows alternate: forward to NEGOTIATING citing two letters of intent, back to LEAD by the manager.
    for number in range(rows - 1):
        if number % 2 == 0:
            letters = [services.document_upload(actor=officer, lead=lead, file=pdf()).pk for _ in range(2)]
            services.lead_advance(
                lead=lead, to_stage="NEGOTIATING", actor=officer, evidence={"document_ids": letters}
            )
        else:
            services.lead_advance(lead=lead, to_stage="LEAD", actor=manager, note="重新接洽")
    api.force_login(officer)
    # 1-6, then 7. the lead through the scope, 8. COUNT(*) of its changes, 9. the page, 10. the page's document ids.
    with django_assert_num_queries(SESSION_USER_SCOPE_PERMISSIONS + 4):
        response = api.get(f"/api/v1/leads/{lead.pk}/transitions/")
    assert len(response.json()["results"]) == rows
    assert len(response.json()["results"][1]["document_ids"]) == 2


@pytest.mark.parametrize("rows", [2, 20])
def test_a_leads_signings(api, officer, rows, django_assert_num_queries):
    lead = make_lead(owner=officer, unit=officer.memberships.get().unit)
    investor = make_organization()
    for _ in range(rows):
        services.signing_create(
            actor=officer,
            lead=lead,
            signed_on=timezone.localdate(),
            investor=investor,
            kind=Signing.Kind.CAPITAL_INCREASE,
            amount=1_000_000,
            currency="CNY",
            documents=[services.document_upload(actor=officer, lead=lead, file=pdf()) for _ in range(2)],
        )
    api.force_login(officer)
    # 1-6, then 7. the lead through the scope, 8. COUNT(*) of its signings, 9. the page, 10. the page's document ids.
    with django_assert_num_queries(SESSION_USER_SCOPE_PERMISSIONS + 4):
        response = api.get(f"/api/v1/leads/{lead.pk}/signings/")
    assert len(response.json()["results"]) == rows
    assert all(len(row["document_ids"]) == 2 for row in response.json()["results"])


@pytest.mark.parametrize("rows", [2, 20])
def test_the_organization_list(api, officer, rows, django_assert_num_queries):
    for number in range(rows):
        directory_services.organization_create(
            kind=Organization.Kind.COMPANY,
            name=f"香港测试科技有限公司{number}",
            abbreviation=f"HKT{number}",
            aliases=[f"港测{number}", f"测试{number}"],
        )
    api.force_login(officer)
    # 1, 2, 5, 6, then COUNT(*), the page, the page's aliases.
    with django_assert_num_queries(SESSION_USER_PERMISSIONS + 3):
        response = api.get("/api/v1/organizations/")
    assert len(response.json()["results"]) == rows
    assert all(len(row["aliases"]) == 4 for row in response.json()["results"])
    # A search is the same three queries, the selector's EXISTS tests inside them.
    with django_assert_num_queries(SESSION_USER_PERMISSIONS + 3):
        assert api.get("/api/v1/organizations/", {"search": "港测"}).json()["count"] == rows


@pytest.mark.parametrize("rows", [2, 20])
def test_the_carrier_and_sector_lists(api, officer, rows, django_assert_num_queries):
    for number in range(rows):
        directory_services.carrier_create(name=f"测试园区{number}", kind=Carrier.Kind.PARK)
        directory_services.sector_create(
            code=f"test-{number}", name=f"测试产业{number}", group=Sector.Group.FUTURE
        )
    api.force_login(officer)
    # 1, 2, 5, 6, then COUNT(*) and the page: the rows link to their parents by id only.
    with django_assert_num_queries(SESSION_USER_PERMISSIONS + 2):
        assert len(api.get("/api/v1/carriers/").json()["results"]) == rows
    with django_assert_num_queries(SESSION_USER_PERMISSIONS + 2):
        assert len(api.get("/api/v1/sectors/").json()["results"]) == rows


# --- Talent: contacts and events ---------------------------------------------------------------------------------


def _talent_rows(rows: int, staff) -> Organization:
    """`rows` events a day apart, each overlapping a Hong Kong holiday, staffed by two and attended by two; every
    contact with a phone and an e-mail and two affiliations."""
    import datetime as dt

    from directory.models import Holiday
    from talent.services.contacts import ChannelInput, contact_create
    from talent.services.events import attendance_record, event_create

    hku, hkust = make_organization("HKU", "香港大学"), make_organization()
    first = dt.date(2025, 3, 3)
    for number in range(rows):
        day = first + dt.timedelta(days=number)
        Holiday.objects.create(region="HK", date=day, kind=Holiday.Kind.DAY_OFF, name=f"假期{number}")
        event = event_create(
            actor=None, name=f"专场{number}", starts_on=day, ends_on=day, assigned_staff=staff
        )
        people = [
            contact_create(
                actor=None,
                name=f"陳{number}號{side}",
                channels=[
                    ChannelInput("phone", f"612{number:02d}{side}34"),
                    ChannelInput("email", f"p{number}x{side}@hku.hk"),
                ],
                affiliations=[{"organization": hku}, {"organization": hkust}],
            )
            for side in range(2)
        ]
        for person in people:
            attendance_record(actor=None, event=event, contact=person)
    return hku


@pytest.mark.parametrize("rows", [2, 20])
@pytest.mark.parametrize("role", [Role.OFFICER, Role.RECORDER])
def test_the_contact_list(api, officer, role, rows, django_assert_num_queries):
    user = officer if role == Role.OFFICER else make_user(Role.RECORDER, username="recorder")
    hku = _talent_rows(rows // 2, staff=[user, make_user(username="staff")])
    api.force_login(user)
    # 1, 2, 5, 6 (the talent scope is a permission, no unit), then 7. COUNT(*) of the visible active contacts,
    # 8. the page, 9. the page's channels, 10. the page's affiliations, 11. the access log's INSERT (both roles
    # see the page unmasked). Masking reads the cached permissions.
    with django_assert_num_queries(SESSION_USER_PERMISSIONS + THROTTLE + 5):
        response = api.get("/api/v1/contacts/")
    assert len(response.json()["results"]) == rows
    assert all(len(row["channels"]) == 2 for row in response.json()["results"])
    assert all(len(row["affiliations"]) == 2 for row in response.json()["results"])
    # A search is the same five queries, its tests inside them; a filter by organization adds the lookup of
    # the organization it names (a filter by event likewise, through the user's events).
    with django_assert_num_queries(SESSION_USER_PERMISSIONS + THROTTLE + 5):
        assert api.get("/api/v1/contacts/", {"q": "陈"}).json()["count"] == rows
    with django_assert_num_queries(SESSION_USER_PERMISSIONS + THROTTLE + 6):
        assert api.get("/api/v1/contacts/", {"q": "陈", "organization": hku.pk}).json()["count"] == rows


@pytest.mark.parametrize("rows", [2, 20])
@pytest.mark.parametrize("role", [Role.OFFICER, Role.RECORDER])
def test_the_event_list(api, officer, role, rows, django_assert_num_queries):
    user = officer if role == Role.OFFICER else make_user(Role.RECORDER, username="recorder")
    _talent_rows(rows, staff=[user, make_user(username="staff")])
    api.force_login(user)
    # 1, 2, 5, 6, then 7. COUNT(*) of the visible events, 8. the page with each event's attendance count,
    # 9. the page's staff ids, 10. the Hong Kong holidays from the page's first day to its last.
    with django_assert_num_queries(SESSION_USER_PERMISSIONS + 4):
        response = api.get("/api/v1/events/")
    assert len(response.json()["results"]) == rows
    assert all(row["attendance_count"] == 2 for row in response.json()["results"])
    assert all(len(row["assigned_staff"]) == 2 for row in response.json()["results"])
    assert all(len(row["hk_holidays"]) == 1 for row in response.json()["results"])


@pytest.mark.parametrize("rows", [2, 20])
def test_a_contacts_possible_duplicates(api, officer, rows, django_assert_num_queries):
    from talent.services.contacts import ChannelInput, contact_create

    hku, hkust = make_organization("HKU", "香港大学"), make_organization()
    affiliations = [{"organization": hku}, {"organization": hkust}]
    # `rows` earlier captures of the same person, each with the shared phone written its own way and a second
    # channel of its own: every one a candidate with two channels and two affiliations.
    for number in range(rows):
        contact_create(
            actor=None,
            name="陳大文",
            channels=[ChannelInput("phone", "+852 9123 4567"), ChannelInput("email", f"dw{number}@hku.hk")],
            affiliations=affiliations,
        )
    twin = contact_create(
        actor=None, name="陳大文", channels=[ChannelInput("phone", "91234567")], affiliations=affiliations
    )
    api.force_login(officer)
    # 1, 2, 5, 6 and the throttle, then 7. the contact through the scope, 8. it again with its details for the
    # matcher, 9. its channels, 10. its affiliations, 11. contacts sharing a channel, 12. how common each of its
    # match keys is, 13. contacts sharing a usable key, 14. the candidates, 15. their channels,
    # 16. their affiliations, 17. the access log's INSERT.
    with django_assert_num_queries(SESSION_USER_PERMISSIONS + THROTTLE + 11):
        response = api.get(f"/api/v1/contacts/{twin.pk}/duplicates/")
    assert len(response.json()) == rows
    assert all(row["level"] == "certain" for row in response.json())
