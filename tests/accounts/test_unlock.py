"""The study administrator unlocks an account locked out after failed log-ins: with a reason,
audited; no other role may."""

import pytest
from axes.models import AccessAttempt
from django.test import Client
from django.urls import reverse

from accounts.services import UNLOCK_REASON_REQUIRED
from audit.models import LogEntry
from tests.sessions_app.pages import field_error

pytestmark = pytest.mark.django_db


def _lock_out(username, settings):
    client = Client()
    for _ in range(settings.AXES_FAILURE_LIMIT):
        client.post(reverse("login"), {"username": username, "password": "wrong"})
    return client


def _log_in(client, username, password):
    return client.post(reverse("login"), {"username": username, "password": password})


@pytest.fixture
def locked(therapist, password, settings):
    """`therapist`, locked out: even the right password is refused."""
    client = _lock_out("therapist", settings)
    assert _log_in(client, "therapist", password).status_code == 429
    return therapist


def test_the_study_administrator_sees_the_locked_out_account(login, study_admin, locked):
    home = login(study_admin).get(reverse("home")).content.decode()
    assert reverse("lockouts") in home
    page = login(study_admin).get(reverse("lockouts")).content.decode()
    assert 'data-testid="lockout"' in page and "therapist" in page
    assert reverse("unlock", args=[locked.pk]) in page


def test_unlocked_the_account_can_log_in_again(login, study_admin, locked, password):
    response = login(study_admin).post(
        reverse("unlock", args=[locked.pk]), {"reason": "Called back on the site's number."}
    )
    assert response.status_code == 302
    assert not AccessAttempt.objects.filter(username="therapist").exists()
    client = Client()
    assert _log_in(client, "therapist", password).status_code == 302
    assert client.session["_auth_user_id"] == str(locked.pk)


def test_the_unlock_is_audited_with_who_which_account_and_why(login, study_admin, locked):
    login(study_admin).post(
        reverse("unlock", args=[locked.pk]), {"reason": "Called back on the site's number."}
    )
    entry = LogEntry.objects.get_for_object(locked).latest("seq")
    assert entry.actor == study_admin
    assert entry.action == LogEntry.Action.UPDATE
    assert entry.changes == {"lockout": ["locked out", "unlocked"]}
    assert entry.reason == "Called back on the site's number."
    assert entry.additional_data["unlocked"]["failures"] >= 5
    assert entry.timestamp is not None
    assert entry.entry_hash == entry.compute_hash()


def test_an_unlock_without_a_reason_is_refused_beside_it(login, study_admin, locked, password):
    response = login(study_admin).post(reverse("unlock", args=[locked.pk]), {"reason": "   "})
    assert response.status_code == 200
    body = response.content.decode()
    assert field_error(body, f"unlock_{locked.pk}_reason") == UNLOCK_REASON_REQUIRED
    assert AccessAttempt.objects.filter(username="therapist").exists()
    assert _log_in(Client(), "therapist", password).status_code == 429


def test_a_refused_unlock_keeps_what_was_typed(login, study_admin, locked):
    reason = "x" * 501
    body = (
        login(study_admin)
        .post(reverse("unlock", args=[locked.pk]), {"reason": reason})
        .content.decode()
    )
    assert field_error(body, f"unlock_{locked.pk}_reason")
    assert f'value="{reason}"' in body


@pytest.mark.parametrize("role", ["therapist2", "investigator", "monitor", "sponsor"])
def test_other_roles_can_neither_see_nor_unlock(request, login, locked, role):
    user = request.getfixturevalue(role)
    client = login(user)
    assert client.get(reverse("lockouts")).status_code == 403
    response = client.post(reverse("unlock", args=[locked.pk]), {"reason": "Please."})
    assert response.status_code == 403
    assert AccessAttempt.objects.filter(username="therapist").exists()
    assert reverse("lockouts") not in client.get(reverse("home")).content.decode()
