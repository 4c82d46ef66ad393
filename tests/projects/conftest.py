"""Shared set-up for the lead admin tests: two sibling units under a bureau, with a lead in unit A."""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone

from accounts.models import Unit, UnitMembership
from accounts.roles import Role
from projects import services
from projects.models import Document, Lead, LeadType
from tests.factories import join, make_lead, make_unit, make_user

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def pdf_file(name: str = "协议.pdf") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, PDF, content_type="application/pdf")


def upload(lead: Lead, actor, name: str = "协议.pdf", kind: str = Document.Kind.OTHER) -> Document:
    return services.document_upload(actor=actor, lead=lead, file=pdf_file(name), title=name, kind=kind)


def ago(**kwargs) -> dt.datetime:
    return timezone.now() - dt.timedelta(**kwargs)


def talent_contacts(count: int, *, owner, unit) -> list:
    """Contacts come from talent leads (the factories' one way to make a contact), owned by `unit`."""
    return [
        make_lead(owner=owner, unit=unit, lead_type=LeadType.TALENT, name=f"人才线索{i}").subject_contact
        for i in range(count)
    ]


def form_data(response) -> dict:
    """What a browser would post back from a rendered admin change form: every field's current value,
    including each inline's management form and rows."""
    forms = [response.context["adminform"].form]
    data: dict = {}
    for inline in response.context["inline_admin_formsets"]:
        management = inline.formset.management_form
        data.update({management.add_prefix(name): value for name, value in management.initial.items()})
        forms.extend(inline.formset.forms)
    for form in forms:
        data.update({form.add_prefix(name): form[name].value() for name in form.fields})
    # An empty field is simply not posted, as a browser leaves out an empty multiple select.
    return {name: value for name, value in data.items() if value is not None}


def english_client() -> Client:
    """Messages are asserted in English, the msgid language, whatever the catalogs say."""
    return Client(HTTP_ACCEPT_LANGUAGE="en")


@pytest.fixture
def world(db, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    bureau = make_unit("市投资促进局", kind=Unit.Kind.BUREAU)
    unit_a = make_unit("香港合作处", parent=bureau)
    unit_b = make_unit("产业招商一处", parent=bureau)
    officer_a = join(make_user(Role.OFFICER, username="officer_a"), unit_a)
    officer_b = join(make_user(Role.OFFICER, username="officer_b"), unit_b)
    manager_a = join(make_user(Role.MANAGER, username="manager_a"), unit_a, UnitMembership.Role.HEAD)
    director = join(make_user(Role.MANAGER, username="director"), bureau, UnitMembership.Role.HEAD)
    recorder = join(make_user(Role.RECORDER, username="recorder"), unit_a)
    lead = make_lead(owner=officer_a, unit=unit_a, name="港科大 量子计算研发团队")
    return SimpleNamespace(
        bureau=bureau,
        unit_a=unit_a,
        unit_b=unit_b,
        a=officer_a,
        b=officer_b,
        manager_a=manager_a,
        director=director,
        recorder=recorder,
        lead=lead,
    )


@pytest.fixture
def client_as():
    """A logged-in English client for a user: client_as(world.a).get(...)."""

    def login(user) -> Client:
        client = english_client()
        client.force_login(user)
        return client

    return login
