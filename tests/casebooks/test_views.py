"""The casebook pages: who sees what, the steps each role is offered, a refusal beside its field
with what was typed kept, the lock's banner and message on the clinical pages, and the list."""

import html
import uuid

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts.models import Role
from casebooks import services
from participants.models import Casebook
from records.models import Submission
from records.submissions import FIELD
from sessions_app.models import Visit
from tests.accounts.factories import MembershipFactory
from tests.casebooks.conftest import locked, signed
from tests.participants.factories import EnrolledParticipantFactory
from tests.sessions_app import conftest as sessions
from tests.sessions_app.pages import local

pytestmark = pytest.mark.django_db


def casebook_url(participant) -> str:
    return reverse("casebooks:detail", args=[participant.pk])


def page(client, participant) -> str:
    return html.unescape(client.get(casebook_url(participant)).content.decode())


def test_investigator_signs_with_the_password_again(login, participant1, investigator, password):
    client = login(investigator)
    body = page(client, participant1)
    assert 'data-testid="form-sign"' in body
    wrong = client.post(
        casebook_url(participant1), {"action": "sign", "sign-password": "not-the-password"}
    )
    assert wrong.status_code == 200
    wrong_body = html.unescape(wrong.content.decode())
    assert "The password is not correct" in wrong_body
    assert wrong_body.count("Nothing was signed.") == 1
    assert "Type the password again" in wrong_body
    assert wrong.context["forms"]["sign"].errors["password"]
    right = client.post(casebook_url(participant1), {"action": "sign", "sign-password": password})
    assert right.status_code == 302
    body = page(client, participant1)
    assert "Casebook signed" in body
    assert investigator.printed_name in body
    assert "a change to any of this participant's records now voids" in body


def test_unmet_checklist_is_named_when_signing(login, course1, investigator, password):
    participant = course1[0].participant
    response = login(investigator).post(
        casebook_url(participant), {"action": "sign", "sign-password": password}
    )
    body = html.unescape(response.content.decode())
    assert response.status_code == 200
    assert "The casebook cannot be signed yet: visits not ended: Preparatory 1" in body
    assert Casebook.objects.filter(state="signed").count() == 0


def test_other_sites_investigator_does_not_find_the_casebook(login, participant1, site2):
    other = MembershipFactory(role=Role.INVESTIGATOR, site=site2).user
    client = login(other)
    assert client.get(casebook_url(participant1)).status_code == 404
    assert client.post(casebook_url(participant1), {"action": "sign"}).status_code == 404


def test_roles_see_the_steps_their_role_allows(
    login, participant1, therapist, investigator, monitor, sponsor, study_admin, password
):
    assert "form-sign" not in page(login(therapist), participant1)
    assert "form-sign" not in page(login(monitor), participant1)
    assert "form-lock" not in page(login(study_admin), participant1)  # not signed yet
    signed(participant1, investigator, password)
    admin_page = page(login(study_admin), participant1)
    assert "form-lock" in admin_page and "form-sign" not in admin_page
    sponsor_page = page(login(sponsor), participant1)
    assert "Casebook signed" in sponsor_page and "<form" not in sponsor_page.split("<main")[-1]
    assert investigator.printed_name not in sponsor_page  # the state alone
    assert investigator.printed_name in page(login(monitor), participant1)
    assert login(therapist).post(casebook_url(participant1), {"action": "lock"}).status_code == 403


def test_lock_needs_the_confirmation_and_unlock_its_reason(
    login, participant1, investigator, study_admin, monitor, sponsor, password
):
    signed(participant1, investigator, password)
    client = login(study_admin)
    unconfirmed = client.post(casebook_url(participant1), {"action": "lock"})
    assert "Tick the confirmation" in html.unescape(unconfirmed.content.decode())
    assert (
        client.post(
            casebook_url(participant1), {"action": "lock", "lock-confirmed": "on"}
        ).status_code
        == 302
    )
    body = page(client, participant1)
    assert "Casebook locked" in body and "form-unlock" in body

    no_reason = client.post(casebook_url(participant1), {"action": "unlock", "unlock-reason": " "})
    assert services.UNLOCK_REASON in html.unescape(no_reason.content.decode())
    assert no_reason.context["forms"]["unlock"].errors["reason"]
    assert Casebook.objects.get(participant=participant1).is_locked

    reason = "A late laboratory result"
    done = client.post(casebook_url(participant1), {"action": "unlock", "unlock-reason": reason})
    assert done.status_code == 302
    assert "Locked → Signed" in page(client, participant1)
    # The history keeps the unlock's reason: free text, which the sponsor is not shown.
    assert reason in page(login(monitor), participant1)
    sponsor_page = page(login(sponsor), participant1)
    assert "Casebook signed" in sponsor_page and reason not in sponsor_page


def test_a_locked_reading_edit_is_refused_with_the_message_and_keeps_what_was_typed(
    login, reading, participant1, therapist, study_admin
):
    locked(participant1, study_admin)
    response = login(therapist).post(
        reverse("sessions_app:reading_edit", args=[reading.pk]),
        {
            "version": reading.version,
            "measured_at": local(reading.measured_at),
            "systolic": "131",
            "diastolic": "82",
            "pulse": "70",
            "reason": "Misread the cuff",
        },
    )
    body = html.unescape(response.content.decode())
    assert response.status_code == 200
    assert "This participant's casebook is locked (by " in body
    assert 'value="131"' in body and "Misread the cuff" in body
    reading.refresh_from_db()
    assert reading.systolic == 128


def test_a_locked_adverse_event_edit_is_refused_with_the_message(
    login, adverse_event, participant1, therapist, study_admin
):
    locked(participant1, study_admin)
    response = login(therapist).post(
        reverse("safety:ae_edit", args=[adverse_event.pk]),
        {
            "version": adverse_event.version,
            "verbatim_term": "Migraine",
            "onset_at": local(adverse_event.onset_at),
            "aware_at": local(adverse_event.aware_at),
            "description": "Worse",
            "reason": "",
        },
    )
    body = html.unescape(response.content.decode())
    assert response.status_code == 200
    assert "casebook is locked" in body
    assert 'value="Migraine"' in body


def test_participant_page_links_the_casebook_with_its_state_and_a_locked_banner(
    login, participant1, therapist, study_admin
):
    client = login(therapist)
    detail = reverse("participants:detail", args=[participant1.pk])
    body = html.unescape(client.get(detail).content.decode())
    assert casebook_url(participant1) in body and "Casebook open" in body
    locked(participant1, study_admin)
    body = html.unescape(client.get(detail).content.decode())
    assert "Casebook locked" in body
    assert 'data-testid="casebook-locked"' in body
    assert study_admin.printed_name in body


def test_two_lock_posts_with_one_key_lock_once(
    login, participant1, investigator, study_admin, password
):
    signed(participant1, investigator, password)
    client = login(study_admin)
    data = {"action": "lock", "lock-confirmed": "on", FIELD: str(uuid.uuid4())}
    first = client.post(casebook_url(participant1), data)
    second = client.post(casebook_url(participant1), data)
    assert first.status_code == second.status_code == 302
    assert first["Location"] == second["Location"]
    assert Submission.objects.count() == 1
    body = page(client, participant1)
    assert body.count("Signed → Locked") == 1
    assert "locked meanwhile" not in body


def _list_queries(client, **params) -> tuple[int, int]:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(reverse("casebooks:list"), params)
    assert response.status_code == 200
    return len(queries), len(response.context["participants"])


def test_the_list_filters_by_site_and_state_and_keeps_its_query_count(
    login, site1, site2, participant1, participant2, investigator, monitor, study_admin, password
):
    signed(participant1, investigator, password)
    services.casebook_lock(actor=study_admin, participant=participant1)
    client = login(monitor)
    body = html.unescape(client.get(reverse("casebooks:list")).content.decode())
    assert "S01-0001" in body and "S02-0001" in body and "Casebook locked" in body
    assert "Ashdown" not in body
    assert 'data-testid="nav-casebooks"' in body
    assert _list_queries(client, state="locked")[1] == 1
    assert _list_queries(client, state="open")[1] == 1
    assert _list_queries(client, site=site2.pk)[1] == 1

    few, _ = _list_queries(client)
    for number in range(2, 12):
        participant = EnrolledParticipantFactory(
            site=site1, study_code=f"S01-{number:04d}", screening_number=f"SCR01-{number:04d}"
        )
        locked(participant, study_admin)
    many, shown = _list_queries(client)
    assert shown == 12
    assert many == few


def test_a_locked_participants_pages_name_the_lock_and_offer_no_change(
    login, dosed_session, adverse_event, participant1, therapist, study_admin
):
    client = login(therapist)
    flowsheet = reverse("sessions_app:flowsheet", args=[dosed_session.pk])
    ae_page = reverse("safety:ae_detail", args=[adverse_event.pk])
    assert 'name="action"' in client.get(flowsheet).content.decode()
    assert "Edit draft</a>" in client.get(ae_page).content.decode()
    locked(participant1, study_admin)
    for url in (flowsheet, ae_page):
        body = html.unescape(client.get(url).content.decode())
        assert 'data-testid="casebook-locked"' in body, url
        assert study_admin.printed_name in body, url
    assert 'name="action"' not in client.get(flowsheet).content.decode()
    assert "Edit draft</a>" not in client.get(ae_page).content.decode()


def test_the_query_page_of_a_locked_casebooks_record_asks_nothing(
    login, reading, participant1, monitor, study_admin
):
    url = reverse("queries:raise") + f"?record=sessions_app.vitalsignreading&id={reading.pk}"
    client = login(monitor)
    assert 'data-testid="form-raise"' in client.get(url).content.decode()
    locked(participant1, study_admin)
    body = client.get(url).content.decode()
    assert 'data-testid="form-raise"' not in body
    assert 'data-testid="casebook-locked"' in body
    refused = client.post(url, {"field_name": "", "text": "Is this right?"})
    assert refused.status_code == 200
    assert 'data-testid="casebook-locked"' in refused.content.decode()
    assert not participant1.queries.exists()


@pytest.mark.parametrize("role", ["therapist", "investigator", "monitor", "sponsor", "study_admin"])
def test_the_navigation_offers_the_casebooks_to_every_role_that_may_open_them(
    login, request, participant1, role
):
    client = login(request.getfixturevalue(role))
    opens = client.get(reverse("casebooks:list")).status_code == 200
    offered = 'data-testid="nav-casebooks"' in client.get(reverse("home")).content.decode()
    assert offered == opens
    if role == "investigator":  # who signs them
        assert offered


held_dosing_session = sessions.held_dosing_session


def test_a_locked_casebooks_visit_and_note_forms_show_the_lock_and_offer_no_save(
    login, held_dosing_session, participant1, therapist, study_admin
):
    visits = {visit.code: visit for visit in Visit.objects.filter(participant=participant1)}
    urls = [
        reverse("sessions_app:visit_held", args=[visits["P2"].pk]),
        reverse("sessions_app:visit_missed", args=[visits["P3"].pk]),
        reverse("sessions_app:note_edit", args=[visits["I1.1"].pk]),
    ]
    client = login(therapist)
    for url in urls:
        assert '<input type="submit"' in client.get(url).content.decode(), url
    locked(participant1, study_admin)
    for url in urls:
        body = html.unescape(client.get(url).content.decode())
        assert 'data-testid="casebook-locked"' in body, url
        assert study_admin.printed_name in body, url
        assert '<input type="submit"' not in body, url
    refused = client.post(urls[0], {"held_on": local(timezone.now())[:10], "version": 1})
    assert 'data-testid="casebook-locked"' in refused.content.decode()
    assert Visit.objects.get(pk=visits["P2"].pk).status == Visit.Status.SCHEDULED
