"""Identity matching against 300,000 contacts on PostgreSQL: how long finding a person's candidates takes.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench_contacts .venv/bin/python bench/contacts_match.py \
        [--contacts 300000] [--reseed] [--probes 200]

Uses a database of your own (refuses the project's shared ones and the other benchmarks'; create it first with
`psql -h 127.0.0.1 -U postgres -c 'create database bench_contacts'`). It migrates it and seeds it when it does not
hold exactly --contacts contacts (or with --reseed): the talent tables are truncated and refilled.

Seeding is the bulk path, not what saving a contact does: `bulk_create` in batches of 5,000, no `save()` per row,
no history rows, no affiliations. Every person is drawn from a random.Random of their own (seeded from SEED and
their index), so the data and the probes are the same on every run. The people are Hong Kong-like: Traditional
Chinese names (surnames weighted as common in Hong Kong: 陳, 李, 黃, 張 … down to 區, 麥, 歐陽; one or two given
characters out of a few hundred), their romanized forms on a card (CHAN Tai Man, Chan Tai-man, Tai-man Chan,
Peter CHAN Tai-man), an English name with the surname (Peter Chan), and mainland-born people under pinyin (Zhang
Wei, Wei ZHANG) or Simplified characters. About 70 % have a phone (Hong Kong mobiles +852 5/6/9…, some mainland
+86 1[3-9]…: numbers are random, so a few hundred are shared, as family phones are), 50 % an e-mail; each works at
one of the organizations (60 are created when fewer exist). Their name keys are `talent.identity.match_keys(contact,
{organization})`, computed here in Python and bulk-inserted.

Measuring: PROBES people, half of them seeded contacts entered again under another spelling (the romanized form of
a Chinese name, the characters of a romanized one, another word order; keeping the phone, the e-mail or the
organization only some of the time), half new people. For each, inside a transaction that is rolled back, the real
path runs: save the contact and its channels (history included), `keys_refresh`, `with_details`, then
`find_candidates`. It reports the time of `find_candidates` alone and of the whole save + match (median, p95, max),
the SQL queries of each, how many candidates were found (and how many contacts the keys gathered before names were
compared), whether the re-entered people found their seeded record, and the plan of the key lookup. When the median
match is over 50 ms it prints a cProfile of a few probes. It prints figures; it asserts nothing.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import os
import pstats
import random
import statistics
import sys
import time
from dataclasses import dataclass
from functools import cache
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

CONTACTS = 300_000
PROBES = 200
WARMUPS = 5
SEED = 2026
BATCH = 5000
ORGANIZATIONS = 60
SLOW_MS = 50.0

# Hong Kong surnames, roughly as common as in Hong Kong (weights in per mille), with the spelling an HK identity
# card gives them.
HK_SURNAMES = [
    ("陳", "Chan", 100), ("李", "Lee", 70), ("黃", "Wong", 60), ("張", "Cheung", 50), ("梁", "Leung", 40),
    ("林", "Lam", 35), ("劉", "Lau", 33), ("吳", "Ng", 27), ("何", "Ho", 26), ("鄭", "Cheng", 22),
    ("王", "Wong", 21), ("楊", "Yeung", 20), ("郭", "Kwok", 19), ("羅", "Law", 18), ("周", "Chow", 18),
    ("謝", "Tse", 17), ("葉", "Yip", 16), ("曾", "Tsang", 15), ("麥", "Mak", 14), ("蔡", "Choi", 13),
    ("盧", "Lo", 13), ("鄧", "Tang", 13), ("馮", "Fung", 12), ("朱", "Chu", 11), ("潘", "Poon", 10),
    ("余", "Yu", 10), ("胡", "Wu", 9), ("許", "Hui", 9), ("蘇", "So", 8), ("鍾", "Chung", 8), ("莫", "Mok", 8),
    ("關", "Kwan", 7), ("江", "Kong", 7), ("馬", "Ma", 7), ("區", "Au", 6), ("姚", "Yiu", 6), ("石", "Shek", 5),
    ("彭", "Pang", 5), ("袁", "Yuen", 5), ("蕭", "Siu", 5), ("孔", "Hung", 4), ("方", "Fong", 4), ("黎", "Lai", 4),
    ("徐", "Tsui", 4), ("崔", "Tsui", 3), ("溫", "Wan", 3), ("湯", "Tong", 3), ("唐", "Tong", 3), ("文", "Man", 3),
    ("趙", "Chiu", 3), ("孫", "Suen", 3), ("高", "Ko", 3), ("嚴", "Yim", 2), ("侯", "Hau", 2), ("鄺", "Kwong", 2),
    ("甘", "Kam", 2), ("簡", "Kan", 2), ("容", "Yung", 2), ("雷", "Lui", 2), ("呂", "Lui", 2), ("施", "Sze", 2),
    ("韋", "Wai", 1), ("伍", "Ng", 3), ("邱", "Yau", 2), ("單", "Sin", 1), ("歐陽", "Au Yeung", 2),
    ("司徒", "Szeto", 1), ("上官", "Seung Kwun", 1),
]  # fmt: skip
# Characters of Hong Kong given names, the more common first.
HK_GIVEN = (
    "嘉家子志偉俊文明詠美玲欣琳思敏慧麗芷穎雅婷浩賢傑強豪軒晴曉凱樂安康健華國榮永德耀輝宇翰霖博朗"
    "小大少天冠天正啟光建中民偉雄昌達泰福祥瑞寶珠翠鳳蘭英芳桂秀麗淑惠嫻靜怡悅佩儀綺琪詩韻蔚瑩潔"
    "卓逸朗軒皓晉諾言希信心誠恩澤霆熙彥鋒鴻麟駿騰飛宏毅杰銘鈞然灝柏梓樂昊曦晞琛瑋璋瑜珮琦瑤瑾璐"
    "子頌迪邦彬斌森楠楓桐梅竹蓮荷菁菲蕙蓉薇蕾萍芝芬茵莉娜娟嬋嫣媛婉妍姿婕嬌倩儷雯霞雪露霏雲虹彩"
    "家振國耀承基業興昇旺盛富貴錦鏗鑫銳鈺錚鏡鋼剛勇武威猛勁毅力軍兵將帥超越卓群君子仁義禮智信廉"
    "明亮昭暉曜晨旭昕昀暘昱晟景智慧聰穎敏捷達通順和平安寧靖泰康樂福壽永恆長遠久志堅定守正直誠實"
)
HK_GIVEN = "".join(dict.fromkeys(HK_GIVEN))
# Mainland surnames and given-name characters (Simplified), for people written in pinyin.
CN_SURNAMES = [
    ("王", 72), ("李", 72), ("张", 69), ("刘", 53), ("陈", 46), ("杨", 32), ("黄", 24), ("赵", 23), ("吴", 21),
    ("周", 21), ("徐", 17), ("孙", 15), ("马", 14), ("朱", 13), ("胡", 13), ("郭", 12), ("何", 11), ("高", 11),
    ("林", 11), ("罗", 10), ("郑", 10), ("梁", 9), ("谢", 8), ("宋", 8), ("唐", 7), ("许", 7), ("韩", 7),
    ("冯", 7), ("邓", 7), ("曹", 6), ("彭", 6), ("曾", 6), ("肖", 6), ("田", 5), ("董", 5), ("袁", 5),
]  # fmt: skip
CN_GIVEN = (
    "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超秀兰霞平刚桂英华建国文斌宇浩鑫鹏辉波宁志红玉梅萍晨"
    "晓东海亮俊峰雪琳丹颖倩婷欣怡佳慧思雨涵博文轩睿哲瑞凯毅泽昊宏程远新健飞龙雷振宝春燕丽君玲"
)
CN_GIVEN = "".join(dict.fromkeys(CN_GIVEN))
ENGLISH = [
    "Peter",
    "Mary",
    "John",
    "David",
    "Michael",
    "Kelvin",
    "Ivan",
    "Winnie",
    "Karen",
    "Jacky",
    "Eric",
    "Tony",
    "Alan",
    "Ben",
    "Kenneth",
    "Raymond",
    "Vincent",
    "Gary",
    "Jason",
    "Jimmy",
    "Wilson",
    "Dennis",
    "Stanley",
    "Edmond",
    "Alex",
    "Andy",
    "Billy",
    "Calvin",
    "Derek",
    "Felix",
    "Henry",
    "Jonathan",
    "Kevin",
    "Louis",
    "Matthew",
    "Nelson",
    "Oscar",
    "Patrick",
    "Samuel",
    "Terence",
    "Victor",
    "William",
    "Alice",
    "Angela",
    "Candy",
    "Cherry",
    "Christine",
    "Doris",
    "Elaine",
    "Fiona",
    "Gloria",
    "Grace",
    "Helen",
    "Iris",
    "Jennifer",
    "Joyce",
    "Katherine",
    "Lily",
    "Maggie",
    "Nancy",
    "Phoebe",
    "Queenie",
    "Rebecca",
    "Sharon",
    "Tiffany",
    "Vivian",
    "Yvonne",
    "Zoe",
]
HK_DOMAINS = [
    "gmail.com", "yahoo.com.hk", "hotmail.com", "outlook.com", "connect.hku.hk", "link.cuhk.edu.hk",
    "connect.ust.hk", "connect.polyu.hk", "my.cityu.edu.hk", "life.hkbu.edu.hk", "netvigator.com",
]  # fmt: skip
CN_DOMAINS = ["qq.com", "163.com", "126.com", "gmail.com", "sina.com", "foxmail.com"]
ORGANIZATION_NAMES = [
    ("香港大学", "香港大學", "The University of Hong Kong", "HKU", "university"),
    ("香港中文大学", "香港中文大學", "The Chinese University of Hong Kong", "CUHK", "university"),
    ("香港科技大学", "香港科技大學", "The Hong Kong University of Science and Technology", "HKUST", "university"),
    ("香港理工大学", "香港理工大學", "The Hong Kong Polytechnic University", "PolyU", "university"),
    ("香港城市大学", "香港城市大學", "City University of Hong Kong", "CityU", "university"),
    ("香港浸会大学", "香港浸會大學", "Hong Kong Baptist University", "HKBU", "university"),
    ("岭南大学", "嶺南大學", "Lingnan University", "LU", "university"),
    ("香港教育大学", "香港教育大學", "The Education University of Hong Kong", "EdUHK", "university"),
    ("香港都会大学", "香港都會大學", "Hong Kong Metropolitan University", "HKMU", "university"),
    ("香港科技园公司", "香港科技園公司", "Hong Kong Science and Technology Parks Corporation", "HKSTP",
     "public_platform"),
    ("数码港", "數碼港", "Cyberport", "", "public_platform"),
    ("香港应用科技研究院", "香港應用科技研究院", "Hong Kong Applied Science and Technology Research Institute",
     "ASTRI", "research_institute"),
]  # fmt: skip


# --- People -----------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Person:
    """Who someone is, however they are written: the characters of their name (Traditional for Hong Kong people,
    Simplified for mainland-born ones), how a card spells them, an English name, a phone, an e-mail, an employer."""

    mainland: bool
    surname: str  # characters
    given: str  # characters
    surname_roman: str  # "Chan", "Zhang", "Au Yeung"
    given_roman: list[str]  # ["Tai", "Man"] / ["Wei"]
    english: str
    phone_raw: str
    phone: str  # E.164
    email: str
    organization: int  # index into the organization list


@cache
def _hk_syllable(char: str) -> str:
    """The spelling an HK identity card gives one character (its first Cantonese reading)."""
    import pycantonese

    from talent import names

    for _chars, jyutping in pycantonese.characters_to_jyutping(char):
        if jyutping:
            return names.hk_spellings(jyutping.split()[0])[0].capitalize()
    from pypinyin import lazy_pinyin

    return lazy_pinyin(char)[0].capitalize()


@cache
def _pinyin(char: str) -> str:
    from pypinyin import lazy_pinyin

    return lazy_pinyin(char)[0].capitalize()


def _weighted(rng: random.Random, items: list, weights: list[float]):
    return rng.choices(items, weights=weights, k=1)[0]


_HK_SURNAME_WEIGHTS = [w for *_rest, w in HK_SURNAMES]
_CN_SURNAME_WEIGHTS = [w for _s, w in CN_SURNAMES]
# Given-name characters: the first ones much more common than the last (Zipf-like).
_HK_GIVEN_WEIGHTS = [1 / (rank + 5) ** 0.8 for rank in range(len(HK_GIVEN))]
_CN_GIVEN_WEIGHTS = [1 / (rank + 3) ** 0.8 for rank in range(len(CN_GIVEN))]


def _phone(rng: random.Random, mainland: bool) -> tuple[str, str]:
    """A raw phone as someone writes it and its E.164 form (checked with talent.phones, as entering one is)."""
    from core.errors import ApplicationError
    from talent.phones import phone_e164

    while True:
        if mainland or rng.random() < 0.08:
            digits = f"1{rng.choice('3456789')}{rng.randrange(10**9):09d}"
            raw = rng.choice([digits, f"+86 {digits}", f"{digits[:3]} {digits[3:7]} {digits[7:]}"])
        else:
            digits = f"{rng.choice('569')}{rng.randrange(10**7):07d}"
            raw = rng.choice([digits, f"{digits[:4]} {digits[4:]}", f"+852 {digits[:4]} {digits[4:]}"])
        try:
            return raw, phone_e164(raw)
        except ApplicationError:
            continue  # a range libphonenumber does not know: draw again


def person(index: int, organizations: int) -> Person:
    """Person number `index`, always the same for the same index."""
    rng = random.Random(SEED * 1_000_003 + index)
    mainland = rng.random() < 0.2
    if mainland:
        surname = _weighted(rng, [s for s, _w in CN_SURNAMES], _CN_SURNAME_WEIGHTS)
        given = "".join(rng.choices(CN_GIVEN, weights=_CN_GIVEN_WEIGHTS, k=rng.choice([1, 1, 2, 2, 2])))
        surname_roman = _pinyin(surname)
        given_roman = ["".join(_pinyin(c) for c in given).capitalize()]
    else:
        surname, surname_roman, _w = _weighted(rng, HK_SURNAMES, _HK_SURNAME_WEIGHTS)
        given = "".join(
            rng.choices(HK_GIVEN, weights=_HK_GIVEN_WEIGHTS, k=rng.choice([1, 2, 2, 2, 2, 2, 2, 2]))
        )
        given_roman = [_hk_syllable(c) for c in given]
    english = rng.choice(ENGLISH) if rng.random() < (0.15 if mainland else 0.45) else ""
    phone_raw, phone = _phone(rng, mainland) if rng.random() < 0.7 else ("", "")
    email = ""
    if rng.random() < 0.5:
        local = rng.choice(
            [
                f"{''.join(given_roman)}.{surname_roman.replace(' ', '')}",
                f"{surname_roman.replace(' ', '')}{''.join(g[0] for g in given_roman)}",
                f"{(english or given_roman[0])}{surname_roman.replace(' ', '')}{rng.randrange(100)}",
            ]
        )
        email = f"{local.lower()}@{rng.choice(CN_DOMAINS if mainland else HK_DOMAINS)}"
    return Person(
        mainland=mainland,
        surname=surname,
        given=given,
        surname_roman=surname_roman,
        given_roman=given_roman,
        english=english,
        phone_raw=phone_raw,
        phone=phone,
        email=email,
        organization=rng.randrange(organizations),
    )


def _card(p: Person, style: str) -> str:
    """The romanized name in one of the ways people write it."""
    surname, given = p.surname_roman, p.given_roman
    if style == "card":  # CHAN Tai Man
        return f"{surname.upper()} {' '.join(given)}"
    if style == "hyphen":  # Chan Tai-man
        return f"{surname} {'-'.join([given[0], *(g.lower() for g in given[1:])])}"
    if style == "western":  # Tai-man Chan
        return f"{'-'.join([given[0], *(g.lower() for g in given[1:])])} {surname}"
    if style == "english":  # Peter Chan
        return f"{p.english} {surname}"
    if style == "english_card":  # Peter CHAN Tai-man
        return f"{p.english} {surname.upper()} {'-'.join([given[0], *(g.lower() for g in given[1:])])}"
    if style == "pinyin":  # Zhang Wei
        return f"{surname} {''.join(given)}"
    if style == "pinyin_western":  # Wei ZHANG
        return f"{''.join(given)} {surname.upper()}"
    raise ValueError(style)


def written(p: Person, rng: random.Random) -> tuple[str, str, str]:
    """How the record writes the person: (name, name_romanized, english_name)."""
    roll = rng.random()
    if p.mainland:
        if roll < 0.7:
            return _card(p, rng.choice(["pinyin", "pinyin", "pinyin_western"])), "", p.english
        return p.surname + p.given, "", p.english
    if roll < 0.45:
        return p.surname + p.given, "", ""
    if roll < 0.6:
        return p.surname + p.given, _card(p, "card"), p.english
    if roll < 0.8:
        return _card(p, rng.choice(["card", "card", "hyphen"])), "", p.english
    if roll < 0.88:
        return _card(p, "western"), "", p.english
    if p.english:
        return _card(p, rng.choice(["english", "english", "english_card"])), "", p.english
    return _card(p, "card"), "", ""


def rewritten(p: Person, before: tuple[str, str, str], rng: random.Random) -> tuple[str, str, str]:
    """The same person entered again by someone else: another way of writing the name than `before`."""
    from talent.names import has_chinese

    name, _roman, _english = before
    if p.mainland:
        if has_chinese(name):
            return _card(p, rng.choice(["pinyin", "pinyin_western"])), "", ""
        return p.surname + p.given, "", ""
    if has_chinese(name):
        styles = ["card", "hyphen", "western"] + (["english", "english_card"] if p.english else [])
        style = rng.choice(styles)
        return _card(p, style), "", p.english if style.startswith("english") else ""
    if rng.random() < 0.6:
        return p.surname + p.given, "", ""
    return _card(p, rng.choice(["card", "western"])), "", p.english


# --- Seeding ----------------------------------------------------------------------------------------------------


def organization_ids() -> list[int]:
    from directory.models import Organization

    missing = ORGANIZATIONS - Organization.objects.count()
    for n in range(max(0, missing)):
        if n < len(ORGANIZATION_NAMES):
            name, hant, english, abbreviation, kind = ORGANIZATION_NAMES[n]
        else:
            name = hant = f"香港示范科技有限公司（第{n:02d}号）"
            english, abbreviation, kind = f"Hong Kong Demonstration Technology Ltd No. {n:02d}", "", "company"
        Organization.objects.create(
            name=name, name_zh_hant=hant, name_en=english, abbreviation=abbreviation, kind=kind
        )
    return list(Organization.objects.order_by("pk").values_list("pk", flat=True))


def seed(count: int, org_ids: list[int]) -> None:
    from django.db import connection, transaction

    from talent.identity import match_keys
    from talent.models import Contact, ContactChannel, ContactMatchKey

    started = time.perf_counter()
    rows = {"contacts": 0, "channels": 0, "keys": 0}
    with transaction.atomic():
        with connection.cursor() as cursor:
            # Everything that hangs off a contact goes too (attendances, consents, duplicate pairs …); ids restart
            # at 1, so contact n is person n - 1.
            models = (
                Contact,
                ContactChannel,
                ContactMatchKey,
                Contact.history.model,
                ContactChannel.history.model,
            )
            tables = ", ".join(f'"{model._meta.db_table}"' for model in models)
            cursor.execute(f"TRUNCATE {tables} RESTART IDENTITY CASCADE")
        for start in range(0, count, BATCH):
            people = [person(i, len(org_ids)) for i in range(start, min(start + BATCH, count))]
            contacts = []
            for i, p in zip(range(start, start + len(people)), people, strict=True):
                name, roman, english = written(p, random.Random(SEED + i))
                contacts.append(
                    Contact(
                        name=name,
                        name_romanized=roman,
                        english_name=english,
                        organization_id=org_ids[p.organization],
                    )
                )
            Contact.objects.bulk_create(contacts, batch_size=BATCH)
            channels, keys = [], []
            for contact, p in zip(contacts, people, strict=True):
                if p.phone:
                    channels.append(
                        ContactChannel(
                            contact=contact,
                            kind=ContactChannel.Kind.PHONE,
                            value=p.phone,
                            raw=p.phone_raw,
                            label="mobile",
                        )
                    )
                if p.email:
                    channels.append(
                        ContactChannel(
                            contact=contact, kind=ContactChannel.Kind.EMAIL, value=p.email, raw=p.email
                        )
                    )
                keys.extend(
                    ContactMatchKey(contact=contact, key=key)
                    for key in match_keys(contact, {contact.organization_id})
                )
            ContactChannel.objects.bulk_create(channels, batch_size=BATCH)
            ContactMatchKey.objects.bulk_create(keys, batch_size=BATCH)
            rows["contacts"] += len(contacts)
            rows["channels"] += len(channels)
            rows["keys"] += len(keys)
            if (start // BATCH) % 10 == 9:
                print(f"  {rows['contacts']:,} contacts, {time.perf_counter() - started:.0f} s", flush=True)
    seeded = time.perf_counter() - started
    started = time.perf_counter()
    with connection.cursor() as cursor:
        # What autovacuum would do within minutes in production; the planner needs the statistics.
        cursor.execute("VACUUM ANALYZE")
    print(
        f"Seeded {rows['contacts']:,} contacts, {rows['channels']:,} channels, {rows['keys']:,} match keys "
        f"({rows['keys'] / rows['contacts']:.1f} keys per contact) in {seeded:.1f} s; "
        f"VACUUM ANALYZE {time.perf_counter() - started:.1f} s"
    )


# --- Measuring --------------------------------------------------------------------------------------------------


@dataclass
class Probe:
    label: str  # "re-entered" or "new"
    original: int | None  # the seeded contact's pk when re-entered
    name: str
    name_romanized: str
    english_name: str
    phone_raw: str
    email: str
    organization_id: int


def probes(count: int, contacts: int, org_ids: list[int], first_pk: int, *, new_from: int) -> list[Probe]:
    """`count` probes: half seeded people entered again (none when `contacts` is 0), the rest new people, drawn
    from person number `new_from` on."""
    rng = random.Random(SEED + new_from)
    chosen = rng.sample(range(contacts), min(contacts, count // 2))
    result = []
    for index in chosen:
        p = person(index, len(org_ids))
        before = written(p, random.Random(SEED + index))
        name, roman, english = rewritten(p, before, rng)
        result.append(
            Probe(
                label="re-entered",
                original=first_pk + index,
                name=name,
                name_romanized=roman,
                english_name=english,
                phone_raw=p.phone_raw if rng.random() < 0.6 else "",
                email=p.email if rng.random() < 0.4 else "",
                organization_id=org_ids[p.organization] if rng.random() < 0.7 else rng.choice(org_ids),
            )
        )
    for n in range(count - len(result)):
        # People beyond the seeded ones: new to the database (namesakes of seeded people, as in life).
        index = new_from + n
        p = person(index, len(org_ids))
        name, roman, english = written(p, random.Random(SEED + index))
        result.append(
            Probe(
                label="new",
                original=None,
                name=name,
                name_romanized=roman,
                english_name=english,
                phone_raw=p.phone_raw,
                email=p.email,
                organization_id=org_ids[p.organization],
            )
        )
    rng.shuffle(result)
    return result


@dataclass
class Result:
    label: str
    find_ms: float
    whole_ms: float
    find_queries: int
    whole_queries: int
    candidates: int
    gathered: int
    found_original: bool | None
    original_level: str | None
    queries: list[str]  # the SQL of find_candidates


def run_probe(probe: Probe, *, profiler: cProfile.Profile | None = None) -> Result:
    """The real path for one person entered anew, rolled back: save, channels, keys, then find candidates."""
    from django.db import connection, transaction
    from django.test.utils import CaptureQueriesContext

    from talent import identity
    from talent.models import Contact, ContactChannel
    from talent.names import simplified
    from talent.phones import phone_e164

    with transaction.atomic():
        with CaptureQueriesContext(connection) as whole:
            started = time.perf_counter()
            # What talent.services.contacts.contact_create does before identity_refresh (validated rows,
            # history), without its duplicate-pair writes.
            contact = Contact(
                name=probe.name,
                name_simplified=simplified(probe.name),
                name_romanized=probe.name_romanized,
                english_name=probe.english_name,
                organization_id=probe.organization_id,
            )
            contact.full_clean()
            contact.save()
            channels = []
            if probe.phone_raw:
                channels.append((ContactChannel.Kind.PHONE, phone_e164(probe.phone_raw), probe.phone_raw))
            if probe.email:
                channels.append((ContactChannel.Kind.EMAIL, probe.email.lower(), probe.email))
            for kind, value, raw in channels:
                channel = ContactChannel(contact=contact, kind=kind, value=value, raw=raw)
                channel.full_clean()
                channel.save()
            identity.keys_refresh(contact)
            detailed = identity.with_details(contact)
            with CaptureQueriesContext(connection) as matching:
                find_started = time.perf_counter()
                if profiler:
                    profiler.enable()
                found = identity.find_candidates(detailed)
                if profiler:
                    profiler.disable()
                ended = time.perf_counter()
        gathered = len(identity.candidate_ids(detailed))  # untimed: how many the keys and channels gathered
        transaction.set_rollback(True)
    original = next((c for c in found if c.contact.pk == probe.original), None)
    return Result(
        label=probe.label,
        find_ms=(ended - find_started) * 1000,
        whole_ms=(ended - started) * 1000,
        find_queries=len(matching.captured_queries),
        whole_queries=len(whole.captured_queries),
        candidates=len(found),
        gathered=gathered,
        found_original=None if probe.original is None else original is not None,
        original_level=original.level if original else None,
        queries=[query["sql"] for query in matching.captured_queries],
    )


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def explain_lookups(result: Result, probe: Probe) -> None:
    """EXPLAIN ANALYZE of the queries `find_candidates` ran for one probe to gather people: the channel lookup,
    the key counts and the key lookup (as captured, the probe's own rows rolled back since)."""
    from django.db import connection

    print(
        f"\nPlans of the lookups of one probe ({probe.name}, {result.gathered:,} people gathered), first lines:"
    )
    for sql in result.queries:
        where = sql.partition(" WHERE ")[2]
        if '"talent_contactmatchkey"' in sql and '"key"' in where:
            title = "key counts" if "COUNT(" in sql else "contacts behind the keys"
        elif sql.startswith('SELECT "talent_contactchannel"') and '"value"' in where:
            title = "channel lookup"
        else:
            continue
        with connection.cursor() as cursor:
            cursor.execute(f"EXPLAIN (ANALYZE, BUFFERS) {sql}")
            plan = [row[0] for row in cursor.fetchall()]
        indexes = sorted(
            {name for name in ("match_key_lookup", "channel_kind_value") if name in "\n".join(plan)}
        )
        print(f" {title} (indexes used: {', '.join(indexes) or 'none'}):")
        # The first lines, and the index scans further down.
        for n, line in enumerate(plan):
            if n < 4 or ("Index" in line and "Scan" in line) or "Index Cond" in line:
                print(f"  {line[:160]}")


def report(results: list[Result]) -> None:
    def line(title: str, values: list[float], unit: str = "ms") -> None:
        print(
            f"  {title:<32} median {statistics.median(values):8.1f} {unit}   p95 {percentile(values, 0.95):8.1f}"
            f" {unit}   max {max(values):8.1f} {unit}"
        )

    print(f"\n{len(results)} probes ({os.cpu_count()} cores):")
    for label in ("all", "re-entered", "new"):
        chosen = [r for r in results if label in ("all", r.label)]
        print(f" {label} ({len(chosen)}):")
        line("find_candidates", [r.find_ms for r in chosen])
        line("save + keys + find_candidates", [r.whole_ms for r in chosen])
        line("queries of find_candidates", [r.find_queries for r in chosen], "")
        line("queries of the whole path", [r.whole_queries for r in chosen], "")
        line("candidates found", [r.candidates for r in chosen], "")
        line("contacts gathered by keys", [r.gathered for r in chosen], "")
    again = [r for r in results if r.found_original is not None]
    found = [r for r in again if r.found_original]
    levels = statistics.multimode([r.original_level for r in found]) if found else []
    by_level = {
        level: sum(r.original_level == level for r in found) for level in ("certain", "likely", "possible")
    }
    print(
        f" re-entered people whose seeded record was among the candidates: {len(found)} of {len(again)} "
        f"({', '.join(f'{n} {level}' for level, n in by_level.items())}; most often {'/'.join(levels)})"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--contacts", type=int, default=CONTACTS)
    parser.add_argument("--probes", type=int, default=PROBES)
    parser.add_argument("--reseed", action="store_true", help="truncate the talent tables and seed again")
    args = parser.parse_args()

    from bench.common import own_database

    own_database(example="bench_contacts", also_refused=frozenset({"bench_leads", "bench_reminders"}))
    import django

    django.setup()
    from django.core.management import call_command

    from talent.models import Contact

    call_command("migrate", verbosity=0)
    org_ids = organization_ids()
    existing = Contact.objects.count()
    if args.reseed or existing != args.contacts:
        print(f"Seeding {args.contacts:,} contacts (the database held {existing:,}) …", flush=True)
        seed(args.contacts, org_ids)
    else:
        print(f"Reusing the {existing:,} contacts already seeded (--reseed to seed again).")
    first_pk = Contact.objects.order_by("pk").values_list("pk", flat=True).first()
    last = first_pk + args.contacts - 1
    expected = written(person(args.contacts - 1, len(org_ids)), random.Random(SEED + args.contacts - 1))[0]
    if Contact.objects.filter(pk=last).values_list("name", flat=True).first() != expected:
        sys.exit(
            "The contacts are not the ones this script seeds (another seed or count): run with --reseed."
        )

    # New people from far beyond the seeded ones, so that nothing measured ran before.
    for probe in probes(WARMUPS, 0, org_ids, first_pk, new_from=args.contacts + 2_000_000):
        run_probe(probe)
    chosen = probes(args.probes, args.contacts, org_ids, first_pk, new_from=args.contacts + 1_000_000)
    results = [run_probe(probe) for probe in chosen]
    report(results)
    # A re-entered person with a phone who gathers about the median number of people.
    typical = statistics.median(r.gathered for r in results)
    shown = min(
        (i for i, p in enumerate(chosen) if p.label == "re-entered" and p.phone_raw),
        key=lambda i: abs(results[i].gathered - typical),
    )
    explain_lookups(results[shown], chosen[shown])

    median = statistics.median(r.find_ms for r in results)
    if median > SLOW_MS:
        slowest = sorted(zip(results, chosen, strict=True), key=lambda pair: -pair[0].find_ms)
        sample = [probe for _r, probe in slowest[:3]] + chosen[:3]
        profiler = cProfile.Profile()
        for probe in sample:
            run_probe(probe, profiler=profiler)
        out = io.StringIO()
        pstats.Stats(profiler, stream=out).sort_stats("cumulative").print_stats(30)
        print(
            f"\nThe median match took {median:.1f} ms, over {SLOW_MS:.0f} ms. cProfile of find_candidates for"
        )
        print(f"the 3 slowest and 3 other probes ({', '.join(p.name for p in sample)}):")
        print(out.getvalue())


if __name__ == "__main__":
    main()
