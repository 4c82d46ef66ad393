"""The one idempotency store: a double tap, a retry or two concurrent requests with one key create one record."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
from django.db import connection, connections
from django.utils import timezone

from core.errors import ApplicationError, IdempotencyMismatchError
from talent.models import Contact, Submission
from talent.services.contacts import contact_create
from talent.services.submissions import fingerprint, submissions_purge, submit_once

on_postgresql = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="concurrent writers need PostgreSQL (CI's PostgreSQL pass)"
)


def _register(name: str):
    def perform():
        contact = contact_create(actor=None, name=name)
        return 201, {"id": contact.pk, "name": contact.name}

    return perform


@pytest.mark.django_db
def test_the_same_key_and_body_replays_the_first_answer_and_creates_nothing_more():
    body = {"name": "陳大文", "phones": ["9123 4567"]}
    first = submit_once(scope="user:1 POST /contacts/", key="k-1", body=body, perform=_register("陳大文"))
    again = submit_once(
        scope="user:1 POST /contacts/",
        key="k-1",
        body={"phones": ["9123 4567"], "name": "陳大文"},
        perform=_register("陳大文"),
    )
    assert first[2] is False
    assert again == (201, first[1], True)
    assert Contact.objects.count() == 1


@pytest.mark.django_db
def test_the_same_key_with_another_body_is_refused_and_another_scope_is_independent():
    submit_once(
        scope="user:1 POST /contacts/", key="k-1", body={"name": "陳大文"}, perform=_register("陳大文")
    )
    with pytest.raises(IdempotencyMismatchError, match="different content"):
        submit_once(
            scope="user:1 POST /contacts/", key="k-1", body={"name": "黃嘉欣"}, perform=_register("黃嘉欣")
        )
    submit_once(
        scope="user:2 POST /contacts/", key="k-1", body={"name": "黃嘉欣"}, perform=_register("黃嘉欣")
    )
    assert sorted(Contact.objects.values_list("name", flat=True)) == ["陳大文", "黃嘉欣"]


@pytest.mark.django_db
def test_failed_work_keeps_no_key_so_a_retry_runs_again():
    def refuse():
        raise ApplicationError("no", field="name")

    with pytest.raises(ApplicationError):
        submit_once(scope="qr:event:5", key="k-2", body={"name": ""}, perform=refuse)
    assert not Submission.objects.exists()
    assert (
        submit_once(scope="qr:event:5", key="k-2", body={"name": ""}, perform=_register("陳大文"))[0] == 201
    )


@pytest.mark.django_db
@pytest.mark.parametrize("key", ["", " ", "x" * 129, "line\nbreak"])
def test_a_malformed_key_is_refused(key):
    with pytest.raises(ApplicationError, match="1 to 128 printable characters"):
        submit_once(scope="qr:event:5", key=key, body={}, perform=_register("陳大文"))
    assert not Contact.objects.exists()


def test_the_fingerprint_ignores_key_order_and_spacing():
    assert fingerprint({"a": 1, "b": [1, "二"]}) == fingerprint({"b": [1, "二"], "a": 1})
    assert fingerprint({"a": 1}) != fingerprint({"a": 2})


def test_a_body_with_an_uploaded_file_still_has_a_fingerprint():
    from django.core.files.uploadedfile import SimpleUploadedFile

    card = SimpleUploadedFile("card.jpg", b"...", content_type="image/jpeg")
    assert fingerprint({"card": card}) == fingerprint({"card": card})


@pytest.mark.django_db
def test_old_keys_are_forgotten(settings):
    settings.SUBMISSION_KEY_DAYS = 7
    submit_once(scope="qr:event:5", key="old", body={}, perform=lambda: (200, {}))
    submit_once(scope="qr:event:5", key="new", body={}, perform=lambda: (200, {}))
    Submission.objects.filter(key="old").update(created_at=timezone.now() - dt.timedelta(days=8))
    assert submissions_purge() == 1
    assert list(Submission.objects.values_list("key", flat=True)) == ["new"]


@on_postgresql
@pytest.mark.django_db(transaction=True)
def test_concurrent_requests_with_one_key_create_one_record():
    start = threading.Barrier(6)
    answers: list[tuple] = []
    errors: list[Exception] = []

    def submit() -> None:
        try:
            start.wait()
            answers.append(
                submit_once(
                    scope="user:1 POST /contacts/",
                    key="tap",
                    body={"name": "陳大文"},
                    perform=_register("陳大文"),
                )
            )
        except Exception as exc:  # collected and asserted on below: a thread's error must fail the test
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=submit) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert Contact.objects.count() == 1
    assert sorted(replayed for _status, _answer, replayed in answers) == [False] + [True] * 5
    assert {answer["id"] for _status, answer, _replayed in answers} == {Contact.objects.get().pk}
