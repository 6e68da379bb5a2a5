"""One submission writes once: a double click, a resent POST or two requests racing with the same
form's key store one record and answer alike."""

import datetime
import re
import threading
import uuid

import pytest
from django.contrib.messages import get_messages
from django.db import connections
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from records.models import Submission
from records.submissions import FIELD
from records.tasks import submissions_forget
from sessions_app.models import VitalSignReading
from tests.sessions_app.pages import flowsheet_url, local

TIMEOUT = 30


def reading_form(key, **values) -> dict:
    data = {"action": "reading", "reading-measured_at": local(timezone.now()), FIELD: str(key)}
    data.update({f"reading-{name}": value for name, value in values.items()})
    return data


def shown_messages(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


@pytest.mark.django_db
def test_every_post_form_of_the_flowsheet_carries_its_own_key(client, therapist, started_session):
    client.force_login(therapist)
    body = client.get(flowsheet_url(started_session)).content.decode()
    forms = re.findall(r"<form[^>]*method=\"post\"[^>]*>.*?</form>", body, re.S | re.I)
    steps = [f for f in forms if reverse("logout") not in f]
    assert len(steps) >= 3
    keys = [re.search(rf'name="{FIELD}" value="([0-9a-f-]+)"', f) for f in steps]
    assert all(keys), "a POST form without a submission key"
    assert len({k.group(1) for k in keys}) == len(keys), "two forms share a key"


@pytest.mark.django_db
def test_the_same_reading_sent_twice_is_stored_once_and_answered_alike(
    client, therapist, started_session
):
    client.force_login(therapist)
    data = reading_form(uuid.uuid4(), systolic=128, diastolic=82, pulse=77)

    first = client.post(flowsheet_url(started_session), data, follow=True)
    second = client.post(flowsheet_url(started_session), data, follow=True)

    assert VitalSignReading.objects.filter(session=started_session).count() == 1
    assert first.redirect_chain == second.redirect_chain != []
    assert shown_messages(second) == shown_messages(first) == ["Reading recorded."]


@pytest.mark.django_db
def test_a_refused_form_gives_its_key_back(client, therapist, started_session):
    client.force_login(therapist)
    key = uuid.uuid4()

    refused = client.post(flowsheet_url(started_session), reading_form(key))  # no measurement
    assert refused.status_code == 200
    assert not Submission.objects.filter(key=key).exists()

    saved = client.post(flowsheet_url(started_session), reading_form(key, pulse=70))
    assert saved.status_code == 302
    assert VitalSignReading.objects.get(session=started_session).pulse == 70


@pytest.mark.django_db
def test_another_users_key_is_refused_and_writes_nothing(
    client, therapist, investigator, started_session
):
    key = uuid.uuid4()
    client.force_login(therapist)
    client.post(flowsheet_url(started_session), reading_form(key, pulse=70))

    other = Client()
    other.force_login(investigator)
    response = other.post(flowsheet_url(started_session), reading_form(key, pulse=99))

    assert response.status_code == 400
    assert list(VitalSignReading.objects.values_list("pulse", flat=True)) == [70]


@pytest.mark.django_db(transaction=True)
def test_two_simultaneous_posts_with_one_key_store_one_reading(therapist, started_session):
    data = reading_form(uuid.uuid4(), systolic=131, diastolic=84)
    barrier = threading.Barrier(2, timeout=TIMEOUT)
    responses: list = [None, None]

    def post(index):
        try:
            browser = Client()
            browser.force_login(therapist)
            barrier.wait()
            responses[index] = browser.post(flowsheet_url(started_session), data)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=post, args=(i,)) for i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(TIMEOUT)

    assert not any(thread.is_alive() for thread in threads)
    assert VitalSignReading.objects.filter(session=started_session).count() == 1
    assert [r.status_code for r in responses] == [302, 302]
    assert responses[0]["Location"] == responses[1]["Location"]


@pytest.mark.django_db
def test_keys_older_than_a_day_are_forgotten(client, therapist, started_session):
    client.force_login(therapist)
    old, recent = uuid.uuid4(), uuid.uuid4()
    for key in (old, recent):
        client.post(flowsheet_url(started_session), reading_form(key, pulse=70))
    Submission.objects.filter(key=old).update(
        created_at=timezone.now() - datetime.timedelta(days=2)
    )
    assert submissions_forget.delay().get() == 1
    assert list(Submission.objects.values_list("key", flat=True)) == [recent]
