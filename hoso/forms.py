"""Forms of the intake pages: applicant, delivery, papers, tracking, officer decisions."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from hoso.choices import Channel, IdType, OwnerType, PostalService, ResultDelivery
from hoso.services.intake import APPLICATION_FORM_PREFIX, Applicant, Delivery, PaperIn
from portal.models import Agency
from portal.validators import validate_phone


class ApplicantForm(forms.Form):
    owner_type = forms.ChoiceField(label=_("Loại chủ hồ sơ"), choices=OwnerType.choices)
    owner_name = forms.CharField(label=_("Họ tên chủ hồ sơ / tên tổ chức"), max_length=255)
    owner_id_type = forms.ChoiceField(label=_("Loại giấy tờ"), choices=IdType.choices)
    owner_id_number = forms.CharField(label=_("Số giấy tờ"), max_length=30)
    owner_phone = forms.CharField(label=_("Số điện thoại"), max_length=15,
                                  validators=[validate_phone])
    owner_email = forms.EmailField(label=_("Thư điện tử"), required=False)
    owner_address = forms.CharField(label=_("Địa chỉ"), max_length=500, required=False)
    submitter_name = forms.CharField(label=_("Người nộp (nếu nộp thay)"), max_length=255,
                                     required=False)
    submitter_id_number = forms.CharField(label=_("Số giấy tờ người nộp"), max_length=30,
                                          required=False)
    submitter_phone = forms.CharField(label=_("Điện thoại người nộp"), max_length=15,
                                      required=False)
    submitter_relation = forms.CharField(label=_("Quan hệ với chủ hồ sơ (ví dụ: được ủy quyền)"),
                                         max_length=255, required=False)

    def applicant(self) -> Applicant:
        return Applicant(**self.cleaned_data)


class DeliveryForm(forms.Form):
    method = forms.ChoiceField(label=_("Hình thức nhận kết quả"), choices=ResultDelivery.choices,
                               widget=forms.RadioSelect)
    address = forms.CharField(label=_("Địa chỉ nhận kết quả qua bưu chính"), max_length=500,
                              required=False)

    def delivery(self) -> Delivery:
        return Delivery(**self.cleaned_data)


class RoutingForm(forms.Form):
    receiving_agency = forms.ModelChoiceField(label=_("Nơi tiếp nhận"),
                                              queryset=Agency.objects.none())
    deciding_agency = forms.ModelChoiceField(label=_("Cơ quan giải quyết"),
                                             queryset=Agency.objects.none())

    def __init__(self, *args, receiving, deciding, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["receiving_agency"].queryset = receiving
        self.fields["deciding_agency"].queryset = deciding


def wallet_choice_label(entry) -> str:
    """"Dùng giấy tờ trong kho: <tên> số <số>, cấp ngày dd/mm/yyyy, hiệu lực đến …"."""
    label = f"{_('Dùng giấy tờ trong kho')}: {entry.name}"
    if entry.number:
        label += f" {_('số')} {entry.number}"
    if entry.issued_on:
        label += f", {_('cấp ngày')} {entry.issued_on:%d/%m/%Y}"
    if entry.valid_until:
        label += f", {_('hiệu lực đến')} {entry.valid_until:%d/%m/%Y}"
    else:
        label += f", {_('không thời hạn')}"
    return label


class PapersForm(forms.Form):
    """One row per required document: counts handed in (desk), a file (upload / scan) and,
    when the owner's wallet holds papers of that type (`wallet`: type code → entries, from
    hoso.services.wallet), a choice of one of them instead of the file. `current`: the rows
    a draft already has, by position. `eform`: the procedure's e-form, filled in online,
    stands for its application form (hoso.services.intake.APPLICATION_FORM_PREFIX)."""

    def __init__(self, *args, documents, desk: bool, wallet: dict | None = None,
                 current: dict | None = None, eform: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.documents = list(documents)
        self.desk = desk
        self.current = current or {}
        self.eform = eform and not desk
        wallet = wallet or {}
        for doc in self.documents:
            if desk:
                self.fields[f"originals_{doc.position}"] = forms.IntegerField(
                    label=_("Bản chính"), min_value=0, max_value=20, initial=0)
                self.fields[f"copies_{doc.position}"] = forms.IntegerField(
                    label=_("Bản sao"), min_value=0, max_value=20, initial=0)
            self.fields[f"file_{doc.position}"] = forms.FileField(
                label=doc.name, required=False,
                widget=forms.ClearableFileInput(attrs={"accept": ".pdf,.jpg,.jpeg,.png"}))
            entries = wallet.get(doc.doc_type_code) if doc.doc_type_code else None
            if entries:
                picked = getattr(self.current.get(doc.position), "wallet_document_id", None)
                self.fields[f"wallet_{doc.position}"] = forms.TypedChoiceField(
                    label=_("Giấy tờ trong kho dữ liệu"), required=False, coerce=int,
                    empty_value=None, widget=forms.RadioSelect,
                    initial=picked if any(e.pk == picked for e in entries) else None,
                    choices=[("", _("Không dùng; tải tệp lên") if not desk
                              else _("Không dùng"))]
                    + [(e.pk, wallet_choice_label(e)) for e in entries],
                    help_text=_("Chọn giấy tờ trong kho thì không cần tải tệp; nếu vẫn tải "
                                "tệp lên, tệp tải lên được dùng."))

    def rows(self):
        for doc in self.documents:
            yield {
                "doc": doc,
                "file": self[f"file_{doc.position}"],
                "wallet": self[f"wallet_{doc.position}"]
                if f"wallet_{doc.position}" in self.fields else None,
                "current": self.current.get(doc.position),
                "by_eform": self.eform and (doc.doc_type_code or "").startswith(
                    APPLICATION_FORM_PREFIX),
                "originals": self[f"originals_{doc.position}"] if self.desk else None,
                "copies": self[f"copies_{doc.position}"] if self.desk else None,
            }

    def papers(self) -> list[PaperIn]:
        papers = []
        for doc in self.documents:
            upload = self.cleaned_data.get(f"file_{doc.position}")
            picked = None if upload else self.cleaned_data.get(f"wallet_{doc.position}")
            originals = self.cleaned_data.get(f"originals_{doc.position}") or 0
            copies = self.cleaned_data.get(f"copies_{doc.position}") or 0
            if upload or picked or originals or copies:
                papers.append(PaperIn(position=doc.position, originals=originals, copies=copies,
                                      file=upload or None, wallet_document_id=picked))
        return papers


class FeeExemptionForm(forms.Form):
    """The exemption groups of the procedure's fees the applicant claims (the paper that
    proves each is checked at the desk); sets Dossier.fee_exemptions."""

    groups = forms.MultipleChoiceField(
        label=_("Đối tượng miễn phí, lệ phí (nếu thuộc)"), required=False,
        widget=forms.CheckboxSelectMultiple)

    def __init__(self, *args, groups: list[tuple[str, str]], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["groups"].choices = [
            (group, f"{group} — {_('giấy tờ chứng minh')}: {proof}" if proof else group)
            for group, proof in groups]

    def claimed(self) -> list[str]:
        return list(self.cleaned_data.get("groups") or [])


class PostalForm(forms.Form):
    channel = forms.ChoiceField(label=_("Kênh tiếp nhận"), initial=Channel.DIRECT,
                                choices=[(Channel.DIRECT, Channel.DIRECT.label),
                                         (Channel.POSTAL, Channel.POSTAL.label)])
    postal_service = forms.ChoiceField(label=_("Hình thức gửi"), required=False,
                                       choices=[("", "—"), *PostalService.choices])
    postal_tracking_number = forms.CharField(label=_("Số vận đơn"), max_length=50,
                                             required=False)


class TrackForm(forms.Form):
    code = forms.CharField(label=_("Mã hồ sơ"), max_length=40)
    last4 = forms.CharField(
        label=_("4 số cuối điện thoại hoặc số giấy tờ của người nộp"), min_length=4,
        max_length=4, widget=forms.TextInput(attrs={"inputmode": "numeric",
                                                    "autocomplete": "off"}))

    def clean_code(self) -> str:
        return self.cleaned_data["code"].strip().upper()

    def clean_last4(self) -> str:
        value = self.cleaned_data["last4"]
        if not value.isdigit():
            raise forms.ValidationError(_("Vui lòng nhập đúng 4 chữ số."))
        return value


class ReasonForm(forms.Form):
    reason = forms.CharField(label=_("Lý do / nội dung cần bổ sung"), max_length=4000,
                             widget=forms.Textarea(attrs={"rows": 4}))
