"""Duplicate leads: finding them (credit code, HK company number, organization and name) and merging one into
another (DESIGN §5).

Merging B into A: B's stage changes stay on B, which becomes merged and leaves the funnel; its activities,
documents, contacts, coordination needs, signings, capital injections, ad-hoc milestones, and the template
milestones and aftercare touch-points A lacks move to A (A's own win); B's people become A's co-owners.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Model, Q, QuerySet
from django.utils.translation import gettext as _
from simple_history.utils import bulk_update_with_history

from accounts.models import User
from core.errors import ApplicationError, IllegalStateError, full_clean_or_error
from directory.models import Organization
from directory.services import name_key
from projects.models import (
    Activity,
    AftercareTouchpoint,
    CapitalInjection,
    CoordinationNeed,
    Document,
    Lead,
    LeadContact,
    Milestone,
    Signing,
)
from projects.selectors import leads_visible_to
from projects.stages import Track

NAME_FIELDS = ("name", "name_zh_hant", "name_en")


def lead_fill_name_keys(lead: Lead) -> None:
    """Set the lead's three name keys from its names (not saved: the caller saves the lead)."""
    lead.name_key = name_key(lead.name)
    lead.name_zh_hant_key = name_key(lead.name_zh_hant)
    lead.name_en_key = name_key(lead.name_en)


# --- Finding duplicates ---------------------------------------------------------------------------------------


def lead_duplicate_condition(
    *,
    usccs: Iterable[str],
    hk_company_numbers: Iterable[str],
    organization_ids: Iterable[int],
    name_keys: Iterable[str],
) -> Q:
    """The duplicate rule as one filter: a credit code, or an HK company number, or an HK organization together
    with a name key in any script. Empty values are left out; an empty Q means nothing to look for. With several
    values (a ledger chunk) organizations and names pair loosely: the caller compares row by row."""
    condition = Q()
    usccs, numbers = sorted(set(usccs) - {""}), sorted(set(hk_company_numbers) - {""})
    organizations, keys = sorted(set(organization_ids)), sorted(set(name_keys) - {""})
    if usccs:
        condition |= Q(uscc__in=usccs)
    if numbers:
        condition |= Q(hk_company_number__in=numbers)
    if organizations and keys:
        same_name = Q(name_key__in=keys) | Q(name_zh_hant_key__in=keys) | Q(name_en_key__in=keys)
        condition |= Q(hk_organization_id__in=organizations) & same_name
    return condition


def lead_duplicates(
    *,
    uscc: str = "",
    hk_company_number: str = "",
    hk_organization: Organization | None = None,
    names: Iterable[str] = (),
    exclude: Lead | None = None,
) -> QuerySet[Lead]:
    """Leads not merged away with the same credit code, or the same HK company number, or the same HK
    organization and a name equal in any script to one of `names`; oldest first. Unscoped: the caller decides
    what to reveal."""
    condition = lead_duplicate_condition(
        usccs=[uscc.strip().upper()],
        hk_company_numbers=[hk_company_number.strip()],
        organization_ids=[hk_organization.pk] if hk_organization is not None else [],
        name_keys=[name_key(name) for name in names],
    )
    if not condition:
        return Lead.objects.none()
    duplicates = Lead.objects.filter(condition).exclude(status=Lead.Status.MERGED)
    if exclude is not None:
        duplicates = duplicates.exclude(pk=exclude.pk)
    return duplicates.order_by("created_at", "pk")


def lead_duplicate_reason(found: Lead, *, uscc: str = "", hk_company_number: str = "") -> tuple[str, str]:
    """What `found` shares with the lead being registered, as (form field, phrase for a message)."""
    if uscc.strip() and found.uscc == uscc.strip().upper():
        return "uscc", _("unified social credit code")
    if hk_company_number.strip() and found.hk_company_number == hk_company_number.strip():
        return "hk_company_number", _("Hong Kong company registration number")
    return "name", _("Hong Kong organization and name")


def lead_check_duplicates(
    *,
    actor: User,
    uscc: str = "",
    hk_company_number: str = "",
    hk_organization: Organization | None = None,
    names: Iterable[str] = (),
    allow_duplicate: bool = False,
) -> None:
    """Refuse to register a lead that is already registered, unless a manager registers it anyway.

    The first registered owner keeps a lead: the refusal names the existing lead (code and owning unit) only to
    someone who can see it; anyone else learns only that another unit has it.
    """
    names = list(names)
    found = list(
        lead_duplicates(
            uscc=uscc, hk_company_number=hk_company_number, hk_organization=hk_organization, names=names
        ).select_related("owning_unit")[:5]
    )
    if not found:
        return
    if allow_duplicate and actor.has_perm("projects.merge_lead"):
        return
    visible_ids = set(
        leads_visible_to(actor).filter(pk__in=[d.pk for d in found]).values_list("pk", flat=True)
    )
    shown = [d for d in found if d.pk in visible_ids]
    field, what = lead_duplicate_reason((shown or found)[0], uscc=uscc, hk_company_number=hk_company_number)
    if shown:
        message = _(
            "A lead with the same %(what)s is already registered: %(leads)s. Follow it up there, or ask a "
            "manager to register this one anyway."
        ) % {"what": what, "leads": ", ".join(f"{d.code} ({d.owning_unit})" for d in shown)}
    else:
        message = _(
            "A lead with the same %(what)s is already registered by another unit. A manager can decide whether "
            "to register this one anyway."
        ) % {"what": what}
    if allow_duplicate:
        message = _("Only a manager can register a duplicate lead.") + " " + message
    raise ApplicationError(message, field=field)


# --- Merging ----------------------------------------------------------------------------------------------------


def _move(rows: Iterable[Model], model: type[Model], *, to: Lead, actor: User) -> list[Any]:
    """Point `rows` at lead `to` in one update, with a history row for each, by `actor`."""
    rows = list(rows)
    for row in rows:
        row.lead = to  # type: ignore[attr-defined]
    if rows:
        bulk_update_with_history(rows, model, ["lead"], default_user=actor)
    return rows


def _refuse_state(lead: Lead, *, role: str) -> None:
    if lead.status == Lead.Status.MERGED:
        raise IllegalStateError(
            _("%(lead)s was already merged into %(other)s.") % {"lead": lead, "other": lead.merged_into},
            field=role,
        )
    if lead.status == Lead.Status.TRANSFERRED:
        raise IllegalStateError(
            _("%(lead)s is awaiting acceptance by another unit; merge it once the hand-over is decided.")
            % {"lead": lead},
            field=role,
        )


def _refuse_signing_clash(*, source: Lead, target: Lead) -> None:
    """A lead has one new signing per investor (a KPI counts them): two would meet on the target."""
    target_investors = Signing.objects.filter(lead=target, kind=Signing.Kind.NEW).values("investor_id")
    clashes = (
        Signing.objects.filter(lead=source, kind=Signing.Kind.NEW, investor_id__in=target_investors)
        .select_related("investor")
        .order_by("signed_on", "pk")
    )
    investors = sorted({str(signing.investor) for signing in clashes})
    if investors:
        raise IllegalStateError(
            _(
                "%(target)s and %(source)s both have a new signing with %(investors)s, and a lead has one new "
                "signing per investor. Correct the signing of %(source)s (is it a capital increase or a "
                "re-signing?) before merging."
            )
            % {"target": target, "source": source, "investors": ", ".join(investors)},
            field="source",
        )


@transaction.atomic
def lead_merge(*, actor: User, source: Lead, target: Lead, note: str = "") -> Lead:
    """Merge the duplicate lead `source` into `target`; `source` becomes merged and leaves the funnel."""
    if not actor.has_perm("projects.merge_lead"):
        raise ApplicationError(_("Only a manager can merge leads."))
    if source.pk == target.pk:
        raise ApplicationError(_("A lead cannot be merged into itself."), field="target")
    visible = set(leads_visible_to(actor).filter(pk__in=[source.pk, target.pk]).values_list("pk", flat=True))
    for lead, role in ((source, "source"), (target, "target")):
        if lead.pk not in visible:
            # Said the same way whether the lead exists or not: a refusal must not confirm another unit's lead.
            raise ApplicationError(
                _("No lead %(code)s among the leads you can see.") % {"code": lead.code}, field=role
            )
    # Both rows locked, lower id first, so two merges of the same pair in opposite directions cannot deadlock;
    # the states are read again under the lock.
    locked = {
        lead.pk: lead
        for lead in Lead.objects.select_for_update(of=("self",))
        .select_related("merged_into")
        .filter(pk__in=[source.pk, target.pk])
        .order_by("pk")
    }
    source, target = locked[source.pk], locked[target.pk]
    _refuse_state(source, role="source")
    _refuse_state(target, role="target")
    if source.track != target.track:
        raise ApplicationError(
            _(
                "%(source)s is on the %(source_track)s and %(target)s on the %(target_track)s: only leads of the "
                "same track can be merged."
            )
            % {
                "source": source,
                "target": target,
                "source_track": Track(source.track).label,
                "target_track": Track(target.track).label,
            },
            field="target",
        )
    _refuse_signing_clash(source=source, target=target)

    # Nothing has been written above this line.
    for activity in Activity.objects.filter(lead=source):
        # One save per activity: its history row then carries its participants and contacts (a bulk history
        # row would record them empty).
        activity.lead = target
        activity._history_user = actor  # type: ignore[attr-defined]
        activity.save(update_fields=["lead"])
    _move(Document.objects.filter(lead=source), Document, to=target, actor=actor)
    target_links = set(LeadContact.objects.filter(lead=target).values_list("contact_id", "role"))
    # A link the target already has stays on the source, as a record of who was linked there.
    _move(
        [
            link
            for link in LeadContact.objects.filter(lead=source)
            if (link.contact_id, link.role) not in target_links
        ],
        LeadContact,
        to=target,
        actor=actor,
    )
    _move(CoordinationNeed.objects.filter(lead=source), CoordinationNeed, to=target, actor=actor)
    try:
        with transaction.atomic():
            _move(Signing.objects.filter(lead=source), Signing, to=target, actor=actor)
    except IntegrityError:
        # signing_create does not lock the lead: a clashing new signing recorded since the check above is
        # caught by the constraint, and the same check now names it.
        _refuse_signing_clash(source=source, target=target)
        raise
    _move(CapitalInjection.objects.filter(lead=source), CapitalInjection, to=target, actor=actor)
    # The target's template milestones win: the source's copy of a template the target has stays behind.
    target_templates = Milestone.objects.filter(lead=target, template__isnull=False).values("template_id")
    _move(
        Milestone.objects.filter(lead=source).exclude(template__in=target_templates),
        Milestone,
        to=target,
        actor=actor,
    )
    target_months = AftercareTouchpoint.objects.filter(lead=target).values("months")
    _move(
        AftercareTouchpoint.objects.filter(lead=source).exclude(months__in=target_months),
        AftercareTouchpoint,
        to=target,
        actor=actor,
    )
    _credit_first_new_signing_only(target, actor=actor)

    source.status = Lead.Status.MERGED
    source.merged_into = target
    source.status_note = note
    source.pause_reason, source.resume_review_on = "", None
    source._history_user = actor  # type: ignore[attr-defined]
    full_clean_or_error(source)
    source.save()

    if source.last_activity_at and (
        not target.last_activity_at or source.last_activity_at > target.last_activity_at
    ):
        target.last_activity_at = source.last_activity_at
    target._history_user = actor  # type: ignore[attr-defined]
    target.save()
    people = {source.owner_id, *source.co_owners.values_list("pk", flat=True)} - {target.owner_id}
    if people:
        target.co_owners.add(*people)  # adds only those not yet co-owners; history row by the actor
    return target


def _credit_first_new_signing_only(lead: Lead, *, actor: User) -> None:
    """An event is credited with a project's first new signing only; the merged lead is one project, so a
    later new signing brought by the merge gives up its credit."""
    new = list(Signing.objects.filter(lead=lead, kind=Signing.Kind.NEW).order_by("signed_on", "pk"))
    uncredited = [s for s in new[1:] if s.credited_event_id is not None]
    for signing in uncredited:
        signing.credited_event = None
    if uncredited:
        bulk_update_with_history(uncredited, Signing, ["credited_event"], default_user=actor)
