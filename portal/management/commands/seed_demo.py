"""python manage.py seed_demo — the idempotent demo province, calendar and accounts."""

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils.module_loading import import_string

from portal import demo

LABELS = {"agencies": "cơ quan", "calendar_days": "ngày lịch", "users": "tài khoản",
          "procedures": "thủ tục", "fields": "lĩnh vực", "dossiers": "hồ sơ",
          "certificates": "chứng thư số", "history_dossiers": "hồ sơ lịch sử",
          "snapshots": "lần chụp chỉ số"}


class Command(BaseCommand):
    help = "Tạo dữ liệu mẫu: tỉnh Thái Nguyên, lịch nghỉ, tài khoản thử nghiệm (chạy lại an toàn)."

    def add_arguments(self, parser):
        parser.add_argument("--force", action="store_true",
                            help="Chạy cả khi không bật PORTAL_DEMO (trang trình diễn).")

    def handle(self, *args, force: bool = False, **options):
        if not (settings.PORTAL_DEMO or force):
            raise CommandError(
                "Từ chối tạo tài khoản mẫu trên hệ thống thật (PORTAL_DEMO tắt). "
                "Dùng --force nếu đây là trang trình diễn."
            )
        counts: dict[str, int] = {}
        for dotted in settings.PORTAL_DEMO_SEEDERS:
            counts.update(import_string(dotted)())
        self.stdout.write(self.style.SUCCESS(
            "Dữ liệu mẫu: " + ", ".join(f"{n} {LABELS.get(k, k)}" for k, n in counts.items())))
        self.stdout.write(f"Tài khoản mẫu (mật khẩu chung: {demo.DEMO_PASSWORD}):")
        for account in demo.DEMO_ACCOUNTS:
            self.stdout.write(f"  {account.username:<18} {account.role:<20} {account.agency_code}")
        self.stdout.write(f"  {demo.DEMO_CITIZEN['cccd']:<18} citizen")
