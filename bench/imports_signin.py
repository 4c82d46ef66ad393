"""A 10,000-row sign-in sheet through the import engine on PostgreSQL: validate, commit, re-import (issue 7).

    psql -h 127.0.0.1 -U postgres -c 'create database bench_imports'
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench_imports .venv/bin/python bench/imports_signin.py \
        [--rows 10000] [--known 200] [--profile validate|commit] [--keep] [--no-statistics]

Uses a database of your own (refuses the project's shared ones and the other benchmarks'). It migrates it, runs
`load_reference`, and makes what the import needs if missing: an officer, one recruitment event and a few companies
with aliases. The talent tables the import fills (contacts and what hangs off them, attendances, consents, match
keys, duplicate pairs, history) and the import jobs are truncated at the start, and again at the end unless
--keep. Uploaded files go to a temporary MEDIA_ROOT removed at exit; Celery messages go to an in-memory broker,
since every step is called here as the tasks call it.

The sheet is generated in memory with openpyxl from a seeded random.Random, so every run reads the same file: a
merged title row above Chinese headers (姓名 / 单位 / 手机 / 邮箱 / 职务 / 评级 / 备注), then --rows people.
Names are Hong Kong-like (Traditional characters, or as a card spells them: CHAN Chi Ming, Chan Chi-ming, Peter
CHAN Chi-ming); every row has a Hong Kong mobile that libphonenumber calls valid, written in one of three ways;
half have an e-mail; organizations are written under any of their names or aliases (港科大, HKUST, 香港科技大學 …).
10 % of the rows repeat an earlier person (same phone); half of those are written differently (another spelling of
the name, another way of writing the phone). Before the import, --known of the people are registered as contacts
(`contact_create`): half with the sheet's phone (the row matches them), half with the name and organization only
(the row goes to review). Then the contact tables are analyzed, as autovacuum soon would on a database in use;
--no-statistics removes their planner statistics instead, as in a freshly migrated database (superuser needed).

Measured, in this process: `import_upload`, `import_validate` (reads the file and checks every row, as the
validation task does), then `import_commit` (claims the job and runs the commit synchronously: every row checked
again and written in one transaction). For each: wall time, rows/s, SQL queries (counted with an execute wrapper,
with their total time, and the five statement shapes that took longest; for the commit also the plan of the
costliest SELECT's slowest run, before and after an ANALYZE) and the peak resident set so far; the outcome counts and what the commit wrote. Then the
same rows shuffled and saved again as a new file are uploaded and validated: every person is already recorded at
the event, so nothing is new. --profile prints a cProfile (top 25 by cumulative time) of one phase; its times are
then inflated. It prints figures; it asserts nothing.
"""

from __future__ import annotations

import argparse
import cProfile
import datetime as dt
import io
import os
import pstats
import random
import re
import resource
import shutil
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

ROWS = 10_000
DUPLICATES = 0.10
KNOWN = 200
SEED = 2026
KIND = "talent.signin"
USERNAME = "bench_importer"
EVENT_NAME = "2026 香港高校人才交流会（基准）"

# Surnames with their identity-card spelling and a rough weight; given-name characters with theirs.
SURNAMES = [
    ("陳", "Chan", 10), ("李", "Lee", 7), ("黃", "Wong", 6), ("張", "Cheung", 5), ("梁", "Leung", 4),
    ("林", "Lam", 3.5), ("劉", "Lau", 3.3), ("吳", "Ng", 2.7), ("何", "Ho", 2.6), ("鄭", "Cheng", 2.2),
    ("楊", "Yeung", 2), ("郭", "Kwok", 1.9), ("羅", "Law", 1.8), ("周", "Chow", 1.8), ("謝", "Tse", 1.7),
    ("葉", "Yip", 1.6), ("曾", "Tsang", 1.5), ("麥", "Mak", 1.4), ("蔡", "Choi", 1.3), ("鄧", "Tang", 1.3),
    ("馮", "Fung", 1.2), ("歐陽", "Au Yeung", 0.2),
]  # fmt: skip
GIVEN = {
    "嘉": "Ka", "家": "Ka", "子": "Tsz", "志": "Chi", "偉": "Wai", "俊": "Chun", "文": "Man", "明": "Ming",
    "詠": "Wing", "美": "Mei", "玲": "Ling", "欣": "Yan", "思": "Sze", "敏": "Man", "慧": "Wai", "麗": "Lai",
    "穎": "Wing", "雅": "Nga", "婷": "Ting", "浩": "Ho", "賢": "Yin", "傑": "Kit", "強": "Keung", "豪": "Ho",
    "軒": "Hin", "曉": "Hiu", "凱": "Hoi", "樂": "Lok", "安": "On", "健": "Kin", "華": "Wah", "國": "Kwok",
    "榮": "Wing", "德": "Tak", "輝": "Fai", "宇": "Yu", "霖": "Lam", "大": "Tai", "小": "Siu", "卓": "Cheuk",
    "朗": "Long", "希": "Hei", "諾": "Nok", "頌": "Chung", "恩": "Yan", "晴": "Ching", "芷": "Tsz", "翰": "Hon",
}  # fmt: skip
ENGLISH = ["Peter", "Mary", "Kelvin", "Winnie", "Karen", "Jacky", "Eric", "Tony", "Ivy", "Raymond", "Gloria"]
DOMAINS = ["gmail.com", "yahoo.com.hk", "outlook.com", "connect.hku.hk", "ust.hk", "link.cuhk.edu.hk"]
POSITIONS = [
    "教授",
    "副教授",
    "助理教授",
    "研究員",
    "博士後研究員",
    "博士研究生",
    "工程師",
    "總監",
    "創辦人",
    "",
]
GRADES = ["A", "B", "C", "", "", "B級", "a"]
NOTES = [
    "",
    "",
    "",
    "关注人才公寓政策",
    "希望了解创业资助",
    "已加微信",
    "下月到访苏州工业园区",
    "對生物醫藥有興趣",
]
HEADERS = ["姓名", "单位", "手机", "邮箱", "职务", "评级", "备注"]
# Reference organizations (load_reference) people come from, and companies this script adds with aliases.
REFERENCE = ["HKU", "CUHK", "HKUST", "PolyU", "CityU", "HKBU", "HKSTP", "ASTRI"]
COMPANIES = [
    ("港深智造科技有限公司", "港深智造科技有限公司", "HK-SZ SmartMake Technology Limited", "SmartMake",
     ["智造科技", "SmartMake HK"]),
    ("维港生物医药有限公司", "維港生物醫藥有限公司", "Harbour Biomedical Limited", "", ["维港生物", "Harbour Bio"]),
    ("九龙湾量子计算有限公司", "九龍灣量子計算有限公司", "Kowloon Bay Quantum Computing Limited", "KBQC",
     ["九龍灣量子"]),
]  # fmt: skip


# --- The sheet --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Person:
    surname: str
    given: str
    surname_roman: str
    given_roman: list[str]
    english: str
    phone: str  # eight digits
    email: str
    organization: int | None  # index into the organizations' spellings


def _written(p: Person, rng: random.Random, *, other_than: str = "") -> str:
    """The name as someone writes it on the sheet: characters or a card spelling (never `other_than`)."""
    hyphened = "-".join([p.given_roman[0], *(g.lower() for g in p.given_roman[1:])])
    forms = [
        p.surname + p.given,
        f"{p.surname_roman.upper()} {' '.join(p.given_roman)}",
        f"{p.surname_roman} {hyphened}",
    ]
    if p.english:
        forms.append(f"{p.english} {p.surname_roman.upper()} {hyphened}")
    if not other_than:
        return rng.choices(forms, weights=[55, 25, 10, 10][: len(forms)])[0]
    return rng.choice([form for form in forms if form != other_than])


def _phone_raw(digits: str, rng: random.Random, *, other_than: str = "") -> str:
    forms = [digits, f"{digits[:4]} {digits[4:]}", f"+852 {digits[:4]} {digits[4:]}"]
    return rng.choice([form for form in forms if form != other_than])


def people(count: int, organizations: int, rng: random.Random) -> list[Person]:
    import phonenumbers

    surnames, weights = [s[:2] for s in SURNAMES], [s[2] for s in SURNAMES]
    phones: set[str] = set()
    emails: set[str] = set()
    result = []
    while len(result) < count:
        surname, surname_roman = rng.choices(surnames, weights=weights)[0]
        given = "".join(rng.choices(list(GIVEN), k=rng.choice([1, 2, 2, 2])))
        given_roman = [GIVEN[c] for c in given]
        phone = f"{rng.choice('569')}{rng.randrange(10**7):07d}"
        if phone in phones or not phonenumbers.is_valid_number(phonenumbers.parse(f"+852{phone}")):
            continue
        phones.add(phone)
        english = rng.choice(ENGLISH) if rng.random() < 0.4 else ""
        email = ""
        if rng.random() < 0.5:
            local = f"{''.join(given_roman)}.{surname_roman.replace(' ', '')}{rng.randrange(1000)}".lower()
            email = f"{local}@{rng.choice(DOMAINS)}"
            if email in emails:
                email = ""
            emails.add(email)
        organization = rng.randrange(organizations) if rng.random() < 0.95 else None
        result.append(Person(surname, given, surname_roman, given_roman, english, phone, email, organization))
    return result


def sheet_rows(
    count: int, spellings: list[list[str]], rng: random.Random
) -> tuple[list[Person], list[list[str]]]:
    """The unique people and the sheet's data rows: each person once, then 10 % repeats placed after the row
    they repeat, half of them written differently."""
    unique = count - round(count * DUPLICATES)
    persons = people(unique, len(spellings), rng)
    keyed: list[tuple[float, list[str]]] = []
    first: list[list[str]] = []
    for index, p in enumerate(persons):
        organization = rng.choice(spellings[p.organization]) if p.organization is not None else ""
        row = [
            _written(p, rng),
            organization,
            _phone_raw(p.phone, rng),
            p.email,
            rng.choice(POSITIONS),
            rng.choice(GRADES),
            rng.choice(NOTES),
        ]
        first.append(row)
        keyed.append((index, row))
    for _n in range(count - unique):
        index = rng.randrange(unique)
        row = list(first[index])
        if rng.random() < 0.5:
            row[0] = _written(persons[index], rng, other_than=row[0])
            if rng.random() < 0.5:
                row[2] = _phone_raw(persons[index].phone, rng, other_than=row[2])
        keyed.append((rng.uniform(index, unique), row))
    keyed.sort(key=lambda pair: pair[0])
    return persons, [row for _key, row in keyed]


def workbook_bytes(rows: list[list[str]]) -> bytes:
    from openpyxl import Workbook

    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "签到表"
    sheet.append(["2026 香港高校人才交流会 · 签到表"])
    sheet.merge_cells(start_row=1, start_column=1, end_row=1, end_column=len(HEADERS))
    sheet.append(HEADERS)
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def resaved_shuffled(data: bytes, rng: random.Random) -> bytes:
    """The file opened, its data rows put in another order, and saved again."""
    from openpyxl import load_workbook

    sheet = load_workbook(io.BytesIO(data)).active
    rows = [["" if v is None else v for v in row] for row in sheet.iter_rows(min_row=3, values_only=True)]
    rng.shuffle(rows)
    return workbook_bytes(rows)


# --- The database -----------------------------------------------------------------------------------------------


def empty_import_tables() -> None:
    """Truncate what an import fills, so every run starts from the same state; users, organizations and the event
    stay."""
    from django.db import connection

    tables = [
        "talent_contact", "talent_contactchannel", "talent_contactmatchkey", "talent_affiliation",
        "talent_attendance", "talent_consent", "talent_duplicatepair", "talent_contactmerge",
        "talent_personaldatalog", "talent_historicalcontact", "talent_historicalcontactchannel",
        "talent_historicalaffiliation", "talent_historicalattendance", "core_importrow", "core_importjob",
    ]  # fmt: skip
    with connection.cursor() as cursor:
        cursor.execute(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE")


def prepare() -> tuple[Any, Any, list[list[str]], list[Any]]:
    """The officer, the event, every way the organizations are written, and the organizations (same order)."""
    from django.core.management import call_command
    from django.utils import timezone

    from accounts.models import User
    from accounts.roles import Role
    from accounts.services import user_create
    from directory import reference
    from directory.models import Organization
    from directory.services import organization_create
    from talent.models import RecruitmentEvent
    from talent.services.events import event_create

    call_command("migrate", verbosity=0)
    call_command("load_reference", verbosity=0, stdout=io.StringIO())
    officer = User.objects.filter(username=USERNAME).first() or user_create(
        username=USERNAME, password=None, roles=[Role.OFFICER]
    )
    event = RecruitmentEvent.objects.filter(name=EVENT_NAME).first()
    if event is None:
        day = timezone.localdate() - dt.timedelta(days=3)
        event = event_create(
            actor=officer, name=EVENT_NAME, starts_on=day, ends_on=day, venue="香港会议展览中心"
        )
    spellings, organizations = [], []
    entries = {entry["abbreviation"]: entry for entry in reference.ORGANIZATIONS if entry.get("abbreviation")}
    for abbreviation in REFERENCE:
        entry = entries[abbreviation]
        organizations.append(Organization.objects.get(abbreviation=abbreviation))
        names = [entry.get(key, "") for key in ("name", "name_zh_hant", "name_en", "abbreviation")]
        spellings.append([n for n in [*names, *entry.get("aliases", [])] if n])
    for name, hant, english, abbreviation, aliases in COMPANIES:
        organization = Organization.objects.filter(name=name).first() or organization_create(
            kind=Organization.Kind.COMPANY,
            name=name,
            name_zh_hant=hant,
            name_en=english,
            abbreviation=abbreviation,
            aliases=aliases,
        )
        organizations.append(organization)
        spellings.append([n for n in (name, hant, english, abbreviation, *aliases) if n])
    return officer, event, spellings, organizations


def register_known(
    officer, persons: list[Person], organizations: list, count: int, rng: random.Random
) -> None:
    """People already in the database before the sheet: half by the sheet's phone (the rows match them), half by
    name and organization only (the rows are new people with a possible duplicate)."""
    from django.db import transaction

    from talent.models import ContactChannel
    from talent.services.contacts import ChannelInput, contact_create

    chosen = rng.sample([p for p in persons if p.organization is not None], min(count, len(persons)))
    with transaction.atomic():
        for n, p in enumerate(chosen):
            organization = organizations[p.organization]
            contact_create(
                actor=officer,
                name=p.surname + p.given,
                channels=[ChannelInput(ContactChannel.Kind.PHONE, p.phone)] if n % 2 == 0 else [],
                affiliations=[{"organization": organization}],
                organization=organization,
            )


def planner_statistics(*, fresh: bool) -> None:
    """ANALYZE the talent tables, as autovacuum soon would on a database in use. With `fresh`, remove the column
    statistics of the contacts and their match keys instead: a newly migrated database has none until autovacuum
    first sees rows, and the import's one transaction keeps its own rows from autovacuum (needs a superuser)."""
    from django.db import connection

    with connection.cursor() as cursor:
        if fresh:
            cursor.execute(
                "DELETE FROM pg_statistic WHERE starelid IN ('talent_contact'::regclass, "
                "'talent_contactmatchkey'::regclass)"
            )
            print(
                "Removed the planner statistics of talent_contact and talent_contactmatchkey (a fresh database)"
            )
        else:
            cursor.execute(
                "ANALYZE talent_contact, talent_contactmatchkey, talent_contactchannel, talent_attendance"
            )


def table_counts() -> dict[str, int]:
    from talent.models import Attendance, Contact, ContactChannel, ContactMatchKey, DuplicatePair

    return {
        "contacts": Contact.objects.count(),
        "channels": ContactChannel.objects.count(),
        "attendances": Attendance.objects.count(),
        "match keys": ContactMatchKey.objects.count(),
        "duplicate pairs": DuplicatePair.objects.count(),
        "contact history rows": Contact.history.model.objects.count(),
    }


# --- Measuring --------------------------------------------------------------------------------------------------


class QueryCounter:
    """A connection.execute_wrapper: how many statements ran and how long the database took for them, in all and
    per statement shape (the SQL with its parameters left out, IN lists of any length as one)."""

    def __init__(self) -> None:
        self.count = 0
        self.seconds = 0.0
        self.shapes: dict[str, list] = {}  # shape -> [count, seconds, slowest seconds, its (sql, params)]

    def __call__(self, execute, sql, params, many, context):
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            elapsed = time.perf_counter() - started
            self.count += 1
            self.seconds += elapsed
            shape = self.shapes.setdefault(
                _SAVEPOINT.sub('"s…"', _IN_LIST.sub("%s…", sql)), [0, 0.0, 0.0, None]
            )
            shape[0] += 1
            shape[1] += elapsed
            if elapsed > shape[2]:
                shape[2:] = [elapsed, (sql, params)]

    def print_slowest(self, count: int = 5) -> None:
        slowest = sorted(self.shapes.items(), key=lambda item: -item[1][1])[:count]
        print(f"    slowest statements by total time (of {len(self.shapes)} shapes):")
        for sql, (n, seconds, most, _slowest) in slowest:
            short = _COLUMNS.sub("SELECT … FROM", sql)
            print(
                f"      {seconds:7.1f} s {n:7,}× {seconds / n * 1000:6.2f} ms (max {most * 1000:5.0f}) {short[:130]}"
            )

    def explain_slowest(self) -> None:
        """The plan of the slowest run of the SELECT that took the most time, run again now."""
        from django.db import connection

        selects = [item for item in self.shapes.items() if item[0].startswith("SELECT")]
        if not selects:
            return
        _shape, (_n, _seconds, _most, (sql, params)) = max(selects, key=lambda item: item[1][1])
        tables = sorted(set(re.findall(r'(?:FROM|JOIN) "(\w+)"', sql)))
        with connection.cursor() as cursor:
            for title in (
                "before ANALYZE (the statistics the commit ran with)",
                f"after ANALYZE {', '.join(tables)}",
            ):
                if title.startswith("after"):
                    cursor.execute(f"ANALYZE {', '.join(tables)}")
                cursor.execute(f"EXPLAIN (ANALYZE, BUFFERS) {sql}", params)
                plan = [row[0] for row in cursor.fetchall() if "Buffers:" not in row[0]]
                print(f"    EXPLAIN ANALYZE of its slowest run, {title}:")
                for line in plan[:10]:
                    print(f"      {line[:150]}")


_IN_LIST = re.compile(r"%s(?:, %s)+")
_SAVEPOINT = re.compile(r'"s[0-9a-f]+_x\d+"')
_COLUMNS = re.compile(r"^SELECT .*? FROM", re.DOTALL)


@dataclass
class Phase:
    seconds: float
    queries: QueryCounter
    result: Any


def measured(call: Callable[[], Any], *, profile: bool = False) -> Phase:
    from django.db import connection

    counter = QueryCounter()
    profiler = cProfile.Profile() if profile else None
    with connection.execute_wrapper(counter):
        started = time.perf_counter()
        if profiler:
            profiler.enable()
        result = call()
        if profiler:
            profiler.disable()
        seconds = time.perf_counter() - started
    if profiler:
        out = io.StringIO()
        pstats.Stats(profiler, stream=out).sort_stats("cumulative").print_stats(25)
        print(out.getvalue())
    return Phase(seconds, counter, result)


def peak_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def upload(officer, event, data: bytes, name: str):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from core.imports import registry
    from core.imports.services import import_upload

    # The importer's own options form, as the upload page fills it: the event, no consent purposes (the sheet
    # has no consent column).
    form = registry.get(KIND).options_form(data={"event": str(event.pk)}, user=officer)
    if not form.is_valid():
        sys.exit(f"The options form refused the event: {form.errors.as_text()}")
    file = SimpleUploadedFile(
        name, data, content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    return import_upload(actor=officer, kind=KIND, file=file, options=form.as_options())


def outcome_line(counts: dict[str, int]) -> str:
    return ", ".join(f"{o} {counts.get(o, 0):,}" for o in ("new", "match", "review", "unchanged", "error"))


def phase_line(title: str, phase: Phase, rows: int) -> str:
    q = phase.queries
    return (
        f"  {title:<22} {phase.seconds:8.1f} s  {rows / phase.seconds:7.0f} rows/s  {q.count:7,} queries "
        f"({q.seconds:.1f} s in SQL, {q.count / rows:.1f} per row)  peak RSS so far {peak_mib():.0f} MiB"
    )


def examples(job) -> None:
    """One message per outcome, as the preview shows it."""
    for outcome in ("match", "review", "unchanged", "error"):
        row = job.rows.filter(outcome=outcome).order_by("number").first()
        if row is not None and row.messages:
            print(f"    {outcome:<9} row {row.number}: {' '.join(row.messages)[:110]}")


def run(args: argparse.Namespace) -> None:
    from django.utils import translation

    from core.imports import registry
    from core.imports.reading import read_table
    from core.imports.services import import_commit, import_validate

    rng = random.Random(SEED)
    print("Preparing (migrate, load_reference, officer, event, organizations) …", flush=True)
    officer, event, spellings, organizations = prepare()
    empty_import_tables()

    started = time.perf_counter()
    persons, rows = sheet_rows(args.rows, spellings, rng)
    data = workbook_bytes(rows)
    print(
        f"Generated {len(rows):,} data rows ({len(persons):,} people, {len(rows) - len(persons):,} repeats) "
        f"below a title row: {len(data) / 1024:,.0f} KiB XLSX in {time.perf_counter() - started:.1f} s"
    )
    if args.known:
        started = time.perf_counter()
        register_known(officer, persons, organizations, args.known, rng)
        print(
            f"Registered {args.known} known people with contact_create in {time.perf_counter() - started:.1f} s"
        )
    planner_statistics(fresh=args.no_statistics)
    started = time.perf_counter()
    table = read_table(data, filename="signin.xlsx", columns=registry.get(KIND).columns)
    print(
        f"read_table alone: {time.perf_counter() - started:.1f} s, header on row {table.header_row}, "
        f"{len(table.rows):,} rows (a separate call, not part of the phases below)"
    )
    print(f"Peak RSS before the import: {peak_mib():.0f} MiB\n")

    with translation.override("en"):
        print(f"Import of {args.rows:,} rows ({os.cpu_count()} cores):")
        up = measured(lambda: upload(officer, event, data, "签到表.xlsx"))
        job = up.result
        print(f"  upload                 {up.seconds:8.2f} s  {up.queries.count} queries")
        validate = measured(lambda: import_validate(job=job), profile=args.profile == "validate")
        job = validate.result
        if job.status != "validated":
            sys.exit(f"Validation ended {job.status}: {job.problem}")
        print(phase_line("read + validate", validate, job.total_rows))
        print(f"    outcomes: {outcome_line(job.counts)}")
        examples(job)
        validate.queries.print_slowest()
        commit = measured(lambda: import_commit(job=job, actor=officer), profile=args.profile == "commit")
        job = commit.result
        if job.status != "committed":
            sys.exit(f"Commit ended {job.status}: {job.problem}")
        print(phase_line("commit (re-check+write)", commit, job.total_rows))
        print(f"    outcomes at commit: {outcome_line(job.counts)}")
        print(f"    written: {', '.join(f'{k} {v:,}' for k, v in job.results.items())}")
        commit.queries.print_slowest()
        commit.queries.explain_slowest()
        total = up.seconds + validate.seconds + commit.seconds
        print(
            f"  total (upload + validate + commit) {total:.1f} s, {job.total_rows / total:.0f} rows/s; "
            f"{up.queries.count + validate.queries.count + commit.queries.count:,} queries"
        )
        print(f"  in the database: {', '.join(f'{k} {v:,}' for k, v in table_counts().items())}\n")

        again = resaved_shuffled(data, random.Random(SEED + 1))
        print(f"Re-import: the same rows shuffled and saved again ({len(again) / 1024:,.0f} KiB):")
        before = table_counts()
        up2 = measured(lambda: upload(officer, event, again, "签到表（重排）.xlsx"))
        revalidate = measured(lambda: import_validate(job=up2.result))
        job2 = revalidate.result
        print(phase_line("read + validate", revalidate, job2.total_rows))
        print(f"    outcomes: {outcome_line(job2.counts)}")
        examples(job2)
        nothing_new = not any(job2.counts.get(o) for o in ("new", "match", "review"))
        print(
            f"    nothing to import: {'yes' if nothing_new else 'NO'} "
            f"({job2.counts.get('unchanged', 0):,} unchanged = {len(persons):,} people; "
            f"{job2.counts.get('error', 0):,} errors = repeats within the file); "
            f"tables unchanged: {'yes' if table_counts() == before else 'NO'}"
        )
        print(f"  peak RSS of the run: {peak_mib():.0f} MiB")
    if not args.keep:
        empty_import_tables()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=ROWS)
    parser.add_argument("--known", type=int, default=KNOWN, help="people registered before the import")
    parser.add_argument("--profile", choices=["validate", "commit"], help="cProfile one phase (slows it)")
    parser.add_argument("--keep", action="store_true", help="leave the imported data in the database")
    parser.add_argument(
        "--no-statistics",
        action="store_true",
        help="remove the planner statistics of the contact tables first, as in a fresh database (superuser)",
    )
    args = parser.parse_args()

    from bench.common import own_database

    own_database(
        example="bench_imports",
        also_refused=frozenset({"bench_leads", "bench_reminders", "bench_contacts"}),
    )
    media = tempfile.mkdtemp(prefix="bench_imports_")
    # Uploads to a directory of our own; task messages to this process's memory, never a shared broker.
    os.environ["MEDIA_ROOT"] = media
    os.environ["CELERY_BROKER_URL"] = "memory://localhost/"
    try:
        import django

        django.setup()
        run(args)
    finally:
        shutil.rmtree(media, ignore_errors=True)


if __name__ == "__main__":
    main()
