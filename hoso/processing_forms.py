"""The forms of the processing actions on the officer's dossier page: each action asks only
for what it needs, and every form asks the officer to confirm."""

from __future__ import annotations

import datetime as dt

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from hoso.choices import Action, ApologyReason, ReturnMethod
from hoso.models import Dossier
from hoso.services.processing import RATING_CRITERIA, SupplementItem
from portal.models import Agency, User
from portal.permissions import users_with_perm

CONFIRM = _("Tôi đã kiểm tra và xác nhận thực hiện thao tác này")


class OfficerChoice(forms.ModelChoiceField):
    def label_from_instance(self, obj: User) -> str:
        return obj.full_name or obj.username


class ActionForm(forms.Form):
    """Fields by action; `cleaned_data` feeds the processing service of the action."""

    def __init__(self, action: str, dossier: Dossier, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.action, self.dossier = action, dossier
        handling = dossier.handling_agency or dossier.deciding_agency
        officers = users_with_perm(handling, "portal.process_dossier")
        add = self.fields.__setitem__
        if action in (Action.START, Action.FORWARD):
            add("assignee", OfficerChoice(officers, label=_("Cán bộ xử lý bước tiếp theo"),
                                          required=False, empty_label=_("— Hàng chờ chung —")))
        if action == Action.ASSIGN:
            add("assignee", OfficerChoice(officers, label=_("Phân công cho cán bộ")))
        if action == Action.TRANSFER:
            add("agency", forms.ModelChoiceField(
                Agency.objects.filter(is_active=True).exclude(pk=handling.pk).order_by("path"),
                label=_("Cơ quan nhận liên thông")))
        if action == Action.REQUEST_SUPPLEMENT:
            add("items", forms.CharField(
                label=_("Giấy tờ cần bổ sung, hoàn thiện (mỗi dòng: tên giấy tờ: lý do)"),
                widget=forms.Textarea(attrs={"rows": 4})))
            if dossier.supplement_count:
                add("reason", forms.CharField(label=_("Lý do phải yêu cầu bổ sung thêm lần nữa"),
                                              widget=forms.Textarea(attrs={"rows": 2})))
                add("approver", OfficerChoice(
                    users_with_perm(handling, "portal.approve_dossier"),
                    label=_("Lãnh đạo phê duyệt")))
        if action in (Action.SEND_BACK, Action.REQUEST_OBLIGATION, Action.APOLOGIZE,
                      Action.REFUSE, Action.STOP):
            add("reason", forms.CharField(label=_("Lý do"), max_length=4000,
                                          widget=forms.Textarea(attrs={"rows": 3})))
        if action == Action.WITHDRAW:
            add("reason", forms.CharField(label=_("Lý do rút hồ sơ"), required=False))
        if action == Action.APOLOGIZE:
            add("reason_code", forms.ChoiceField(label=_("Lý do gia hạn (theo danh mục)"),
                                                 choices=ApologyReason.choices))
            draft = dossier.apologies.filter(status="draft").first()
            add("new_due_at", forms.DateTimeField(
                initial=timezone.localtime(draft.new_due_at).strftime("%Y-%m-%dT%H:%M")
                if draft else None,
                label=_("Ngày giờ hẹn trả mới"), input_formats=["%Y-%m-%dT%H:%M",
                                                                 "%d/%m/%Y %H:%M"],
                widget=forms.DateTimeInput(attrs={"type": "datetime-local"})))
        if action in (Action.FORWARD, Action.TRANSFER, Action.TRANSFER_BACK, Action.RESOLVE):
            add("note", forms.CharField(label=_("Ý kiến xử lý"), required=False,
                                        widget=forms.Textarea(attrs={"rows": 2})))
        if action == Action.RETURN_RESULT:
            add("method", forms.ChoiceField(label=_("Hình thức trả"),
                                            choices=ReturnMethod.choices))
            add("returned_to", forms.CharField(label=_("Người nhận kết quả"), required=False))
            add("tracking_number", forms.CharField(label=_("Số vận đơn (trả qua bưu chính)"),
                                                   required=False))
        if action == Action.RATE:
            for key, label in RATING_CRITERIA.items():
                add(f"score_{key}", forms.TypedChoiceField(
                    label=label, coerce=int, choices=[(i, str(i)) for i in range(5, 0, -1)]))
            add("comment", forms.CharField(label=_("Ý kiến"), required=False))
        add("confirm", forms.BooleanField(label=CONFIRM))

    def clean_items(self) -> list[SupplementItem]:
        items = []
        for line in self.cleaned_data["items"].splitlines():
            if not line.strip():
                continue
            name, _sep, reason = line.partition(":")
            if not reason.strip():
                raise forms.ValidationError(_("Dòng “%(line)s” chưa ghi lý do (tên giấy tờ: lý "
                                              "do).") % {"line": line.strip()})
            items.append(SupplementItem(name.strip(), reason.strip()))
        return items

    def clean_new_due_at(self) -> dt.datetime:
        value = self.cleaned_data["new_due_at"]
        return timezone.make_aware(value) if timezone.is_naive(value) else value

    def service_kwargs(self) -> dict:
        data = dict(self.cleaned_data)
        data.pop("confirm", None)
        if self.action == Action.RATE:
            data = {"scores": {k: data.pop(f"score_{k}") for k in RATING_CRITERIA},
                    "comment": data.get("comment", "")}
        return data


class ResultForm(forms.Form):
    name = forms.CharField(label=_("Tên giấy tờ kết quả"), max_length=500)
    number = forms.CharField(label=_("Số, ký hiệu"), max_length=100)
    issued_on = forms.DateField(label=_("Ngày ban hành"), input_formats=["%Y-%m-%d",
                                                                         "%d/%m/%Y"],
                                widget=forms.DateInput(attrs={"type": "date"}))
    signer = forms.CharField(label=_("Người ký"), max_length=255, required=False)
    file = forms.FileField(label=_("Bản điện tử đã ký số (PDF)"), required=False)
