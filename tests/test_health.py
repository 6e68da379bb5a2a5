"""`/healthz`: what a load balancer or uptime check reads, without logging in."""

import pytest

pytestmark = pytest.mark.django_db

UNREACHABLE_BROKER = "redis://127.0.0.1:1/0"  # nothing listens on port 1


def test_healthz_is_ok_without_login_and_reports_eager_mode_without_a_broker(client, settings):
    settings.CELERY_BROKER_URL = ""

    response = client.get("/healthz")

    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    body = response.json()
    assert body["status"] == "ok"
    assert body["database"] == "ok"
    assert "eager" in body["broker"]
    assert set(body) == {"status", "database", "broker"}


def test_healthz_is_not_cached(client):
    response = client.get("/healthz")

    assert "no-cache" in response["Cache-Control"]


def test_healthz_answers_503_error_when_the_broker_is_unreachable(client, settings):
    settings.CELERY_BROKER_URL = UNREACHABLE_BROKER

    response = client.get("/healthz")

    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "error"
    assert body["database"] == "ok"
    assert body["broker"].startswith("error")


def test_healthz_refuses_post(client):
    assert client.post("/healthz").status_code == 405
