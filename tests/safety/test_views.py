import datetime
import html

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from audit.models import LogEntry
from participants.casebook import locked_message
from safety import services
from safety.models import AdverseEvent
from sessions_app.services import flowsheet
from tests.casebooks.conftest import locked
from tests.safety.factories import form_data
from tests.sessions_app.factories import dosed_session_of

pytestmark = pytest.mark.django_db

CREATE = reverse("safety:ae_create")
LIST = reverse("safety:ae_list")


def _local(value: datetime.datetime) -> str:
    return timezone.localtime(value).strftime("%Y-%m-%dT%H:%M")


@pytest.fixture
def dosed(participant1, therapist, investigator):
    """participant1's D1, started 3h ago, 120 mg given 10 min after the start."""
    return dosed_session_of(participant1, therapist, investigator)


@pytest.fixture
def reading1(dosed, therapist):
    """Systolic 172 (threshold 160) at +0h30."""
    return flowsheet.vital_sign_record(
        actor=therapist,
        session=dosed,
        measured_at=dosed.started_at + datetime.timedelta(minutes=40),
        systolic=172,
        diastolic=95,
        pulse=88,
    )


def _draft(actor, participant, **overrides):
    values = {
        "verbatim_term": "Nausea",
        "onset_at": timezone.now() - datetime.timedelta(hours=1),
        "description": "",
    }
    values.update(overrides)
    return services.adverse_event_draft_create(actor=actor, participant=participant, **values)


@pytest.fixture
def ae1(therapist, participant1):
    return _draft(therapist, participant1, verbatim_term="Jaw clenching")


@pytest.fixture
def ae2(therapist2, participant2):
    return _draft(therapist2, participant2, verbatim_term="Headache")


def test_pages_need_login(client, ae1):
    for url in (LIST, CREATE, reverse("safety:ae_detail", args=[ae1.pk])):
        response = client.get(url)
        assert response.status_code == 302
        assert response.url.startswith(reverse("login"))


def test_draft_is_prefilled_from_a_flagged_reading(login, therapist, reading1, dosed):
    client = login(therapist)
    url = f"{CREATE}?reading={reading1.pk}"
    response = client.get(url)
    assert response.status_code == 200
    form = response.context["form"]
    assert form.initial["verbatim_term"] == "Systolic blood pressure 172 mmHg (threshold 160)"
    assert form.initial["onset_at"] == reading1.measured_at
    page = response.content.decode()
    assert form.initial["dosing_session"] == dosed.pk
    assert _local(reading1.measured_at) in page  # datetime-local value, in local time
    assert "+0h30" in page

    response = client.post(
        url,
        {
            "verbatim_term": form.initial["verbatim_term"],
            "onset_at": _local(reading1.measured_at),
            "aware_at": _local(reading1.measured_at),
            "description": "Headache with it; rested, rechecked in 15 minutes.",
        },
    )
    ae = AdverseEvent.objects.get()
    assert response.status_code == 302
    assert response.url == reverse("safety:ae_detail", args=[ae.pk])
    assert ae.participant == reading1.session.visit.participant
    assert ae.dosing_session == dosed
    assert ae.source_reading == reading1
    assert ae.reported_by == therapist
    assert ae.status == AdverseEvent.Status.DRAFT
    assert ae.onset_at == reading1.measured_at.replace(second=0, microsecond=0)
    assert LogEntry.objects.get_for_object(ae).get().action == LogEntry.Action.CREATE


def test_term_lists_every_flag_with_its_limit(login, therapist, dosed):
    reading = flowsheet.vital_sign_record(
        actor=therapist,
        session=dosed,
        measured_at=dosed.started_at + datetime.timedelta(minutes=50),
        systolic=175,
        diastolic=115,
        pulse=120,
        temperature="38.4",
    )
    response = login(therapist).get(f"{CREATE}?reading={reading.pk}")
    assert response.context["form"].initial["verbatim_term"] == (
        "Systolic blood pressure 175 mmHg (threshold 160); "
        "Diastolic blood pressure 115 mmHg (threshold 110); "
        "Pulse 120 bpm (threshold 110); Body temperature 38.4 °C (threshold 38.0)"
    )


def test_therapist_cannot_open_other_sites_reading(login, therapist2, reading1):
    client = login(therapist2)
    url = f"{CREATE}?reading={reading1.pk}"
    assert client.get(url).status_code == 404
    post = {"verbatim_term": "x", "onset_at": _local(reading1.measured_at), "description": ""}
    assert client.post(url, post).status_code == 404
    assert not AdverseEvent.objects.exists()


def test_therapist_cannot_open_other_sites_participant(login, therapist2, participant1):
    response = login(therapist2).get(f"{CREATE}?participant={participant1.pk}")
    assert response.status_code == 404


def test_monitor_cannot_create_adverse_events(login, monitor, reading1, participant1):
    client = login(monitor)
    assert client.get(f"{CREATE}?reading={reading1.pk}").status_code == 403
    assert client.get(f"{CREATE}?participant={participant1.pk}").status_code == 403
    post = {"verbatim_term": "x", "onset_at": _local(reading1.measured_at), "description": ""}
    assert client.post(f"{CREATE}?reading={reading1.pk}", post).status_code == 403
    assert not AdverseEvent.objects.exists()


def test_bad_input_is_shown_beside_fields_and_kept(login, therapist, participant1):
    client = login(therapist)
    future = timezone.now() + datetime.timedelta(days=1)
    response = client.post(
        f"{CREATE}?participant={participant1.pk}",
        {
            "verbatim_term": "   ",
            "onset_at": _local(future),
            "aware_at": _local(timezone.now()),
            "description": "Typed with care",
        },
    )
    assert response.status_code == 200
    form = response.context["form"]
    assert "onset is in the future" in form.errors["onset_at"][0]
    assert "reporter's words" in form.errors["verbatim_term"][0]
    page = response.content.decode()
    assert "Typed with care" in page
    assert _local(future) in page
    assert "is-invalid" in page
    assert not AdverseEvent.objects.exists()


def test_draft_for_a_participant_without_reading(login, therapist, participant1):
    onset = timezone.now() - datetime.timedelta(hours=2)
    response = login(therapist).post(
        f"{CREATE}?participant={participant1.pk}",
        {
            "verbatim_term": "Nausea",
            "onset_at": _local(onset),
            "aware_at": _local(onset),
            "description": "",
        },
    )
    assert response.status_code == 302
    ae = AdverseEvent.objects.get()
    assert ae.participant == participant1
    assert ae.dosing_session is None and ae.source_reading is None


def test_a_locked_casebook_shows_its_lock_on_the_create_page_and_refuses_once(
    login, therapist, study_admin, participant1
):
    casebook = locked(participant1, study_admin)
    client = login(therapist)
    url = f"{CREATE}?participant={participant1.pk}"
    page = client.get(url).content.decode()
    assert 'data-testid="casebook-locked"' in page
    assert 'name="save"' not in page  # nothing to submit
    onset = timezone.now() - datetime.timedelta(hours=2)
    response = client.post(
        url, {"verbatim_term": "Nausea", "onset_at": _local(onset), "aware_at": _local(onset)}
    )
    assert response.status_code == 200
    assert not AdverseEvent.objects.exists()
    page = response.content.decode()
    assert page.count(html.escape(locked_message(casebook))) == 1
    assert page.count('data-testid="casebook-locked"') == 1


def test_create_without_participant_offers_own_sites_participants(
    login, therapist, participant1, participant2
):
    response = login(therapist).get(CREATE)
    assert response.status_code == 200
    choices = list(response.context["chooser"].fields["participant"].queryset)
    assert choices == [participant1]


def test_detail_within_scope(login, monitor, therapist, therapist2, ae1):
    url = reverse("safety:ae_detail", args=[ae1.pk])
    page = login(monitor).get(url)
    assert page.status_code == 200
    assert "Jaw clenching" in page.content.decode()
    assert "Ashdown" not in page.content.decode()
    assert page.context["can_edit"] is False
    assert login(therapist2).get(url).status_code == 404
    assert login(therapist).get(url).context["can_edit"] is True


def test_monitor_cannot_edit(login, monitor, ae1):
    response = login(monitor).get(reverse("safety:ae_edit", args=[ae1.pk]))
    assert response.status_code == 403


def test_therapist_cannot_edit_other_sites_event(login, therapist2, ae1):
    assert login(therapist2).get(reverse("safety:ae_edit", args=[ae1.pk])).status_code == 404


def test_data_manager_cannot_see_adverse_events(login, sponsor, ae1):
    client = login(sponsor)
    assert client.get(LIST).status_code == 403
    assert client.get(reverse("safety:ae_detail", args=[ae1.pk])).status_code == 404


def _edit_post(ae, **overrides):
    return {**form_data(ae), "reason": "", **overrides}


def test_edit_draft_needs_no_reason_and_is_audited(login, therapist, investigator, ae1):
    url = reverse("safety:ae_edit", args=[ae1.pk])
    client = login(investigator)
    assert client.get(url).status_code == 200
    response = client.post(url, _edit_post(ae1, verbatim_term="Jaw clenching, moderate"))
    assert response.status_code == 302
    ae1.refresh_from_db()
    assert ae1.verbatim_term == "Jaw clenching, moderate"
    assert ae1.version == 2
    entry = LogEntry.objects.get_for_object(ae1).order_by("-seq").first()
    assert entry.action == LogEntry.Action.UPDATE
    assert entry.actor == investigator


def test_edit_bad_input_kept(login, therapist, ae1):
    url = reverse("safety:ae_edit", args=[ae1.pk])
    future = timezone.now() + datetime.timedelta(days=2)
    response = login(therapist).post(
        url, _edit_post(ae1, verbatim_term="", onset_at=_local(future), description="Kept text")
    )
    assert response.status_code == 200
    assert "verbatim_term" in response.context["form"].errors
    assert "onset_at" in response.context["form"].errors
    assert "Kept text" in response.content.decode()
    ae1.refresh_from_db()
    assert ae1.verbatim_term == "Jaw clenching"


def test_concurrent_edit_is_refused_and_input_kept(login, therapist, investigator, ae1):
    url = reverse("safety:ae_edit", args=[ae1.pk])
    stale = _edit_post(ae1, verbatim_term="Mine: jaw clenching, mild")
    login(investigator).post(url, _edit_post(ae1, verbatim_term="Theirs: jaw pain"))
    response = login(therapist).post(url, stale)
    assert response.status_code == 200
    assert response.context["conflict"] is True
    page = response.content.decode()
    assert "changed by someone else" in page
    assert "Mine: jaw clenching, mild" in page
    assert "Theirs: jaw pain" in page  # the current values are shown
    ae1.refresh_from_db()
    assert ae1.verbatim_term == "Theirs: jaw pain"
    # Saving again, with the current version carried, is a deliberate overwrite.
    assert response.context["form"]["version"].value() == ae1.version


def test_list_scope(login, monitor, therapist2, ae1, ae2):
    assert {ae.pk for ae in login(monitor).get(LIST).context["adverse_events"]} == {
        ae1.pk,
        ae2.pk,
    }
    page = login(therapist2).get(LIST)
    assert [ae.pk for ae in page.context["adverse_events"]] == [ae2.pk]
    assert "Jaw clenching" not in page.content.decode()


def test_list_query_count_does_not_grow(
    login, therapist, participant1, reading1, django_assert_max_num_queries
):
    client = login(therapist)
    _draft(therapist, participant1, dosing_session=reading1.session, source_reading=reading1)
    client.get(LIST)
    with django_assert_max_num_queries(20) as one:
        client.get(LIST)
    for n in range(9):
        _draft(
            therapist,
            participant1,
            verbatim_term=f"Event {n}",
            dosing_session=reading1.session,
            source_reading=reading1,
        )
    with django_assert_max_num_queries(20) as ten:
        response = client.get(LIST)
    assert len(response.context["adverse_events"]) == 10
    assert len(ten.captured_queries) == len(one.captured_queries)


def test_service_refuses_a_reading_of_another_session(therapist, participant1, reading1):
    other = reading1.session.visit.participant.visits.get(code="D2").dosing_session
    with pytest.raises(ValidationError, match="reading of another session"):
        _draft(therapist, participant1, dosing_session=other, source_reading=reading1)
