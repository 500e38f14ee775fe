"""The import command: good rows in, bad rows out with reasons, nothing half-imported."""

import csv
import io
import json

import pytest
from django.core.management import CommandError, call_command

from tests.tthc.conftest import record
from tthc.imports import CSV_COLUMNS
from tthc.models import Field, Procedure, RequiredDocument, WorkflowStep

pytestmark = pytest.mark.django_db

GOOD_ROW = {
    "national_code": "2.001023", "name": "Chứng thực bản sao từ bản chính",
    "field_code": "CT", "field_name": "Chứng thực", "levels": "commune|district",
    "processing_time": "1", "time_unit": "working_days", "service_mode": "info",
    "channels": "direct", "online_only": "0", "boundary_free": "1",
    "boundary_free_scope": "province", "result_name": "Bản sao được chứng thực",
    "result_type": "copy", "legal_basis": "Nghị định 23/2015/NĐ-CP",
    "published_from": "2025-07-01",
    "documents": "Bản chính giấy tờ::BAN-CHINH::1::0::1|Bản sao cần chứng thực::::0::1::1",
    "fees": "le_phi::Lệ phí chứng thực bản sao::2000::trang::0",
    "workflow": "Tiếp nhận::desk_officer::receiving::0.25|Chứng thực::processing_officer::"
                "deciding::0.75",
    "eform": "",
}


def csv_file(tmp_path, rows):
    path = tmp_path / "procedures.csv"
    with path.open("w", encoding="utf-8", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=CSV_COLUMNS)
        writer.writeheader()
        writer.writerows(rows)
    return path


def run(path) -> tuple[str, str | None]:
    out = io.StringIO()
    try:
        call_command("import_procedures", str(path), stdout=out)
    except CommandError as exc:
        return out.getvalue(), str(exc)
    return out.getvalue(), None


def test_csv_good_rows_are_imported_and_bad_rows_rejected_with_reasons(tmp_path):
    bad_shares = {**GOOD_ROW, "national_code": "2.000908", "name": "Chứng thực chữ ký",
                  "workflow": "Chứng thực::processing_officer::deciding::0.5"}
    bad_fee = {**GOOD_ROW, "national_code": "2.000815", "name": "Chứng thực hợp đồng",
               "field_code": "CT2", "field_name": "Chứng thực hợp đồng",
               "fees": "le_phi::Lệ phí::-1::hồ sơ::0"}
    path = csv_file(tmp_path, [GOOD_ROW, bad_shares, bad_fee])
    out, error = run(path)
    assert "Đã thêm 1, cập nhật 0, từ chối 2 thủ tục." in out
    assert "Dòng 3 (mã 2.000908):" in out
    assert "Tổng thời gian các bước (0,5 ngày làm việc) phải bằng thời hạn giải quyết" in out
    assert "Dòng 4 (mã 2.000815):" in out
    assert "fees[1].amount" in out
    assert error == "2 thủ tục bị từ chối (xem lý do ở trên)."
    # nothing of the rejected rows was written: no procedure, no field, no document
    assert list(Procedure.objects.values_list("national_code", flat=True)) == ["2.001023"]
    assert not Field.objects.filter(code="CT2").exists()
    imported = Procedure.objects.get()
    assert [lvl.level for lvl in imported.levels.order_by("level")] == ["commune", "district"]
    assert RequiredDocument.objects.count() == 2
    assert imported.fees.get().amount == 2000
    assert WorkflowStep.objects.filter(workflow__procedure=imported).count() == 4


def test_import_is_idempotent_by_national_code(tmp_path):
    path = csv_file(tmp_path, [GOOD_ROW])
    run(path)
    out, error = run(path)
    assert error is None
    assert "Đã thêm 0, cập nhật 1, từ chối 0 thủ tục." in out
    assert Procedure.objects.count() == 1
    assert RequiredDocument.objects.count() == 2


def test_json_import(tmp_path):
    path = tmp_path / "procedures.json"
    path.write_text(json.dumps([record(), record(national_code="bad")]), encoding="utf-8")
    out, error = run(path)
    assert "Đã thêm 1, cập nhật 0, từ chối 1 thủ tục." in out
    assert "Dòng 2 (mã bad):" in out
    assert error is not None


def test_unreadable_files_change_nothing(tmp_path):
    broken = tmp_path / "broken.json"
    broken.write_text("[{", encoding="utf-8")
    _out, error = run(broken)
    assert error.startswith("Tệp JSON không đọc được")
    missing_columns = tmp_path / "few.csv"
    missing_columns.write_text("national_code,name\n1.000001,Thử\n", encoding="utf-8")
    _out, error = run(missing_columns)
    assert error.startswith("Tệp CSV thiếu cột:")
    assert not Procedure.objects.exists()


def test_a_csv_row_with_broken_eform_json_is_rejected_alone(tmp_path):
    broken = {**GOOD_ROW, "national_code": "2.000908", "eform": "{not json"}
    out, _error = run(csv_file(tmp_path, [GOOD_ROW, broken]))
    assert "Dòng 3 (mã ?):" in out
    assert "Dòng không đọc được" in out
    assert Procedure.objects.count() == 1


def test_the_readme_example_record_imports(tmp_path):
    from pathlib import Path

    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
    section = readme[readme.index("### Importing procedures"):]
    example = section[section.index("```json") + len("```json"):]
    example = example[:example.index("```")]
    path = tmp_path / "example.json"
    path.write_text(f"[{example}]", encoding="utf-8")
    out, error = run(path)
    assert error is None, out
    assert Procedure.objects.get(national_code="1.001193").featured
