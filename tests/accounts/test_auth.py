import datetime
import os
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts.middleware import LAST_ACTIVITY_KEY
from accounts.models import Role
from exports.runs import package_path
from exports.services import ExportOptions, export_study
from queries import services as query_services
from safety.services import adverse_event_draft_create, adverse_event_follow_up_save
from screening import services as screening_services
from sessions_app import schedule
from sessions_app.models import Observation, Visit, VitalSignAlert
from sessions_app.services import flowsheet
from sessions_app.services.notes import integration_note_write
from tests.accounts.factories import MembershipFactory
from tests.safety.factories import event_times
from tests.safety.factories import submitted as submitted_event
from tests.screening.factories import StudyScreeningConfigFactory, screened_attempt
from tests.sessions_app.factories import dosed_session_of, session_end, supplemental_withhold

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


def _fail_logins(client, username, times, **address):
    for _ in range(times):
        client.post(reverse("login"), {"username": username, "password": "wrong"}, **address)


def test_behind_a_trusted_proxy_a_lockout_holds_for_the_failing_client_only(
    client, therapist, password, settings
):
    """One proxy in front (TRUSTED_PROXY_COUNT=1): the client is the address the proxy saw."""
    settings.TRUSTED_PROXY_COUNT = 1
    proxy = {"REMOTE_ADDR": "10.0.0.2"}
    attacker = {**proxy, "HTTP_X_FORWARDED_FOR": "198.51.100.7, 203.0.113.66"}
    _fail_logins(client, "therapist", settings.AXES_FAILURE_LIMIT, **attacker)
    credentials = {"username": "therapist", "password": password}
    assert client.post(reverse("login"), credentials, **attacker).status_code == 429

    colleague = Client()  # the same user, from the clinic's own address, through the same proxy
    response = colleague.post(
        reverse("login"), credentials, REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR="192.0.2.44"
    )
    assert response.status_code == 302
    assert "_auth_user_id" in colleague.session


def test_an_address_failing_for_many_users_is_refused_for_every_user(
    client, therapist, password, settings
):
    """Someone trying accounts in turn: five wrong passwords each lock one username only, but
    the address is refused once it has failed AXES_ADDRESS_FAILURE_LIMIT times in all."""
    settings.AXES_ADDRESS_FAILURE_LIMIT = 8
    for n in range(8):
        _fail_logins(client, f"guess{n}", 1, REMOTE_ADDR="198.51.100.9")
    response = client.post(
        reverse("login"),
        {"username": "therapist", "password": password},
        REMOTE_ADDR="198.51.100.9",
    )
    assert response.status_code == 429
    assert b"from this computer" in response.content
    assert "_auth_user_id" not in client.session
    other = Client()  # another address still logs in
    response = other.post(
        reverse("login"), {"username": "therapist", "password": password}, REMOTE_ADDR="192.0.2.5"
    )
    assert response.status_code == 302


def test_without_a_trusted_proxy_a_forged_forwarded_header_does_not_dodge_the_lockout(
    client, therapist, password, settings
):
    settings.TRUSTED_PROXY_COUNT = 0
    for n in range(settings.AXES_FAILURE_LIMIT):
        _fail_logins(client, "therapist", 1, HTTP_X_FORWARDED_FOR=f"203.0.113.{n}")
    response = client.post(
        reverse("login"),
        {"username": "therapist", "password": password},
        HTTP_X_FORWARDED_FOR="192.0.2.99",
    )
    assert response.status_code == 429


def test_idle_session_expires_with_a_message(client, therapist, password, settings):
    client.post(reverse("login"), {"username": "therapist", "password": password})
    session = client.session
    session[LAST_ACTIVITY_KEY] = int(time.time()) - settings.SESSION_IDLE_TIMEOUT - 5
    session.save()
    response = client.get(reverse("participants:list"), follow=True)
    assert response.request["PATH_INFO"] == reverse("login")
    assert b"session expired" in response.content


def test_pages_within_a_minute_do_not_write_the_session_again(login, therapist):
    """Activity is written at most once a minute, so concurrent page loads do not all write."""
    client = login(therapist)
    first = client.get(reverse("participants:list"))
    again = client.get(reverse("participants:list"))
    assert first.wsgi_request.session.modified
    assert not again.wsgi_request.session.modified
    session = client.session
    session[LAST_ACTIVITY_KEY] = int(time.time()) - 61
    session.save()
    assert client.get(reverse("participants:list")).wsgi_request.session.modified


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


@pytest.mark.parametrize(
    "body",
    [
        "observation-text=" + "x" * 3_000_000,  # beyond DATA_UPLOAD_MAX_MEMORY_SIZE
        "&".join(f"field{n}=1" for n in range(1500)),  # beyond DATA_UPLOAD_MAX_NUMBER_FIELDS
    ],
    ids=["10-MB-body", "many-fields"],
)
def test_input_too_large_is_answered_413_with_a_page_saying_so(login, therapist, body):
    response = login(therapist).post(
        reverse("participants:list"), body, content_type="application/x-www-form-urlencoded"
    )
    assert response.status_code == 413
    assert b"What was sent is too large" in response.content
    assert b"nothing was saved" in response.content
    # An answer given before any view still carries the pages' headers.
    assert "script-src 'self'" in response["Content-Security-Policy"]
    assert "no-store" in response["Cache-Control"]
    assert response["X-Frame-Options"] == "DENY"


def test_pages_with_identity_or_notes_are_never_stored_and_carry_the_policy(
    client, every_page, therapist
):
    client.force_login(therapist)
    for page in ("participants:identity", "participants:identity_edit", "sessions_app:note"):
        response = client.get(every_page[page])
        assert response.status_code == 200
        assert "no-store" in response["Cache-Control"], page
        assert "script-src 'self'" in response["Content-Security-Policy"], page


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


# Columns of EVERY_PAGE: the therapist and the investigator of the page's site (site 1), a
# therapist of another site, the medical monitor, the sponsor data manager, the study administrator.
ROLES = ("therapist", "investigator", "therapist2", "monitor", "sponsor", "study_admin")
SITE_STAFF = {"therapist", "investigator"}

# What each page answers each role (GET). Another site's record is "not found" (404) to everyone
# outside the site; a role without the permission is refused (403), or meets "not found" where the
# selectors leave the record out of its scope; 405: the page takes POSTs only. (The admin's pages
# are tested below.)
# fmt: off
EVERY_PAGE = {
    #                                       ther inv  ther2  mon  spon  admin
    "home":                                (200, 200, 200,   200, 200,  200),
    "healthz":                             (200, 200, 200,   200, 200,  200),
    "password_change":                     (200, 200, 200,   200, 200,  200),
    "password_change_done":                (200, 200, 200,   200, 200,  200),
    "keepalive":                           (405, 405, 405,   405, 405,  405),
    "audit:verify":                        (403, 403, 403,   403, 403,  200),
    "lockouts":                            (403, 403, 403,   403, 403,  200),
    "unlock":                              (405, 405, 405,   405, 405,  405),
    "participants:list":                   (200, 200, 200,   200, 200,  403),
    "participants:detail":                 (200, 200, 404,   200, 200,  404),
    "participants:identity":               (200, 200, 404,   404, 404,  404),
    "participants:identity_edit":          (200, 200, 404,   404, 404,  404),
    "participants:withdraw":               (403, 200, 404,   403, 403,  404),
    "participants:history":                (200, 200, 404,   200, 403,  404),
    "screening:list":                      (200, 200, 200,   200, 200,  403),
    "screening:start":                     (200, 200, 200,   403, 403,  403),
    "screening:log":                       (200, 200, 200,   200, 200,  403),
    "screening:detail":                    (200, 200, 404,   200, 200,  404),
    "screening:edit":                      (200, 200, 404,   403, 403,  404),
    "screening:submit":                    (405, 405, 404,   403, 403,  404),
    "screening:confirm":                   (403, 200, 404,   403, 403,  404),
    "screening:fail":                      (405, 405, 404,   403, 403,  404),
    "screening:rescreen":                  (200, 200, 404,   403, 403,  404),
    "screening:history":                   (200, 200, 404,   200, 403,  404),
    "sessions_app:flowsheet":              (200, 200, 404,   200, 404,  404),
    "sessions_app:sign":                   (403, 200, 404,   403, 404,  404),
    "sessions_app:history":                (200, 200, 404,   200, 404,  404),
    "sessions_app:reading_edit":           (200, 200, 404,   403, 404,  404),
    "sessions_app:observation_edit":       (200, 200, 404,   403, 404,  404),
    "sessions_app:reading_strike":         (200, 200, 404,   403, 404,  404),
    "sessions_app:observation_strike":     (200, 200, 404,   403, 404,  404),
    "sessions_app:visit_held":             (200, 200, 404,   403, 403,  404),
    "sessions_app:visit_missed":           (200, 200, 404,   403, 403,  404),
    "sessions_app:alerts":                 (200, 200, 200,   200, 403,  403),
    "sessions_app:alert_acknowledge":      (405, 405, 405,   405, 405,  405),
    "sessions_app:note":                   (200, 200, 404,   404, 404,  404),
    "sessions_app:note_edit":              (200, 200, 404,   404, 404,  404),
    "sessions_app:note_history":           (200, 200, 404,   404, 404,  404),
    "sessions_app:correct_start":          (200, 200, 404,   403, 404,  404),
    "sessions_app:correct_supplemental":   (200, 200, 404,   403, 404,  404),
    "sessions_app:administration_correct": (200, 200, 404,   403, 404,  404),
    "safety:ae_list":                      (200, 200, 200,   200, 403,  403),
    "safety:ae_create":                    (200, 200, 200,   403, 403,  403),
    "safety:ae_detail":                    (200, 200, 404,   200, 404,  404),
    "safety:ae_edit":                      (200, 200, 404,   403, 404,  404),
    "safety:ae_counts":                    (200, 200, 200,   200, 200,  403),
    "safety:ae_submit":                    (403, 200, 404,   403, 404,  404),
    "safety:ae_follow_up":                 (200, 200, 404,   403, 404,  404),
    "safety:ae_follow_up_sign":            (403, 200, 404,   403, 404,  404),
    "safety:ae_review":                    (403, 403, 404,   200, 404,  404),
    "safety:ae_review_sign":               (403, 403, 404,   405, 404,  404),
    "safety:ae_regulatory":                (403, 403, 404,   405, 404,  404),
    "safety:rsi":                          (403, 403, 403,   200, 403,  200),
    "safety:ae_cioms":                     (200, 200, 404,   200, 404,  404),
    "safety:ae_cioms_pdf":                 (200, 200, 404,   200, 404,  404),
    "safety:review_queue":                 (403, 403, 403,   200, 403,  403),
    "safety:clock_dashboard":              (403, 403, 403,   200, 403,  403),
    "queries:list":                        (200, 200, 200,   200, 403,  200),
    "queries:raise":                       (403, 403, 404,   200, 404,  200),
    "queries:detail":                      (200, 200, 404,   200, 404,  200),
    "queries:sdv":                         (200, 200, 200,   200, 200,  403),
    "queries:sdv_verify":                  (405, 405, 405,   405, 405,  405),
    "queries:sdv_participant":             (200, 200, 404,   200, 403,  404),
    "casebooks:list":                      (200, 200, 200,   200, 200,  200),
    "casebooks:detail":                    (200, 200, 404,   200, 200,  200),
    "exports:list":                        (403, 403, 403,   403, 200,  200),
    "exports:detail":                      (403, 403, 403,   403, 200,  200),
    "exports:progress":                    (403, 403, 403,   403, 200,  200),
    "exports:download":                    (403, 403, 403,   403, 200,  200),
}
# fmt: on
NOTE_TEXT = "Spoke about the night of the fire"


@pytest.fixture
def every_page(study, site1, participant1, therapist, investigator, settings, tmp_path):
    """The address of every page, each about a record of site 1 where it is about one.

    participant1's first dosing session, held on its target day (a reading over a threshold and
    its alert, an observation, the supplemental dose withheld, ended and not signed), the notes of
    the integration session after it, an adverse event, and three screenings at site 1: in
    progress, submitted, and failed.
    """
    d1_day = schedule.schedule_dates(participant1.enrolled_on)["D1"].target
    started_at = timezone.make_aware(datetime.datetime.combine(d1_day, datetime.time(9, 0)))
    minutes = datetime.timedelta(minutes=1)
    session = dosed_session_of(
        participant1, therapist, investigator, started_at=started_at, deviation_explanation=""
    )
    reading = flowsheet.vital_sign_record(
        actor=therapist,
        session=session,
        measured_at=started_at + 60 * minutes,
        systolic=172,
        diastolic=95,
    )
    observation = flowsheet.observation_record(
        actor=therapist,
        session=session,
        observed_at=started_at + 70 * minutes,
        kind=Observation.Kind.OBSERVATION,
        text="Restless, asks for water.",
    )
    supplemental_withhold(session, therapist)
    session_end(session, therapist, ended_at=started_at + 480 * minutes)
    integration = Visit.objects.get(participant=participant1, code="I1.1")
    integration_note_write(
        actor=therapist,
        visit=integration,
        data={
            "themes": NOTE_TEXT,
            "participant_report": "Sleeping better",
            "cssrs_ideation": 0,
            "cssrs_behaviour": False,
            "safety_notes": "",
            "plan": "Grounding exercises",
            "free_text": "",
        },
        held_on=integration.target_date,
        expected_version=None,
    )
    preparatory = Visit.objects.get(participant=participant1, code="P1")
    adverse_event = adverse_event_draft_create(
        actor=therapist,
        participant=participant1,
        verbatim_term="Jaw clenching",
        onset_at=started_at + 120 * minutes,
        description="",
    )
    # A submitted adverse event with a follow-up report waiting for the investigator's signature.
    followed_up = submitted_event(
        therapist,
        investigator,
        participant1,
        **event_times(started_at),
    )
    adverse_event_follow_up_save(
        actor=therapist,
        adverse_event=followed_up,
        reason="Seen again the next day",
        final=False,
        expected_version=followed_up.version,
        expected_report_version=None,
        treatment="Rest",
    )
    StudyScreeningConfigFactory(study=study)
    in_progress = screened_attempt(actor=therapist, site=site1, submit=False)
    submitted = screened_attempt(actor=therapist, site=site1)
    failed = screening_services.screening_fail(
        actor=therapist, attempt=screened_attempt(actor=therapist, site=site1, caps5_total=10)
    )
    settings.EXPORT_ROOT = tmp_path
    export = export_study(
        actor=MembershipFactory(role=Role.DATA_MANAGER, site=None, study=study).user,
        study=study,
        options=ExportOptions(datasets=("participants",)),
        out=tmp_path / "export.zip",
    )
    (tmp_path / "export.zip").rename(package_path(export))
    records = {
        "exports:detail": export,
        "exports:progress": export,
        "exports:download": export,
        "participants:detail": participant1,
        "participants:identity": participant1,
        "participants:identity_edit": participant1,
        "participants:withdraw": participant1,
        "participants:history": participant1,
        "screening:detail": submitted,
        "screening:edit": in_progress,
        "screening:submit": in_progress,
        "screening:confirm": submitted,
        "screening:fail": submitted,
        "screening:rescreen": failed,
        "screening:history": submitted,
        "sessions_app:flowsheet": session,
        "sessions_app:sign": session,
        "sessions_app:history": session,
        "sessions_app:reading_edit": reading,
        "sessions_app:observation_edit": observation,
        "sessions_app:reading_strike": reading,
        "sessions_app:observation_strike": observation,
        "sessions_app:visit_held": preparatory,
        "sessions_app:visit_missed": preparatory,
        "sessions_app:alert_acknowledge": VitalSignAlert.objects.get(reading=reading),
        "sessions_app:note": integration,
        "sessions_app:note_edit": integration,
        "sessions_app:note_history": integration,
        "sessions_app:correct_start": session,
        "sessions_app:correct_supplemental": session,
        "sessions_app:administration_correct": session.administrations.get(kind="initial"),
        "safety:ae_detail": adverse_event,
        "safety:ae_edit": adverse_event,
        "casebooks:detail": participant1,
        "safety:ae_submit": adverse_event,
        "safety:ae_follow_up": followed_up,
        "safety:ae_follow_up_sign": followed_up,
        "safety:ae_review": followed_up,
        "safety:ae_review_sign": followed_up,
        "safety:ae_regulatory": followed_up,
        "safety:ae_cioms": followed_up,
        "safety:ae_cioms_pdf": followed_up,
        "unlock": therapist,
        "queries:sdv_participant": participant1,
        "queries:detail": query_services.query_raise(
            actor=MembershipFactory(role=Role.MONITOR, site=None, study=study).user,
            record=reading,
            field_name="systolic",
            text="Is this value right?",
        ),
    }
    urls = {
        page: reverse(page, args=[records[page].pk]) if page in records else reverse(page)
        for page in EVERY_PAGE
    }
    urls["queries:raise"] += f"?record=sessions_app.vitalsignreading&id={reading.pk}&field=pulse"
    return urls


def test_every_page_answers_each_role_as_the_roles_table_says(request, client, every_page):
    """No role meets a server error anywhere, nor identity or notes outside the site's staff."""
    users = {role: request.getfixturevalue(role) for role in ROLES}
    wrong = []
    for role, user in users.items():
        client.force_login(user)
        for page, url in every_page.items():
            response = client.get(url)
            expected = EVERY_PAGE[page][ROLES.index(role)]
            if response.status_code != expected:
                wrong.append(f"{page} ({url}) as {role}: {response.status_code}, not {expected}")
            if role not in SITE_STAFF:
                # (A download streams: its bytes are read the same way.)
                body = b"".join(response) if response.streaming else response.content
                assert b"Alice" not in body, (page, role)
                assert b"Ashdown" not in body, (page, role)
                assert NOTE_TEXT.encode() not in body, (page, role)
    assert wrong == []


# An input the user fills in or chooses, in a form's HTML (not a hidden one, not a button).
FIELD_TO_FILL = r"<(?:select|textarea)\b|<input\b(?![^>]*type=\"(?:hidden|submit|button)\")"


def _post_forms(request, client, every_page):
    """(page, role, the form's HTML) for each POST form of every page as every role, but the
    logout button."""
    for role in ROLES:
        client.force_login(request.getfixturevalue(role))
        for page, url in every_page.items():
            response = client.get(url)
            if "html" not in response.get("Content-Type", ""):
                continue  # a file (the CIOMS report's PDF) has no form
            body = response.content.decode()
            for form in re.findall(r"<form\b[^>]*>.*?</form>", body, re.S):
                if 'method="post"' in form.lower() and reverse("logout") not in form:
                    yield page, role, form


def test_every_form_that_changes_data_carries_a_one_time_key(request, client, every_page):
    """A double click or a resent POST is answered once (records.submissions) only where the
    form sends its key: every POST form of every page does, but logging out."""
    forms = list(_post_forms(request, client, every_page))
    keyless = [
        f"{page} as {role}: {form[:120]}"
        for page, role, form in forms
        if 'name="submission_key"' not in form
    ]
    assert len(forms) > 30
    assert keyless == []


def test_every_form_leaves_its_checks_to_the_server(request, client, every_page):
    """A field left empty or out of bounds is answered by the server's message beside it, the
    same in every browser, not by the browser's bubble: every POST form with a field to fill in
    is `novalidate` (a form of a button alone has nothing for the browser to check)."""
    bubbling = [
        f"{page} as {role}: {form[: form.index('>') + 1]}"
        for page, role, form in _post_forms(request, client, every_page)
        if "novalidate" not in form[: form.index(">")] and re.search(FIELD_TO_FILL, form)
    ]
    assert bubbling == [], "\n".join(bubbling)


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
