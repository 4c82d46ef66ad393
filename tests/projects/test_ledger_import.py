"""The lead ledger (台账) import: rows checked against the directory, users and existing leads; new leads written
through the services at their recorded stage with back-dated, imported-flagged history; re-imports create nothing."""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone, translation
from openpyxl import Workbook

from accounts.roles import Role
from core.errors import ApplicationError, IllegalStateError
from core.imports import registry
from core.imports.base import Outcome
from core.imports.models import ImportJob
from core.imports.reading import SourceRow
from core.imports.services import import_commit, import_upload, import_validate
from directory import services as directory_services
from directory.models import Organization
from projects import services
from projects.imports import LedgerImporter, LedgerOptionsForm
from projects.imports import importer as ledger_module
from projects.invariants import lead_invariant_violations
from projects.models import AftercareTouchpoint, Lead, LeadCodeSequence, LeadType, Milestone, StageChange
from projects.services.ledger import lead_import_history
from projects.stages import Stage
from tests.factories import VALID_USCC, join, make_organization, make_user
from tests.projects.conftest import upload

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


@pytest.fixture
def ledger(world):
    """The directory and staff a ledger refers to: HKUST (also written 港科大), HKU, a sector, a named officer."""
    hkust = make_organization()
    directory_services.organization_add_alias(organization=hkust, alias="港科大")
    directory_services.organization_create(
        kind=Organization.Kind.UNIVERSITY, name="香港大学", abbreviation="HKU", name_zh_hant="香港大學"
    )
    directory_services.sector_create(code="biomed", name="生物医药", group="pillar", name_en="Biomedicine")
    world.chan = join(
        make_user(Role.OFFICER, username="chan", last_name="陈", first_name="志明"), world.unit_a
    )
    return world


def local(day: dt.date) -> dt.datetime:
    """Midnight of `day` in the project's time zone (Asia/Shanghai), as the importer dates moves."""
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


def row(number: int = 2, **values) -> SourceRow:
    cells = {
        "name": "港科大 机器人团队",
        "organization": "港科大",
        "lead_type": "高校团队",
        "stage": "签约",
        "stage_date": "2025年3月10日",
        "first_contact": "2024-11-02",
    }
    cells.update(values)
    return SourceRow(number, cells)


def check(actor, *rows: SourceRow, **options):
    return LedgerImporter(actor=actor, options=options).check(list(rows))


def check_one(actor, source: SourceRow, **options):
    (verdict,) = check(actor, source, **options)
    return verdict


def commit(actor, *rows: SourceRow, **options) -> dict[str, int]:
    importer = LedgerImporter(actor=actor, options=options)
    return importer.commit(importer.check(list(rows)))


def imported_lead(name: str = "港科大 机器人团队") -> Lead:
    return Lead.objects.get(name=name)


# --- Checking rows --------------------------------------------------------------------------------------------


def test_the_ledger_importer_is_registered_with_its_kind_and_permission():
    assert registry.get("projects.ledger") is LedgerImporter
    assert LedgerImporter.permission == "projects.add_lead"


def test_a_new_row_carries_the_cleaned_values_and_the_history_to_write(ledger):
    verdict = check_one(ledger.a, row(investment="500万", sector="生物医药", notes="=先看技术"))
    assert (verdict.outcome, verdict.messages) == (Outcome.NEW, [])
    hkust = Organization.objects.get(abbreviation="HKUST")
    assert verdict.key == f"org:{hkust.pk}:港科大机器人团队"
    assert verdict.data["owner"] == ledger.a.pk
    assert verdict.data["owning_unit"] == ledger.unit_a.pk
    assert verdict.data["created_on"] == "2024-11-02"
    assert verdict.data["moves"] == [["SIGNED", "2025-03-10"]]
    assert (verdict.data["expected_investment"], verdict.data["expected_investment_currency"]) == (
        "5000000.00",
        "CNY",
    )
    assert verdict.data["description"] == "=先看技术"  # formula text in notes stays text


def test_the_natural_key_is_the_credit_code_then_the_hk_company_number_then_organization_and_name(ledger):
    assert check_one(ledger.a, row(uscc=VALID_USCC, hk_company_number="1234567")).key == f"uscc:{VALID_USCC}"
    assert check_one(ledger.a, row(hk_company_number=1234567)).key == "hkcr:1234567"
    assert check_one(ledger.a, row(hk_company_number=123456)).key == "hkcr:0123456"


@pytest.mark.parametrize(
    ("cells", "message"),
    [
        ({"investment": "abc"}, "Expected investment: Not an amount: “abc”."),
        ({"stage_date": "2025年13月1日"}, "Stage date: Month 13 does not exist."),
        ({"first_contact": "2024-13-01"}, "First contact: Month 13 does not exist."),
        (
            {"uscc": VALID_USCC[:-1] + ("0" if VALID_USCC[-1] != "0" else "1")},
            "fails the check character of a unified social credit code",
        ),
        ({"hk_company_number": "12-34"}, "A Hong Kong company registration number has 7 or 8 digits."),
        (
            {"organization": "某某科技大学"},
            "The organization “某某科技大学” is not in the directory: add it, or this name as its alias, first.",
        ),
        ({"organization": ""}, "The Hong Kong organization is empty."),
        (
            {"stage": "完成"},
            "The stage “完成” is unknown: write one of 线索、研判、接洽、考察、洽谈、签约、注册",
        ),
        (
            {"owner": "王五"},
            "No active user is called “王五”: write the owner's username or full name.",
        ),
        ({"name": ""}, "The project name is empty."),
        (
            {"name": '=HYPERLINK("http://x","港科大")'},
            "looks like a spreadsheet formula; type the name itself.",
        ),
        ({"lead_type": ""}, "The lead type is empty: write one of 高校团队、初创企业、企业、科研机构."),
        ({"lead_type": "基金"}, "The lead type “基金” is unknown"),
        ({"lead_type": "人才"}, "Talent leads are not imported from the ledger"),
        ({"stage_date": ""}, "Give the date the lead reached “Signed” in the stage date column."),
        ({"stage_date": "2099-01-01"}, "Stage date: 2099-01-01 is in the future."),
        (
            {"first_contact": "2025-04-01"},
            "The first contact (2025-04-01) is after the stage date (2025-03-10).",
        ),
        ({"sector": "元宇宙"}, "The sector “元宇宙” is not in the sector list."),
        ({"source_channel": "朋友圈"}, "The source channel “朋友圈” is unknown: write one of 活动、驻港"),
        ({"investment": "€5m"}, "Expected investment: "),
    ],
)
def test_a_bad_row_is_an_error_with_the_reason(ledger, cells, message):
    verdict = check_one(ledger.a, row(**cells))
    assert verdict.outcome == Outcome.ERROR
    assert any(message in text for text in verdict.messages), verdict.messages


def test_every_problem_of_a_row_is_reported_at_once(ledger):
    verdict = check_one(ledger.a, row(name="", investment="abc", stage_date="2025-13-01"))
    assert verdict.messages == [
        "The project name is empty.",
        "Stage date: Month 13 does not exist.",
        "Expected investment: Not an amount: “abc”.",
    ]


@pytest.mark.parametrize(
    ("written", "stage"),
    [("签约", Stage.SIGNED), ("已签约", Stage.SIGNED), ("簽約", Stage.SIGNED), ("NEGOTIATING", Stage.NEGOTIATING),
     ("site visit", Stage.VISITED), ("入驻", Stage.MOVED_IN), ("", Stage.LEAD)],
)  # fmt: skip
def test_stages_are_read_in_either_script_or_in_english(ledger, written, stage):
    verdict = check_one(ledger.a, row(stage=written))
    assert verdict.outcome == Outcome.NEW
    assert verdict.data["moves"] == ([] if stage == Stage.LEAD else [[stage, "2025-03-10"]])


@pytest.mark.parametrize(
    ("written", "lead_type"),
    [("高校团队", LeadType.UNIVERSITY_TEAM), ("初創企業", LeadType.STARTUP), ("企业", LeadType.COMPANY),
     ("Research institute", LeadType.RESEARCH_INSTITUTE), ("startup", LeadType.STARTUP)],
)  # fmt: skip
def test_lead_types_are_read_in_either_script_or_in_english(ledger, written, lead_type):
    assert check_one(ledger.a, row(lead_type=written)).data["lead_type"] == lead_type


def test_the_owner_is_found_by_username_or_full_name_and_defaults_to_the_importer(ledger):
    assert check_one(ledger.a, row(owner="chan")).data["owner"] == ledger.chan.pk
    assert check_one(ledger.a, row(owner="陈志明")).data["owner"] == ledger.chan.pk
    assert check_one(ledger.a, row(owner="")).data["owner"] == ledger.a.pk


def test_two_users_with_the_same_name_must_be_told_apart_by_username(ledger):
    join(make_user(Role.OFFICER, username="chan2", last_name="陈", first_name="志明"), ledger.unit_a)
    verdict = check_one(ledger.a, row(owner="陈志明"))
    assert verdict.messages == ["Several users are called “陈志明”: write the owner's username."]


def test_the_owner_must_sit_in_the_owning_unit_chosen_for_the_file(ledger):
    verdict = check_one(ledger.manager_a, row(owner="officer_b"), owning_unit=ledger.unit_a.pk)
    assert verdict.outcome == Outcome.ERROR
    assert "is not a member of 香港合作处. Choose an owner from the owning unit." in verdict.messages[0]


def test_an_officer_cannot_import_leads_into_another_unit(ledger):
    verdict = check_one(ledger.b, row(), owning_unit=ledger.unit_a.pk)
    assert verdict.messages == ["You can only register leads for units you belong to or manage."]


def test_an_owner_in_several_units_needs_the_unit_chosen_for_the_file(ledger):
    join(ledger.chan, ledger.unit_b)
    verdict = check_one(ledger.director, row(owner="chan"))
    assert verdict.messages == [
        "陈志明 (chan) belongs to several units: choose the owning unit when uploading the file."
    ]
    assert check_one(ledger.director, row(owner="chan"), owning_unit=ledger.unit_b.pk).outcome == Outcome.NEW


def test_the_options_form_offers_the_units_the_user_can_register_leads_for(ledger):
    form = LedgerOptionsForm(data={"owning_unit": ledger.unit_a.pk}, user=ledger.a)
    assert form.is_valid()
    assert form.as_options() == {"owning_unit": ledger.unit_a.pk}
    assert not LedgerOptionsForm(data={"owning_unit": ledger.unit_b.pk}, user=ledger.a).is_valid()


# --- Against existing leads -----------------------------------------------------------------------------------


def test_a_lead_already_at_or_beyond_the_ledger_stage_is_unchanged(ledger):
    verdict = check_one(ledger.a, row(name="港科大 量子计算研发团队", stage="线索", stage_date=""))
    assert verdict.outcome == Outcome.UNCHANGED
    assert verdict.messages == [f"Already registered as {ledger.lead.code}, at “Lead”."]


def test_a_lead_behind_the_ledger_is_a_match_that_changes_nothing(ledger):
    source = row(name="港科大 量子计算研发团队", organization="香港科技大學")
    verdict = check_one(ledger.a, source)
    assert verdict.outcome == Outcome.MATCH
    assert verdict.messages == [
        f"Matches {ledger.lead.code}, which is at “Lead”; the ledger says “Signed”. Nothing is changed: move the "
        "lead forward on its page, with the evidence."
    ]
    assert commit(ledger.a, source) == {"leads_created": 0, "stage_changes_imported": 0}
    ledger.lead.refresh_from_db()
    assert (ledger.lead.stage, ledger.lead.stage_changes.count()) == (Stage.LEAD, 1)


def test_a_lead_of_another_unit_is_refused_without_naming_it(ledger):
    verdict = check_one(ledger.b, row(name="港科大 量子计算研发团队"))
    assert verdict.outcome == Outcome.ERROR
    assert verdict.messages == [
        "A lead with the same Hong Kong organization and name is already registered by another unit. A manager "
        "can decide whether to register this one anyway."
    ]


def test_a_credit_code_matches_a_lead_whatever_its_name(ledger):
    commit(ledger.a, row(uscc=VALID_USCC))
    verdict = check_one(ledger.a, row(name="另一个名字", organization="HKU", uscc=VALID_USCC.lower()))
    assert verdict.outcome == Outcome.UNCHANGED


# --- Committing -----------------------------------------------------------------------------------------------


def test_commit_registers_the_lead_and_imports_its_history_back_dated_and_flagged(ledger):
    counts = commit(
        ledger.a, row(sector="生物医药", uscc=VALID_USCC, hk_company_number="12345678", notes="备注")
    )
    assert counts == {"leads_created": 1, "stage_changes_imported": 1}
    lead = imported_lead()
    assert lead.code.startswith("HK-2024-")  # registered in the year of first contact
    assert (lead.owner, lead.owning_unit, lead.lead_type) == (
        ledger.a,
        ledger.unit_a,
        LeadType.UNIVERSITY_TEAM,
    )
    assert (lead.uscc, lead.hk_company_number, lead.sector.code, lead.description) == (
        VALID_USCC,
        "12345678",
        "biomed",
        "备注",
    )
    assert (lead.stage, lead.stage_entered_at) == (Stage.SIGNED, local(dt.date(2025, 3, 10)))
    changes = list(lead.stage_changes.values_list("from_stage", "to_stage", "occurred_at", "imported"))
    assert changes == [
        ("", Stage.LEAD, local(dt.date(2024, 11, 2)), True),
        (Stage.LEAD, Stage.SIGNED, local(dt.date(2025, 3, 10)), True),
    ]
    assert not Milestone.objects.filter(lead=lead).exists()
    assert lead_invariant_violations(Lead.objects.filter(pk=lead.pk)) == []


@pytest.mark.parametrize(
    ("written", "amount", "currency"),
    [("500万", Decimal("5000000.00"), "CNY"), ("1.2亿", Decimal("120000000.00"), "CNY"),
     ("HK$10m", Decimal("10000000.00"), "HKD"), ("50万港元", Decimal("500000.00"), "HKD")],
)  # fmt: skip
def test_amounts_are_stored_with_their_currency(ledger, written, amount, currency):
    commit(ledger.a, row(investment=written))
    lead = imported_lead()
    assert (lead.expected_investment, lead.expected_investment_currency) == (amount, currency)


def test_a_row_at_the_first_stage_is_registered_without_imported_moves(ledger):
    assert commit(ledger.a, row(stage="线索", stage_date="", first_contact="2025/3/1")) == {
        "leads_created": 1,
        "stage_changes_imported": 0,
    }
    lead = imported_lead()
    assert (lead.stage, lead.stage_entered_at) == (Stage.LEAD, local(dt.date(2025, 3, 1)))
    # The registration itself is imported history: a template anchored at the first stage would not be dated
    # from a contact made long ago.
    assert list(lead.stage_changes.values_list("imported", flat=True)) == [True]


def test_without_a_first_contact_the_lead_is_registered_on_the_stage_date(ledger):
    commit(ledger.a, row(first_contact=None))
    changes = imported_lead().stage_changes.values_list("occurred_at", flat=True)
    assert list(changes) == [local(dt.date(2025, 3, 10))] * 2


def test_a_registration_stage_records_the_registration_date_and_plans_no_aftercare(ledger):
    commit(ledger.a, row(stage="已注册", stage_date="2025-06-01", uscc=VALID_USCC))
    lead = imported_lead()
    assert (lead.stage, lead.registered_on) == (Stage.REGISTERED, dt.date(2025, 6, 1))
    assert not AftercareTouchpoint.objects.filter(lead=lead).exists()
    assert not Milestone.objects.filter(lead=lead).exists()


def test_a_traditional_name_is_kept_as_the_teams_own_beside_the_simplified_one(ledger):
    commit(ledger.a, row(name="港科大 機械人團隊"))
    lead = Lead.objects.get(name_zh_hant="港科大 機械人團隊")
    assert lead.name == "港科大 机械人团队"


def test_the_first_live_move_after_imported_history_makes_only_milestones_anchored_beyond_it(ledger):
    commit(ledger.a, row(stage="签约"))
    lead = imported_lead()
    licence = upload(lead, ledger.a, "营业执照.pdf")
    services.lead_advance(
        lead=lead,
        to_stage=Stage.REGISTERED,
        actor=ledger.a,
        evidence={
            "uscc": VALID_USCC,
            "registration_date": timezone.localdate().isoformat(),
            "document_ids": [licence.pk],
        },
    )
    made = Milestone.objects.filter(lead=lead).select_related("template")
    anchors = {m.template.org_anchor for m in made}
    assert made.exists()
    assert anchors == {Stage.REGISTERED}  # nothing of NEGOTIATING or SIGNED, which the ledger covered
    assert AftercareTouchpoint.objects.filter(lead=lead).count() == 4
    assert lead_invariant_violations(Lead.objects.filter(pk=lead.pk)) == []


def test_a_reimport_creates_nothing(ledger):
    first = [row(2, investment="500万"), row(3, name="港大 电池团队", organization="HKU", stage="洽谈")]
    commit(ledger.a, *first)
    before = (Lead.objects.count(), StageChange.objects.count())
    # Re-saved by someone else: rows reordered, other names for the organization, dates as date cells.
    again = [
        row(2, name="港大 电池团队", organization="香港大學", stage="在谈", stage_date=dt.date(2025, 3, 10)),
        row(3, organization="HKUST", investment=5000000),
    ]
    verdicts = check(ledger.a, *again)
    assert [v.outcome for v in verdicts] == [Outcome.UNCHANGED, Outcome.UNCHANGED]
    assert commit(ledger.a, *again) == {"leads_created": 0, "stage_changes_imported": 0}
    assert (Lead.objects.count(), StageChange.objects.count()) == before


def test_one_lead_written_twice_under_different_keys_is_registered_once(ledger):
    importer = LedgerImporter(actor=ledger.a, options={})
    checks = importer.check([row(2, uscc=VALID_USCC), row(5)])
    assert [c.outcome for c in checks] == [Outcome.NEW, Outcome.NEW]  # keys differ: uscc:… and org:…
    assert importer.commit(checks) == {"leads_created": 1, "stage_changes_imported": 1}
    assert (checks[1].outcome, checks[1].messages) == (Outcome.ERROR, ["Duplicate of row 2 in this file."])
    assert imported_lead().uscc == VALID_USCC


def test_a_lead_registered_meanwhile_stops_the_commit_naming_the_row(ledger):
    importer = LedgerImporter(actor=ledger.a, options={})
    checks = importer.check([row(4)])
    commit(ledger.a, row(2))
    with pytest.raises(ApplicationError) as error:
        importer.commit(checks)
    assert error.value.message.startswith("Row 4: A lead with the same Hong Kong organization and name")


# --- The history service --------------------------------------------------------------------------------------


@pytest.fixture
def fresh(ledger):
    lead = services.lead_create(
        actor=ledger.a,
        name="港大 新线索",
        lead_type=LeadType.STARTUP,
        owning_unit=ledger.unit_a,
        source_channel="event",
        hk_organization=Organization.objects.get(abbreviation="HKU"),
        occurred_at=local(dt.date(2024, 1, 5)),
    )
    return lead


def test_history_moves_forward_along_the_track_in_date_order(ledger, fresh):
    changes = lead_import_history(
        lead=fresh,
        moves=[(Stage.ENGAGED, local(dt.date(2024, 2, 1))), (Stage.NEGOTIATING, local(dt.date(2024, 5, 1)))],
        actor=ledger.a,
    )
    assert [(c.from_stage, c.to_stage, c.imported) for c in changes] == [
        (Stage.LEAD, Stage.ENGAGED, True),
        (Stage.ENGAGED, Stage.NEGOTIATING, True),
    ]
    fresh.refresh_from_db()
    assert (fresh.stage, fresh.stage_entered_at) == (Stage.NEGOTIATING, local(dt.date(2024, 5, 1)))


@pytest.mark.parametrize(
    ("moves", "message"),
    [
        ([(Stage.T_ENGAGED, dt.date(2024, 2, 1))], "“T_ENGAGED” is not a stage of this lead's track."),
        (
            [(Stage.SIGNED, dt.date(2024, 2, 1)), (Stage.VISITED, dt.date(2024, 3, 1))],
            "Imported history only moves forward: “Site visit” does not come after “Signed”.",
        ),
        ([(Stage.SIGNED, dt.date(2023, 12, 1))], "A stage change cannot be dated before the previous one"),
        ([(Stage.SIGNED, dt.date(2099, 1, 1))], "A stage change cannot be dated in the future."),
    ],
)
def test_history_that_the_services_would_not_allow_is_refused_whole(ledger, fresh, moves, message):
    with pytest.raises(ApplicationError) as error:
        lead_import_history(lead=fresh, moves=[(s, local(d)) for s, d in moves], actor=ledger.a)
    assert message in error.value.message
    assert fresh.stage_changes.count() == 1


def test_history_goes_only_before_the_first_live_move(ledger, fresh):
    services.lead_advance(
        lead=fresh,
        to_stage=Stage.QUALIFIED,
        actor=ledger.a,
        evidence={"assessment": "值得跟进", "decision": "follow"},
    )
    with pytest.raises(IllegalStateError):
        lead_import_history(lead=fresh, moves=[(Stage.SIGNED, local(dt.date(2024, 3, 1)))], actor=ledger.a)


def test_a_lost_lead_takes_no_history(ledger, fresh):
    services.lead_mark_lost(actor=ledger.a, lead=fresh, reason="no_progress")
    with pytest.raises(IllegalStateError):
        lead_import_history(lead=fresh, moves=[(Stage.SIGNED, local(dt.date(2024, 3, 1)))], actor=ledger.a)


# --- Through the import engine --------------------------------------------------------------------------------

HEADER = ["序号", "项目名称", "香港机构", "类型", "领域", "进展", "进展日期", "首次接触", "负责人", "意向投资额",
          "统一社会信用代码", "备注"]  # fmt: skip
GOOD = [
    [1, "港科大 机器人团队", "港科大", "高校团队", "生物医药", "签约", "2025年3月10日", "2024-11-02", "chan", "500万",
     VALID_USCC, ""],
    [2, "港大 电池团队", "HKU", "初创企业", "", "洽谈", "2025-01-15", "", "陈志明", "HK$10m", "", "=SUM(A1)"],
    [3, "港大 材料实验室", "香港大學", "科研机构", "", "线索", "", "2025-02-01", "", "1.2亿", "", ""],
]  # fmt: skip
BAD = [
    [4, "某大学 团队", "某某大学", "高校团队", "", "线索", "", "", "", "", "", ""],
    [5, "港大 新材料", "HKU", "企业", "", "签约", "2025-13-01", "", "", "", "", ""],
    [6, "港大 芯片", "HKU", "企业", "", "线索", "", "", "", "abc", "", ""],
    [7, "", "HKU", "企业", "", "线索", "", "", "", "", "", ""],
    [8, "=HYPERLINK(\"x\")", "HKU", "企业", "", "线索", "", "", "", "", "", ""],
    [9, "港大 张博士", "HKU", "人才", "", "线索", "", "", "", "", "", ""],
    [10, "港科大 机器人团队", "HKUST", "高校团队", "", "签约", "2025-03-10", "", "", "", "", ""],
    [11, "港大 电池团队", "香港大学", "初创企业", "", "洽谈", "2025-01-15", "", "", "", "", ""],
]  # fmt: skip


def xlsx(rows) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["2025年 香港合作项目台账"])
    sheet.merge_cells("A1:L1")
    sheet.append(HEADER)
    for cells in rows:
        sheet.append(cells)
    sheet.append(["合计", "", "", "", "", "", "", "", "", "", "", ""])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def gbk_csv(rows) -> bytes:
    lines = [",".join(str(cell) for cell in cells) for cells in [HEADER, *rows]]
    return "\r\n".join(lines).encode("gbk")


def run(actor, name: str, data: bytes, **options) -> ImportJob:
    job = import_upload(
        actor=actor, kind="projects.ledger", file=SimpleUploadedFile(name, data), options=options
    )
    return import_validate(job=job)


def outcomes(job: ImportJob) -> dict[int, tuple[str, list[str]]]:
    return {number: (outcome, messages) for number, outcome, messages in job.rows.values_list(
        "number", "outcome", "messages")}  # fmt: skip


def test_a_ledger_file_goes_through_preview_and_commit(ledger):
    job = run(ledger.a, "台账.xlsx", xlsx(GOOD + BAD))
    assert job.status == ImportJob.Status.VALIDATED
    seen = outcomes(job)
    assert [seen[n][0] for n in (3, 4, 5)] == [Outcome.NEW] * 3  # the title row is row 1, the header row 2
    assert seen[6] == (Outcome.ERROR, ["The organization “某某大学” is not in the directory: add it, or this name "
                                       "as its alias, first."])  # fmt: skip
    assert seen[7] == (Outcome.ERROR, ["Stage date: Month 13 does not exist."])
    assert seen[8] == (Outcome.ERROR, ["Expected investment: Not an amount: “abc”."])
    assert seen[9] == (Outcome.ERROR, ["The project name is empty."])
    assert "looks like a spreadsheet formula" in seen[10][1][0]
    assert "Talent leads are not imported" in seen[11][1][0]
    # The same lead as row 3, which has a credit code where this row has none.
    assert seen[12] == (Outcome.NEW, [])
    assert seen[13] == (Outcome.ERROR, ["Duplicate of row 4 in this file."])

    job = import_commit(job=job, actor=ledger.a)
    assert job.status == ImportJob.Status.COMMITTED
    assert job.results == {"leads_created": 3, "stage_changes_imported": 2}
    assert outcomes(job)[12] == (Outcome.ERROR, ["Duplicate of row 3 in this file."])
    robots, battery, lab = (
        imported_lead(n) for n in ("港科大 机器人团队", "港大 电池团队", "港大 材料实验室")
    )
    assert (robots.owner, robots.stage, robots.uscc) == (ledger.chan, Stage.SIGNED, VALID_USCC)
    assert (battery.expected_investment, battery.expected_investment_currency) == (Decimal("1E7"), "HKD")
    assert battery.description == "=SUM(A1)"
    assert (lab.owner, lab.stage, lab.expected_investment) == (ledger.a, Stage.LEAD, Decimal("1.2E8"))
    leads = Lead.objects.filter(pk__in=[robots.pk, battery.pk, lab.pk])
    # Three registrations and two later stages, every one of them flagged as imported history.
    assert StageChange.objects.filter(lead__in=leads, imported=True).count() == 5
    assert not StageChange.objects.filter(lead__in=leads, imported=False).exists()
    assert not Milestone.objects.filter(lead__in=leads).exists()
    assert lead_invariant_violations(leads) == []


def test_a_resaved_reordered_gbk_reimport_creates_nothing(ledger):
    import_commit(job=run(ledger.a, "台账.xlsx", xlsx(GOOD)), actor=ledger.a)
    before = (Lead.objects.count(), StageChange.objects.count(), LeadCodeSequence.objects.get(year=2024).last)
    job = run(ledger.a, "台账（另存）.csv", gbk_csv(list(reversed(GOOD))))
    assert set(job.counts) == {Outcome.UNCHANGED}
    with pytest.raises(IllegalStateError):
        import_commit(job=job, actor=ledger.a)
    assert (
        Lead.objects.count(),
        StageChange.objects.count(),
        LeadCodeSequence.objects.get(year=2024).last,
    ) == before


def test_a_commit_that_fails_midway_leaves_nothing_behind(ledger, monkeypatch):
    before = (Lead.objects.count(), StageChange.objects.count(), LeadCodeSequence.objects.count())
    job = run(ledger.a, "台账.xlsx", xlsx(GOOD))
    calls = []

    def failing(**kwargs):
        calls.append(kwargs)
        if len(calls) == 2:
            raise RuntimeError("disk full")
        return lead_import_history(**kwargs)

    monkeypatch.setattr(ledger_module, "lead_import_history", failing)
    job = import_commit(job=job, actor=ledger.a)
    assert job.status == ImportJob.Status.FAILED
    assert job.problem == "The import failed; nothing was saved."
    assert (Lead.objects.count(), StageChange.objects.count(), LeadCodeSequence.objects.count()) == before


def test_checking_rows_costs_the_same_queries_for_2_rows_as_for_20(ledger, django_assert_num_queries):
    def rows(count: int) -> list[SourceRow]:
        known = row(2, name="港科大 量子计算研发团队", owner="chan")
        return [known] + [
            row(n + 3, name=f"港科大 团队{n}", owner="chan" if n % 2 else "") for n in range(count - 1)
        ]

    importer = LedgerImporter(actor=ledger.a, options={})
    # The organizations' aliases; all sectors; the active users; the memberships (owners' units); for each of the
    # two owners, whether the actor reaches the unit and the owner sits in it (2 × 2); the existing leads; which
    # of them the actor sees.
    with django_assert_num_queries(10):
        importer.check(rows(2))
    with django_assert_num_queries(10):
        importer.check(rows(20))
