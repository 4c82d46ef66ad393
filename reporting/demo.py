"""Demo targets for the current year: every division under the bureau and each of its officers get goals the
demo's own history can be measured against (set by the bureau's head, through reporting.services)."""

from __future__ import annotations

from decimal import Decimal

from accounts.models import Unit, UnitMembership
from core.seeding import DemoContext
from reporting.models import Metric, Target
from reporting.services import target_set

# Per division: (metric, low, high) — drawn once per division from ctx.rng.
DIVISION_GOALS = [
    (Metric.SIGNINGS_COUNT, 6, 15),
    (Metric.SIGNED_AMOUNT, 50_000, 300_000),  # 万元: 5亿 – 30亿
    (Metric.PROJECTS_100M, 1, 4),
    (Metric.TALENT_ARRIVED, 3, 10),
    (Metric.CAPITAL_IN_PLACE, 10_000, 80_000),
]
OFFICER_GOALS = [(Metric.SIGNINGS_COUNT, 2, 5)]


def seed(ctx: DemoContext) -> None:
    head = (
        UnitMembership.objects.filter(unit__parent__isnull=True, role=UnitMembership.Role.HEAD)
        .select_related("user")
        .first()
    )
    if head is None:
        return
    year = ctx.today.year
    for division in Unit.objects.filter(parent__parent__isnull=True, parent__isnull=False).order_by("path"):
        for metric, low, high in DIVISION_GOALS:
            target_set(
                actor=head.user,
                year=year,
                metric=metric,
                value=Decimal(ctx.rng.randint(low, high)),
                unit=division,
            )
        officers = UnitMembership.objects.filter(
            unit=division, role=UnitMembership.Role.MEMBER, user__groups__name="promotion_officer"
        ).select_related("user")
        for membership in officers.order_by("user__username"):
            for metric, low, high in OFFICER_GOALS:
                target_set(
                    actor=head.user,
                    year=year,
                    metric=metric,
                    value=Decimal(ctx.rng.randint(low, high)),
                    officer=membership.user,
                )


def clear() -> None:
    Target.objects.all().delete()
