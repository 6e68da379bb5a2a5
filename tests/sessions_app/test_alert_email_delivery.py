"""An alert email reaches each monitor once, within a bound, though the mail server stalls or the
worker dies in the middle of sending.

Real workers on the test Redis (scripts/with-test-services.sh) and the test database, and a stub
SMTP server on loopback that accepts its first connection and never answers it, then answers the
others properly and keeps their messages. The reading is recorded through the service, which
queues the task once its transaction commits (`transactional_db`, so other processes see it).
"""

import datetime
import email
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path
from urllib.parse import quote

import pytest
from celery import Celery
from celery.contrib.testing.worker import start_worker
from celery.signals import after_task_publish
from django.conf import settings
from django.db import connection, connections

from sessions_app.models import AlertNotification
from sessions_app.services import alerts, flowsheet
from tests.test_celery_worker import needs_broker
from trialsite.celery import app as project_app

pytestmark = [pytest.mark.integration, needs_broker]

ROOT = Path(__file__).resolve().parents[2]
NOTIFY = "sessions_app.tasks.vital_sign_alert_notify"
# Seconds from the reading to the last monitor's email when the mail server's first connection
# stalls: the email timeout (2 s here), a retry (at most 1 s on the first), the sending.
STALLED_BOUND = 30
# Seconds from the worker's death to the last email: the visibility timeout (4 s here), a second
# worker's start (several seconds on a busy machine), its sweep for lost messages, the sending.
KILLED_VISIBILITY_TIMEOUT = 4
KILLED_BOUND = 60
# Seconds a worker subprocess may take to start and take the task to the stalled server.
WORKER_START = 60


class StubSMTP:
    """An SMTP server on a free loopback port, in threads of its own.

    The first `stall` connections are accepted and never answered (they stay open until `stop`);
    the others get 220, 250, 354, 250 and 221, and each message is kept in `messages` as its
    envelope recipients and the parsed email.
    """

    def __init__(self, stall: int = 1):
        self.stall = stall
        self.stalled = threading.Event()  # set once a connection is being left unanswered
        self.connections = 0
        self.messages: list[tuple[list[str], email.message.Message]] = []
        self._lock = threading.Lock()
        self._held: list[socket.socket] = []
        self._threads: list[threading.Thread] = []
        self._stopping = threading.Event()
        self._listener = socket.create_server(("127.0.0.1", 0))
        self._listener.settimeout(0.2)
        self.port = self._listener.getsockname()[1]

    def start(self) -> "StubSMTP":
        self._spawn(self._accept_loop)
        return self

    def stop(self) -> None:
        """Close every socket, so that a client blocked on a stalled one gets an end of file."""
        self._stopping.set()
        self._listener.close()
        with self._lock:
            held, self._held = self._held, []
        for conn in held:
            conn.close()
        for thread in self._threads:
            thread.join(timeout=5)

    def recipients(self) -> list[str]:
        with self._lock:
            return sorted(address for to, _ in self.messages for address in to)

    def _spawn(self, target, *args) -> None:
        thread = threading.Thread(target=target, args=args, daemon=True)
        self._threads.append(thread)
        thread.start()

    def _accept_loop(self) -> None:
        while not self._stopping.is_set():
            try:
                conn, _ = self._listener.accept()
            except TimeoutError:
                continue
            except OSError:  # the listener was closed
                return
            with self._lock:
                self.connections += 1
                stall = self.connections <= self.stall
                if stall:
                    self._held.append(conn)
            if stall:
                self.stalled.set()
            else:
                self._spawn(self._serve, conn)

    def _serve(self, conn: socket.socket) -> None:
        conn.settimeout(10)
        with conn, conn.makefile("rb") as lines:
            conn.sendall(b"220 stub ESMTP\r\n")
            to: list[str] = []
            while not self._stopping.is_set():
                try:
                    line = lines.readline()
                except OSError:
                    return
                command = line[:4].upper()
                if not line:
                    return
                if command == b"QUIT":
                    conn.sendall(b"221 bye\r\n")
                    return
                if command == b"MAIL":
                    to = []
                elif command == b"RCPT":
                    to.append(line.decode().split(":", 1)[1].strip().strip("<>"))
                elif command == b"DATA":
                    conn.sendall(b"354 go ahead\r\n")
                    body = self._read_data(lines)
                    with self._lock:
                        self.messages.append((to, email.message_from_bytes(body)))
                elif command not in (b"EHLO", b"HELO", b"RSET", b"NOOP"):
                    conn.sendall(b"502 not implemented\r\n")
                    continue
                conn.sendall(b"250 ok\r\n")

    @staticmethod
    def _read_data(lines) -> bytes:
        body = []
        for line in iter(lines.readline, b""):
            if line == b".\r\n":
                break
            body.append(line[1:] if line.startswith(b"..") else line)
        return b"".join(body)


@pytest.fixture
def smtp():
    stub = StubSMTP(stall=1).start()
    yield stub
    stub.stop()


@pytest.fixture
def celery_app():
    """The project's Celery configuration on the test Redis, not eager, to publish (and, for the
    in-process worker, to consume) the alert tasks."""
    app = Celery("trialsite-alert-delivery", set_as_current=False)
    app.config_from_object("django.conf:settings", namespace="CELERY")
    app.conf.update(
        broker_url=settings.TEST_CELERY_BROKER_URL,
        result_backend=settings.TEST_CELERY_RESULT_BACKEND or settings.TEST_CELERY_BROKER_URL,
        task_always_eager=False,
    )
    app.autodiscover_tasks(["sessions_app"], force=True)
    app.finalize()
    yield app
    app.close()
    # A worker makes its app the current one; the project's (eager in tests) is current again,
    # or the tasks queued by later tests would go to this app's broker instead of running.
    project_app.set_current()
    project_app.set_default()


@pytest.fixture
def queued(celery_app, monkeypatch):
    """The ids of the alert tasks published to the test Redis (the service queues them there)."""
    monkeypatch.setattr(alerts, "vital_sign_alert_notify", celery_app.tasks[NOTIFY])
    ids: list[str] = []

    def published(sender=None, headers=None, **kwargs):
        if sender == NOTIFY:
            ids.append(headers["id"])

    after_task_publish.connect(published, weak=False)
    yield ids
    after_task_publish.disconnect(published)


def _record_reading_over_threshold(session, therapist):
    """Systolic 172 (over 160): the service commits it and queues the alert's email."""
    return flowsheet.vital_sign_record(
        actor=therapist,
        session=session,
        measured_at=session.started_at + datetime.timedelta(minutes=60),
        systolic=172,
        diastolic=95,
        pulse=88,
    )


def _assert_each_monitor_emailed_once(smtp, monitors):
    emails = sorted(m.email for m in monitors)
    assert smtp.recipients() == emails
    subjects = [message["Subject"] for _, message in smtp.messages]
    assert all(s.startswith("[trialsite] Vital-sign alert: ") for s in subjects), subjects
    notified = AlertNotification.objects.values_list("recipient__email", flat=True)
    assert sorted(notified) == emails


def test_a_stalled_mail_server_delays_the_alert_email_within_the_bound_and_sends_it_once(
    transactional_db, settings, smtp, celery_app, queued, started_session, therapist, monitors
):
    """The first connection hangs: the email timeout ends it, the task retries, and every monitor
    gets the email once (without EMAIL_TIMEOUT the worker would wait on it forever)."""
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", smtp.port
    settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    settings.EMAIL_TIMEOUT = 2

    try:
        with start_worker(celery_app, pool="solo", perform_ping_check=False):
            try:
                started = time.monotonic()
                _record_reading_over_threshold(started_session, therapist)
                (task_id,) = set(queued)
                sent = celery_app.AsyncResult(task_id).get(timeout=STALLED_BOUND)
                elapsed = time.monotonic() - started
            finally:
                smtp.stop()  # a worker still stuck on the stalled connection gets an end of file
    finally:
        # The worker thread's own connection must not keep the test database open.
        connections.close_all()

    assert smtp.stalled.is_set()
    assert smtp.connections == 1 + len(monitors)  # the stalled one, then one per email
    assert sent == len(monitors)
    assert elapsed < STALLED_BOUND
    _assert_each_monitor_emailed_once(smtp, monitors)


def _database_url() -> str:
    """The test database that pytest-django created, for a worker in another process."""
    db = connection.settings_dict
    user = quote(db["USER"] or "", safe="")
    password = f":{quote(db['PASSWORD'], safe='')}" if db["PASSWORD"] else ""
    return f"postgres://{user}{password}@{db['HOST']}:{db['PORT']}/{db['NAME']}"


def _start_worker(name: str, log: Path, environment: dict[str, str]) -> subprocess.Popen:
    """`celery worker` in a subprocess (so that it can be killed), its output appended to `log`."""
    env = os.environ | {"DJANGO_SETTINGS_MODULE": "trialsite.settings.test"} | environment
    with log.open("ab") as output:
        return subprocess.Popen(
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "tests.celery_worker_app",
                "worker",
                "--pool=solo",
                "--loglevel=INFO",
                f"--hostname={name}@%h",
                "--without-mingle",
                "--without-gossip",
                "--without-heartbeat",
            ],
            cwd=ROOT,
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
        )


def _stop(worker: subprocess.Popen) -> None:
    if worker.poll() is None:
        worker.send_signal(signal.SIGTERM)
        try:
            worker.wait(timeout=15)
        except subprocess.TimeoutExpired:
            worker.kill()
            worker.wait(timeout=10)


def _log(path: Path) -> str:
    return "worker log:\n" + path.read_text(errors="replace")[-4000:]


@pytest.fixture
def worker_environment(smtp):
    if connection.vendor != "postgresql":
        pytest.skip("a worker in another process needs the PostgreSQL test database")
    return {
        "DATABASE_URL": _database_url(),
        "EMAIL_URL": f"smtp://127.0.0.1:{smtp.port}",
    }


def test_an_alert_email_whose_worker_is_killed_mid_send_is_sent_once_by_another_worker(
    transactional_db,
    tmp_path,
    smtp,
    worker_environment,
    queued,
    celery_app,
    started_session,
    therapist,
    monitors,
):
    """The worker is killed (SIGKILL) while it waits on the stalled server, its transaction open:
    acknowledged late, the task is delivered again once the visibility timeout has passed, and a
    second worker sends each monitor the email once."""
    log = tmp_path / "workers.log"
    environment = worker_environment | {
        # Long enough that the first worker is still waiting on the server when it is killed.
        "EMAIL_TIMEOUT": "30",
        "CELERY_VISIBILITY_TIMEOUT": str(KILLED_VISIBILITY_TIMEOUT),
    }
    workers = []
    try:
        workers.append(_start_worker("alert-worker-1", log, environment))
        _record_reading_over_threshold(started_session, therapist)
        (task_id,) = queued
        assert smtp.stalled.wait(timeout=WORKER_START), _log(log)
        workers[0].kill()
        workers[0].wait(timeout=10)
        killed = time.monotonic()
        assert smtp.messages == []
        assert not AlertNotification.objects.exists()  # rolled back with the dead connection

        workers.append(_start_worker("alert-worker-2", log, environment))
        sent = celery_app.AsyncResult(task_id).get(timeout=KILLED_BOUND)
        elapsed = time.monotonic() - killed
    finally:
        for worker in workers:
            _stop(worker)
        connections.close_all()

    assert sent == len(monitors), _log(log)
    assert elapsed < KILLED_BOUND
    assert smtp.connections == 1 + len(monitors)
    _assert_each_monitor_emailed_once(smtp, monitors)
