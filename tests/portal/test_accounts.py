"""Citizen sign-up, login with lock-out, role landing pages, logout, password change."""

import datetime as dt

import pytest
import time_machine
from django.urls import reverse

from portal.choices import Role
from portal.models import User
from tests.conftest import PASSWORD, make_officer

pytestmark = pytest.mark.django_db

SIGNUP = {
    "full_name": "  Trần   Thị Bình ",
    "cccd": "019190004321",
    "phone": "0987654321",
    "email": "binh@example.vn",
    "password1": "Mat-khau-rat-kho-2026",
    "password2": "Mat-khau-rat-kho-2026",
}


def login(client, username, password=PASSWORD):
    return client.post(reverse("portal:login"), {"username": username, "password": password})


def test_citizen_signs_up_with_cccd_and_is_logged_in(client):
    response = client.post(reverse("portal:signup"), SIGNUP)
    assert response.status_code == 302
    assert response.url == reverse("portal:account")
    user = User.objects.get(cccd="019190004321")
    assert user.username == "019190004321"
    assert user.full_name == "Trần Thị Bình"
    assert user.has_role(Role.CITIZEN)
    page = client.get(response.url)
    assert "Trần Thị Bình" in page.content.decode()


@pytest.mark.parametrize(("cccd", "message"), [
    ("01919000432", "Số CCCD phải gồm đúng 12 chữ số."),
    ("01919000432X", "Số CCCD phải gồm đúng 12 chữ số."),
    ("003190004321", "không phải mã tỉnh, thành phố"),
])
def test_signup_with_malformed_cccd_changes_nothing(client, cccd, message):
    before = User.objects.count()
    response = client.post(reverse("portal:signup"), {**SIGNUP, "cccd": cccd})
    assert response.status_code == 200
    assert message in response.content.decode()
    assert User.objects.count() == before
    assert "_auth_user_id" not in client.session


def test_signup_with_a_taken_cccd_is_refused(client, citizen):
    response = client.post(reverse("portal:signup"), {**SIGNUP, "cccd": citizen.cccd})
    assert "đã được dùng để đăng ký" in response.content.decode()
    assert User.objects.filter(cccd=citizen.cccd).count() == 1


def test_signup_with_mismatched_or_weak_password_is_refused(client):
    response = client.post(reverse("portal:signup"), {**SIGNUP, "password2": "khac-hoan-toan"})
    assert "Hai mật khẩu không khớp nhau." in response.content.decode()
    response = client.post(reverse("portal:signup"),
                           {**SIGNUP, "password1": "12345678", "password2": "12345678"})
    assert response.status_code == 200
    assert not User.objects.filter(cccd=SIGNUP["cccd"]).exists()


def test_wrong_password_gives_a_vietnamese_message(client, citizen):
    response = login(client, citizen.username, "sai-mat-khau")
    assert response.status_code == 200
    assert "Tên đăng nhập hoặc mật khẩu không đúng." in response.content.decode()


def test_sixth_try_is_locked_out_even_with_the_right_password_then_released(client, citizen):
    with time_machine.travel(dt.datetime(2026, 11, 23, 9, 0, tzinfo=dt.UTC), tick=False) as tm:
        for _ in range(5):
            login(client, citizen.username, "sai-mat-khau")
        response = login(client, citizen.username, PASSWORD)
        assert response.status_code == 429
        assert "tạm thời bị khóa trong 15 phút" in response.content.decode()
        assert "_auth_user_id" not in client.session
        tm.shift(dt.timedelta(minutes=16))
        response = login(client, citizen.username, PASSWORD)
        assert response.status_code == 302
        assert client.session["_auth_user_id"] == str(citizen.pk)


def test_lockout_of_one_account_does_not_block_another(client, citizen, province):
    other = make_officer(province.district_a, Role.DESK_OFFICER, username="desk_other")
    for _ in range(6):
        login(client, citizen.username, "sai-mat-khau")
    assert login(client, other.username).status_code == 302


@pytest.mark.parametrize(("role", "landing"), [
    (Role.DESK_OFFICER, "portal:reception_desk"),
    (Role.PROCESSING_OFFICER, "portal:processing_desk"),
    (Role.LEADER, "portal:processing_desk"),
    (Role.REPORT_VIEWER, "portal:reports_home"),
    (Role.ADMINISTRATOR, "admin:index"),
])
def test_each_officer_role_lands_on_its_page(client, province, role, landing):
    officer = make_officer(province.district_a, role)
    assert login(client, officer.username).url == reverse("portal:landing")
    response = client.get(reverse("portal:landing"))
    assert response.url == reverse(landing)
    assert client.get(response.url).status_code == 200


def test_citizen_lands_on_account_page(client, citizen):
    login(client, citizen.username)
    assert client.get(reverse("portal:landing")).url == reverse("portal:account")


def test_citizen_cannot_open_officer_pages(client, citizen):
    login(client, citizen.username)
    for name in ("portal:reception_desk", "portal:processing_desk", "portal:reports_home"):
        response = client.get(reverse(name))
        assert response.status_code == 403
        assert "Không có quyền truy cập" in response.content.decode()


def test_anonymous_users_are_sent_to_login(client):
    response = client.get(reverse("portal:reception_desk"))
    assert response.status_code == 302
    assert response.url.startswith(reverse("portal:login"))


def test_desk_page_lists_the_officers_agencies_and_calendar(client, province, district_a_desk):
    login(client, district_a_desk.username)
    with time_machine.travel(dt.datetime(2026, 11, 20, 3, 0, tzinfo=dt.UTC), tick=False):
        page = client.get(reverse("portal:reception_desk")).content.decode()
    assert "UBND huyện A" in page
    assert "Phạm vi: 3 cơ quan" in page
    assert "24/11/2026" in page  # a weekday off within the next 60 days
    assert "UBND huyện B" not in page


def test_logout_is_a_post_and_ends_the_session(client, citizen):
    login(client, citizen.username)
    assert client.get(reverse("portal:logout")).status_code == 405
    client.post(reverse("portal:logout"))
    assert "_auth_user_id" not in client.session


def test_password_change(client, citizen):
    login(client, citizen.username)
    url = reverse("portal:password_change")
    response = client.post(url, {"old_password": "sai", "new_password1": "Mat-khau-moi-2026",
                                 "new_password2": "Mat-khau-moi-2026"})
    assert "Mật khẩu hiện tại không đúng." in response.content.decode()
    response = client.post(url, {"old_password": PASSWORD, "new_password1": "Mat-khau-moi-2026",
                                 "new_password2": "Mat-khau-moi-2026"})
    assert response.url == reverse("portal:password_change_done")
    citizen.refresh_from_db()
    assert citizen.check_password("Mat-khau-moi-2026")


def test_pages_are_vietnamese(client):
    page = client.get(reverse("portal:home")).content.decode()
    assert '<html lang="vi">' in page
    assert "Tra cứu hồ sơ" in page
    assert "Tỉnh Thái Nguyên" in page
