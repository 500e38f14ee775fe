"""In a browser: a citizen submits online with uploads; the commune desk receives it; the
receipt and the public tracking page show it."""

import pytest

from hoso.models import Dossier
from portal import services as portal_services
from portal.choices import Role
from tests.conftest import PASSWORD
from tests.factories import UserFactory
from tests.hoso.conftest import pdf_bytes, png_bytes

pytestmark = pytest.mark.django_db(transaction=True)


def log_in(page, base, username):
    page.goto(base + "/dang-nhap/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("main button[type=submit]")


def test_online_submission_to_receipt_and_tracking(live_server, browser, province,
                                                   birth_procedure, tmp_path):
    portal_services.register_citizen(full_name="Nguyễn Văn An", cccd="019090001234",
                                     phone="0912345678", email="an@example.vn",
                                     password=PASSWORD)
    officer = UserFactory(username="xa_motcua", full_name="Ngô Thị Hạnh")
    portal_services.grant_role(user=officer, agency=province.commune_a1,
                               role=Role.DESK_OFFICER)
    (tmp_path / "to-khai.pdf").write_bytes(pdf_bytes())
    (tmp_path / "giay-chung-sinh.png").write_bytes(png_bytes())
    base = live_server.url

    citizen = browser.new_context(viewport={"width": 390, "height": 844}, locale="vi-VN")
    page = citizen.new_page()
    log_in(page, base, "019090001234")
    page.goto(f"{base}/thu-tuc/1.001193/")
    page.click("#nop-ho-so")
    assert page.input_value("input[name=a-owner_name]") == "Nguyễn Văn An"
    page.select_option("select[name=r-deciding_agency]", label="UBND xã A1")
    page.fill("input[name=f-child_full_name]", "Nguyễn Minh Khang")
    page.fill("input[name=f-date_of_birth]", "01/11/2026")
    page.select_option("select[name=f-sex]", "male")
    page.fill("input[name=f-mother__full_name]", "Trần Thị Mai")
    page.fill("input[name=f-mother__cccd]", "019190004321")
    page.set_input_files("input[name=p-file_1]", str(tmp_path / "to-khai.pdf"))
    page.set_input_files("input[name=p-file_2]", str(tmp_path / "giay-chung-sinh.png"))
    page.check("input[name=d-method][value=online]")
    page.click("text=Lưu và xem lại")
    assert "Xem lại và nộp hồ sơ" in page.inner_text("main")
    page.click("main form button:has-text('Nộp hồ sơ')")
    assert "Đã nộp hồ sơ" in page.inner_text("main")
    dossier = Dossier.objects.get()
    citizen.close()

    desk_context = browser.new_context(locale="vi-VN")
    desk = desk_context.new_page()
    log_in(desk, base, "xa_motcua")
    desk.goto(f"{base}/mot-cua/hop-thu/")
    desk.click("text=(chờ tiếp nhận)")
    desk.click("button:has-text('Tiếp nhận hồ sơ')")
    assert "Đã tiếp nhận hồ sơ" in desk.inner_text("main")
    dossier.refresh_from_db()
    receipt = desk.request.get(f"{base}/ho-so/{dossier.pk}/giay-tiep-nhan.pdf")
    assert receipt.headers["content-type"] == "application/pdf"
    assert receipt.body().startswith(b"%PDF-")

    desk_context.close()
    public_context = browser.new_context(locale="vi-VN")
    public = public_context.new_page()
    public.goto(f"{base}/tra-cuu-ho-so/{dossier.code}/")
    public.fill("input[name=last4]", "5678")
    public.click("main button[type=submit]")
    text = public.inner_text("main")
    assert "Đã tiếp nhận" in text
    assert "Đăng ký khai sinh" in text
    public_context.close()
