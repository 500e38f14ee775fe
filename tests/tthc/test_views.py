"""Public catalogue pages in Vietnamese: search, procedure page, blank form, statistics."""

import pytest
from django.urls import reverse

from portal.choices import AgencyLevel
from tests.factories import AgencyFactory
from tthc import services
from tthc.models import ProcedureAgency

pytestmark = pytest.mark.django_db


def test_citizen_finds_a_procedure_typing_without_diacritics(client, small_catalogue):
    page = client.get(reverse("tthc:catalogue"), {"q": "dang ky khai sinh"}).content.decode()
    assert "Tìm thấy 1 thủ tục." in page
    assert reverse("tthc:procedure", args=["1.001193"]) in page


def test_procedure_page_shows_what_a_citizen_needs(client, birth):
    page = client.get(reverse("tthc:procedure", args=["1.001193"])).content.decode()
    for text in ("Đăng ký khai sinh", "Tờ khai đăng ký khai sinh", "Giấy chứng sinh",
                 "8.000 đ", "4.000 đ", "giảm 50%", "Nghị quyết thử nghiệm",
                 "Miễn cho: Người thuộc hộ nghèo", "1 ngày làm việc",
                 "nhận sau 15 giờ thì trả trong ngày làm việc tiếp theo",
                 "Nộp hồ sơ trực tuyến", "Tải tờ khai (PDF)", "Luật Hộ tịch 2014",
                 "Không phụ thuộc địa giới hành chính", "Giấy khai sinh"):
        assert text in page, text


def test_procedure_without_online_service_has_no_submit_button(client, small_catalogue):
    page = client.get(reverse("tthc:procedure", args=["2.001023"])).content.decode()
    assert "Nộp hồ sơ trực tuyến" not in page


def test_unpublished_fee_is_never_shown_as_free(client, birth):
    from tests.tthc.conftest import record

    services.save_procedure(record(fees=[{"kind": "phi", "name": "Phí thẩm định",
                                          "amount": None}]))
    page = client.get(reverse("tthc:procedure", args=["1.001193"])).content.decode()
    assert "Chưa công bố mức thu" in page
    assert "Không thu phí, lệ phí" not in page


def test_unknown_or_retired_procedure_is_a_vietnamese_404(client, birth):
    response = client.get(reverse("tthc:procedure", args=["9.999999"]))
    assert response.status_code == 404
    assert "Không tìm thấy thủ tục có mã" in response.content.decode()


def test_procedure_page_lists_where_to_submit(client, birth):
    district = AgencyFactory(level=AgencyLevel.DISTRICT, name="UBND huyện thử")
    commune = AgencyFactory(parent=district, level=AgencyLevel.COMMUNE, name="UBND xã Thử")
    excluded = AgencyFactory(parent=district, level=AgencyLevel.COMMUNE, name="UBND xã Loại")
    ProcedureAgency.objects.create(procedure=birth, agency=excluded, relation="excluded")
    page = client.get(reverse("tthc:procedure", args=["1.001193"])).content.decode()
    assert commune.name in page
    assert excluded.name not in page


def test_procedure_page_uses_a_constant_number_of_queries(client, small_catalogue,
                                                          django_assert_max_num_queries):
    with django_assert_max_num_queries(14):
        client.get(reverse("tthc:procedure", args=["1.001193"]))


def test_blank_form_is_a_pdf(client, birth):
    response = client.get(reverse("tthc:blank_form", args=["1.001193"]))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF-")
    assert client.get(reverse("tthc:blank_form", args=["2.001023"])).status_code == 404


def test_statistics_match_the_catalogue(client, small_catalogue):
    response = client.get(reverse("tthc:statistics"))
    stats = response.context["stats"]
    assert stats.total == 4
    assert dict(stats.by_level) == {"Cấp tỉnh": 1, "Cấp huyện": 1, "Cấp xã": 3}
    assert dict(stats.by_mode) == {"Cung cấp thông tin": 1,
                                   "Dịch vụ công trực tuyến một phần": 1,
                                   "Dịch vụ công trực tuyến toàn trình": 2}
    assert stats.by_legacy_level == [(2, 1), (3, 1), (4, 2)]
    assert stats.online == 3
    assert 'id="total">4<' in response.content.decode()


def test_catalogue_filters_and_pagination(client, small_catalogue):
    page = client.get(reverse("tthc:catalogue"), {"cap": "province"}).content.decode()
    assert "Tìm thấy 1 thủ tục." in page
    page = client.get(reverse("tthc:catalogue"), {"q": "khong co thu tuc nay"}).content.decode()
    assert "Không tìm thấy thủ tục phù hợp." in page


def test_blank_form_embeds_only_the_shipped_fonts(client, birth):
    import io

    from pypdf import PdfReader

    pdf = PdfReader(io.BytesIO(client.get(reverse("tthc:blank_form",
                                                  args=["1.001193"])).content))
    fonts = set()
    for page in pdf.pages:
        for font in page["/Resources"]["/Font"].values():
            fonts.add(str(font.get_object()["/BaseFont"]).split("+")[-1])
    assert fonts <= {"DejaVu-Sans", "DejaVu-Sans-Bold"}, fonts  # no system Oblique or Serif
