"""Celery tasks of the hoso app: thin wrappers around services."""

from celery import shared_task


@shared_task(name="hoso.write_receipt_messages", ignore_result=True)
def write_receipt_messages_task() -> int:
    """Kicked after receipts commit, and run by beat every minute as the safety net: write
    the receipt messages not written yet."""
    from hoso.notify import write_receipt_messages

    return write_receipt_messages()
