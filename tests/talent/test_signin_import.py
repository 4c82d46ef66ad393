"""The sign-in sheet import: rows checked one by one, people found again by phone or e-mail, all or nothing."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from openpyxl import Workbook

from accounts.roles import Role
from core.errors import ApplicationError, IllegalStateError
from core.imports import registry
from core.imports.base import Outcome
from core.imports.models import ImportJob
from core.imports.reading import SourceRow
from core.imports.services import import_commit, import_upload, import_validate
from talent.imports import SignInOptionsForm, SignInSheetImporter
from talent.imports import importer as signin
from talent.models import Attendance, Consent, Contact, ContactChannel, DuplicatePair
from talent.services.consent import consent_record
from talent.services.events import attendance_record, event_create
from tests.factories import make_user
from tests.talent.conftest import person

pytestmark = pytest.mark.django_db


@pytest.fixture
def officer():
    return make_user(Role.OFFICER)


@pytest.fixture
def event(officer):
    today = timezone.localdate()
    return event_create(
        actor=officer,
        name="港科大交流会",
        starts_on=today - dt.timedelta(days=10),
        ends_on=today - dt.timedelta(days=10),
    )


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


def importer(actor, event, **options) -> SignInSheetImporter:
    return SignInSheetImporter(actor=actor, options={"event": event.pk, **options})


def rows(*cells: dict) -> list[SourceRow]:
    return [SourceRow(number, values) for number, values in enumerate(cells, start=2)]


def one(check_importer: SignInSheetImporter, **cells):
    return check_importer.check(rows(cells))[0]


# --- One row at a time --------------------------------------------------------------------------------------


def test_a_new_person_becomes_a_contact_at_their_organization_and_an_attendance(officer, event, orgs):
    sheet = importer(officer, event)
    checks = sheet.check(
        rows(
            {
                "name": "陳大文",
                "english_name": "Peter",
                "title": "教授",
                "organization": "香港科技大學",
                "position": "助理教授",
                "phone": "9123 4567",
                "email": "Peter.Chan@ust.hk",
                "research_field": "机器人",
                "interests": "全职、创业",
                "grade": "a",
                "notes": "想来苏州看看",
            }
        )
    )
    assert [(c.outcome, c.messages) for c in checks] == [(Outcome.NEW, [])]
    assert checks[0].key == f"{event.pk}:phone:+85291234567"

    counts = sheet.commit(checks)

    assert counts == {
        "contacts_created": 1,
        "contacts_matched": 0,
        "attendances_created": 1,
        "consents_recorded": 0,
    }
    contact = Contact.objects.get()
    assert (contact.name, contact.english_name, contact.title, contact.position) == (
        "陳大文",
        "Peter",
        "教授",
        "助理教授",
    )
    assert contact.organization == orgs["HKUST"]
    assert contact.interests == ["full_time", "found"]
    assert [(a.organization, a.position) for a in contact.affiliations.all()] == [(orgs["HKUST"], "助理教授")]
    assert sorted(contact.channels.values_list("kind", "value", "raw")) == [
        ("email", "peter.chan@ust.hk", "Peter.Chan@ust.hk"),
        ("phone", "+85291234567", "9123 4567"),
    ]
    attendance = Attendance.objects.get()
    assert (attendance.event, attendance.method, attendance.grade, attendance.notes) == (
        event,
        Attendance.Method.IMPORT,
        "A",
        "想来苏州看看",
    )
    assert attendance.captured_by == officer


@pytest.mark.parametrize(
    ("cells", "message"),
    [
        (
            {"name": "陳大文", "phone": "12345"},
            "“12345” is not a valid phone number.",
        ),
        (
            {"name": "陳大文", "email": "chan@hkust"},
            "E-mail without a domain: “chan@hkust” (write it as name@example.com).",
        ),
        (
            {"name": "陳大文", "email": "chan.ust.hk"},
            "E-mail without a domain: “chan.ust.hk” (write it as name@example.com).",
        ),
        (
            {"name": "陳大文", "organization": "火星大学"},
            "Unknown organization “火星大学”: add it to the directory, or add this name as an alias of the "
            "organization it means, then check the file again.",
        ),
        ({"name": "", "phone": "91234567"}, "Missing name."),
        ({"name": None, "phone": "91234567"}, "Missing name."),
        ({"name": "=A2&B2", "phone": "91234567"}, "A formula is not a name: “=A2&B2”."),
        (
            {"name": "陳大文", "grade": "D"},
            "The grade “D” is not A, B or C (leave it blank when there is none).",
        ),
        (
            {"name": "陳大文", "notes": "身份证 A123456(7)"},
            "Notes: This looks like an identity document number.",
        ),
        ({"name": "陳" * 101}, "Name is longer than 100 characters."),
    ],
)
def test_a_bad_row_is_an_error_with_the_reason_in_its_own_terms(officer, event, orgs, cells, message):
    check = one(importer(officer, event), **cells)
    assert check.outcome == Outcome.ERROR
    assert len(check.messages) == 1
    assert check.messages[0].startswith(message)
    assert check.key == ""


def test_every_problem_of_a_row_is_listed(officer, event, orgs):
    check = one(importer(officer, event), name="陳大文", phone="12345", email="chan@hkust", grade="Z")
    assert check.outcome == Outcome.ERROR
    assert len(check.messages) == 3


def test_an_organization_is_found_by_any_of_its_aliases(officer, event, orgs):
    sheet = importer(officer, event)
    checks = sheet.check(
        rows(
            {"name": "陳大文", "organization": "hkust"},
            {"name": "李小明", "organization": "香港科技大學"},
            {"name": "王美玲", "organization": " H.K.U.S.T. "},
        )
    )
    assert [c.outcome for c in checks] == [Outcome.NEW] * 3
    assert {c.data["organization"] for c in checks} == {orgs["HKUST"].pk}


def test_other_cells_that_look_like_formulas_are_kept_as_text(officer, event, orgs):
    sheet = importer(officer, event)
    checks = sheet.check(
        rows({"name": "陳大文", "position": "=1+1", "notes": "@everyone", "phone": "+852 9123 4567"})
    )
    assert checks[0].outcome == Outcome.NEW
    sheet.commit(checks)
    assert Contact.objects.get().position == "=1+1"
    assert Attendance.objects.get().notes == "@everyone"


def test_a_phone_typed_into_a_number_cell_is_read_as_the_number(officer, event):
    check = one(importer(officer, event), name="陳大文", phone=13912345678.0)
    assert check.outcome == Outcome.NEW
    assert check.key == f"{event.pk}:phone:+8613912345678"


def test_without_phone_or_email_the_key_is_the_name_at_the_organization(officer, event, orgs):
    sheet = importer(officer, event)
    checks = sheet.check(
        rows(
            {"name": "陳大文", "organization": "HKUST"},
            {"name": "陈 大文", "organization": "香港科技大学"},
            {"name": "test@example.com", "email": "chan@ust.hk"},
        )
    )
    assert checks[0].key == checks[1].key == f"{event.pk}:name:陈大文:{orgs['HKUST'].pk}"
    assert checks[2].key == f"{event.pk}:email:chan@ust.hk"


def test_interests_the_form_does_not_know_are_kept_in_the_attendance_notes(officer, event):
    sheet = importer(officer, event)
    sheet.commit(sheet.check(rows({"name": "陳大文", "interests": "兼职, 看看机会", "notes": "下周联系"})))
    assert Contact.objects.get().interests == ["part_time"]
    assert Attendance.objects.get().notes == "下周联系\nInterests: 看看机会"


# --- Who the person is --------------------------------------------------------------------------------------


def test_a_person_known_by_phone_is_matched_not_created_again(officer, event, orgs):
    known = person("陳大文", phones=["+852 9123 4567"], org=orgs["HKU"])
    sheet = importer(officer, event)
    checks = sheet.check(rows({"name": "陈大文", "phone": "91234567", "organization": "HKUST"}))
    assert [(c.outcome, c.messages) for c in checks] == [(Outcome.MATCH, ["Matches 陳大文."])]

    counts = sheet.commit(checks)

    assert counts["contacts_created"] == 0
    assert counts["contacts_matched"] == 1
    assert Contact.objects.get() == known
    assert Attendance.objects.get().contact == known


def test_a_person_known_by_email_under_a_romanized_name_is_matched(officer, event):
    known = person("陳大文", emails=["chan@ust.hk"])
    check = one(importer(officer, event), name="Chan Tai Man", email="CHAN@ust.hk")
    assert check.outcome == Outcome.MATCH
    assert check.data["contact"] == known.pk


def test_someone_who_may_be_known_is_created_and_queued_for_review(officer, event, orgs):
    known = person("陳大文", phones=["+852 9123 4567"], org=orgs["HKUST"])
    sheet = importer(officer, event)
    checks = sheet.check(rows({"name": "陳大文", "phone": "+852 6123 4567", "organization": "HKUST"}))
    assert checks[0].outcome == Outcome.REVIEW
    assert checks[0].messages == [
        "May be the same person as 陳大文: a new contact will be created and the pair put in the review queue."
    ]

    counts = sheet.commit(checks)

    assert counts["contacts_created"] == 1
    created = Contact.objects.exclude(pk=known.pk).get()
    pair = DuplicatePair.objects.get()
    assert {pair.first_id, pair.second_id} == {known.pk, created.pk}


def test_a_shared_phone_under_another_name_is_not_a_match(officer, event):
    person("陳大文", phones=["+852 9123 4567"])
    check = one(importer(officer, event), name="李小明", phone="91234567")
    assert check.outcome == Outcome.REVIEW


def test_a_person_already_recorded_at_the_event_is_unchanged(officer, event, orgs):
    known = person("陳大文", phones=["+852 9123 4567"])
    attendance_record(actor=officer, event=event, contact=known)
    check = one(importer(officer, event), name="陳大文", phone="9123-4567")
    assert (check.outcome, check.messages) == (
        Outcome.UNCHANGED,
        ["Already recorded at this event as 陳大文."],
    )


def test_two_rows_of_one_person_under_different_phones_record_one_attendance(officer, event):
    known = person("陳大文", phones=["+852 9123 4567", "+86 139 1234 5678"])
    sheet = importer(officer, event)
    checks = sheet.check(
        rows({"name": "陳大文", "phone": "91234567"}, {"name": "陳大文", "phone": "13912345678"})
    )
    assert [c.outcome for c in checks] == [Outcome.MATCH, Outcome.MATCH]
    counts = sheet.commit(checks)
    assert counts["attendances_created"] == 1
    assert Attendance.objects.get().contact == known


def test_the_commit_does_not_record_someone_recorded_since_the_check(officer, event):
    known = person("陳大文", phones=["+852 9123 4567"])
    sheet = importer(officer, event)
    checks = sheet.check(rows({"name": "陳大文", "phone": "91234567"}))
    attendance_record(actor=officer, event=event, contact=known)
    assert sheet.commit(checks)["attendances_created"] == 0
    assert Attendance.objects.count() == 1


def test_checking_known_people_costs_the_same_queries_for_2_and_for_20_rows(officer, event):
    """Per chunk: the event in the user's scope (1), the contacts holding the chunk's phones (1 for the channel
    ids, 1 for the contacts, 2 for their channels and affiliations), their attendances at the event (1), and
    which of them the user may see (1)."""

    def sheet_of(count: int, offset: int) -> list[SourceRow]:
        people = []
        for n in range(count):
            phone = f"+852 9{offset + n:03d} 0000"
            person(f"陳大文{n}", phones=[phone])
            people.append({"name": f"陳大文{n}", "phone": phone})
        return rows(*people)

    small, large = sheet_of(2, 100), sheet_of(20, 200)
    officer.has_perm("talent.view_all_contacts")  # the permission cache, loaded once per user
    counts = []
    for sheet in (small, large):
        with CaptureQueriesContext(connection) as queries:
            checks = importer(officer, event).check(sheet)
        assert {c.outcome for c in checks} == {Outcome.MATCH}
        counts.append(len(queries))
    assert counts == [7, 7]


# --- Consent on paper ---------------------------------------------------------------------------------------


def test_a_yes_in_the_consent_column_records_a_paper_consent_for_the_ticked_purposes(officer, event):
    sheet = importer(
        officer, event, consent_purposes=["follow_up", "mailings"], consent_reference="扫描件 3 号"
    )
    checks = sheet.check(
        rows(
            {"name": "陳大文", "phone": "91234567", "consent": "是"},
            {"name": "李小明", "phone": "92345678", "consent": "✓"},
            {"name": "王美玲", "phone": "93456789", "consent": "N"},
            {"name": "張偉", "phone": "94567890", "consent": None},
        )
    )
    assert {c.outcome for c in checks} == {Outcome.NEW}

    counts = sheet.commit(checks)

    assert counts["consents_recorded"] == 2
    consent = Consent.objects.get(contact__name="陳大文")
    assert (consent.channel, consent.purposes()) == (
        Consent.Channel.PAPER,
        {"follow_up": True, "mailings": True, "sharing": False, "mainland": False},
    )
    assert consent.evidence == "扫描件 3 号 · 港科大交流会, sign-in sheet row 2"
    assert consent.recorded_at.date() == event.ends_on
    assert Attendance.objects.get(contact__name="陳大文").consent == consent
    assert Contact.objects.get(name="陳大文").consent_follow_up is True
    assert not Consent.objects.filter(contact__name__in=["王美玲", "張偉"]).exists()


def test_without_ticked_purposes_the_consent_column_is_ignored(officer, event):
    sheet = importer(officer, event)
    checks = sheet.check(rows({"name": "陳大文", "consent": "也许"}))
    assert checks[0].outcome == Outcome.NEW
    assert sheet.commit(checks)["consents_recorded"] == 0
    assert not Consent.objects.exists()


def test_a_consent_cell_that_is_neither_yes_nor_no_is_an_error(officer, event):
    check = one(importer(officer, event, consent_purposes=["follow_up"]), name="陳大文", consent="也许")
    assert check.outcome == Outcome.ERROR
    assert check.messages == ["The consent cell “也许” is neither yes (是, Y, ✓) nor no (否, N, blank)."]


def test_a_signed_sheet_adds_to_what_a_matched_person_agreed_before(officer, event):
    known = person("陳大文", phones=["+852 9123 4567"])
    consent_record(
        actor=None,
        contact=known,
        purposes=["mainland"],
        channel="qr_form",
        recorded_at=timezone.now() - dt.timedelta(days=20),
    )
    sheet = importer(officer, event, consent_purposes=["follow_up"])
    sheet.commit(sheet.check(rows({"name": "陳大文", "phone": "91234567", "consent": "Y"})))
    known.refresh_from_db()
    assert (known.consent_follow_up, known.consent_mainland) == (True, True)


def test_consent_cannot_be_ticked_for_an_event_before_any_statement(officer):
    old = event_create(
        actor=officer, name="旧活动", starts_on=dt.date(2025, 3, 10), ends_on=dt.date(2025, 3, 10)
    )
    form = SignInOptionsForm(data={"event": old.pk, "consent_purposes": ["follow_up"]}, user=officer)
    assert not form.is_valid()
    assert form.errors["consent_purposes"] == [
        "No consent statement had been published by 2025-03-10, the event's last day. Tick no purposes, or "
        "first add the statement printed on the sheet as a version published by then."
    ]
    assert SignInOptionsForm(data={"event": old.pk}, user=officer).is_valid()
    with pytest.raises(ApplicationError, match="the sheet's consent cannot be recorded"):
        importer(officer, old, consent_purposes=["follow_up"]).check(rows({"name": "陳大文"}))


# --- Event recorders ----------------------------------------------------------------------------------------


def test_a_recorder_may_import_only_for_the_events_they_staff(event):
    recorder = make_user(Role.RECORDER)
    other = event_create(
        actor=None,
        name="中大交流会",
        starts_on=event.starts_on,
        ends_on=event.ends_on,
        assigned_staff=[recorder],
    )
    assert SignInSheetImporter in registry.available_to(recorder)

    staffed = SignInOptionsForm(data={"event": other.pk, "consent_purposes": ["follow_up"]}, user=recorder)
    assert staffed.is_valid(), staffed.errors
    assert staffed.as_options() == {
        "event": other.pk,
        "consent_purposes": ["follow_up"],
        "consent_reference": "",
    }
    assert not SignInOptionsForm(data={"event": event.pk}, user=recorder).is_valid()

    assert one(importer(recorder, other), name="陳大文").outcome == Outcome.NEW
    with pytest.raises(ApplicationError, match="not one you are assigned to"):
        importer(recorder, event).check(rows({"name": "陳大文"}))


def test_a_recorder_is_not_told_who_outside_their_events_matches(event):
    recorder = make_user(Role.RECORDER)
    staffed = event_create(
        actor=None,
        name="中大交流会",
        starts_on=event.starts_on,
        ends_on=event.ends_on,
        assigned_staff=[recorder],
    )
    known = person("陳大文", phones=["+852 9123 4567"])
    sheet = importer(recorder, staffed)
    checks = sheet.check(rows({"name": "陳大文", "phone": "91234567"}))
    assert (checks[0].outcome, checks[0].messages) == (
        Outcome.REVIEW,
        ["Possible match, an officer will review: a new contact will be created."],
    )
    sheet.commit(checks)
    assert Contact.objects.count() == 2
    assert DuplicatePair.objects.get(level="certain").first_id == known.pk


# --- Through the engine -------------------------------------------------------------------------------------


def xlsx(*table, merge=()) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    for line in table:
        sheet.append(list(line))
    for cells in merge:
        sheet.merge_cells(cells)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def upload(actor, event, data: bytes, name: str, **options) -> ImportJob:
    job = import_upload(
        actor=actor,
        kind="talent.signin",
        file=SimpleUploadedFile(name, data),
        options={"event": event.pk, "consent_purposes": [], "consent_reference": "", **options},
    )
    return import_validate(job=job)


def outcomes(job: ImportJob) -> list[tuple[int, str, list[str]]]:
    return list(job.rows.order_by("number").values_list("number", "outcome", "messages"))


SHEET = [
    ["2026年11月18日 港科大交流会 签到表"],
    ["序号", "姓名", "英文名", "单位", "职务", "手机", "邮箱", "评级", "备注"],
    [1, "陳大文", "Peter", "香港科技大學", "教授", "9123 4567", "peter@ust.hk", "A", ""],
    [2, "李小明", "", None, "博士后", 92345678, "", "B", "对创业感兴趣"],
    [3, "王美玲", "", None, "研究助理", "", "wong@ust.hk", "", ""],
    [4, "張偉", "", "香港大學", "", "", "", "C", "没有留电话"],
    [5, "林嘉欣", "Karen", "CUHK", "", "+86 139 1234 5678", "", "", ""],
]


def test_an_xlsx_with_a_title_row_and_merged_organization_cells_imports(officer, event, orgs):
    job = upload(officer, event, xlsx(*SHEET, merge=["A1:I1", "D3:D5"]), "签到表.xlsx")
    assert job.status == ImportJob.Status.VALIDATED, job.problem
    assert outcomes(job) == [(n, Outcome.NEW, []) for n in range(3, 8)]
    assert job.rows.get(number=5).data["organization"] == orgs["HKUST"].pk

    job = import_commit(job=job, actor=officer)

    assert job.status == ImportJob.Status.COMMITTED, job.problem
    assert job.results == {
        "contacts_created": 5,
        "contacts_matched": 0,
        "attendances_created": 5,
        "consents_recorded": 0,
    }
    assert Contact.objects.filter(organization=orgs["HKUST"]).count() == 3
    assert Attendance.objects.filter(event=event, method=Attendance.Method.IMPORT).count() == 5


def test_a_gbk_csv_in_traditional_characters_imports(officer, event, orgs):
    data = "姓名,單位,電話,電郵\r\n陳大文,香港科技大學,91234567,chan@ust.hk\r\n李小明,香港大學,92345678,\r\n".encode(
        "gbk"
    )
    job = upload(officer, event, data, "sheet.csv")
    assert job.status == ImportJob.Status.VALIDATED, job.problem
    assert [outcome for _n, outcome, _m in outcomes(job)] == [Outcome.NEW, Outcome.NEW]
    import_commit(job=job, actor=officer)
    assert sorted(Contact.objects.values_list("name", "organization__abbreviation")) == [
        ("李小明", "HKU"),
        ("陳大文", "HKUST"),
    ]


def test_bad_and_duplicate_rows_of_a_file_are_rejected_and_the_rest_imported(officer, event, orgs):
    data = xlsx(
        ["姓名", "单位", "手机", "邮箱"],
        ["陳大文", "HKUST", "9123 4567", ""],
        ["李小明", "HKU", "12345", ""],
        ["王美玲", "HKU", "", "wong@hku"],
        ["張偉", "火星大学", "", ""],
        ["", "HKU", "93456789", ""],
        ['=HYPERLINK("http://x")', "HKU", "94567890", ""],
        ["陈大文", "hkust", "+852 91234567", ""],
        ["林嘉欣", "CUHK", "", "lam@cuhk.edu.hk"],
    )
    job = upload(officer, event, data, "sheet.xlsx")
    found = {number: (outcome, messages) for number, outcome, messages in outcomes(job)}
    assert found[2] == (Outcome.NEW, [])
    assert found[3][0] == Outcome.ERROR
    assert "“12345” is not a valid phone number" in found[3][1][0]
    assert found[4] == (
        Outcome.ERROR,
        ["E-mail without a domain: “wong@hku” (write it as name@example.com)."],
    )
    assert found[5][0] == Outcome.ERROR
    assert found[5][1][0].startswith("Unknown organization “火星大学”")
    assert found[6] == (Outcome.ERROR, ["Missing name."])
    assert found[7] == (Outcome.ERROR, ['A formula is not a name: “=HYPERLINK("http://x")”.'])
    assert found[8] == (Outcome.ERROR, ["Duplicate of row 2 in this file."])
    assert found[9] == (Outcome.NEW, [])

    job = import_commit(job=job, actor=officer)
    assert job.results["contacts_created"] == 2
    assert sorted(Contact.objects.values_list("name", flat=True)) == ["林嘉欣", "陳大文"]


def test_a_commit_that_fails_midway_leaves_nothing_behind(officer, event, orgs, monkeypatch):
    job = upload(officer, event, xlsx(*SHEET), "签到表.xlsx")
    calls = []

    def failing(**kwargs):
        calls.append(kwargs["contact"].name)
        if len(calls) == 3:
            raise ApplicationError("The database said no.")
        return attendance_record(**kwargs)

    monkeypatch.setattr(signin, "attendance_record", failing)

    job = import_commit(job=job, actor=officer)

    assert len(calls) == 3
    assert job.status == ImportJob.Status.FAILED
    assert job.problem == "Row 5: The database said no."
    assert not Contact.objects.exists()
    assert not ContactChannel.objects.exists()
    assert not Attendance.objects.exists()
    assert not DuplicatePair.objects.exists()


def test_a_resaved_reordered_sheet_imports_nothing_again(officer, event, orgs):
    known = person(
        "張偉", org=orgs["HKU"]
    )  # a possible duplicate of row 6: created and queued the first time
    job = upload(officer, event, xlsx(*SHEET, merge=["A1:I1", "D3:D5"]), "签到表.xlsx")
    assert outcomes(job)[3][1] == Outcome.REVIEW
    import_commit(job=job, actor=officer)
    before = (Contact.objects.count(), Attendance.objects.count(), DuplicatePair.objects.count())
    assert before == (6, 5, 1)

    # The same people, saved again as a UTF-8 CSV by another program: other order, no title row, the
    # organization on every row in another of its names, phones written another way, columns moved.
    resaved = (
        "\ufeffName,Mobile,Organisation,E-mail,Grade,Remarks,Position\r\n"
        "林嘉欣,+8613912345678,香港中文大学,,,,\r\n"
        "張偉,,HKU,,C,没有留电话,\r\n"
        "王美玲,,HKUST,WONG@ust.hk,,,研究助理\r\n"
        "陳大文,+852 9123-4567,香港科技大學 ,peter@ust.hk,A,,教授\r\n"
        "李小明,(852) 92345678,hkust,,B,对创业感兴趣,博士后\r\n"
    )
    job = upload(officer, event, resaved.encode(), "resaved.csv")

    assert job.status == ImportJob.Status.VALIDATED, job.problem
    assert {outcome for _n, outcome, _m in outcomes(job)} == {Outcome.UNCHANGED}, outcomes(job)
    with pytest.raises(IllegalStateError, match="Nothing to import"):
        import_commit(job=job, actor=officer)
    assert (Contact.objects.count(), Attendance.objects.count(), DuplicatePair.objects.count()) == before
    assert known.pk in DuplicatePair.objects.values_list("first_id", flat=True)
