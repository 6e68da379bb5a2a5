import logging

from celery import shared_task

from audit.chain import chain_verify

logger = logging.getLogger(__name__)


@shared_task
def audit_chain_verify() -> dict:
    """Nightly check of the audit trail (scheduled by Celery beat)."""
    report = chain_verify()
    if report.ok:
        logger.info(report.describe())
    else:
        logger.error(report.describe())
    return {"ok": report.ok, "checked": report.checked, "first_bad_seq": report.first_bad_seq}
