"""The demo catalogue (seed_demo): real procedures from tthc/data/catalogue.json (sources in
tthc/data/README.md), loaded through the import service, and which provincial department
carries out each province-level procedure."""

from __future__ import annotations

from pathlib import Path

from django.db import transaction

from portal.choices import AgencyLevel
from portal.models import Agency
from tthc.choices import ImplementerRelation
from tthc.imports import import_records, read_records
from tthc.models import Field, Procedure, ProcedureAgency
from tthc.search import fold

CATALOGUE = Path(__file__).resolve().parent / "data" / "catalogue.json"

# Folded field-name keywords → the demo department that decides the province-level procedures
# of that field (codes from portal.demo.DEPARTMENTS).
DEPARTMENT_BY_KEYWORD = [
    (("ho tich", "chung thuc", "ly lich tu phap", "nuoi con nuoi", "cong chung", "luat su",
      "tro giup phap ly", "boi thuong nha nuoc", "quoc tich", "giam dinh", "dau gia"),
     "000.00.11.H55"),
    (("doanh nghiep", "ho kinh doanh", "hop tac xa", "dau tu", "tai chinh", "ngan sach"),
     "000.00.12.H55"),
    (("xay dung", "nha o", "duong bo", "duong thuy", "thuy noi dia", "giao thong",
      "kinh doanh bat"), "000.00.13.H55"),
    (("dat dai", "moi truong", "tai nguyen", "nong", "lam", "thuy san", "thu y", "trong trot",
      "chan nuoi", "thuy loi", "bien doi khi hau", "khi tuong", "do dac", "khoang san"),
     "000.00.14.H55"),
    (("cong thuong", "thuong mai", "dien", "hoa chat", "an toan thuc pham"), "000.00.15.H55"),
    (("giao duc", "dao tao"), "000.00.16.H55"),
    (("y te", "duoc", "kham benh", "bao tro xa hoi", "tre em"), "000.00.17.H55"),
    (("noi vu", "lao dong", "viec lam", "nguoi co cong", "thi dua", "ton giao"), "000.00.18.H55"),
    (("khoa hoc", "cong nghe", "vien thong", "buu chinh", "xuat ban"), "000.00.19.H55"),
    (("van hoa", "the thao", "du lich", "gia dinh"), "000.00.20.H55"),
    (("cu tru", "can cuoc", "xuat nhap canh", "phong chay"), "000.00.23.H55"),
    (("thue",), "000.00.24.H55"),
    (("bao hiem",), "000.00.25.H55"),
]


def department_for(field: Field) -> str | None:
    name = fold(field.name)
    for keywords, code in DEPARTMENT_BY_KEYWORD:
        if any(k in name for k in keywords):
            return code
    return None


@transaction.atomic
def assign_departments() -> int:
    """Name the department that carries out each province-level procedure (idempotent)."""
    departments = {a.code: a for a in Agency.objects.filter(
        code__in={code for _k, code in DEPARTMENT_BY_KEYWORD})}
    count = 0
    for procedure in Procedure.objects.filter(levels__level=AgencyLevel.PROVINCE).select_related(
            "field"):
        department = departments.get(department_for(procedure.field) or "")
        if department is None:
            continue
        ProcedureAgency.objects.get_or_create(procedure=procedure, agency=department,
                                              defaults={"relation": ImplementerRelation.IMPLEMENTS})
        count += 1
    return count


def feature_eform_procedures() -> int:
    """Show the procedures with a full e-form on the home page (the most asked-for ones)."""
    codes = [code for code, schema in Procedure.objects.values_list("national_code",
                                                                     "eform_schema") if schema]
    return Procedure.objects.filter(national_code__in=codes).update(featured=True)


# When the demo collects fees (tthc FeeTiming): the catalogue does not say, each province
# configures it per procedure. The demo shows the three: most at intake (the default), a copy
# of a civil-status extract paid when the copy is handed over, a passport-like card fee
# before processing. [K: illustrative settings, not taken from a provincial decision]
DEMO_FEE_TIMINGS = {"2.000635": "at_return", "1.014064": "before_processing"}


def configure_fee_timings() -> int:
    from django.utils import timezone

    count = 0
    for code, timing in DEMO_FEE_TIMINGS.items():
        count += Procedure.objects.filter(national_code=code).exclude(fee_timing=timing).update(
            fee_timing=timing, updated_at=timezone.now())  # a new terms snapshot
    return count


# The result codes of the wallet demo (DOMAIN.md §2 `MaKetQuaChinh`, `KQ.<code>.<6 digits>`):
# the marital-status certificate (1.004873) becomes, in the citizen's wallet, a paper of type
# XNTTHN, which marriage registration (1.000894) asks for, so the second dossier is offered
# it instead of an upload. [K: illustrative codes; the catalogue read has no MaKetQuaChinh
# for the other procedures. G15 as in DOMAIN.md's example KQ.G15.000031]
DEMO_RESULT_CODES = {
    "1.004873": {"result_code": "KQ.G15.000045", "result_doc_type_code": "XNTTHN",
                 "result_validity_months": 6},  # Luật Hộ tịch: valid 6 months
    "1.000894": {"result_code": "KQ.G15.000001", "result_doc_type_code": "GCNKH"},
    # DOMAIN.md's example is TH's birth-registration result code
    "1.001193": {"result_code": "KQ.G15.000031", "result_doc_type_code": "GKS"},
}


def configure_result_codes() -> int:
    """Give the wallet demo's procedures their result codes (idempotent)."""
    from django.utils import timezone

    count = 0
    for code, fields in DEMO_RESULT_CODES.items():
        count += Procedure.objects.filter(national_code=code).exclude(**fields).update(
            **fields, updated_at=timezone.now())
    return count


def seed_catalogue() -> dict[str, int]:
    with CATALOGUE.open("rb") as stream:
        report = import_records(read_records(stream, "json"))
    if report.rejected:
        problems = "; ".join(f"{code}: {' / '.join(why)}" for _n, code, why in report.rejected)
        raise ValueError(f"the demo catalogue has invalid records: {problems}")
    assign_departments()
    feature_eform_procedures()
    configure_fee_timings()
    configure_result_codes()
    return {"procedures": Procedure.objects.count(), "fields": Field.objects.count()}
