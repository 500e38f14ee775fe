"""A citizen on a phone finds a procedure typing without diacritics and sees what to bring."""

import pytest

from tests.tthc.conftest import record
from tthc import services

pytestmark = pytest.mark.django_db(transaction=True)


def no_horizontal_scroll(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")


def test_citizen_on_a_phone_finds_and_opens_birth_registration(live_server, phone):
    services.save_procedure(record(featured=True))
    phone.goto(live_server.url + "/")
    assert no_horizontal_scroll(phone)
    phone.fill("input[name=q]", "dang ky khai sinh")
    phone.press("input[name=q]", "Enter")
    phone.wait_for_url("**/thu-tuc/?q=*")
    assert "Tìm thấy 1 thủ tục." in phone.inner_text("main")
    phone.click("text=Đăng ký khai sinh")
    phone.wait_for_url("**/thu-tuc/1.001193/")
    main = phone.inner_text("main")
    for text in ("Giấy chứng sinh", "8.000 đ", "4.000 đ", "1 ngày làm việc"):
        assert text in main, text
    assert phone.is_visible("#nop-ho-so")
    assert no_horizontal_scroll(phone)
    box = phone.locator("#nop-ho-so").bounding_box()
    assert box["x"] >= 0
    assert box["x"] + box["width"] <= 390
