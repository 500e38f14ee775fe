"""Exported official reports: the XLSX has the official merged headers and the numbers, the PDF
renders, an export is frozen (cells, parameters, code version, SHA-256 of the file) and shown
again unchanged after a dossier changes, while "Tính lại" shows what changed."""

import datetime as dt
import hashlib
import io

import pytest
import time_machine
from django.urls import reverse
from openpyxl import load_workbook

from baocao import exports
from baocao.models import ReportExport
from hoso.models import Dossier
from portal.calendar import TZ
from portal.choices import Role
from tests.baocao.test_handling_report import (  # noqa: F401
    EXPECTED_PROVINCE,
    QUARTER,
    at,
    forty,
    lltp_procedure,
)
from tests.conftest import make_officer
from tests.hoso.conftest import birth_procedure, desk_a1  # noqa: F401

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _after_the_quarter():
    """Reports of Quý IV/2026 read after it ended: open dossiers are judged at its end (while
    a period runs they are judged now — test_a_running_period_judges_lateness_now)."""
    with time_machine.travel(dt.datetime(2027, 1, 20, 9, 0, tzinfo=TZ), tick=False):
        yield


@pytest.fixture
def viewer(province):
    return make_officer(province.root, Role.REPORT_VIEWER, username="xem_tinh",
                        full_name="Trần Văn Báo")


def test_the_xlsx_has_merged_official_headers_and_the_numbers(province, forty, viewer):
    export = exports.export_handling(province.root, QUARTER, "xlsx", viewer)
    sheet = load_workbook(io.BytesIO(export.file.open("rb").read())).active
    merged = {str(r) for r in sheet.merged_cells.ranges}
    assert {"C7:F7", "G7:J7", "K7:M7", "A7:A8", "B7:B8"} <= merged
    assert sheet["C7"].value == "Số hồ sơ nhận giải quyết"
    assert sheet["G7"].value == "Đã giải quyết"
    assert sheet["K7"].value == "Đang giải quyết"
    assert [sheet.cell(9, c).value for c in range(1, 14)] == [f"({c})" for c in range(1, 14)]
    assert "Kỳ báo cáo: Quý IV/2026 (15/09/2026 – 14/12/2026)" in sheet["A4"].value
    assert province.root.name in sheet["A1"].value
    last = sheet.max_row
    assert sheet.cell(last, 2).value == "Tổng cộng"
    assert [sheet.cell(last, c).value for c in range(3, 14)] == EXPECTED_PROVINCE["total"]


def test_the_pdf_renders_on_a4_landscape(province, forty, viewer):
    export = exports.export_handling(province.root, QUARTER, "pdf", viewer)
    content = export.file.open("rb").read()
    assert content.startswith(b"%PDF")
    html = exports.handling_html(export.data)
    assert "size: A4 landscape" in html
    assert "Đang giải quyết" in html


def test_an_export_is_frozen_with_its_hash_code_version_and_cells(province, forty, viewer):
    export = exports.export_handling(province.root, QUARTER, "xlsx", viewer)
    content = export.file.open("rb").read()
    assert export.sha256 == hashlib.sha256(content).hexdigest() == exports.file_sha256(export)
    assert export.code_version
    assert export.params["period"]["from"] == "2026-09-15"
    assert export.data["total"]["cells"] == EXPECTED_PROVINCE["total"]


def test_a_frozen_export_is_shown_as_exported_and_the_recomputation_says_what_changed(
        client, province, forty, viewer):
    export = exports.export_handling(province.root, QUARTER, "pdf", viewer)
    # after the export, an open overdue dossier (case 13) is found to have been resolved late
    # in the period
    Dossier.objects.filter(pk=forty[13]).update(status="resolved", finished_at=at(12, 5))
    client.force_login(viewer)
    page = client.get(reverse("baocao:report_export", args=[export.pk]))
    assert page.status_code == 200
    assert page.context["total"]["cells"] == EXPECTED_PROVINCE["total"]
    assert export.sha256 in page.content.decode()

    recomputed = client.get(reverse("baocao:report_export", args=[export.pk]),
                            {"tinh_lai": "1"})
    changes = {(c.row_key, c.column): (c.before, c.after)
               for c in recomputed.context["changes"]}
    for row in ("level:commune", "field:HT", "total"):
        assert changes[(row, 7)][1] == changes[(row, 7)][0] + 1
        assert changes[(row, 10)][1] == changes[(row, 10)][0] + 1
        assert changes[(row, 11)][1] == changes[(row, 11)][0] - 1
        assert changes[(row, 13)][1] == changes[(row, 13)][0] - 1
    assert len(changes) == 12
    export.refresh_from_db()
    assert export.data["total"]["cells"] == EXPECTED_PROVINCE["total"]  # never rewritten

    download = client.get(reverse("baocao:report_export_file", args=[export.pk]))
    body = b"".join(download.streaming_content)
    assert hashlib.sha256(body).hexdigest() == export.sha256


def test_exporting_from_the_page_freezes_and_lists_the_report(client, province, forty, viewer):
    """A district's quarter is exported at once; the whole province goes to the worker and
    the page follows its progress until the frozen export is there."""
    client.force_login(viewer)
    response = client.post(reverse("baocao:export_report"), {
        "agency": province.district_a.pk, **QUARTER.as_params(), "format": "xlsx"})
    export = ReportExport.objects.get()
    assert response.status_code == 302
    assert response.url == reverse("baocao:report_export", args=[export.pk])
    assert export.created_by == viewer
    listing = client.get(reverse("baocao:report_exports")).content.decode()
    assert export.title in listing


def test_a_province_export_runs_in_the_background_with_its_progress_page(
        client, province, forty, viewer, django_capture_on_commit_callbacks):
    from baocao.models import ReportJob

    client.force_login(viewer)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("baocao:export_report"), {
            "agency": province.root.pk, **QUARTER.as_params(), "format": "pdf"})
    job = ReportJob.objects.get()
    assert response.status_code == 302
    assert response.url == reverse("baocao:job_page", args=[job.public_id])
    assert job.status == ReportJob.Status.DONE  # the (eager) worker ran it after commit
    assert job.export.agency == province.root
    assert job.export.data["total"]["cells"] == EXPECTED_PROVINCE["total"]
    status = client.get(reverse("baocao:job_status", args=[job.public_id])).json()
    assert status["status"] == "done"


def test_another_districts_viewer_cannot_open_our_export(client, province, forty, viewer):
    export = exports.export_handling(province.district_a, QUARTER, "xlsx", viewer)
    other = make_officer(province.district_b, Role.REPORT_VIEWER, username="xem_huyen_b")
    client.force_login(other)
    assert client.get(reverse("baocao:report_export", args=[export.pk])).status_code == 403
    assert client.get(reverse("baocao:report_export_file",
                              args=[export.pk])).status_code == 403
    assert export.title not in client.get(reverse("baocao:report_exports")).content.decode()
    response = client.post(reverse("baocao:export_report"), {
        "agency": province.district_a.pk, **QUARTER.as_params(), "format": "pdf"})
    assert response.status_code == 403


def test_the_background_job_builder_exports_the_report(province, forty, viewer):
    calls = []
    export = exports.build_handling_job(
        {"agency_id": province.root.pk, "period": QUARTER.as_params(), "format": "xlsx",
         "user_id": viewer.pk}, lambda done, total: calls.append((done, total)))
    assert export.data["total"]["cells"] == EXPECTED_PROVINCE["total"]
    assert calls[-1] == (2, 2)
