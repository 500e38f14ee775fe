"""python manage.py import_procedures FILE — load procedures from JSON or CSV."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from portal.errors import DomainError
from tthc.imports import import_records, read_records


class Command(BaseCommand):
    help = ("Nạp thủ tục hành chính từ tệp JSON hoặc CSV (định dạng trong README); "
            "chạy lại an toàn, khớp theo mã thủ tục.")

    def add_arguments(self, parser):
        parser.add_argument("path")
        parser.add_argument("--format", choices=["json", "csv"],
                            help="Mặc định theo phần mở rộng của tệp.")

    def handle(self, *args, path: str, format: str | None = None, **options):  # noqa: A002
        file = Path(path)
        if not file.is_file():
            raise CommandError(f"Không tìm thấy tệp {path}.")
        fmt = format or ("csv" if file.suffix.lower() == ".csv" else "json")
        try:
            with file.open("rb") as stream:
                report = import_records(read_records(stream, fmt))
        except DomainError as exc:
            raise CommandError(exc.message) from exc
        self.stdout.write(self.style.SUCCESS(
            f"Đã thêm {len(report.created)}, cập nhật {len(report.updated)}, "
            f"từ chối {len(report.rejected)} thủ tục."))
        for number, code, reasons in report.rejected:
            self.stdout.write(self.style.WARNING(f"Dòng {number} (mã {code}):"))
            for reason in reasons:
                self.stdout.write(f"  - {reason}")
        if report.rejected:
            raise CommandError(f"{len(report.rejected)} thủ tục bị từ chối (xem lý do ở trên).")
