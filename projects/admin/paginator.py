"""A paginator for the lead list that never counts the whole table for users who see all of it."""

from __future__ import annotations

from django.core.paginator import Paginator
from django.db import connections
from django.db.models import QuerySet
from django.utils.functional import cached_property

# Below this many rows an exact COUNT(*) is cheap, and an estimate ("about 287 leads") would only confuse.
ESTIMATE_FROM_ROWS = 10_000


def estimate_applies(queryset: QuerySet, vendor: str) -> bool:
    """The planner's estimate describes the whole table: use it only for an unfiltered PostgreSQL query.

    A bureau-level user's scope adds no condition (accounts.visibility returns an empty Q for them), so their
    unfiltered list has an empty WHERE; every filter, search or narrower scope adds one.
    """
    query = queryset.query
    return vendor == "postgresql" and not query.where and not query.distinct and not query.combinator


def planner_estimate(queryset: QuerySet) -> int:
    """The row count PostgreSQL's statistics hold for the queryset's table; -1 when never analyzed."""
    connection = connections[queryset.db]
    with connection.cursor() as cursor:
        cursor.execute("SELECT reltuples FROM pg_class WHERE relname = %s", [queryset.model._meta.db_table])
        row = cursor.fetchone()
    return int(row[0]) if row else -1


def estimated_count(queryset: QuerySet, *, vendor: str | None = None) -> int:
    """The estimate for a large unfiltered table on PostgreSQL; the exact count otherwise."""
    if estimate_applies(queryset, vendor or connections[queryset.db].vendor):
        estimate = planner_estimate(queryset)
        if estimate >= ESTIMATE_FROM_ROWS:
            return estimate
    return queryset.count()


def count_union(parts: list[QuerySet]) -> int:
    """The rows reached by any of `parts` (querysets of one model), counted once each."""
    ids = [part.order_by().values("pk") for part in parts]
    return ids[0].union(*ids[1:]).count()


class EstimatedCountPaginator(Paginator):
    """A queryset carrying `count_parts` (see projects.admin.leads.LeadChangeList) is counted as their UNION."""

    @cached_property
    def count(self) -> int:
        parts = getattr(self.object_list, "count_parts", None)
        if parts:
            return count_union(parts)
        return estimated_count(self.object_list)
