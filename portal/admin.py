"""Admin pages: the organisation tree, users and their roles, the yearly calendar."""

from __future__ import annotations

from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.utils.translation import gettext_lazy as _
from treebeard.admin import TreeAdmin
from treebeard.forms import movenodeform_factory

from portal import services
from portal.calendar import clear_calendar_cache
from portal.models import Agency, AgencyMembership, CalendarDay, CalendarYear, Heartbeat, User

admin.site.site_header = _("Quản trị Cổng Một Cửa")
admin.site.site_title = _("Quản trị Cổng Một Cửa")
admin.site.index_title = _("Cấu hình hệ thống")


@admin.register(Agency)
class AgencyAdmin(TreeAdmin):
    form = movenodeform_factory(
        Agency,
        fields=["code", "name", "short_name", "level", "kind", "admin_unit_code", "address",
                "phone", "email", "working_hours", "is_active"],
    )
    list_display = ["name", "code", "level", "kind", "is_active"]
    list_filter = ["level", "kind", "is_active"]
    search_fields = ["name", "code", "short_name"]


class MembershipInline(admin.TabularInline):
    """Roles in agencies. Saving goes through grant_role/revoke_role, so the object
    permissions always match the rows shown here."""

    model = AgencyMembership
    extra = 1
    autocomplete_fields = ["agency"]
    fields = ["agency", "role"]


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    inlines = [MembershipInline]
    list_display = ["username", "full_name", "email", "cccd", "is_active", "is_staff"]
    search_fields = ["username", "full_name", "email", "cccd", "tax_code", "phone"]
    list_filter = ["is_active", "is_staff", "groups"]
    fieldsets = [
        (None, {"fields": ["username", "password"]}),
        (_("Thông tin cá nhân"), {"fields": ["full_name", "cccd", "tax_code", "phone", "email"]}),
        (_("Quyền"), {"fields": ["is_active", "is_staff", "is_superuser", "groups"]}),
        (_("Thời gian"), {"fields": ["last_login", "date_joined"]}),
    ]
    add_fieldsets = [
        (None, {"classes": ["wide"],
                "fields": ["username", "full_name", "email", "phone", "password1", "password2"]}),
    ]

    def save_formset(self, request, form, formset, change):
        if formset.model is not AgencyMembership:
            return super().save_formset(request, form, formset, change)
        user = form.instance
        for inline_form in formset.forms:
            original = inline_form.instance
            deleted = inline_form in formset.deleted_forms
            if original.pk and (deleted or inline_form.has_changed()):
                original = AgencyMembership.objects.get(pk=original.pk)
                services.revoke_role(user=user, agency=original.agency, role=original.role)
            data = inline_form.cleaned_data
            if deleted or not inline_form.has_changed() or not data:
                continue
            services.grant_role(user=user, agency=data["agency"], role=data["role"])
        formset.new_objects = formset.changed_objects = formset.deleted_objects = []
        return None


class CalendarDayInline(admin.TabularInline):
    model = CalendarDay
    extra = 5
    fields = ["date", "kind", "name", "decision"]


@admin.register(CalendarYear)
class CalendarYearAdmin(admin.ModelAdmin):
    """The page where an administrator enters a year's official schedule: extra days off
    (Tết and 2/9 bridges, swapped weekdays) and make-up working Saturdays."""

    inlines = [CalendarDayInline]
    list_display = ["year", "decision"]

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        clear_calendar_cache()
        messages.info(request, _("Đã cập nhật lịch làm việc; hạn xử lý mới tính theo lịch này."))

    def delete_model(self, request, obj):
        super().delete_model(request, obj)
        clear_calendar_cache()


@admin.register(Heartbeat)
class HeartbeatAdmin(admin.ModelAdmin):
    list_display = ["source", "beat_at", "hostname"]
    readonly_fields = ["source", "beat_at", "hostname"]
