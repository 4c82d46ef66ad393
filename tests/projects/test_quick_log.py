"""The phone page that logs a call or a visit: pick a lead, log it, land on a confirmation; duplicates,
refusals, scope and roles."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.roles import Role
from accounts.sessions import SessionStore
from projects import services, views
from projects.models import Activity, AftercareTouchpoint, Lead
from projects.stages import Stage
from tests.factories import join, make_lead, make_user
from tests.projects.conftest import ago

LOG = reverse("projects:quick-log")
LEADS = reverse("projects:quick-log-leads")


def open_form(client, lead) -> tuple[str, dict]:
    """GET the form for `lead` as the page renders it; returns the one-time token and the hidden fields."""
    response = client.get(LOG, {"lead": lead.pk})
    assert response.status_code == 200
    token = response.context["token"]
    return token, {"lead": lead.pk, "token": token}


def post_log(client, lead, **fields):
    _, hidden = open_form(client, lead)
    return client.post(LOG, {**hidden, "kind": "call", **fields})


def local_input(when: dt.datetime) -> str:
    """A datetime as a datetime-local input posts it: local time, to the minute."""
    return timezone.localtime(when).strftime("%Y-%m-%dT%H:%M")


def codes(response) -> list[str]:
    return [row["code"] for row in response.context["leads"]]


# --- Logging ------------------------------------------------------------------------------------------------


def test_logging_a_call_writes_it_with_its_next_step_and_moves_last_activity(world, client_as):
    client = client_as(world.a)
    next_week = timezone.localdate() + dt.timedelta(days=7)
    response = post_log(
        client,
        world.lead,
        kind="visit",
        summary="  参观实验室，团队有意落地  ",
        next_step="发送载体方案",
        next_step_on=next_week.isoformat(),
    )
    activity = Activity.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"{LOG}?saved={activity.pk}"
    assert (activity.lead, activity.kind, activity.summary, activity.created_by) == (
        world.lead,
        "visit",
        "参观实验室，团队有意落地",
        world.a,
    )
    assert (activity.next_step, activity.next_step_on) == ("发送载体方案", next_week)
    assert timezone.now() - activity.occurred_at < dt.timedelta(minutes=1)  # an empty "when" means now
    world.lead.refresh_from_db()
    assert world.lead.last_activity_at == activity.occurred_at
    assert [(h.history_type, h.summary) for h in activity.history.all()] == [("+", activity.summary)]


def test_the_confirmation_names_the_kind_and_the_lead_and_offers_another(world, client_as):
    client = client_as(world.a)
    response = client.get(post_log(client, world.lead, summary="电话沟通")["Location"])
    text = response.content.decode()
    assert f"Saved: Phone call with {world.lead.code}" in text
    assert f"{LOG}?lead={world.lead.pk}" in text  # log another with the same lead: one tap


def test_a_chosen_time_is_kept(world, client_as):
    yesterday = ago(days=1).replace(second=0, microsecond=0)
    post_log(client_as(world.a), world.lead, summary="补记昨天的电话", occurred_at=local_input(yesterday))
    assert Activity.objects.get().occurred_at == yesterday


def test_a_future_time_is_refused_with_the_services_message_and_nothing_is_written(world, client_as):
    response = post_log(
        client_as(world.a), world.lead, summary="明天的电话", occurred_at=local_input(ago(days=-1))
    )
    assert response.status_code == 200
    assert response.context["form"].errors == {"occurred_at": ["An activity cannot be dated in the future."]}
    assert not Activity.objects.exists()
    world.lead.refresh_from_db()
    assert world.lead.last_activity_at is None


def test_a_next_step_dated_before_the_activity_is_refused_on_its_field(world, client_as):
    response = post_log(
        client_as(world.a),
        world.lead,
        summary="电话沟通",
        next_step="回访",
        next_step_on=(timezone.localdate() - dt.timedelta(days=3)).isoformat(),
    )
    assert response.context["form"].errors == {
        "next_step_on": ["The next step cannot be dated before the activity itself."]
    }
    assert not Activity.objects.exists()


def test_a_missing_summary_is_refused_and_nothing_is_written(world, client_as):
    response = post_log(client_as(world.a), world.lead, summary="   ")
    assert response.status_code == 200
    assert response.context["form"].errors == {"summary": ["Write a line about what was said or seen."]}
    assert not Activity.objects.exists()


def test_a_merged_lead_is_refused_with_the_services_message_and_no_longer_offered(world, client_as):
    client = client_as(world.a)
    _, hidden = open_form(client, world.lead)
    survivor = make_lead(owner=world.a, unit=world.unit_a, name="港科大 量子计算（合并后）")
    # Only the state matters here, not how the merge got there.
    Lead.objects.filter(pk=world.lead.pk).update(status=Lead.Status.MERGED, merged_into=survivor)
    response = client.post(LOG, {**hidden, "kind": "call", "summary": "电话沟通"})
    assert response.context["form"].non_field_errors() == [
        "This lead was merged into another lead and can no longer be changed."
    ]
    assert not Activity.objects.exists()
    assert codes(client.get(LOG, {"q": "量子"})) == [survivor.code]


def test_only_the_four_kinds_of_the_page_are_offered(world, client_as):
    response = client_as(world.a).get(LOG, {"lead": world.lead.pk})
    form = response.context["form"]
    assert [value for value, _ in form.fields["kind"].choices] == ["call", "visit", "meeting", "wechat"]
    assert form["kind"].value() == "call"


def test_the_pages_carry_no_inline_style_or_script_for_a_strict_csp(world, client_as):
    client = client_as(world.a)
    AftercareTouchpoint.objects.create(lead=world.lead, months=1, due_on=timezone.localdate())
    for page in (client.get(LOG), client.get(LOG, {"lead": world.lead.pk}), client.get(LOG, {"q": "量子"})):
        html = page.content.decode()
        assert "<style" not in html
        assert " style=" not in html
        assert html.count("<script") == html.count('<script src="/static/js/quick_log.js" defer>') == 1


def test_a_refused_form_keeps_what_was_typed_and_ticked(world, client_as):
    touchpoint = AftercareTouchpoint.objects.create(lead=world.lead, months=1, due_on=timezone.localdate())
    response = post_log(
        client_as(world.a), world.lead, kind="visit", summary="", next_step="发方案", aftercare=touchpoint.pk
    )
    html = response.content.decode()
    assert f'<input type="checkbox" name="aftercare" value="{touchpoint.pk}"' in html
    assert (
        f'value="{touchpoint.pk}" aria-describedby="id_aftercare_helptext" id="id_aftercare" checked>' in html
    )
    assert 'value="visit" id="id_kind_1" required checked>' in html
    assert 'value="发方案"' in html


# --- Duplicates -----------------------------------------------------------------------------------------------


def test_the_same_form_posted_twice_saves_one_activity_and_confirms_it_twice(world, client_as):
    client = client_as(world.a)
    _, hidden = open_form(client, world.lead)
    data = {**hidden, "kind": "call", "summary": "电话沟通"}
    first = client.post(LOG, data)
    second = client.post(LOG, data)
    activity = Activity.objects.get()
    assert first["Location"] == second["Location"] == f"{LOG}?saved={activity.pk}"


def test_a_double_tap_whose_twin_loaded_the_session_first_still_saves_once(world, client_as, rf):
    """Two taps race: the second request read the session before the first one stored its activity."""
    client = client_as(world.a)
    _, hidden = open_form(client, world.lead)
    data = {**hidden, "kind": "call", "summary": "电话沟通"}
    twin = rf.post(LOG, data)
    twin.user = world.a
    twin.session = SessionStore(session_key=client.session.session_key)
    assert dict(twin.session["quick_log_tokens"])[hidden["token"]] is None  # loaded now: still unused
    first = client.post(LOG, data)
    second = views.quick_log(twin)
    assert Activity.objects.count() == 1
    assert second["Location"] == first["Location"]


def test_a_refused_form_keeps_its_token_and_can_be_corrected(world, client_as):
    client = client_as(world.a)
    token, hidden = open_form(client, world.lead)
    refused = client.post(LOG, {**hidden, "kind": "call", "summary": ""})
    assert refused.context["token"] == token
    assert client.post(LOG, {**hidden, "kind": "call", "summary": "电话沟通"}).status_code == 302
    assert Activity.objects.count() == 1


def test_an_unknown_token_saves_nothing_and_hands_out_a_fresh_form(world, client_as):
    client = client_as(world.a)
    response = client.post(
        LOG, {"lead": world.lead.pk, "token": "made-up", "kind": "call", "summary": "电话沟通"}
    )
    assert response.status_code == 200
    assert response.context["form"].non_field_errors() == [
        "This form was open too long. Check the details and save again."
    ]
    assert response.context["token"] != "made-up"
    assert response.context["form"]["summary"].value() == "电话沟通"  # nothing typed is lost
    assert not Activity.objects.exists()


def test_the_session_keeps_only_the_last_twenty_tokens(world, client_as):
    client = client_as(world.a)
    first, _ = open_form(client, world.lead)
    tokens = [open_form(client, world.lead)[0] for _ in range(24)]
    kept = [token for token, _ in client.session["quick_log_tokens"]]
    assert kept == tokens[-20:]
    assert first not in kept


# --- Picking a lead -----------------------------------------------------------------------------------------


def test_your_recent_leads_are_offered_most_recently_active_first(world, client_as):
    others = [make_lead(owner=world.a, unit=world.unit_a, name=f"线索{i}") for i in range(6)]
    services.activity_log(
        actor=world.a, lead=others[2], kind="call", occurred_at=ago(hours=1), summary="电话"
    )
    services.activity_log(
        actor=world.a, lead=world.lead, kind="call", occurred_at=ago(hours=2), summary="电话"
    )
    make_lead(owner=world.b, unit=world.unit_b, name="别处的线索")  # not visible
    colleague = make_lead(owner=world.manager_a, unit=world.unit_a, name="同事的线索")  # visible, not yours
    services.activity_log(
        actor=world.manager_a, lead=colleague, kind="call", occurred_at=ago(), summary="电话"
    )
    response = client_as(world.a).get(LOG)
    # Then the never-contacted ones, newest first.
    assert codes(response) == [
        others[2].code,
        world.lead.code,
        others[5].code,
        others[4].code,
        others[3].code,
    ]


def test_co_owned_leads_are_among_your_recent_leads(world, client_as):
    shared = make_lead(owner=world.b, unit=world.unit_b, co_owners=[world.a], name="共同负责的线索")
    assert shared.code in codes(client_as(world.a).get(LOG))


def test_search_finds_a_lead_by_its_code(world, client_as):
    make_lead(owner=world.a, unit=world.unit_a, name="另一个团队")
    response = client_as(world.a).get(LOG, {"q": world.lead.code.lower()})
    assert codes(response) == [world.lead.code]
    assert f"{LOG}?lead={world.lead.pk}" in response.content.decode()


def test_search_finds_a_lead_by_its_traditional_name(world, client_as):
    team = make_lead(
        owner=world.a, unit=world.unit_a, name="港大 生物医药团队", name_zh_hant="港大 生物醫藥團隊"
    )
    assert codes(client_as(world.a).get(LOG, {"q": "醫藥團隊"})) == [team.code]


def test_search_in_one_script_finds_a_name_written_only_in_the_other(world, client_as):
    client = client_as(world.a)
    assert codes(client.get(LOG, {"q": "量子計算"})) == [world.lead.code]  # named 港科大 量子计算研发团队


def test_search_finds_only_visible_leads(world, client_as):
    make_lead(owner=world.b, unit=world.unit_b, name="港科大 量子计算二期")
    assert codes(client_as(world.a).get(LOG, {"q": "量子"})) == [world.lead.code]


def test_search_as_you_type_answers_json_in_the_same_scope(world, client_as):
    hidden = make_lead(owner=world.b, unit=world.unit_b, name="港科大 量子计算二期")
    response = client_as(world.a).get(LEADS, {"q": "量子"})
    assert response.json() == {
        "results": [{"id": world.lead.pk, "code": world.lead.code, "name": world.lead.name, "stage": "Lead"}]
    }
    assert [row["id"] for row in client_as(world.b).get(LEADS, {"q": "量子"}).json()["results"]] == [
        hidden.pk
    ]
    assert client_as(world.a).get(LEADS, {"q": ""}).json() == {"results": []}


def test_search_stops_at_ten_leads(world, client_as):
    for i in range(11):
        make_lead(owner=world.a, unit=world.unit_a, name=f"生物医药团队{i}")
    assert len(client_as(world.a).get(LEADS, {"q": "生物医药"}).json()["results"]) == 10


# --- Aftercare ----------------------------------------------------------------------------------------------


def test_a_touchpoint_due_within_two_weeks_is_offered_and_ticking_it_marks_it_done(world, client_as):
    touchpoint = AftercareTouchpoint.objects.create(
        lead=world.lead, months=3, due_on=timezone.localdate() + dt.timedelta(days=10)
    )
    client = client_as(world.a)
    page = client.get(LOG, {"lead": world.lead.pk})
    assert "This was the 3-month aftercare visit" in page.content.decode()
    _, hidden = open_form(client, world.lead)
    client.post(LOG, {**hidden, "kind": "visit", "summary": "入驻三个月回访", "aftercare": touchpoint.pk})
    touchpoint.refresh_from_db()
    activity = Activity.objects.get()
    assert (touchpoint.activity, touchpoint.done_at) == (activity, activity.occurred_at)


def test_leaving_the_touchpoint_unticked_leaves_it_pending(world, client_as):
    touchpoint = AftercareTouchpoint.objects.create(lead=world.lead, months=1, due_on=ago(days=3).date())
    post_log(client_as(world.a), world.lead, summary="电话沟通")
    touchpoint.refresh_from_db()
    assert touchpoint.done_at is None


def test_a_touchpoint_due_later_or_already_done_is_not_offered(world, client_as):
    AftercareTouchpoint.objects.create(
        lead=world.lead, months=6, due_on=timezone.localdate() + dt.timedelta(days=15)
    )
    AftercareTouchpoint.objects.create(
        lead=world.lead, months=1, due_on=ago(days=40).date(), done_at=ago(days=39)
    )
    form = client_as(world.a).get(LOG, {"lead": world.lead.pk}).context["form"]
    assert "aftercare" not in form.fields


# --- Scope and roles ----------------------------------------------------------------------------------------


def test_a_visitor_is_sent_to_the_login_page_and_back(db, client):
    response = client.get(LOG)
    assert response.status_code == 302
    assert response["Location"] == f"{reverse('admin:login')}?next={LOG}"


def test_a_lead_outside_your_scope_answers_404_and_its_owner_gets_the_page(world, client_as):
    assert client_as(world.a).get(LOG, {"lead": world.lead.pk}).status_code == 200
    assert post_log(client_as(world.a), world.lead, summary="电话沟通").status_code == 302
    outsider = client_as(world.b)
    assert outsider.get(LOG, {"lead": world.lead.pk}).status_code == 404
    assert outsider.get(LOG, {"lead": "not-a-number"}).status_code == 404
    _, hidden = open_form(outsider, make_lead(owner=world.b, unit=world.unit_b))
    response = outsider.post(LOG, {**hidden, "lead": world.lead.pk, "kind": "call", "summary": "越权"})
    assert response.status_code == 404
    assert Activity.objects.count() == 1


@pytest.fixture
def viewer(world):
    return join(make_user(Role.REPORT_VIEWER, username="viewer"), world.bureau)


@pytest.mark.parametrize("who", ["recorder", "viewer"])
def test_a_role_that_cannot_log_activities_gets_403_everywhere(world, client_as, viewer, who):
    user = viewer if who == "viewer" else world.recorder
    client = client_as(user)
    assert client.get(LOG).status_code == 403
    assert client.get(LOG, {"lead": world.lead.pk}).status_code == 403
    assert client.get(LEADS, {"q": "量子"}).status_code == 403
    response = client.post(LOG, {"lead": world.lead.pk, "token": "x", "kind": "call", "summary": "电话"})
    assert response.status_code == 403
    assert not Activity.objects.exists()


# --- Query counts -------------------------------------------------------------------------------------------


@pytest.fixture(params=[2, 20])
def busy_leads(request, world) -> list[Lead]:
    """`param` visible leads of officer A, each with two activities, two stage changes (registering and one
    move) and an aftercare touch-point due."""
    leads = [world.lead] + [
        make_lead(owner=world.a, unit=world.unit_a, name=f"线索{i:03d}") for i in range(request.param - 1)
    ]
    for lead in leads:
        services.lead_advance(
            lead=lead,
            to_stage=Stage.QUALIFIED,
            actor=world.a,
            evidence={"assessment": "团队扎实", "decision": "follow"},
        )
        for hours in (3, 2):
            services.activity_log(
                actor=world.a, lead=lead, kind="call", occurred_at=ago(hours=hours), summary="电话"
            )
        AftercareTouchpoint.objects.create(lead=lead, months=1, due_on=timezone.localdate())
    return leads


def test_the_recent_leads_query_count_does_not_grow_with_leads(
    world, client_as, busy_leads, django_assert_num_queries
):
    client = client_as(world.a)
    # 1 session, 2 user, 3 user permissions, 4 group permissions, 5 administrator-group check, 6 memberships
    # (the scope), 7 the five most recent of the user's visible leads.
    with django_assert_num_queries(7):
        response = client.get(LOG)
    assert len(response.context["leads"]) == min(5, len(busy_leads))


def test_the_form_query_count_does_not_grow_with_leads(
    world, client_as, busy_leads, django_assert_num_queries
):
    client = client_as(world.a)
    client.get(LOG, {"lead": world.lead.pk})  # the session now holds tokens: it is updated, not created
    # 1 session, 2 user, 3 user permissions, 4 group permissions, 5 administrator-group check, 6 memberships
    # (the scope), 7 the lead, 8 its earliest aftercare touch-point on offer, 9 its last activity,
    # 10-12 saving the session with the new token (savepoint, update, release).
    with django_assert_num_queries(12):
        response = client.get(LOG, {"lead": world.lead.pk})
    assert response.context["form"].touchpoint.lead == world.lead
