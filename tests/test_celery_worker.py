"""A real Celery worker, fed through the test Redis, runs the audit-chain check on the database."""

import pytest
from celery import Celery
from celery.contrib.testing.worker import start_worker
from django.conf import settings
from django.db import connections

from audit.models import LogEntry
from trialsite.celery import app as project_app

pytestmark = pytest.mark.integration

needs_broker = pytest.mark.skipif(
    not settings.TEST_CELERY_BROKER_URL,
    reason="no test broker: CELERY_BROKER_URL is not set "
    "(run through scripts/with-test-services.sh)",
)


@pytest.fixture
def redis_celery_app():
    """A Celery app of its own on the test Redis, with the project's tasks, not eager.

    The project's app stays eager for the other tests; shared tasks register on every app.
    """
    test_app = Celery("trialsite-integration", set_as_current=False)
    test_app.conf.update(
        broker_url=settings.TEST_CELERY_BROKER_URL,
        result_backend=settings.TEST_CELERY_RESULT_BACKEND or settings.TEST_CELERY_BROKER_URL,
        task_always_eager=False,
        task_serializer="json",
        accept_content=["json"],
        broker_connection_retry_on_startup=True,
    )
    test_app.autodiscover_tasks(["audit"], force=True)
    test_app.finalize()
    yield test_app
    test_app.close()
    project_app.set_current()  # the worker made the test app current; the project's again
    project_app.set_default()


@needs_broker
def test_worker_runs_audit_chain_verify_and_reports_the_intact_chain(
    transactional_db, redis_celery_app, participant1, participant2
):
    """The nightly task, run by a real worker (own thread, own DB connection), sees the data."""
    expected = LogEntry.objects.count()
    assert expected > 0
    task = redis_celery_app.tasks["audit.tasks.audit_chain_verify"]

    try:
        with start_worker(redis_celery_app, pool="solo", perform_ping_check=False):
            result = task.delay()
            report = result.get(timeout=30)
    finally:
        # The worker thread's own connection must not keep the test database open.
        connections.close_all()

    assert result.successful()
    newest = LogEntry.objects.order_by("-seq").first()
    assert report == {
        "ok": True,
        "checked": expected,
        "first_bad_seq": None,
        "head": f"{newest.seq}:{newest.entry_hash}",
    }
