from __future__ import annotations

from django import forms
from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from simple_history.admin import SimpleHistoryAdmin

from accounts import services
from accounts.models import Unit, UnitMembership, User
from accounts.visibility import units_filter
from core.admin import ScopedAdmin


class MembershipInline(admin.TabularInline):
    model = UnitMembership
    extra = 0
    autocomplete_fields = ["user", "unit"]
    verbose_name = _("unit membership")
    verbose_name_plural = _("unit memberships")


@admin.register(User)
class UserAdmin(SimpleHistoryAdmin, DjangoUserAdmin):
    list_display = ["username", "last_name", "first_name", "email", "role_names", "is_staff", "is_active"]
    list_filter = ["is_active", "is_staff", "groups", "memberships__unit"]
    search_fields = ["username", "first_name", "last_name", "email", "wecom_userid"]
    fieldsets = (
        *DjangoUserAdmin.fieldsets,
        (_("Notifications"), {"fields": ["wecom_userid"]}),
    )
    inlines = [MembershipInline]

    def get_queryset(self, request) -> QuerySet:
        return super().get_queryset(request).prefetch_related("groups")

    @admin.display(description=_("roles"))
    def role_names(self, obj: User) -> str:
        return ", ".join(str(g) for g in obj.groups.all())


class UnitForm(forms.ModelForm):
    class Meta:
        model = Unit
        fields = ["name", "name_zh_hant", "name_en", "kind", "parent", "is_active"]

    def clean_parent(self):
        parent = self.cleaned_data.get("parent")
        if parent and self.instance.pk and parent.path.startswith(self.instance.path):
            raise ValidationError(_("A unit cannot be placed under itself or one of its own sub-units."))
        return parent


@admin.register(Unit)
class UnitAdmin(ScopedAdmin):
    form = UnitForm
    list_display = ["indented_name", "kind", "name_en", "head", "is_active"]
    list_filter = ["kind", "is_active"]
    search_fields = ["name", "name_zh_hant", "name_en"]
    autocomplete_fields = ["parent"]
    list_select_related = ["parent"]
    inlines = [MembershipInline]

    def scope(self, user, queryset: QuerySet) -> QuerySet:
        return queryset.filter(units_filter(user))

    def get_queryset(self, request) -> QuerySet:
        return super().get_queryset(request).prefetch_related("memberships__user")

    @admin.display(description=_("name"), ordering="path")
    def indented_name(self, obj: Unit) -> str:
        return format_html('<span style="padding-left:{}em">{}</span>', obj.depth * 1.5, obj.name)

    @admin.display(description=_("head"))
    def head(self, obj: Unit) -> str:
        heads = [m.user for m in obj.memberships.all() if m.role == UnitMembership.Role.HEAD]
        return str(heads[0]) if heads else "—"

    def save_model(self, request, obj: Unit, form, change: bool) -> None:
        data = {f: form.cleaned_data[f] for f in ["name", "name_zh_hant", "name_en", "kind", "is_active"]}
        # The form already refused a move under the unit's own subtree (clean_parent).
        if change:
            services.unit_update(unit=obj, parent=form.cleaned_data["parent"], **data)
        else:
            data.pop("is_active")
            created = services.unit_create(parent=form.cleaned_data["parent"], **data)
            obj.pk, obj.path, obj.depth = created.pk, created.path, created.depth
