"""Admin pages: the organisation tree, users and their roles, the yearly calendar."""

from __future__ import annotations

from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.utils.translation import gettext_lazy as _
from treebeard.admin import TreeAdmin
from treebeard.forms import movenodeform_factory

from portal import services
from portal.calendar import clear_calendar_cache
from portal.models import (
    Agency,
    AgencyMembership,
    CalendarDay,
    CalendarYear,
    Heartbeat,
    JobRun,
    User,
)

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


@admin.register(JobRun)
class JobRunAdmin(admin.ModelAdmin):
    """The administrators' page of scheduled job runs, with counts and errors."""

    list_display = ["job", "started_at", "finished_at", "status", "counts", "trigger"]
    list_filter = ["job", "status", "trigger"]
    readonly_fields = ["job", "started_at", "finished_at", "status", "counts", "error",
                       "trigger"]

    def has_add_permission(self, request) -> bool:
        return False


# --- notifications ------------------------------------------------------------------------
from django import forms  # noqa: E402
from django.utils.html import format_html_join  # noqa: E402

from portal import notifications  # noqa: E402
from portal.models import MessageTemplate, Notification  # noqa: E402


class MessageTemplateForm(forms.ModelForm):
    """Refuses texts that are not valid message templates (in Vietnamese), so a typo in the
    admin site never reaches a citizen or breaks the service that sends the message."""

    class Meta:
        model = MessageTemplate
        fields = ["code", "name", "email_subject", "email_body", "sms_body", "is_active"]

    def _clean_template(self, field: str) -> str:
        text = self.cleaned_data.get(field) or ""
        notifications.check_template_syntax(text)
        return text

    def clean_email_subject(self) -> str:
        return self._clean_template("email_subject")

    def clean_email_body(self) -> str:
        return self._clean_template("email_body")

    def clean_sms_body(self) -> str:
        return self._clean_template("sms_body")


@admin.register(MessageTemplate)
class MessageTemplateAdmin(admin.ModelAdmin):
    """E-mail and SMS texts sent to applicants. Templates are turned off, never deleted:
    services ask for them by code."""

    form = MessageTemplateForm
    list_display = ["name", "code", "is_active", "updated_at"]
    list_filter = ["is_active"]
    search_fields = ["name", "code", "email_subject", "email_body", "sms_body"]
    fields = ["code", "name", "is_active", "variables", "email_subject", "email_body",
              "sms_body", "updated_at"]

    def get_readonly_fields(self, request, obj=None):
        readonly = ["variables", "updated_at"]
        return [*readonly, "code"] if obj is not None else readonly

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    @admin.display(description=_("biến có thể dùng"))
    def variables(self, obj: MessageTemplate | None) -> str:
        known = notifications.TEMPLATE_VARIABLES.get(obj.code, {}) if obj else {}
        rows = {**known, **notifications.COMMON_VARIABLES}
        return format_html_join(
            "", "<div><code>{{{{ {} }}}}</code> — {}</div>", sorted(rows.items())
        )


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    """The record of every e-mail and SMS sent or attempted; read-only."""

    list_display = ["created_at", "template_code", "channel", "recipient", "status", "attempts",
                    "object_ref", "sent_at"]
    list_filter = ["status", "channel", "template_code"]
    search_fields = ["recipient", "object_ref", "event_key"]
    date_hierarchy = "created_at"
    list_select_related = False

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
