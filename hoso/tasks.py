"""Celery tasks of the hoso app: thin wrappers around services."""

from celery import shared_task


@shared_task(name="hoso.notify_missed_receipts", ignore_result=True)
def notify_missed_receipts_task() -> int:
    """Scheduled by beat: write the receipt messages a dying process did not write."""
    from hoso.notify import notify_missed_receipts

    return notify_missed_receipts()
