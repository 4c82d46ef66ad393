"""Name agreement across scripts and spellings: the same person written many ways agrees, different people who
share a romanization do not (when characters are there to tell them apart)."""

from __future__ import annotations

import pytest

from talent.names import compare, hk_spellings, parse

SAME_PERSON = [
    # Traditional and Simplified characters
    ("陳大文", "陈大文"),
    ("黃志強", "黄志强"),
    ("區家明", "区家明"),
    # Cantonese romanization in its usual orders and punctuation
    ("陳大文", "Chan Tai Man"),
    ("陳大文", "CHAN Tai Man"),
    ("陳大文", "Chan Tai-man"),
    ("陳大文", "Chan Tai-Man"),
    ("陳大文", "Tai Man Chan"),
    ("陳大文", "CHAN Tai Man, Peter"),
    ("陳大文", "Peter Chan Tai-man"),
    ("陈大文", "Chan Tai Man"),  # simplified characters typed by mainland staff
    ("Prof. CHAN Tai Man", "陳大文教授"),  # titles dropped
    ("Dr. Chan Tai-man", "Chan Tai Man"),
    # surname readings of the table
    ("區志明", "Au Chi Ming"),
    ("曾蔭權", "Tsang Yam Kuen"),
    ("單志明", "Sin Chi Ming"),
    ("歐陽志明", "Au Yeung Chi Ming"),
    ("歐陽志明", "Auyeung Chi Ming"),
    ("司徒家樂", "Szeto Ka Lok"),
    # HK spellings of one syllable (zi → Chi / Tsz)
    ("謝子健", "Tse Tsz Kin"),
    ("謝子健", "Tse Chi Kin"),
    ("李嘉誠", "Li Ka Shing"),
    ("孫中山", "Suen Chung Shan"),
    # both romanizations of Wong / Ng / Cheung are possible readings of each character
    ("黃志強", "Wong Chi Keung"),
    ("王志強", "Wong Chi Keung"),
    ("吳家明", "Ng Ka Ming"),
    ("伍家明", "Ng Ka Ming"),
    ("張家豪", "Cheung Ka Ho"),
    ("章家豪", "Cheung Ka Ho"),
    # pinyin, in either order (mainland-born researchers in Hong Kong)
    ("張偉", "Zhang Wei"),
    ("張偉", "Wei ZHANG"),
    ("陈大文", "Chen Dawen"),
    ("陈大文", "Dawen Chen"),
    # two romanized forms
    ("Wong Chi Keung", "Wong Chi-keung"),
    ("Chan Tai Man", "Tai Man Chan"),
    ("Peter Chan Tai-man", "Taiman Chan"),
    ("Zhang Wei", "Wei Zhang"),
    ("Peter Chan", "Peter Chan Tai Man"),
    # Hon is a given syllable; only "The Hon." is an honorific
    ("張翰遠", "CHEUNG Hon-yuen"),
    ("The Hon. CHEUNG Hon-yuen, JP", "張翰遠"),
]

PARTIAL = [
    # an English given name on one side: same surname, nothing contradicts, but not a full agreement
    ("陳大文", "Peter Chan"),
    ("Peter Chan", "Chan Tai Man"),
    # English names that also spell as syllables run together are English names on a card
    ("黃俊慧", "Winnie Wong"),
    ("陳家明", "Calvin Chan"),
]

DIFFERENT_PEOPLE = [
    # one romanization, different characters
    ("黃志強", "王志強"),
    ("吳家明", "伍家明"),
    ("張家豪", "章家豪"),
    ("陳大文", "陳大明"),
    # different given names or surnames
    ("Ng Ka Ming", "Ng Ka Wai"),
    ("Chan Tai Man", "Chan Tai Ming"),
    ("陳大文", "Chan Siu Ming"),
    ("陳大文", "Lee Tai Man"),
    ("Peter Chan", "John Chan"),
    ("John Chan Tai Man", "Peter Chan Tai Man"),
    ("張偉", "Zhang Ming"),
    # the given name is the whole run, not its first syllable
    ("陳彥", "Andy CHAN Yan-wai"),
    ("陳大", "Chan Tai Man"),
]


@pytest.mark.parametrize(("a", "b"), SAME_PERSON)
def test_the_same_person_written_another_way_agrees_fully(a, b):
    for left, right in ((a, b), (b, a)):
        result = compare(left, right)
        assert (result.agree, result.full) == (True, True), (left, right, result)


@pytest.mark.parametrize(("a", "b"), PARTIAL)
def test_an_english_name_against_a_chinese_given_name_agrees_only_partly(a, b):
    result = compare(a, b)
    assert (result.agree, result.full) == (True, False), result
    assert "English" in result.reason


@pytest.mark.parametrize(("a", "b"), DIFFERENT_PEOPLE)
def test_different_people_do_not_agree(a, b):
    for left, right in ((a, b), (b, a)):
        result = compare(left, right)
        assert result.agree is False, (left, right, result)


def test_there_are_at_least_forty_pairs():
    assert len(SAME_PERSON) + len(PARTIAL) + len(DIFFERENT_PEOPLE) >= 40


def test_reasons_say_how_the_names_agree():
    assert compare("陳大文", "陈大文").reason == "same Chinese characters"
    assert compare("陳大文", "Chan Tai Man").reason == "romanization of the Chinese name"
    assert compare("Wong Chi Keung", "Wong Chi-keung").reason == "same romanized name"


def test_parsing_keeps_titles_out_and_english_names_apart():
    name = parse("Prof. CHAN Tai Man, Peter")
    assert name.tokens == ("chan", "tai", "man", "peter")
    assert name.english == frozenset({"peter"})
    assert parse("陳大文教授").chinese == "陈大文"
    assert parse("Taiman Chan").english == frozenset()  # two syllables run together, not an English name


@pytest.mark.parametrize(
    ("jyutping", "spellings"),
    [("zi3", {"chi", "tsz", "tze"}), ("gaa1", {"ka"}), ("kyun4", {"kuen"}), ("syut3", {"suet"})],
)
def test_jyutping_becomes_hong_kong_spellings(jyutping, spellings):
    assert spellings <= set(hk_spellings(jyutping))
