"""`make run`'s zero-configuration SQLite under concurrent requests: many observations posted to
one session at once, and many page loads at once, each answered without a server error.

Runs the development server (`make run`'s) in a subprocess on a fresh SQLite database seeded
with the demo study, and drives it over HTTP from threads.
"""

import http.cookiejar
import os
import re
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PASSWORD = "demo-Password-123"
START_SESSION = """
import datetime
from django.utils import timezone
from accounts.models import User
from sessions_app.models import DosingSession
from sessions_app.services import flowsheet
therapist = User.objects.get(username="therapist")
session = DosingSession.objects.get(  # the demo's session due today at site 01
    status="not_started",
    visit__code="D1",
    visit__target_date=timezone.localdate(),
    visit__participant__site__number="01",
)
flowsheet.dosing_session_start(
    actor=therapist, session=session, started_at=timezone.now() - datetime.timedelta(hours=1),
    lead_therapist=therapist, co_therapist=User.objects.get(username="investigator"),
    deviation_explanation="Concurrency test.", expected_version=session.version,
)
print(session.pk)
"""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """The demo study on a fresh SQLite database, served by `manage.py runserver`."""
    folder = tmp_path_factory.mktemp("sqlite")
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "trialsite.settings.local",
        "DATABASE_URL": f"sqlite:///{folder / 'db.sqlite3'}",
        "CELERY_BROKER_URL": "",
        "CELERY_TASK_ALWAYS_EAGER": "true",
        "AUDIT_ANCHOR_FILE": "",
    }
    manage = [sys.executable, "manage.py"]
    for command in (["migrate", "--noinput", "-v0"], ["seed_demo", "--password", PASSWORD]):
        subprocess.run(manage + command, cwd=ROOT, env=env, check=True, capture_output=True)
    started = subprocess.run(
        manage + ["shell", "-c", START_SESSION],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
        text=True,
    )
    session_id = int(started.stdout.split()[-1])
    port = _free_port()
    process = subprocess.Popen(
        manage + ["runserver", "--noreload", f"127.0.0.1:{port}"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(100):
            try:
                urllib.request.urlopen(base + "/healthz", timeout=2)  # noqa: S310
                break
            except (urllib.error.URLError, ConnectionError):
                time.sleep(0.2)
        yield base, session_id
    finally:
        process.terminate()
        process.wait(timeout=10)


class Browser:
    """A signed-in user: cookies, and the CSRF token from the pages."""

    def __init__(self, base: str):
        self.base = base
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(self.jar), NoRedirect()
        )

    def request(self, path: str, data: dict | None = None) -> tuple[int, str]:
        body = urllib.parse.urlencode(data).encode() if data is not None else None
        request = urllib.request.Request(self.base + path, data=body)  # noqa: S310
        if data is not None:
            request.add_header("Referer", self.base + path)
        # The development server queues 10 connections: one beyond that may be reset before it
        # is read, and is sent again, as a browser would (a POST carries its one-time key).
        for attempt in range(3):
            try:
                with self.opener.open(request, timeout=60) as response:
                    return response.status, response.read().decode()
            except urllib.error.HTTPError as error:
                return error.code, error.read().decode()
            except (ConnectionResetError, urllib.error.URLError):
                if attempt == 2:
                    raise
                time.sleep(0.5)
        raise AssertionError("unreachable")

    def token(self) -> str:
        return next(c.value for c in self.jar if c.name == "csrftoken")

    def log_in(self, username: str) -> None:
        self.request("/accounts/login/")
        status, _ = self.request(
            "/accounts/login/",
            {"username": username, "password": PASSWORD, "csrfmiddlewaretoken": self.token()},
        )
        assert status == 302


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def test_many_observations_posted_at_once_are_all_saved(server):
    base, session_id = server
    browser = Browser(base)
    browser.log_in("therapist")
    status, page = browser.request(f"/sessions/{session_id}/")
    assert status == 200
    observed_at = re.search(r'name="observation-observed_at" value="([^"]*)"', page)
    when = observed_at.group(1) if observed_at else time.strftime("%Y-%m-%dT%H:%M")

    def post(n):
        return browser.request(
            f"/sessions/{session_id}/",
            {
                "csrfmiddlewaretoken": browser.token(),
                "submission_key": str(uuid.uuid4()),
                "action": "observation",
                "observation-observed_at": when,
                "observation-kind": "observation",
                "observation-text": f"Concurrent observation {n}",
            },
        )[0]

    with ThreadPoolExecutor(max_workers=40) as pool:
        statuses = list(pool.map(post, range(40)))

    assert statuses == [302] * 40
    _, page = browser.request(f"/sessions/{session_id}/")
    assert len(set(re.findall(r"Concurrent observation (\d+)", page))) == 40


def test_many_page_loads_at_once_are_all_answered(server):
    base, session_id = server
    browser = Browser(base)
    browser.log_in("therapist")
    pages = ["/", "/participants/", f"/sessions/{session_id}/", "/screening/"] * 50

    with ThreadPoolExecutor(max_workers=50) as pool:
        statuses = list(pool.map(lambda path: browser.request(path)[0], pages))

    assert statuses == [200] * len(pages)
