"""Celery tasks of the baocao app: thin wrappers around services (STYLE.md §4.6)."""

from celery import shared_task


@shared_task(name="baocao.run_report_job", ignore_result=True)
def run_report_job_task(job_id: int) -> None:
    """Run one long report queued by baocao.report_jobs.start; a redelivery is a no-op."""
    from baocao.report_jobs import run

    run(job_id)
