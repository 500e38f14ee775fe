"""Catalogue search latency over 20,000 synthetic procedures, compared with raw SQL.

Loads BENCH_SEARCH_SIZE (default 20,000) synthetic procedures into the bench database once
(field code BENCH, national codes 9.xxxxxx), then times the catalogue's own search
(`tthc.selectors.search_procedures`, first page of 20) for a set of typical queries typed without
diacritics, and the same LIKE query written by hand in SQL as the baseline. Also times a whole
results page (count + first page), which is what the catalogue page runs.
"""

from __future__ import annotations

import os
import random
import statistics
import time

NAME = "search"

DEFAULT_SIZE = 20_000
ROUNDS = 30
PAGE = 20
QUERIES = ["khai sinh", "dang ky ho kinh doanh", "giay phep xay dung", "cap lai", "xac nhan cu tru",
           "chung thuc ban sao", "9.012345", "thu hoi giay chung nhan"]

VERBS = ["Cấp", "Cấp lại", "Cấp đổi", "Đăng ký", "Đăng ký lại", "Điều chỉnh", "Gia hạn",
         "Thu hồi", "Xác nhận", "Chứng thực", "Công nhận", "Thẩm định", "Phê duyệt"]
OBJECTS = ["giấy phép xây dựng", "khai sinh", "hộ kinh doanh", "giấy chứng nhận quyền sử dụng đất",
           "thông tin cư trú", "bản sao từ bản chính", "giấy phép lái xe", "hợp tác xã",
           "giấy phép môi trường", "phiếu lý lịch tư pháp", "kết hôn", "giấy phép kinh doanh",
           "chứng chỉ hành nghề", "trang trại", "giống cây trồng", "cơ sở đủ điều kiện"]
QUALIFIERS = ["cho công dân Việt Nam", "đối với tổ chức", "có yếu tố nước ngoài",
              "trong trường hợp bị mất", "tại cấp xã", "tại cấp tỉnh", "cho doanh nghiệp",
              "đối với cá nhân", ""]


def _setup(env: dict[str, str]) -> None:
    os.environ.update(env)
    import django

    django.setup()


def ensure_catalogue(size: int) -> int:
    from django.db import transaction

    from tthc.models import Field, Procedure, ProcedureLevel
    from tthc.search import fold

    field, _created = Field.objects.get_or_create(code="BENCH",
                                                  defaults={"name": "Lĩnh vực thử tải"})
    have = Procedure.objects.filter(field=field).count()
    rng = random.Random(20_000)
    rows = []
    for i in range(have, size):
        name = f"{rng.choice(VERBS)} {rng.choice(OBJECTS)} {rng.choice(QUALIFIERS)}".strip()
        code = f"9.{i:06d}"
        rows.append(Procedure(
            national_code=code, name=f"{name} (mẫu {i})", field=field, processing_time=5,
            result_name="Kết quả", service_mode=rng.choice(["info", "partial", "full"]),
            accepts_online=True, search_text=fold(f"{code} {name} (mẫu {i})")))
    with transaction.atomic():
        created = Procedure.objects.bulk_create(rows, batch_size=2000)
        ProcedureLevel.objects.bulk_create(
            (ProcedureLevel(procedure=p, level=rng.choice(["province", "commune"]))
             for p in created), batch_size=2000)
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("ANALYZE tthc_procedure")
    return Procedure.objects.count()


def _timed(fn) -> list[float]:
    samples = []
    for _round in range(ROUNDS):
        start = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - start) * 1000)
    return samples


def _p(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def measure() -> dict[str, list[float]]:
    from django.db import connection

    from tthc.search import query_words
    from tthc.selectors import CatalogueFilter, search_procedures

    today = time.strftime("%Y-%m-%d")
    orm, raw, page = [], [], []
    for query in QUERIES:
        flt = CatalogueFilter(query=query)
        orm += _timed(lambda flt=flt: list(search_procedures(flt)[:PAGE]))

        def page_fn(flt=flt):
            qs = search_procedures(flt)
            qs.count()
            list(qs[:PAGE])

        page += _timed(page_fn)
        words = query_words(query)
        where = " AND ".join(["p.search_text LIKE %s"] * len(words))
        sql = (f"SELECT p.id, p.national_code, p.name, f.name FROM tthc_procedure p "  # noqa: S608
               f"JOIN tthc_field f ON f.id = p.field_id WHERE {where} "
               "AND p.published_from <= %s AND (p.retired_on IS NULL OR p.retired_on > %s) "
               "ORDER BY f.name, p.name LIMIT %s")
        params = [f"%{w}%" for w in words] + [today, today, PAGE]

        def raw_fn(sql=sql, params=params):
            with connection.cursor() as cursor:
                cursor.execute(sql, params)
                cursor.fetchall()

        raw += _timed(raw_fn)
    return {"orm": orm, "raw": raw, "page": page}


def run(env: dict[str, str]) -> list[str]:
    _setup(env)
    size = int(env.get("BENCH_SEARCH_SIZE", DEFAULT_SIZE))
    total = ensure_catalogue(size)
    samples = measure()
    orm_p50, raw_p50 = statistics.median(samples["orm"]), statistics.median(samples["raw"])
    return [
        f"BENCH search_catalogue_size {total} procedures",
        f"BENCH search_p50 {orm_p50:.2f} ms",
        f"BENCH search_p95 {_p(samples['orm'], 0.95):.2f} ms",
        f"BENCH search_page_p50 {statistics.median(samples['page']):.2f} ms",
        f"BENCH search_page_p95 {_p(samples['page'], 0.95):.2f} ms",
        f"BENCH search_raw_sql_p50 {raw_p50:.2f} ms",
        f"BENCH search_raw_sql_p95 {_p(samples['raw'], 0.95):.2f} ms",
        f"BENCH search ratio={orm_p50 / raw_p50:.2f} vs=raw_sql",
    ]
