import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.test import Client
from django.urls import reverse

from accounts.middleware import LAST_ACTIVITY_KEY

pytestmark = pytest.mark.django_db
ROOT = Path(__file__).resolve().parents[2]


def test_login_with_correct_password_reaches_home(client, therapist, password):
    response = client.post(
        reverse("login"), {"username": "therapist", "password": password}, follow=True
    )
    assert response.status_code == 200
    assert response.context["user"] == therapist
    assert b"Study therapist" in response.content and b"First Site" in response.content


def test_wrong_password_shows_clear_message_and_keeps_username(client, therapist):
    response = client.post(reverse("login"), {"username": "therapist", "password": "nope"})
    assert response.status_code == 200
    assert b"do not match" in response.content
    assert b'value="therapist"' in response.content


def test_repeated_failures_lock_the_account(client, therapist, password, settings):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        client.post(reverse("login"), {"username": "therapist", "password": "wrong"})
    response = client.post(reverse("login"), {"username": "therapist", "password": password})
    assert response.status_code == 429
    assert b"temporarily locked" in response.content
    assert "_auth_user_id" not in client.session


def test_idle_session_expires_with_a_message(client, therapist, password, settings):
    client.post(reverse("login"), {"username": "therapist", "password": password})
    session = client.session
    session[LAST_ACTIVITY_KEY] = int(time.time()) - settings.SESSION_IDLE_TIMEOUT - 5
    session.save()
    response = client.get(reverse("participants:list"), follow=True)
    assert response.request["PATH_INFO"] == reverse("login")
    assert b"session expired" in response.content


def test_active_session_is_kept(login, therapist):
    client = login(therapist)
    assert client.get(reverse("participants:list")).status_code == 200
    assert client.get(reverse("participants:list")).status_code == 200


def test_csrf_failure_shows_a_clear_page(therapist, password):
    client = Client(enforce_csrf_checks=True)
    response = client.post(reverse("login"), {"username": "therapist", "password": password})
    assert response.status_code == 403
    assert b"This form has expired" in response.content
    assert b"Traceback" not in response.content


def test_missing_permission_shows_a_clear_page(login, sponsor):
    response = login(sponsor).get(reverse("audit:verify"))
    assert response.status_code == 403
    assert b"Only a study administrator" in response.content


def test_unknown_page_shows_not_found_page(login, therapist):
    response = login(therapist).get("/no/such/page/")
    assert response.status_code == 404
    assert b"Not found" in response.content


def test_weak_password_is_refused(login, therapist, password):
    response = login(therapist).post(
        reverse("password_change"),
        {"old_password": password, "new_password1": "12345678", "new_password2": "12345678"},
    )
    assert response.status_code == 200
    errors = response.context["form"].errors["new_password2"]
    assert any("too short" in e for e in errors)
    assert any("entirely numeric" in e for e in errors)


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"SECRET_KEY": ""}, "SECRET_KEY"),
        ({"SECRET_KEY": "x" * 60, "DEBUG": "true"}, "DEBUG must be off"),
    ],
)
def test_production_settings_refuse_insecure_configuration(env, message):
    environment = (
        {k: v for k, v in os.environ.items() if k not in ("SECRET_KEY", "DEBUG")}
        | {"DJANGO_SETTINGS_MODULE": "trialsite.settings.production", "ALLOWED_HOSTS": "x"}
        | env
    )
    if not env["SECRET_KEY"]:
        environment.pop("SECRET_KEY")
    result = subprocess.run(
        [sys.executable, "manage.py", "check"],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
    )
    assert result.returncode != 0
    assert message in result.stderr


@pytest.mark.parametrize(
    ("role", "marker"),
    [
        ("therapist", b"site-staff-home"),
        ("investigator", b"site-staff-home"),
        ("monitor", b"monitor-home"),
        ("sponsor", b"data-manager-home"),
        ("study_admin", b"study-admin-home"),
    ],
)
def test_each_role_has_its_home_page(request, login, role, marker, participant1, participant2):
    user = request.getfixturevalue(role)
    response = login(user).get(reverse("home"))
    assert response.status_code == 200
    assert marker in response.content
    assert user.printed_name.encode() in response.content
    assert b"Alice" not in response.content and b"Bruno" not in response.content


def test_site_staff_home_counts_only_own_site(login, therapist, participant1, participant2):
    response = login(therapist).get(reverse("home"))
    rows = response.context["site_rows"]
    assert [row["site"].number for row in rows] == ["01"]
    assert rows[0]["total"] == 1


@pytest.mark.parametrize("role", ["therapist", "monitor", "sponsor", "study_admin"])
def test_every_page_renders_for_every_role(request, login, role, participant1):
    """No role meets a server error anywhere in the navigation."""
    client = login(request.getfixturevalue(role))
    urls = [
        reverse("home"),
        reverse("participants:list"),
        reverse("participants:detail", args=[participant1.pk]),
        reverse("participants:identity", args=[participant1.pk]),
        reverse("participants:identity_edit", args=[participant1.pk]),
        reverse("participants:history", args=[participant1.pk]),
        reverse("audit:verify"),
        reverse("password_change"),
        reverse("healthz"),
    ]
    for url in urls:
        assert client.get(url).status_code in (200, 403, 404), url


def test_study_admin_verifies_the_audit_trail(login, study_admin, participant1):
    response = login(study_admin).post(reverse("audit:verify"))
    assert response.status_code == 200
    assert b"Audit trail intact" in response.content


def test_study_admin_cannot_make_anyone_superuser(login, study_admin, therapist):
    client = login(study_admin)
    response = client.get(reverse("admin:accounts_user_change", args=[therapist.pk]))
    assert response.status_code == 200
    assert b"is_superuser" not in response.content
    assert b'name="username"' in response.content


def test_site_staff_cannot_open_the_admin(login, therapist):
    response = login(therapist).get(reverse("admin:accounts_user_changelist"))
    assert response.status_code == 302


def test_study_admin_cannot_touch_superusers_or_own_roles(login, study_admin):
    from tests.accounts.factories import UserFactory

    root = UserFactory(username="root", is_superuser=True, is_staff=True)
    client = login(study_admin)
    for url in (
        reverse("admin:accounts_user_change", args=[root.pk]),
        f"/admin/accounts/user/{root.pk}/password/",
        reverse("admin:accounts_user_change", args=[study_admin.pk]),
    ):
        assert client.get(url).status_code in (302, 404), url
    assert b"root" not in client.get(reverse("admin:accounts_user_changelist")).content


def test_study_admin_sees_only_own_studys_sites_and_roles(login, study_admin, site1, therapist):
    from tests.accounts.factories import MembershipFactory, SiteFactory, StudyFactory

    foreign_site = SiteFactory(study=StudyFactory(code="FOREIGN"), number="09", name="Faraway")
    MembershipFactory(site=foreign_site)
    client = login(study_admin)
    sites = client.get(reverse("admin:accounts_site_changelist")).content
    assert b"First Site" in sites and b"Faraway" not in sites
    memberships = client.get(reverse("admin:accounts_membership_changelist")).content
    assert b"therapist" in memberships and b"FOREIGN" not in memberships
    add_form = client.get(reverse("admin:accounts_membership_add")).content
    assert b"Faraway" not in add_form
    assert client.get(reverse("admin:audit_logentry_changelist")).status_code == 403


def test_keepalive_counts_as_activity_and_needs_a_login(client, therapist, settings):
    settings.SESSION_IDLE_TIMEOUT = 60
    assert client.post("/accounts/keepalive/").status_code == 302  # to the login page
    client.force_login(therapist)
    assert client.get("/accounts/keepalive/").status_code == 405
    response = client.post("/accounts/keepalive/")
    assert response.json() == {"idle_timeout": 60}
    assert "trialsite_last_activity" in client.session
