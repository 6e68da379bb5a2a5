"""A real Celery worker, fed through the test Redis, runs the audit-chain check on the database."""

import pytest
from celery.contrib.testing.worker import start_worker
from django.conf import settings
from django.db import connections

from audit.models import LogEntry
from audit.tasks import audit_chain_verify
from trialsite.celery import app

pytestmark = pytest.mark.integration

needs_broker = pytest.mark.skipif(
    not settings.TEST_CELERY_BROKER_URL,
    reason="no test broker: CELERY_BROKER_URL is not set "
    "(run through scripts/with-test-services.sh)",
)


@pytest.fixture
def celery_on_test_redis():
    """Point the Celery app at the test Redis with eager mode off; restore everything afterwards."""
    keys = ("broker_url", "result_backend", "task_always_eager")
    saved = {key: app.conf[key] for key in keys}
    app.conf.update(
        broker_url=settings.TEST_CELERY_BROKER_URL,
        result_backend=settings.TEST_CELERY_RESULT_BACKEND or settings.TEST_CELERY_BROKER_URL,
        task_always_eager=False,
    )
    _forget_connections()
    try:
        yield app
    finally:
        app.conf.update(saved)
        _forget_connections()


def _forget_connections():
    """Drop broker pools and result backends built for the previous configuration."""
    if app._pool is not None:
        app._pool.force_close_all()
        app._pool = None
    app.__dict__.pop("amqp", None)
    app._backend_cache = None
    if hasattr(app._local, "backend"):
        del app._local.backend


@needs_broker
def test_worker_runs_audit_chain_verify_and_reports_the_intact_chain(
    transactional_db, celery_on_test_redis, participant1, participant2
):
    """The nightly task, run by a real worker (own thread, own DB connection), sees the data."""
    expected = LogEntry.objects.count()
    assert expected > 0

    try:
        with start_worker(celery_on_test_redis, pool="solo", perform_ping_check=False):
            result = audit_chain_verify.delay()
            report = result.get(timeout=30)
    finally:
        # The worker thread's own connection must not keep the test database open.
        connections.close_all()

    assert result.successful()
    assert report == {"ok": True, "checked": expected, "first_bad_seq": None}

