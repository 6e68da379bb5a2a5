"""Celery application. Without a configured broker, tasks run eagerly in the web process."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "trialsite.settings.local")

app = Celery("trialsite")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
