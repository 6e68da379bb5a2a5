"""The production settings, loaded in a fresh process as gunicorn, Celery and manage.py do."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
BROKER = "redis://broker.invalid:6379/0"
PRINT_CELERY_SETTINGS = (
    "import json\n"
    "from django.conf import settings\n"
    "print(json.dumps({'broker': settings.CELERY_BROKER_URL,"
    " 'eager': settings.CELERY_TASK_ALWAYS_EAGER}))\n"
)


PRINT_DATABASE_OPTIONS = (
    "import json\n"
    "from django.conf import settings\n"
    "print(json.dumps(settings.DATABASES['default'].get('OPTIONS', {})))\n"
)


def _load_production_settings(script=PRINT_CELERY_SETTINGS, **variables):
    """Import trialsite.settings.production in a subprocess with `variables` in its environment.

    Starts from a valid production environment with no Celery variable at all; a variable given
    as None is left out.
    """
    environment = {k: v for k, v in os.environ.items() if not k.startswith("CELERY_")} | {
        "DJANGO_SETTINGS_MODULE": "trialsite.settings.production",
        "SECRET_KEY": "s" * 60,
        "AUDIT_CHAIN_KEY": "prod:" + "k" * 40,
        "EXPORT_PSEUDONYM_KEY": "p" * 48,
        "EXPORT_SIGNING_KEY": "cHJvZHVjdGlvbi10ZXN0LXNpZ25pbmcta2V5LTMyYiE=",
        "ALLOWED_HOSTS": "trialsite.test",
        "DEBUG": "false",
    }
    for name, value in variables.items():
        if value is None:
            environment.pop(name, None)
        else:
            environment[name] = value
    return subprocess.run(
        [sys.executable, "-c", script],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.mark.parametrize(
    "eager",
    [None, "false", ""],
    ids=["eager-unset", "eager-false", "eager-empty"],
)
def test_production_refuses_to_start_without_a_broker(eager):
    result = _load_production_settings(CELERY_BROKER_URL="", CELERY_TASK_ALWAYS_EAGER=eager)
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert "CELERY_BROKER_URL must be set in production" in result.stderr
    assert "CELERY_TASK_ALWAYS_EAGER=true" in result.stderr  # the way out is named


def test_production_refuses_to_start_when_the_broker_variable_is_missing():
    result = _load_production_settings(CELERY_BROKER_URL=None)
    assert result.returncode != 0
    assert "CELERY_BROKER_URL must be set in production" in result.stderr


def test_production_runs_tasks_eagerly_without_a_broker_when_asked_on_purpose():
    result = _load_production_settings(CELERY_BROKER_URL="", CELERY_TASK_ALWAYS_EAGER="true")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == {"broker": "", "eager": True}


def test_production_with_a_broker_queues_tasks():
    result = _load_production_settings(CELERY_BROKER_URL=BROKER)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == {"broker": BROKER, "eager": False}


def test_production_with_a_broker_still_runs_eagerly_when_asked():
    result = _load_production_settings(CELERY_BROKER_URL=BROKER, CELERY_TASK_ALWAYS_EAGER="true")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == {"broker": BROKER, "eager": True}


@pytest.mark.parametrize(
    "key, message",
    [
        (None, "AUDIT_CHAIN_KEY must be set in production"),
        ("", "AUDIT_CHAIN_KEY must be set in production"),
        ("no-id-and-short", 'AUDIT_CHAIN_KEY must be "<key id>:<secret>"'),
    ],
    ids=["missing", "empty", "malformed"],
)
def test_production_refuses_to_start_without_the_audit_key(key, message):
    result = _load_production_settings(CELERY_BROKER_URL=BROKER, AUDIT_CHAIN_KEY=key)
    assert result.returncode != 0
    assert message in result.stderr


@pytest.mark.parametrize(
    "variables, message",
    [
        ({"EXPORT_PSEUDONYM_KEY": None}, "EXPORT_PSEUDONYM_KEY must be set in production"),
        ({"EXPORT_PSEUDONYM_KEY": "short"}, "EXPORT_PSEUDONYM_KEY must be set in production"),
        ({"EXPORT_SIGNING_KEY": None}, "EXPORT_SIGNING_KEY must be set in production"),
        ({"EXPORT_SIGNING_KEY": "bm90LTMyLWJ5dGVz"}, "raw 32-byte Ed25519 private key"),
        ({"EXPORT_SIGNING_KEY": "not base64!"}, "raw 32-byte Ed25519 private key"),
    ],
    ids=["pseudonym-missing", "pseudonym-short", "signing-missing", "signing-short", "signing-bad"],
)
def test_production_refuses_to_start_without_the_export_keys(variables, message):
    result = _load_production_settings(CELERY_BROKER_URL=BROKER, **variables)
    assert result.returncode != 0
    assert message in result.stderr


@pytest.mark.parametrize(
    "variable, threshold", [(None, 5), ("true", 5), ("false", None)], ids=["unset", "on", "off"]
)
def test_postgresql_prepares_statements_unless_told_a_pooler_cannot_keep_them(variable, threshold):
    result = _load_production_settings(
        script=PRINT_DATABASE_OPTIONS,
        CELERY_BROKER_URL=BROKER,
        DATABASE_URL="postgres://trialsite@db.invalid:5432/trialsite",
        DATABASE_PREPARED_STATEMENTS=variable,
    )
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == {
        "server_side_binding": True,
        "prepare_threshold": threshold,
    }


@pytest.mark.django_db
def test_a_query_run_over_and_over_is_prepared_once_not_planned_each_time():
    from django.db import connection

    from accounts.models import Site

    if connection.vendor != "postgresql":
        pytest.skip("prepared statements are PostgreSQL's")
    for _ in range(6):
        list(Site.objects.filter(number="prepared-test"))
    with connection.cursor() as cursor:
        cursor.execute("SELECT statement FROM pg_prepared_statements")
        prepared = [statement for (statement,) in cursor.fetchall()]
    assert any('"accounts_site"."number" = $1' in statement for statement in prepared), prepared
