"""Identity matching end to end: two records are made through the services, the second is matched against the
stored keys (the index path, not a comparison of two names in memory), and the level found is pinned.

Levels (DESIGN §5 Talent): certain = a shared phone, e-mail or WeChat ID with names that agree; likely = a shared
organization with names that agree; possible = names that agree in full with nothing else shared, or a shared
channel under names that do not agree. None = not offered for review at all.
"""

from __future__ import annotations

import pytest
from django.utils import translation

from talent.identity import find_candidates, with_details
from talent.masking import reason_text
from talent.models import Contact, DuplicatePair
from tests.talent.conftest import hk_phone, person

pytestmark = pytest.mark.django_db

SAME_PHONE, SAME_EMAIL, SAME_ORG, OTHER_ORGS, NOTHING = "phone", "email", "org", "other-orgs", "nothing"

# (first record, second record, what they share, expected level)
PAIRS = [
    # The same person across scripts and spellings.
    ("陳大文", "陈大文", SAME_PHONE, "certain"),
    ("陳大文", "Chan Tai Man", SAME_PHONE, "certain"),
    ("陳大文", "CHAN Tai-man", SAME_EMAIL, "certain"),
    ("陳大文", "Tai Man Chan", SAME_PHONE, "certain"),
    ("陳大文", "Taiman Chan", SAME_PHONE, "certain"),
    ("陳大文", "CHAN Tai Man, Peter", SAME_PHONE, "certain"),
    ("陳大文", "Prof. CHAN Tai Man, SBS JP", SAME_PHONE, "certain"),
    ("陳大文博士", "陳大文", SAME_EMAIL, "certain"),
    ("陈大文", "Chen Dawen", SAME_PHONE, "certain"),
    ("區志明", "Au Chi Ming", SAME_PHONE, "certain"),
    ("曾俊傑", "Tsang Chun Kit", SAME_PHONE, "certain"),
    ("單志明", "Sin Chi Ming", SAME_EMAIL, "certain"),
    ("張偉", "Zhang Wei", SAME_EMAIL, "certain"),
    ("張偉", "Wei ZHANG", SAME_EMAIL, "certain"),
    ("王小明", "Xiaoming Wang", SAME_PHONE, "certain"),
    ("黃大文", "Wong Tai Man", SAME_PHONE, "certain"),
    ("Peter Chan", "CHAN Tai Man, Peter", SAME_PHONE, "certain"),
    ("陳大文", "Chan Tai Man", SAME_ORG, "likely"),
    ("陳大文", "Peter Chan", SAME_ORG, "likely"),
    ("陳大文", "陈大文", SAME_ORG, "likely"),
    ("黃嘉欣", "Wong Ka Yan", SAME_ORG, "likely"),
    ("歐陽志強", "Au Yeung Chi Keung", SAME_ORG, "likely"),
    ("李美玲", "Lee Mei Ling", SAME_ORG, "likely"),
    ("葉詠詩", "Yip Wing Sze", SAME_ORG, "likely"),
    ("麥家豪", "Mak Ka Ho", SAME_ORG, "likely"),
    ("曾志偉", "Zeng Zhiwei", SAME_ORG, "likely"),
    ("Chan Tai Man", "CHAN Tai-man", SAME_ORG, "likely"),
    ("吳家豪", "Ng Ka Ho", SAME_ORG, "likely"),
    ("伍家豪", "Ng Ka Ho", SAME_ORG, "likely"),
    ("章志強", "Cheung Chi Keung", SAME_ORG, "likely"),
    # A name alone is only ever possible: the same 陳大文 at two universities with different phones.
    ("陳大文", "陳大文", OTHER_ORGS, "possible"),
    ("陳大文", "Chan Tai Man", NOTHING, "possible"),
    ("Zhang Wei", "Wei Zhang", OTHER_ORGS, "possible"),
    # A shared channel under names that do not agree: a family phone, a lab's mailbox.
    ("陳大文", "陳美玲", SAME_PHONE, "possible"),
    ("黃大文", "王大文", SAME_PHONE, "possible"),
    # Different people sharing a romanization, or a surname and organization.
    ("黃大文", "王大文", SAME_ORG, None),
    ("吳家豪", "伍家豪", SAME_ORG, None),
    ("張志強", "章志強", SAME_ORG, None),
    ("李美玲", "黎美玲", SAME_ORG, None),
    ("陳大文", "陳大明", SAME_ORG, None),
    ("陳大文", "Chan Siu Ming", SAME_ORG, None),
    ("陳大文", "Tai Man Wong", SAME_ORG, None),
    ("Peter Chan", "John Chan", SAME_ORG, None),
    ("Wong Ka Yan", "Wong Ka Wai", SAME_ORG, None),
    ("陳大文", "黃嘉欣", NOTHING, None),
]


def _make(first: str, second: str, shared: str, orgs) -> tuple[Contact, Contact]:
    phone, email = hk_phone(), "same.person@example.com"
    kwargs_a: dict = {"phones": [phone] if shared == SAME_PHONE else [hk_phone()]}
    kwargs_b: dict = {"phones": [phone] if shared == SAME_PHONE else [hk_phone()]}
    if shared == SAME_EMAIL:
        kwargs_a["emails"], kwargs_b["emails"] = [email], [email.upper()]
    if shared == SAME_ORG:
        kwargs_a["org"] = kwargs_b["org"] = orgs["HKUST"]
    if shared == OTHER_ORGS:
        kwargs_a["org"], kwargs_b["org"] = orgs["HKUST"], orgs["HKU"]
    return person(first, **kwargs_a), person(second, **kwargs_b)


@pytest.mark.parametrize(
    ("first", "second", "shared", "level"), PAIRS, ids=[f"{a}|{b}|{s}" for a, b, s, _ in PAIRS]
)
def test_level_found_through_the_stored_keys(first, second, shared, level, orgs):
    a, b = _make(first, second, shared, orgs)
    found = {c.contact.pk: c for c in find_candidates(with_details(b))}
    assert (found[a.pk].level if a.pk in found else None) == level
    # The queue holds the pair exactly when there is a level; nothing is merged on its own.
    pair = DuplicatePair.objects.filter(first=min(a.pk, b.pk), second=max(a.pk, b.pk)).first()
    assert (pair.level if pair else None) == level
    assert set(Contact.objects.filter(pk__in=[a.pk, b.pk]).values_list("status", flat=True)) == {"active"}


def test_there_are_at_least_forty_pairs():
    assert len(PAIRS) >= 40


def test_reasons_say_what_is_shared(orgs):
    a = person("陳大文", phones=["9123 4567"], org=orgs["HKUST"])
    b = person("Chan Tai Man", phones=["+852 9123-4567"], org=orgs["HKUST"])
    (candidate,) = find_candidates(with_details(b))
    assert candidate.contact == a
    assert candidate.level == "certain"
    assert candidate.reasons == (
        {"code": "phone", "value": "+85291234567"},
        {"code": "organization", "value": "香港科技大学 (HKUST)"},
        {"code": "romanization"},
    )
    assert [reason_text(r) for r in candidate.reasons] == [
        "same phone +85291234567",
        "same organization: 香港科技大学 (HKUST)",
        "one name is a romanization of the other",
    ]
    assert reason_text(candidate.reasons[0], masked=True) == "same phone +852 ******67"
    with translation.override("zh-hant"):
        assert reason_text(candidate.reasons[2]) != "one name is a romanization of the other"
    assert float(candidate.score) == pytest.approx(0.99)


def test_an_english_name_on_the_record_counts_with_the_surname(orgs):
    known_as_peter = person("陳大文", english_name="Peter", phones=[hk_phone()])
    found = find_candidates(with_details(person("Peter Chan", phones=[hk_phone()])))
    assert [(c.contact, c.level) for c in found] == [(known_as_peter, "possible")]


def test_a_romanized_name_on_the_record_is_matched_too(orgs):
    a = person("陳大文", name_romanized="CHAN Tai Man", phones=[hk_phone()])
    b = person("Chan Tai-man", phones=[hk_phone()], org=orgs["HKU"])
    assert [(c.contact, c.level) for c in find_candidates(with_details(b))] == [(a, "possible")]


def test_an_edit_that_removes_the_match_withdraws_the_open_pair(orgs):
    from talent.services.contacts import contact_update

    a = person("陳大文", org=orgs["HKUST"])
    b = person("Chan Tai Man", org=orgs["HKUST"])
    assert DuplicatePair.objects.filter(status="open").count() == 1
    contact_update(actor=None, contact=b, name="Chan Siu Ming")
    assert not DuplicatePair.objects.exists()
    contact_update(actor=None, contact=b, name="Chan Tai Man")
    assert DuplicatePair.objects.get().first_id == a.pk


def test_a_dismissed_pair_stays_dismissed_when_the_person_is_saved_again(orgs):
    from talent.services.contacts import contact_update, pair_dismiss

    person("陳大文", org=orgs["HKUST"])
    b = person("Chan Tai Man", org=orgs["HKUST"])
    pair_dismiss(actor=None, pair=DuplicatePair.objects.get())
    contact_update(actor=None, contact=b, notes="met again")
    assert list(DuplicatePair.objects.values_list("status", flat=True)) == ["dismissed"]


def test_matching_reads_the_index_in_a_fixed_number_of_queries(orgs, django_assert_num_queries):
    for i in range(20):
        person("陳大文", phones=[hk_phone()], org=orgs["HKUST"] if i % 2 else orgs["HKU"])
    probe = with_details(person("Chan Tai Man", phones=[hk_phone()], org=orgs["HKUST"]))
    # channel lookup, key counts, key lookup, candidates, their channels, their affiliations (+ organizations)
    with django_assert_num_queries(6):
        found = find_candidates(probe)
    assert len(found) == 20
    assert {c.level for c in found} == {"likely", "possible"}


def test_the_nightly_rescan_finds_people_registered_at_the_same_moment(orgs):
    from talent.models import ContactMatchKey
    from talent.tasks import identity_rescan

    a = person("陳大文", org=orgs["HKUST"])
    # As if b had been saved while a's transaction was still open: b's own matching could not see a.
    b = person("Chan Tai Man", org=orgs["HKUST"])
    DuplicatePair.objects.all().delete()
    ContactMatchKey.objects.filter(contact=a).delete()
    assert identity_rescan() == 2
    assert DuplicatePair.objects.get().level == "likely"
    assert {DuplicatePair.objects.get().first_id, DuplicatePair.objects.get().second_id} == {a.pk, b.pk}


def test_an_english_name_is_not_offered_against_every_colleague_of_the_same_surname(orgs):
    from talent.services.rights import contact_erase

    colleagues = [
        person(f"張{given}", org=orgs["HKUST"]) for given in ("志明", "家豪", "偉強", "美玲", "嘉欣", "子軒")
    ]
    tony = with_details(person("Tony Cheung", org=orgs["HKUST"]))
    assert find_candidates(tony) == []
    # A handful is still worth a look.
    for colleague in colleagues[1:]:
        contact_erase(actor=None, contact=colleague, reason="test")
    assert [(c.contact, c.level) for c in find_candidates(tony)] == [(colleagues[0], "likely")]


def test_a_common_name_alone_is_not_offered_against_everyone_who_bears_it(orgs):
    from talent import identity

    namesakes = [person("陳志明", phones=[hk_phone()]) for _ in range(identity.NAME_ONLY_CANDIDATES + 2)]
    probe = with_details(person("陳志明", phones=[hk_phone()]))
    assert find_candidates(probe) == []
    # With a phone in common, the one who shares it still stands out.
    from talent.services.contacts import channel_add

    channel_add(actor=None, contact=probe, kind="phone", raw=namesakes[0].channels.get().raw)
    found = find_candidates(with_details(probe))
    assert [(c.contact, c.level) for c in found] == [(namesakes[0], "certain")]
