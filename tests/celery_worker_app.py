"""The Celery app of the workers that tests/sessions_app/test_alert_email_delivery.py starts.

`python -m celery -A tests.celery_worker_app worker`, in a subprocess with the environment of the
test run: DATABASE_URL naming the test database, CELERY_BROKER_URL and CELERY_RESULT_BACKEND the
test Redis, EMAIL_URL the test's SMTP stub, and the test's EMAIL_TIMEOUT, time limits and
CELERY_VISIBILITY_TIMEOUT. It is the project's Celery configuration (late acknowledgement, time
limits, visibility timeout) under the test settings, except that it is not eager, sends through
SMTP, and looks for the messages of dead workers every second rather than every 10, so that a test
need not wait for the sweep.
"""

import os

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "trialsite.settings.test")
django.setup()

from celery import Celery  # noqa: E402
from django.conf import settings  # noqa: E402

settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"

app = Celery("trialsite-test-worker")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.conf.update(
    broker_url=settings.TEST_CELERY_BROKER_URL,
    result_backend=settings.TEST_CELERY_RESULT_BACKEND or settings.TEST_CELERY_BROKER_URL,
    task_always_eager=False,
    broker_transport_options={
        **settings.CELERY_BROKER_TRANSPORT_OPTIONS,
        "unacked_restore_interval": 1,
    },
)
app.autodiscover_tasks(["audit", "sessions_app"], force=True)
