from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from simple_history.admin import SimpleHistoryAdmin

from accounts import services
from accounts.forms import AdminLoginForm
from accounts.models import ApiToken, Unit, UnitMembership, User
from accounts.visibility import units_filter
from core.admin import ReadOnlyHistoryMixin, ScopedAdmin
from core.errors import ApplicationError

# The admin's login page asks administrators for their one-time code while OTP_REQUIRED_FOR_ADMINS is on.
admin.site.login_form = AdminLoginForm


class MembershipInline(admin.TabularInline):
    model = UnitMembership
    extra = 0
    autocomplete_fields = ["user", "unit"]
    verbose_name = _("unit membership")
    verbose_name_plural = _("unit memberships")


@admin.register(User)
class UserAdmin(ReadOnlyHistoryMixin, SimpleHistoryAdmin, DjangoUserAdmin):
    list_display = ["username", "last_name", "first_name", "email", "role_names", "is_staff", "is_active"]
    list_filter = ["is_active", "is_staff", "groups", "memberships__unit"]
    search_fields = ["username", "first_name", "last_name", "email", "wecom_userid"]
    actions = ["deactivate"]
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

    @admin.action(
        description=_("Deactivate the selected users and sign them out everywhere"), permissions=["change"]
    )
    def deactivate(self, request, queryset: QuerySet) -> None:
        deactivated = 0
        for user in queryset:
            try:
                services.user_deactivate(actor=request.user, user=user)
            except ApplicationError as error:
                self.message_user(request, f"{user}: {error.message}", level=messages.ERROR)
            else:
                deactivated += 1
        if deactivated:
            self.message_user(
                request,
                ngettext(
                    "%(count)d user deactivated; their API tokens and sessions are revoked.",
                    "%(count)d users deactivated; their API tokens and sessions are revoked.",
                    deactivated,
                )
                % {"count": deactivated},
                level=messages.SUCCESS,
            )


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


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    """Tokens are issued through the API only (the secret is shown to its owner once); here they are looked up
    and revoked."""

    list_display = ["user", "label", "prefix_shown", "created_at", "last_used_at"]
    list_filter = ["created_at", "last_used_at"]
    search_fields = ["user__username", "user__last_name", "user__first_name", "label", "prefix"]
    list_select_related = ["user"]
    fields = ["user", "label", "prefix_shown", "created_at", "last_used_at"]
    readonly_fields = ["user", "label", "prefix_shown", "created_at", "last_used_at"]
    date_hierarchy = "created_at"
    actions = ["revoke"]

    @admin.display(description=_("token"), ordering="prefix")
    def prefix_shown(self, obj: ApiToken) -> str:
        return f"{obj.prefix}…"

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def get_actions(self, request):
        # Revoking goes through the service (it logs); Django's bulk delete would not.
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)
        return actions

    def delete_model(self, request, obj: ApiToken) -> None:
        services.api_token_revoke(token=obj)

    @admin.action(description=_("Revoke the selected tokens"), permissions=["delete"])
    def revoke(self, request, queryset: QuerySet) -> None:
        tokens = list(queryset)
        for token in tokens:
            services.api_token_revoke(token=token)
        self.message_user(
            request,
            ngettext("%(count)d token revoked.", "%(count)d tokens revoked.", len(tokens))
            % {"count": len(tokens)},
            level=messages.SUCCESS,
        )
