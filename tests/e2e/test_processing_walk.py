"""In a browser: a dossier received at a commune desk goes commune specialist → commune
leader → liên thông to a district → back → resolved with an e-result → returned online →
rated; the control sheet shows every handover; the citizen sees each change when tracking."""

import io

import pytest
from pypdf import PdfReader

from hoso.models import Dossier
from hoso.services import intake
from portal import services as portal_services
from portal.choices import Role
from tests.conftest import PASSWORD
from tests.factories import UserFactory
from tests.hoso.conftest import online_submit, pdf_bytes

pytestmark = pytest.mark.django_db(transaction=True)


def log_in(browser, base, username):
    context = browser.new_context(locale="vi-VN")
    page = context.new_page()
    page.goto(base + "/dang-nhap/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("main button[type=submit]")
    return context, page


def act(page, label, selects=None, fills=None):
    """Open the action's panel, fill what it asks, confirm, submit."""
    panel = page.locator(f"details:has(summary:text-is('{label}'))")
    panel.locator("summary").click()
    for name, option in (selects or {}).items():
        panel.locator(f"select[name={name}]").select_option(label=option)
    for name, value in (fills or {}).items():
        panel.locator(f"[name={name}]").fill(value)
    panel.locator("input[name=confirm]").check()
    panel.locator(f"button:has-text('{label}')").click()
    assert f"Đã thực hiện: {label}" in page.inner_text("main"), page.inner_text("main")


def tracked_status(browser, base, code):
    context = browser.new_context(locale="vi-VN")
    page = context.new_page()
    page.goto(f"{base}/tra-cuu-ho-so/{code}/")
    page.fill("input[name=last4]", "5678")
    page.click("main button[type=submit]")
    text = page.inner_text("main")
    context.close()
    return text


def officer(username, name, agency, role):
    user = UserFactory(username=username, full_name=name)
    portal_services.grant_role(user=user, agency=agency, role=role)
    return user


def test_commune_district_and_back_to_a_rated_return(live_server, browser, province,
                                                     birth_procedure, tmp_path):
    base = live_server.url
    citizen = portal_services.register_citizen(
        full_name="Nguyễn Văn An", cccd="019090001234", phone="0912345678",
        email="an@example.vn", password=PASSWORD)
    desk = officer("xa_motcua", "Ngô Thị Hạnh", province.commune_a1, Role.DESK_OFFICER)
    officer("xa_chuyenvien", "Lê Văn Tâm", province.commune_a1, Role.PROCESSING_OFFICER)
    officer("xa_lanhdao", "Trần Văn Quang", province.commune_a1, Role.LEADER)
    officer("huyen_b", "Phạm Thị Thu", province.district_b, Role.PROCESSING_OFFICER)
    dossier = online_submit(citizen, birth_procedure, province.commune_a1)
    dossier = intake.receive(dossier_id=dossier.pk, officer=desk)
    (tmp_path / "ket-qua.pdf").write_bytes(pdf_bytes())
    dossier_url = f"{base}/mot-cua/ho-so/{dossier.pk}/"

    context, page = log_in(browser, base, "xa_chuyenvien")
    page.goto(dossier_url)
    act(page, "Bắt đầu giải quyết", selects={"assignee": "Lê Văn Tâm"})
    act(page, "Chuyển bước tiếp theo", selects={"assignee": "Trần Văn Quang"},
        fills={"note": "Hồ sơ đủ điều kiện"})
    context.close()
    assert "Đang giải quyết" in tracked_status(browser, base, dossier.code)

    context, page = log_in(browser, base, "xa_lanhdao")
    page.goto(dossier_url)
    act(page, "Chuyển liên thông", selects={"agency": "UBND huyện B"},
        fills={"note": "Đề nghị xác minh"})
    context.close()

    context, page = log_in(browser, base, "huyen_b")
    page.goto(dossier_url)
    act(page, "Trả kết quả liên thông", fills={"note": "Đã xác minh"})
    context.close()

    context, page = log_in(browser, base, "xa_lanhdao")
    page.goto(dossier_url)
    page.fill("input[name=name]", "Giấy khai sinh")
    page.fill("input[name=number]", "125/KS")
    page.fill("input[name=issued_on]", "2026-11-25")
    page.set_input_files("input[name=file]", str(tmp_path / "ket-qua.pdf"))
    page.click("button:has-text('Đính kèm kết quả')")
    assert "Đã đính kèm kết quả" in page.inner_text("main")
    act(page, "Hoàn thành giải quyết")
    sheet = page.request.get(f"{base}/mot-cua/ho-so/{dossier.pk}/phieu-kiem-soat.pdf")
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(sheet.body())).pages)
    context.close()
    assert "UBND huyện B" in text
    assert "Thẩm định" in text
    assert "Đang xử lý" not in text
    assert "Đã có kết quả" in tracked_status(browser, base, dossier.code)

    context, page = log_in(browser, base, "xa_motcua")
    page.goto(dossier_url)
    act(page, "Trả kết quả", selects={"method": "Trả trực tuyến (tải bản điện tử)"})
    context.close()

    context, page = log_in(browser, base, "019090001234")
    page.goto(f"{base}/ho-so-cua-toi/{dossier.pk}/")
    assert "Tải bản điện tử (PDF)" in page.inner_text("main")
    page.locator("input[name=confirm]").first.check()
    page.fill("input[name=comment]", "Cán bộ hướng dẫn tận tình")
    page.click("button:has-text('Gửi đánh giá')")
    assert "Đã thực hiện: Đánh giá" in page.inner_text("main")
    context.close()

    dossier = Dossier.objects.get(pk=dossier.pk)
    assert dossier.status == "returned"
    assert dossier.rating.comment == "Cán bộ hướng dẫn tận tình"
    assert list(dossier.events.values_list("action", flat=True)) == [
        "submit", "receive", "start", "forward", "transfer", "transfer_back", "resolve",
        "return_result", "rate"]
    assert "Đã trả kết quả" in tracked_status(browser, base, dossier.code)
