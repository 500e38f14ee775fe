"""Run one scheduled job by hand: `python manage.py run_job overdue_sweep` (tests, emergencies)."""

from django.core.management.base import BaseCommand, CommandError

from portal.errors import DomainError
from portal.jobs import JOBS, run_job


class Command(BaseCommand):
    help = "Chạy ngay một công việc định kỳ (ví dụ: overdue_sweep, near_due_scan)."

    def add_arguments(self, parser) -> None:
        parser.add_argument("job", choices=sorted(JOBS))

    def handle(self, *args, job: str, **options) -> None:
        try:
            run = run_job(job, trigger="command")
        except DomainError as exc:
            raise CommandError(exc.message) from exc
        counts = ", ".join(f"{k}={v}" for k, v in run.counts.items())
        self.stdout.write(f"{job}: {run.get_status_display()} ({counts})")
