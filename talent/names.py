"""Whether two ways of writing a person's name can be the same person (DESIGN §5 Talent).

- When both names have Chinese characters, the characters decide, after Traditional→Simplified conversion:
  陳大文 = 陈大文, but 黃 ≠ 王 even though both are "Wong".
- When a side has no characters, its romanization is compared with the spellings the characters can have: the
  surname through our surname-reading table (區 Au, 曾 Tsang, 單 Sin) and, like the given name, through the
  Cantonese reading turned into Hong Kong spellings (zi → Chi, Tsz, Tze, Chee) or the Mandarin pinyin (mainland-born
  researchers in Hong Kong write Zhang Wei or Wei ZHANG).
- Romanized names are read in any order (CHAN Tai Man, Tai Man Chan, Chan Tai-man, CHAN Tai Man, Peter); given
  names compare with spaces and hyphens removed; English given names (Peter) are kept apart.
- Titles (Prof, Dr, Ir, 教授, 博士) are kept for display and dropped for matching.

A name alone never identifies a person: the result here is one input of identity matching, which also weighs
phones, emails and organizations.
"""

from __future__ import annotations

import itertools
import re
import unicodedata
from dataclasses import dataclass, field
from functools import lru_cache

import opencc

CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
TITLES = {
    "prof", "professor", "dr", "doctor", "ir", "mr", "mrs", "ms", "miss", "madam", "sir", "dame", "the",
    "sbs", "bbs", "gbs", "gbm", "jp", "mh", "obe", "mbe", "cbe", "phd", "frs", "freng",
    "教授", "博士", "先生", "女士", "小姐", "老师", "工程师", "主任", "院长", "校长", "医生", "律师", "副教授", "研究员",
}  # fmt: skip
COMPOUND_SURNAMES = {
    "欧阳", "司徒", "上官", "诸葛", "司马", "东方", "皇甫", "尉迟", "公孙", "慕容", "令狐", "夏侯", "端木", "钟离",
    "长孙", "宇文", "轩辕", "澹台", "万俟", "闻人", "南宫", "西门", "范姜", "张简",
}  # fmt: skip

# Hong Kong spellings of common surnames (simplified form → spellings), beyond what the reading gives: the
# registry's customary forms, including readings a character has only as a surname (區 Au, 曾 Tsang, 單 Sin).
SURNAME_SPELLINGS: dict[str, set[str]] = {
    "陈": {"chan", "chen", "tan"}, "黄": {"wong", "huang", "vong"}, "王": {"wong", "wang", "vong"},
    "吴": {"ng", "wu", "ung"}, "伍": {"ng", "wu"}, "张": {"cheung", "chang", "zhang", "chong"},
    "章": {"cheung", "zhang", "chang"}, "李": {"lee", "li", "lei"}, "林": {"lam", "lin", "lim"},
    "刘": {"lau", "liu", "lao"}, "梁": {"leung", "liang"}, "何": {"ho", "he"}, "郭": {"kwok", "guo"},
    "区": {"au", "ou", "ow", "ao"}, "曾": {"tsang", "zeng", "tseng", "chang"}, "单": {"sin", "shin", "shan"},
    "郑": {"cheng", "zheng", "chang"}, "谢": {"tse", "xie", "che"}, "邓": {"tang", "deng"},
    "冯": {"fung", "feng"}, "蔡": {"choi", "tsoi", "cai", "chua"}, "叶": {"yip", "ye", "yeh", "ip"},
    "周": {"chow", "chau", "zhou"}, "罗": {"law", "lo", "luo"}, "杨": {"yeung", "yang", "young"},
    "许": {"hui", "xu", "hsu"}, "朱": {"chu", "chue", "zhu"}, "苏": {"so", "su"}, "钟": {"chung", "zhong"},
    "潘": {"poon", "pan", "pun"}, "余": {"yu", "yue", "yee"}, "卢": {"lo", "lou", "lu", "loo"},
    "麦": {"mak", "mai"}, "关": {"kwan", "guan"}, "江": {"kong", "jiang"}, "马": {"ma", "mah"},
    "莫": {"mok", "mo"}, "胡": {"wu", "woo", "hu"}, "姚": {"yiu", "yao"}, "邱": {"yau", "qiu", "khoo"},
    "丘": {"yau", "qiu"}, "孔": {"hung", "kong"}, "方": {"fong", "fang"}, "黎": {"lai", "li"},
    "徐": {"tsui", "chui", "xu"}, "崔": {"tsui", "chui", "cui"}, "温": {"wan", "wen", "wun"},
    "汤": {"tong", "tang"}, "唐": {"tong", "tang"}, "庄": {"chong", "zhuang"}, "文": {"man", "wen"},
    "石": {"shek", "shi"}, "彭": {"pang", "peng"}, "袁": {"yuen", "yuan"}, "萧": {"siu", "xiao"},
    "赵": {"chiu", "zhao"}, "钱": {"chin", "qian"}, "孙": {"suen", "sun"}, "高": {"ko", "kao", "gao"},
    "龚": {"kung", "gong"}, "严": {"yim", "yan"}, "任": {"yam", "ren"}, "侯": {"hau", "hou"},
    "欧阳": {"auyeung", "auyang", "ouyang"}, "司徒": {"szeto", "situ"}, "上官": {"seungkwun", "shangguan"},
    "邝": {"kwong", "kuang"}, "甘": {"kam", "gan"}, "金": {"kam", "jin"}, "简": {"kan", "jian"},
    "劳": {"lo", "lao"}, "容": {"yung", "rong"}, "翁": {"yung", "weng"}, "雷": {"lui", "lei"},
    "吕": {"lui", "lu", "lv"}, "施": {"sze", "shi", "si"}, "史": {"sze", "shi"}, "韦": {"wai", "wei"},
}  # fmt: skip

# Jyutping → Hong Kong Government Cantonese Romanisation, the way HK identity cards spell.
_INITIALS = {
    "b": ["p"], "p": ["p"], "m": ["m"], "f": ["f"], "d": ["t"], "t": ["t"], "n": ["n"], "l": ["l"], "g": ["k"],
    "k": ["k"], "ng": ["ng"], "h": ["h"], "gw": ["kw"], "kw": ["kw"], "w": ["w"], "z": ["ch", "ts"],
    "c": ["ch", "ts"], "s": ["s", "sh"], "j": ["y"], "": [""],
}  # fmt: skip
_FINALS = {
    "aa": ["a", "ah"], "aai": ["ai"], "aau": ["au"], "aam": ["am"], "aan": ["an"], "aang": ["ang"], "aap": ["ap"],
    "aat": ["at"], "aak": ["ak"], "ai": ["ai", "ei"], "au": ["au"], "am": ["am"], "an": ["an"], "ang": ["ang"],
    "ap": ["ap"], "at": ["at"], "ak": ["ak"], "e": ["e"], "ei": ["ei", "ay"], "eu": ["eu"], "em": ["em"],
    "eng": ["eng"], "ep": ["ep"], "ek": ["ek"], "i": ["i", "ee"], "iu": ["iu"], "im": ["im"], "in": ["in"],
    "ing": ["ing"], "ip": ["ip"], "it": ["it"], "ik": ["ik"], "o": ["o"], "oi": ["oi", "oy"], "ou": ["o", "ou"],
    "on": ["on"], "ong": ["ong"], "ot": ["ot"], "ok": ["ok"], "u": ["u", "oo"], "ui": ["ui", "ooi"],
    "un": ["un", "oon"], "ung": ["ung"], "ut": ["ut", "oot"], "uk": ["uk"], "oe": ["oe"], "oeng": ["eung"],
    "oek": ["euk"], "eoi": ["ui", "eui", "oi"], "eon": ["un", "eun"], "eot": ["ut", "eut"], "yu": ["u", "ue", "yu"],
    "yun": ["uen", "yuen", "un"], "yut": ["uet", "yuet", "ut"], "m": ["m"], "ng": ["ng"],
}  # fmt: skip
# Syllables whose customary spellings the tables above do not produce.
_WHOLE_SYLLABLES = {
    "zi": ["chi", "tsz", "tze", "chee"], "ci": ["chi", "tsz", "tze", "chee"], "si": ["sze", "see", "si", "shi"],
    "ji": ["yi", "yee", "ee"], "jyu": ["yu", "yue"], "jyun": ["yuen", "yuan"], "jyut": ["yuet", "yuet"],
    "wu": ["wu", "woo"], "jau": ["yau"], "jan": ["yan"], "jat": ["yat"], "jim": ["yim"], "jin": ["yin"],
    "jing": ["ying"], "jip": ["yip"], "jiu": ["yiu"], "jung": ["yung"], "juk": ["yuk"], "jeoi": ["yui", "yeui"],
}  # fmt: skip
_INITIAL_RE = re.compile(r"^(gw|kw|ng|[bpmfdtnlgkhwzcsj]?)(.*)$")

_t2s = opencc.OpenCC("t2s")
# The Cantonese readings come from a corpus written in Traditional characters: look simplified ones up there.
_s2hk = opencc.OpenCC("s2hk")


def simplified(text: str) -> str:
    return _t2s.convert(text)


def has_chinese(text: str) -> bool:
    return bool(CJK.search(text))


@lru_cache(maxsize=4096)
def hk_spellings(jyutping: str) -> tuple[str, ...]:
    """The Hong Kong spellings of one Jyutping syllable (tone number ignored): "zi3" → chi, tsz, tze, chee."""
    syllable = jyutping.rstrip("123456")
    if syllable in _WHOLE_SYLLABLES:
        return tuple(_WHOLE_SYLLABLES[syllable])
    initial, final = _INITIAL_RE.match(syllable).groups()  # type: ignore[union-attr]
    if final not in _FINALS:  # a syllabic m / ng, or a reading the tables do not know
        return (syllable,)
    return tuple(dict.fromkeys(i + f for i in _INITIALS.get(initial, [initial]) for f in _FINALS[final]))


@lru_cache(maxsize=4096)
def char_spellings(char: str) -> frozenset[str]:
    """Every spelling one character may have in a romanized name: its Cantonese readings in Hong Kong spelling,
    and its Mandarin pinyin."""
    import pycantonese
    from pypinyin import Style, pinyin

    spellings: set[str] = set()
    for _chars, jyutping in pycantonese.characters_to_jyutping(_s2hk.convert(char)):
        if jyutping:
            for syllable in jyutping.split():
                spellings.update(hk_spellings(syllable))
    for reading in pinyin(char, style=Style.NORMAL, heteronym=True)[0]:
        spellings.add(reading.replace("ü", "v").lower())
    spellings.discard("")
    return frozenset(spellings)


_CJK_TITLES = tuple(sorted((t for t in TITLES if CJK.search(t)), key=len, reverse=True))


def _strip_titles_cjk(text: str) -> str:
    for title in _CJK_TITLES:
        if text.endswith(title) and len(text) > len(title) + 1:
            text = text[: -len(title)]
    return text


@dataclass(frozen=True)
class Name:
    """A name read for matching. `chinese` is the simplified form without spaces or titles ("" when the name
    has no characters); `tokens` the romanized words, lower-case, titles dropped, hyphenated parts split;
    `english` the English given names (a token that is no reading of any Chinese syllable is one)."""

    text: str
    chinese: str = ""
    tokens: tuple[str, ...] = ()
    english: frozenset[str] = field(default_factory=frozenset)

    @property
    def surname_and_given(self) -> tuple[str, str]:
        """The Chinese surname and given name (compound surnames kept whole)."""
        if self.chinese[:2] in COMPOUND_SURNAMES:
            return self.chinese[:2], self.chinese[2:]
        return self.chinese[:1], self.chinese[1:]


def _romanized_tokens(text: str) -> list[str]:
    text = unicodedata.normalize("NFKD", text)
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    words = re.split(r"[\s,，.。·•/()（）]+", text.lower())
    tokens: list[str] = []
    previous = ""
    for word in words:
        for part in word.split("-"):
            part = re.sub(r"[^a-z']", "", part).replace("'", "")
            # "The Hon." is an honorific; Hon alone is a common given syllable (Cheung Hon-yuen).
            if part and part not in TITLES and not (part == "hon" and previous == "the"):
                tokens.append(part)
            previous = part or previous
    return tokens


@lru_cache(maxsize=1)
def _known_syllables() -> frozenset[str]:
    """Every spelling a Chinese syllable can take here: a token outside this set is an English name."""
    known: set[str] = set()
    for syllable in _WHOLE_SYLLABLES.values():
        known.update(syllable)
    for initial, finals in itertools.product(_INITIALS.values(), _FINALS.values()):
        known.update(i + f for i in initial for f in finals)
    for spellings in SURNAME_SPELLINGS.values():
        known.update(spellings)
    from pypinyin.constants import PINYIN_DICT

    for readings in PINYIN_DICT.values():
        for reading in readings.split(","):
            known.add(unicodedata.normalize("NFKD", reading).encode("ascii", "ignore").decode().lower())
    return frozenset(known)


# English given names common in Hong Kong that also spell as Chinese syllables run together (Winnie = win+nie,
# Calvin = ca+lv+in): on a card they are English names.
ENGLISH_NAMES = frozenset({
    "alan", "alice", "allen", "amanda", "amy", "andy", "angel", "angela", "angus", "anne", "annie", "ben", "benny",
    "bonnie", "calvin", "candy", "carmen", "carol", "carrie", "cathy", "chris", "cindy", "connie", "daisy", "danny",
    "dennis", "derek", "diana", "elaine", "ellen", "elsa", "eric", "erica", "eva", "fanny", "fiona", "gary",
    "hannah", "helen", "henry", "irene", "iris", "ivy", "jack", "jackie", "jane", "janet", "jason", "jean", "jenny",
    "jimmy", "joan", "joanne", "joe", "joey", "john", "johnny", "karen", "kate", "katie", "kelvin", "kenny", "kevin",
    "kitty", "lena", "leo", "linda", "lisa", "mandy", "maria", "marian", "mona", "nancy", "noel", "peggy", "penny",
    "rena", "rene", "rita", "ron", "ronnie", "rosa", "rose", "sammy", "sandy", "tina", "tom", "tony", "vivian",
    "wendy", "winnie",
})  # fmt: skip


@lru_cache(maxsize=8192)
def _spells_syllables(token: str) -> bool:
    """Whether the token is one or more Chinese syllables run together (Taiman, Chiming): if not, it is an
    English given name (Peter)."""
    known = _known_syllables()
    reachable = [True] + [False] * len(token)
    for end in range(1, len(token) + 1):
        reachable[end] = any(
            reachable[start] and token[start:end] in known for start in range(max(0, end - 6), end)
        )
    return reachable[-1]


@lru_cache(maxsize=65536)
def parse(text: str) -> Name:
    text = (text or "").strip()
    chinese = "".join(CJK.findall(simplified(_strip_titles_cjk(re.sub(r"\s+", "", text)))))
    chinese = _strip_titles_cjk(chinese)
    tokens = tuple(_romanized_tokens(CJK.sub(" ", text)))
    english = frozenset(t for t in tokens if t in ENGLISH_NAMES or not _spells_syllables(t))
    return Name(text=text, chinese=chinese, tokens=tokens, english=english)


@dataclass(frozen=True)
class Agreement:
    """`agree`: the names can be the same person. `full`: surname and given name both agree (not only the surname
    with an English name). `reason` says how, for the review queue."""

    agree: bool
    full: bool
    reason: str


DIFFERENT = Agreement(False, False, "different names")


def _surname_spellings(surname: str) -> set[str]:
    spellings = set(SURNAME_SPELLINGS.get(surname, ()))
    parts = [char_spellings(ch) for ch in surname]
    spellings.update("".join(combo) for combo in itertools.product(*parts))
    return spellings


def _given_spellings(given: str) -> set[str]:
    parts = [char_spellings(ch) for ch in given]
    if not parts or len(parts) > 4:
        return set()
    return {"".join(combo) for combo in itertools.product(*parts)}


def _against_characters(cjk: Name, roman: Name) -> Agreement:
    surname, given = cjk.surname_and_given
    surnames = _surname_spellings(surname)
    givens = _given_spellings(given)
    tokens = list(roman.tokens)
    for index in range(len(tokens)):
        # A compound surname may be written as one word or two (Au Yeung, Auyeung).
        for width in (2, 1):
            candidate = "".join(tokens[index : index + width])
            if index + width > len(tokens) or candidate not in surnames:
                continue
            before, after = tokens[:index], tokens[index + width :]
            # The given name is everything after the surname (CHAN Tai Man, Peter) or everything before it (Tai Man
            # Chan), English names aside: 陳彥 is not Chan Yan-wai.
            runs = {"".join(t for t in side if t not in roman.english) for side in (before, after)} - {""}
            if givens & runs:
                return Agreement(True, True, "romanization of the Chinese name")
            others = [t for t in before + after if t not in roman.english]
            if not others and roman.english:
                return Agreement(True, False, "same surname; an English given name only")
    return DIFFERENT


def _without(tokens: list[str], token: str) -> list[str]:
    rest = list(tokens)
    rest.remove(token)
    return rest


def _romanized(a: Name, b: Name) -> Agreement:
    """Both romanized: a shared syllable is the surname; the rest must spell the same given name (spaces and
    hyphens aside), or an English name must carry the agreement."""
    chinese_a = [t for t in a.tokens if t not in a.english]
    chinese_b = [t for t in b.tokens if t not in b.english]
    if a.english and b.english and not a.english & b.english:
        return DIFFERENT  # Peter and John are two people
    for surname in sorted(set(chinese_a) & set(chinese_b)):
        rest_a, rest_b = _without(chinese_a, surname), _without(chinese_b, surname)
        if rest_a and rest_b:
            if "".join(rest_a) == "".join(rest_b):
                return Agreement(True, True, "same romanized name")
            continue
        if a.english & b.english:
            return Agreement(True, True, "same surname and English name")
        if (rest_a or a.english) and (rest_b or b.english):
            # One side writes an English name, the other the Chinese given name: nothing contradicts.
            return Agreement(True, False, "same surname; an English given name on one side")
    return DIFFERENT


def compare(a: str | Name, b: str | Name) -> Agreement:
    left = a if isinstance(a, Name) else parse(a)
    right = b if isinstance(b, Name) else parse(b)
    if left.chinese and right.chinese:
        if left.chinese == right.chinese:
            return Agreement(True, True, "same Chinese characters")
        return DIFFERENT
    if left.chinese:
        return _against_characters(left, right)
    if right.chinese:
        return _against_characters(right, left)
    return _romanized(left, right)
