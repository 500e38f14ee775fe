"""Admin pages to create and amend procedures, documents, fees, workflows and e-forms."""

from __future__ import annotations

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import F
from django.forms.models import BaseInlineFormSet

from tthc import services
from tthc.models import (
    FeeExemption,
    FeeItem,
    Field,
    Procedure,
    ProcedureAgency,
    ProcedureAttachment,
    ProcedureLevel,
    RequiredDocument,
    Workflow,
    WorkflowStep,
)

# Officers type decimals with a comma ("0,5"): localised number inputs accept both forms.
LOCALISED_DECIMALS = {models.DecimalField: {"localize": True}}


@admin.register(Field)
class FieldAdmin(admin.ModelAdmin):
    list_display = ["code", "name"]
    search_fields = ["code", "name"]


class LevelInline(admin.TabularInline):
    model = ProcedureLevel
    extra = 0
    min_num = 1


class DocumentInline(admin.TabularInline):
    model = RequiredDocument
    extra = 0
    fields = ["position", "name", "doc_type_code", "originals", "copies", "required", "note"]


class FeeInline(admin.TabularInline):
    model = FeeItem
    formfield_overrides = LOCALISED_DECIMALS
    extra = 0
    fields = ["position", "kind", "name", "amount", "amount_online", "unit", "per_unit",
              "online_discount_percent", "discount_basis", "effective_from", "effective_to",
              "legal_basis"]
    show_change_link = True


class AttachmentInline(admin.TabularInline):
    model = ProcedureAttachment
    extra = 0


class AgencyInline(admin.TabularInline):
    model = ProcedureAgency
    extra = 0
    autocomplete_fields = ["agency"]


class ProcedureForm(forms.ModelForm):
    class Meta:
        model = Procedure
        fields = [
            "national_code", "name", "field", "processing_time", "time_unit", "same_day_cutoff",
            "supplement_clock", "fee_timing",
            "service_mode", "accepts_direct", "accepts_postal", "accepts_online", "online_only",
            "boundary_free", "boundary_free_scope", "boundary_free_decision",
            "boundary_free_from", "boundary_free_until", "result_name", "result_type",
            "result_electronic", "legal_basis", "interagency", "competent_authority",
            "announcing_decision", "source", "notes", "illustrative", "featured", "published_from",
            "retired_on", "eform_schema",
        ]
        widgets = {"eform_schema": forms.Textarea(attrs={"rows": 12, "cols": 100})}


@admin.register(Procedure)
class ProcedureAdmin(admin.ModelAdmin):
    form = ProcedureForm
    formfield_overrides = LOCALISED_DECIMALS
    inlines = [LevelInline, DocumentInline, FeeInline, AttachmentInline, AgencyInline]
    list_display = ["national_code", "name", "field", "service_mode", "processing_time",
                    "time_unit", "version", "published_from", "retired_on"]
    list_filter = ["service_mode", "field", "levels__level", "online_only", "boundary_free",
                   "featured"]
    search_fields = ["national_code", "name", "search_text"]
    readonly_fields = ["version", "updated_at"]

    def save_model(self, request, obj, form, change):
        if change:
            obj.version += 1  # dossiers keep the snapshot of the version they were received on
        super().save_model(request, obj, form, change)


def bump_version(procedure_id: int) -> None:
    """An amendment made outside the procedure form still gives dossiers a new version."""
    Procedure.objects.filter(pk=procedure_id).update(version=F("version") + 1)


@admin.register(FeeItem)
class FeeItemAdmin(admin.ModelAdmin):
    """A fee's exemption groups (reached from the procedure's fee list)."""

    list_display = ["name", "procedure", "kind", "amount", "online_discount_percent"]
    search_fields = ["name", "procedure__national_code"]
    inlines = [type("ExemptionInline", (admin.TabularInline,),
                    {"model": FeeExemption, "extra": 0})]

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        bump_version(form.instance.procedure_id)


class StepFormSet(BaseInlineFormSet):
    """The shares of the steps kept must add up to the procedure's processing time."""

    def clean(self) -> None:
        super().clean()
        if any(self.errors):
            return
        shares = [f.cleaned_data["share"] for f in self.forms
                  if f.cleaned_data and not f.cleaned_data.get("DELETE")]
        procedure = self.instance.procedure
        problems = services.share_problems(procedure.processing_time, procedure.time_unit, shares)
        if problems:
            raise ValidationError(problems)


class StepInline(admin.TabularInline):
    model = WorkflowStep
    formset = StepFormSet
    formfield_overrides = LOCALISED_DECIMALS
    extra = 0
    min_num = 1
    fields = ["position", "name", "role", "agency", "share", "may_send_back"]


@admin.register(Workflow)
class WorkflowAdmin(admin.ModelAdmin):
    inlines = [StepInline]
    list_display = ["procedure", "level"]
    list_filter = ["level"]
    search_fields = ["procedure__national_code", "procedure__name"]
    autocomplete_fields = ["procedure"]

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        bump_version(form.instance.procedure_id)
