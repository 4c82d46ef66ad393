"""Identity matching (DESIGN §5 Talent): which contacts may be the same person, how sure we are, and why.

Levels:
- *certain*: a shared phone (E.164), e-mail or WeChat ID, and names that agree;
- *likely*: a shared organization (an alias is the same organization row) and names that agree;
- *possible*: names that agree in full with nothing else shared, or a shared channel under names that do not agree
  (a family phone, a lab's shared mailbox).
A name alone is never certain, and nothing here merges: candidates go to the review queue.

Finding candidates reads indexes only. Each contact's name keys are stored (ContactMatchKey) when it is saved:
- `n:<characters>` the simplified Chinese name;
- `g:<surname spelling>:<first syllable of the given name>`, every spelling of the surname (陳 → chan, chen,
  tan …) with every spelling of the given name's first character (大 → tai, dai, da …), and for a romanized name
  every word read as the surname with the syllables the rest can begin with (Chan Tai-man → chan:ta, chan:tai);
- `e:<surname spelling>:<English name>` for people known by an English given name (Peter Chan);
- `o:<organization id>:<surname spelling>` for every organization the person is or was affiliated with.
The keys only gather candidates; `talent.names.compare` decides.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Count, Prefetch, Q

from talent import names
from talent.models import Contact, ContactChannel, ContactMatchKey, Level
from talent.models.contacts import Affiliation

# A key shared by more people than this is too common to tell anyone apart: it is skipped for lookups rather than
# read whole (the other keys still find the person). Stored all the same, so the limit can move without a rebuild.
CROWDED_KEY = 2000


@dataclass(frozen=True)
class Candidate:
    contact: Contact
    level: str
    score: Decimal
    reasons: tuple[dict[str, str], ...]  # codes with the values they quote: talent.masking writes them out


def name_variants(contact: Contact) -> list[names.Name]:
    """The ways the person's name is written on the record: as written, and as romanized with the English name."""
    variants = [names.parse(contact.name)]
    roman = " ".join(part for part in (contact.name_romanized, contact.english_name) if part)
    if roman:
        variants.append(names.parse(roman))
    return variants


def _english(variants: list[names.Name], contact: Contact) -> frozenset[str]:
    english = {token for variant in variants for token in variant.english}
    english.update(names.parse(contact.english_name).tokens if contact.english_name else ())
    return frozenset(english)


def _surname_spellings(variant: names.Name) -> set[str]:
    """Every spelling the variant's surname may take: the readings of its Chinese surname, or any of its
    romanized words not an English name (which word is the surname is not known)."""
    if variant.chinese:
        surname, _given = variant.surname_and_given
        return names._surname_spellings(surname)
    return {token for token in variant.tokens if token not in variant.english}


def _first_syllables(given: str) -> set[str]:
    """How a given name written as one run of letters may begin: its prefixes that spell a Chinese syllable
    (taiman → ta, tai)."""
    known = names._known_syllables()
    return {given[:n] for n in range(1, min(len(given), 6) + 1) if given[:n] in known}


def _name_keys(variant: names.Name) -> set[str]:
    keys: set[str] = set()
    if variant.chinese:
        keys.add(f"n:{variant.chinese}")
        _surname, given = variant.surname_and_given
        firsts = names.char_spellings(given[0]) if given else frozenset()
        for spelling in _surname_spellings(variant):
            keys.update(f"g:{spelling}:{first}" for first in firsts)
        return keys
    tokens = [token for token in variant.tokens if token not in variant.english]
    # Any word may be the surname; the given name is the rest, read as one run (Chan Tai-man, Taiman Chan).
    for index, surname in enumerate(tokens):
        rest = "".join(tokens[:index] + tokens[index + 1 :])
        keys.update(f"g:{surname}:{first}" for first in _first_syllables(rest))
    # A compound surname written as two words (Au Yeung Ka Yan) is also one word (auyeung).
    for index in range(len(tokens) - 1):
        rest = "".join(tokens[:index] + tokens[index + 2 :])
        keys.update(f"g:{tokens[index]}{tokens[index + 1]}:{first}" for first in _first_syllables(rest))
    return keys


def match_keys(contact: Contact, organization_ids: Iterable[int] = ()) -> set[str]:
    variants = name_variants(contact)
    english = _english(variants, contact)
    surnames: set[str] = set()
    keys: set[str] = set()
    for variant in variants:
        keys |= _name_keys(variant)
        surnames |= _surname_spellings(variant)
    surnames -= english
    for surname in surnames:
        keys.update(f"e:{surname}:{name}" for name in english)
        keys.update(f"o:{organization}:{surname}" for organization in organization_ids)
    return {key[:120] for key in keys}


def organization_ids(contact: Contact) -> set[int]:
    ids = {a.organization_id for a in contact.affiliations.all()}
    if contact.organization_id:
        ids.add(contact.organization_id)
    return ids


def keys_refresh(contact: Contact) -> set[str]:
    """Rewrite the stored keys of one contact (a merged or erased contact has none: nobody should find it)."""
    keys = (
        set() if contact.status != Contact.Status.ACTIVE else match_keys(contact, organization_ids(contact))
    )
    stored = set(ContactMatchKey.objects.filter(contact=contact).values_list("key", flat=True))
    if stored - keys:
        ContactMatchKey.objects.filter(contact=contact, key__in=stored - keys).delete()
    if keys - stored:
        ContactMatchKey.objects.bulk_create(
            [ContactMatchKey(contact=contact, key=key) for key in keys - stored]
        )
    return keys


# --- Deciding ---------------------------------------------------------------------------------------------------


def names_agree(left: Contact, right: Contact) -> names.Agreement:
    """The best agreement between any way one person's name is written and any way the other's is."""
    left_variants, right_variants = name_variants(left), name_variants(right)
    best = names.DIFFERENT
    for a in left_variants:
        for b in right_variants:
            agreement = names.compare(a, b)
            if agreement.full:
                return agreement
            if agreement.agree and not best.agree:
                best = agreement
    if best.agree:
        # "Peter Chan" against 陳大文 known as Peter: the surname and the English name both agree.
        shared = _english(left_variants, left) & _english(right_variants, right)
        if shared:
            return names.Agreement(True, True, "same surname and English name")
    return best


# More people than this who share an organization and agree with a name only through its surname (an English
# name on one side) are not offered: the surname is all they share.
WEAK_CANDIDATES = 5
NAME_ONLY_CANDIDATES = 20
_PARTIAL_NAME_CODES = {"surname_english_only", "surname_english_one_side"}

# The comparison's verdicts as reason codes (talent.masking writes them out in the reader's language).
_NAME_CODES = {
    "same Chinese characters": "same_characters",
    "romanization of the Chinese name": "romanization",
    "same romanized name": "same_romanized",
    "same surname and English name": "surname_and_english",
    "same surname; an English given name only": "surname_english_only",
    "same surname; an English given name on one side": "surname_english_one_side",
}


def _channels(contact: Contact) -> set[tuple[str, str]]:
    return {(c.kind, c.value) for c in contact.channels.all()}


def assess(
    contact: Contact, other: Contact, *, organizations: dict[int, str] | None = None
) -> Candidate | None:
    """The level, score and reasons for two contacts, or None when nothing suggests they are one person.
    Both contacts need their channels and affiliations prefetched."""
    agreement = names_agree(contact, other)
    shared_channels = sorted(_channels(contact) & _channels(other))
    shared_orgs = organization_ids(contact) & organization_ids(other)
    reasons: list[dict[str, str]] = [{"code": kind, "value": value} for kind, value in shared_channels]
    if shared_orgs:
        labels = organizations or {}
        reasons += [{"code": "organization", "value": labels.get(pk, str(pk))} for pk in sorted(shared_orgs)]
    if agreement.agree:
        reasons.append({"code": _NAME_CODES.get(agreement.reason, agreement.reason)})
    elif shared_channels:
        reasons.append({"code": "names_differ"})
    if shared_channels and agreement.agree:
        level, score = Level.CERTAIN, Decimal("0.95") if agreement.full else Decimal("0.90")
        if len(shared_channels) > 1 or shared_orgs:
            score += Decimal("0.04")
    elif shared_orgs and agreement.agree:
        level, score = Level.LIKELY, Decimal("0.75") if agreement.full else Decimal("0.60")
    elif shared_channels:
        level, score = Level.POSSIBLE, Decimal("0.40")
    elif agreement.full:
        chinese_both = any(v.chinese for v in name_variants(contact)) and any(
            v.chinese for v in name_variants(other)
        )
        level, score = Level.POSSIBLE, Decimal("0.35") if chinese_both else Decimal("0.30")
    else:
        return None
    return Candidate(contact=other, level=level, score=score, reasons=tuple(reasons))


def _with_details(queryset):
    return queryset.select_related("organization").prefetch_related(
        Prefetch("channels", queryset=ContactChannel.objects.only("pk", "contact_id", "kind", "value")),
        Prefetch("affiliations", queryset=Affiliation.objects.select_related("organization")),
    )


def _channel_ids(contact: Contact) -> set[int]:
    """Ids of contacts holding one of the person's channels: the same kind and value, through the (kind, value)
    index. Without `order_by()` the model's ordering would join every row to its contact to sort by name."""
    values: dict[str, set[str]] = {}
    for channel in contact.channels.all():
        values.setdefault(channel.kind, set()).add(channel.value)
    if not values:
        return set()
    query = Q()
    for kind, kind_values in values.items():
        query |= Q(kind=kind, value__in=kind_values)
    return set(ContactChannel.objects.filter(query).order_by().values_list("contact_id", flat=True))


def _usable_keys(keys: set[str]) -> list[str]:
    if not keys:
        return []
    counts = (
        ContactMatchKey.objects.filter(key__in=keys).values_list("key").annotate(n=Count("id")).order_by()
    )
    return [key for key, n in counts if n <= CROWDED_KEY]


def candidate_ids(contact: Contact, keys: set[str] | None = None) -> set[int]:
    """Ids of contacts sharing a channel or a name key with `contact`: index reads only."""
    if keys is None:
        keys = match_keys(contact, organization_ids(contact))
    ids = _channel_ids(contact)
    usable = _usable_keys(keys)
    if usable:
        ids.update(
            ContactMatchKey.objects.filter(key__in=usable).values_list("contact_id", flat=True).distinct()
        )
    ids.discard(contact.pk)
    return ids


@dataclass(frozen=True)
class _Names:
    """The name fields of a contact: all `names_agree` reads."""

    name: str
    name_romanized: str
    english_name: str


def _shares_channel(candidate: Candidate) -> bool:
    return any(reason.get("code") in {"phone", "email", "wechat"} for reason in candidate.reasons)


def _partly_named(candidate: Candidate) -> bool:
    return any(reason.get("code") in _PARTIAL_NAME_CODES for reason in candidate.reasons)


def find_candidates(contact: Contact, *, within=None) -> list[Candidate]:
    """Every contact that may be `contact`, best first. `within` narrows the search (a user's scope).

    The keys gather many more people than are candidates (every Chan Ka-something, everyone of the same surname
    at the person's organization). A contact that shares no channel is a candidate only when the names agree (see `assess`),
    so the key lookup reads the names along and compares them first; only the people left are loaded whole."""
    ids = _channel_ids(contact)
    usable = _usable_keys(match_keys(contact, organization_ids(contact)))
    if usable:
        # A join from the keys (not `pk IN (subquery)`, which PostgreSQL answers with a scan of every contact).
        named = ContactMatchKey.objects.filter(
            key__in=usable, contact__status=Contact.Status.ACTIVE
        ).values_list("contact_id", "contact__name", "contact__name_romanized", "contact__english_name")
        seen = ids | {contact.pk}
        for pk, name, name_romanized, english_name in named:
            if pk not in seen:
                seen.add(pk)
                if names_agree(contact, _Names(name, name_romanized, english_name)).agree:
                    ids.add(pk)
    ids.discard(contact.pk)
    if not ids:
        return []
    queryset = Contact.objects.filter(pk__in=ids, status=Contact.Status.ACTIVE)
    if within is not None:
        queryset = queryset.filter(pk__in=within.values("pk"))
    others = list(_with_details(queryset))
    labels = {}
    for person in [contact, *others]:
        if person.organization_id:
            labels[person.organization_id] = str(person.organization)
        for affiliation in person.affiliations.all():
            labels[affiliation.organization_id] = str(affiliation.organization)
    found = [c for c in (assess(contact, other, organizations=labels) for other in others) if c is not None]
    # "Tony Cheung" agrees in part with every 張 at his university: a handful is worth a look, dozens are noise.
    weak = [c for c in found if c.level == Level.LIKELY and _partly_named(c)]
    # Likewise a common name alone: twenty people called 陳志明 are not twenty leads for a reviewer.
    name_only = [c for c in found if c.level == Level.POSSIBLE and not _shares_channel(c)]
    for group, limit in ((weak, WEAK_CANDIDATES), (name_only, NAME_ONLY_CANDIDATES)):
        if len(group) > limit:
            found = [c for c in found if c not in group]
    order = {Level.CERTAIN: 0, Level.LIKELY: 1, Level.POSSIBLE: 2}
    found.sort(key=lambda c: (order[c.level], -c.score, c.contact.pk))
    return found


def with_details(contact: Contact) -> Contact:
    """The contact again with what matching reads prefetched."""
    return _with_details(Contact.objects.filter(pk=contact.pk)).get()
