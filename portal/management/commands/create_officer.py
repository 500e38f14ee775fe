"""python manage.py create_officer — an officer account with a role in an agency."""

from django.core.management.base import BaseCommand, CommandError

from portal import services
from portal.choices import OFFICER_ROLES
from portal.errors import DomainError


class Command(BaseCommand):
    help = "Tạo tài khoản cán bộ và giao vai trò tại một cơ quan (theo mã định danh)."

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("--full-name", required=True)
        parser.add_argument("--agency", required=True, help="Mã định danh cơ quan")
        parser.add_argument("--role", required=True, choices=sorted(OFFICER_ROLES))
        parser.add_argument("--email", default="")
        parser.add_argument("--phone", default="")
        parser.add_argument("--password", default=None)

    def handle(self, *args, **o):
        try:
            user = services.create_officer(
                username=o["username"], full_name=o["full_name"], agency_code=o["agency"],
                role=o["role"], email=o["email"], phone=o["phone"], password=o["password"],
            )
        except DomainError as exc:
            raise CommandError(exc.message) from exc
        self.stdout.write(self.style.SUCCESS(f"Đã tạo tài khoản {user.username}."))
