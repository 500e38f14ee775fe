"""Forms of the portal app: sign-up, login, agency and dossier-code look-ups."""

from django import forms
from django.contrib.auth.forms import AuthenticationForm, PasswordChangeForm
from django.contrib.auth.password_validation import password_validators_help_text_html
from django.utils.translation import gettext_lazy as _

from portal.validators import validate_cccd, validate_phone


class CitizenSignupForm(forms.Form):
    full_name = forms.CharField(label=_("Họ và tên"), max_length=150)
    cccd = forms.CharField(
        label=_("Số CCCD"), max_length=12, min_length=1, validators=[validate_cccd],
        help_text=_("12 chữ số trên thẻ căn cước; dùng làm tên đăng nhập."),
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}),
    )
    phone = forms.CharField(label=_("Số điện thoại"), max_length=15, validators=[validate_phone],
                            widget=forms.TextInput(attrs={"inputmode": "tel"}))
    email = forms.EmailField(label=_("Thư điện tử"))
    password1 = forms.CharField(label=_("Mật khẩu"), strip=False, widget=forms.PasswordInput,
                                help_text=password_validators_help_text_html())
    password2 = forms.CharField(label=_("Nhập lại mật khẩu"), strip=False,
                                widget=forms.PasswordInput)

    error_messages = {"password_mismatch": _("Hai mật khẩu không khớp nhau.")}

    def clean_full_name(self) -> str:
        name = " ".join(self.cleaned_data["full_name"].split())
        if len(name) < 2:
            raise forms.ValidationError(_("Vui lòng nhập họ và tên đầy đủ."))
        return name

    def clean(self) -> dict:
        cleaned = super().clean()
        if cleaned.get("password1") and cleaned.get("password1") != cleaned.get("password2"):
            self.add_error("password2", self.error_messages["password_mismatch"])
        return cleaned


class LoginForm(AuthenticationForm):
    error_messages = {
        "invalid_login": _(
            "Tên đăng nhập hoặc mật khẩu không đúng. Lưu ý: sau 5 lần sai liên tiếp, tài khoản "
            "bị tạm khóa 15 phút."
        ),
        "inactive": _("Tài khoản này đã bị khóa. Vui lòng liên hệ quản trị hệ thống."),
    }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["username"].label = _("Tên đăng nhập (số CCCD đối với công dân)")
        self.fields["password"].label = _("Mật khẩu")


class PortalPasswordChangeForm(PasswordChangeForm):
    error_messages = {
        **PasswordChangeForm.error_messages,
        "password_incorrect": _("Mật khẩu hiện tại không đúng."),
        "password_mismatch": _("Hai mật khẩu mới không khớp nhau."),
    }
