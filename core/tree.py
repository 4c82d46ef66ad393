"""Materialized-path trees: "this node and everything below it" is one indexed prefix filter."""

from __future__ import annotations

from typing import TypeVar

from django.db import models
from django.db.models import F, Value
from django.db.models.functions import Concat, Substr
from django.utils.translation import gettext_lazy as _

from core.errors import ApplicationError

SEGMENT_WIDTH = 6


class TreeNode(models.Model):
    """Abstract base: `path` is the chain of zero-padded ids from the root, e.g. "000001/000007/"."""

    parent = models.ForeignKey(
        "self",
        verbose_name=_("parent"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
    )
    # Unique + varchar_pattern_ops (Django adds it for unique CharFields on PostgreSQL) serves the
    # `path LIKE 'prefix%'` subtree filter.
    path = models.CharField(_("tree path"), max_length=255, unique=True, editable=False)
    depth = models.PositiveSmallIntegerField(_("depth"), default=0, editable=False)

    class Meta:
        abstract = True

    def is_descendant_of(self, other: TreeNode) -> bool:
        return self.path.startswith(other.path)

    def ancestor_paths(self) -> list[str]:
        """Paths of this node and every ancestor, root first."""
        parts = self.path.rstrip("/").split("/")
        return ["/".join(parts[: i + 1]) + "/" for i in range(len(parts))]


N = TypeVar("N", bound=TreeNode)


def tree_insert(node: N) -> N:
    """Save a new node and give it its path. Call inside a transaction."""
    node.path = f"tmp-{id(node)}/"  # unique placeholder until the id is known
    node.depth = node.parent.depth + 1 if node.parent_id else 0
    node.save()
    prefix = node.parent.path if node.parent_id else ""
    node.path = f"{prefix}{node.pk:0{SEGMENT_WIDTH}d}/"
    type(node).objects.filter(pk=node.pk).update(path=node.path)
    return node


def tree_move(node: N, new_parent: N | None) -> N:
    """Re-parent a node and rewrite the paths of its whole subtree in one UPDATE."""
    if new_parent is not None and new_parent.path.startswith(node.path):
        raise ApplicationError(str(_("A node cannot be moved under itself or its own descendants.")))
    old_path = node.path
    new_path = (new_parent.path if new_parent else "") + f"{node.pk:0{SEGMENT_WIDTH}d}/"
    depth_delta = (new_parent.depth + 1 if new_parent else 0) - node.depth
    model = type(node)
    node.parent = new_parent
    node.save(update_fields=["parent"])  # a save, not update(): the move is recorded in history
    model.objects.filter(path__startswith=old_path).update(
        path=Concat(Value(new_path), Substr("path", len(old_path) + 1)),
        depth=F("depth") + depth_delta,
    )
    node.refresh_from_db()
    return node
