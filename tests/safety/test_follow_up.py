"""After the submission nothing is overwritten: each change is a follow-up report, drafted by the
site's staff, signed by the investigator, shown field by field; a final one closes the event."""

import datetime
import html
import uuid

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone

from audit.services import STALE_MESSAGE, ConcurrentEditError
from safety import services
from safety.models import AdverseEvent, AdverseEventReport
from signatures.models import Signature
from signatures.selectors import signatures_for
from tests.safety.factories import draft, form_data, submitted

pytestmark = pytest.mark.django_db


@pytest.fixture
def ae1(therapist, investigator, participant1):
    """Submitted: grade 2 nausea, not serious, ongoing and recovering."""
    return submitted(
        therapist,
        investigator,
        participant1,
        ended_at=None,
        ongoing=True,
        outcome=AdverseEvent.Outcome.RECOVERING,
    )


def _follow_up_post(ae, reason="New information from the GP", final=False, **changes):
    data = {**form_data(ae), "report_version": "", "reason": reason, **changes}
    if final:
        data["final"] = "on"
    return data


def _save(actor, ae, reason, expected_report_version=None, **values):
    """Draft (or change the draft of) the event's follow-up, not final, at `ae`'s version."""
    return services.adverse_event_follow_up_save(
        actor=actor,
        adverse_event=ae,
        reason=reason,
        final=False,
        expected_version=ae.version,
        expected_report_version=expected_report_version,
        **values,
    )


def _sign(investigator, ae, password, report):
    return services.adverse_event_follow_up_sign(
        actor=investigator, adverse_event=ae, password=password, expected_version=report.version
    )


def test_the_therapist_drafts_a_follow_up_and_the_investigator_signs_it(
    login, therapist, investigator, password, ae1
):
    ended = timezone.now() - datetime.timedelta(minutes=30)
    client = login(therapist)
    url = reverse("safety:ae_follow_up", args=[ae1.pk])
    assert client.get(url).status_code == 200
    response = client.post(
        url,
        _follow_up_post(
            ae1,
            severity_grade="3",
            serious_hospitalisation="True",
            ongoing="",
            ended_at=ended.strftime("%Y-%m-%dT%H:%M"),
            outcome="recovered",
        ),
    )
    assert response.status_code == 302
    ae1.refresh_from_db()
    assert ae1.severity_grade == 2  # nothing changes until it is signed
    report = AdverseEventReport.objects.get(adverse_event=ae1, number=1)
    assert report.signed_at is None and report.drafted_by == therapist
    assert set(report.changes) == {
        "severity_grade",
        "serious_hospitalisation",
        "ongoing",
        "ended_at",
        "outcome",
    }
    assert report.changes["severity_grade"] == {"old": 2, "new": 3}
    # The therapist cannot sign it.
    sign_url = reverse("safety:ae_follow_up_sign", args=[ae1.pk])
    assert client.get(sign_url).status_code == 403
    with pytest.raises(PermissionDenied):
        _sign(therapist, ae1, password, report)

    client = login(investigator)
    page = client.get(sign_url)
    assert page.status_code == 200
    # In the order of the report form, whatever order the database keeps them in.
    assert [c.field for c in page.context["pending_changes"]] == [
        "ended_at",
        "ongoing",
        "severity_grade",
        "serious_hospitalisation",
        "outcome",
    ]
    response = client.post(sign_url, {"password": password, "version": report.version})
    assert response.status_code == 302
    ae1.refresh_from_db()
    assert ae1.severity_grade == 3 and ae1.is_serious is True
    assert ae1.outcome == "recovered" and ae1.status == AdverseEvent.Status.SUBMITTED
    report.refresh_from_db()
    assert report.signed_by == investigator
    assert signatures_for(record=report).get().meaning == Signature.Meaning.APPROVED

    detail = client.get(reverse("safety:ae_detail", args=[ae1.pk]))
    reports = detail.context["reports"]
    assert [r.label for r, _ in reports] == ["Initial report", "Follow-up 1"]
    changes = {c.field: (c.old, c.new) for c in reports[1][1]}
    assert changes["severity_grade"] == (
        str(AdverseEvent.Grade.MODERATE.label),
        str(AdverseEvent.Grade.SEVERE.label),
    )
    assert changes["serious_hospitalisation"] == ("No", "Yes")
    assert changes["outcome"] == ("Recovering", "Recovered")
    assert "verbatim_term" not in changes  # only what changed
    assert "New information from the GP" in detail.content.decode()
    # The initial report still says what was first reported.
    initial = {c.field: c.new for c in reports[0][1]}
    assert initial["severity_grade"] == str(AdverseEvent.Grade.MODERATE.label)


def test_a_wrong_password_signs_nothing(login, therapist, investigator, ae1):
    report = services.adverse_event_follow_up_save(
        actor=therapist,
        adverse_event=ae1,
        reason="Worse",
        final=False,
        expected_version=ae1.version,
        expected_report_version=None,
        severity_grade=3,
    )
    response = login(investigator).post(
        reverse("safety:ae_follow_up_sign", args=[ae1.pk]),
        {"password": "wrong", "version": report.version},
    )
    assert response.status_code == 200
    assert "password is not correct" in response.context["form"].errors["password"][0]
    ae1.refresh_from_db()
    assert ae1.severity_grade == 2
    report.refresh_from_db()
    assert report.signed_at is None


def test_a_final_follow_up_closes_the_event(therapist, investigator, password, ae1):
    with pytest.raises(ValidationError) as refused:
        services.adverse_event_follow_up_save(
            actor=therapist,
            adverse_event=ae1,
            reason="Still recovering",
            final=True,
            expected_version=ae1.version,
            expected_report_version=None,
        )
    assert refused.value.message_dict["final"] == [services.FINAL_NEEDS_OUTCOME]
    report = services.adverse_event_follow_up_save(
        actor=therapist,
        adverse_event=ae1,
        reason="Resolved",
        final=True,
        expected_version=ae1.version,
        expected_report_version=None,
        ongoing=False,
        ended_at=timezone.now() - datetime.timedelta(minutes=5),
        outcome=AdverseEvent.Outcome.RECOVERED,
    )
    _sign(investigator, ae1, password, report)
    ae1.refresh_from_db()
    assert ae1.status == AdverseEvent.Status.CLOSED
    with pytest.raises(services.AdverseEventError, match="closed"):
        services.adverse_event_follow_up_save(
            actor=therapist,
            adverse_event=ae1,
            reason="More",
            final=False,
            expected_version=ae1.version,
            expected_report_version=None,
            treatment="More",
        )


def test_a_follow_up_that_changes_nothing_is_refused(login, therapist, ae1):
    response = login(therapist).post(
        reverse("safety:ae_follow_up", args=[ae1.pk]), _follow_up_post(ae1)
    )
    assert response.status_code == 200
    assert response.content.decode().count(services.NOTHING_CHANGED) == 1  # said once
    assert not AdverseEventReport.objects.filter(number=1).exists()


def test_a_follow_up_needs_its_reason_and_keeps_the_rules(login, therapist, ae1):
    response = login(therapist).post(
        reverse("safety:ae_follow_up", args=[ae1.pk]),
        _follow_up_post(ae1, reason="", severity_grade="5"),
    )
    errors = response.context["form"].errors
    assert errors["reason"] == [services.FOLLOW_UP_REASON]
    response = login(therapist).post(
        reverse("safety:ae_follow_up", args=[ae1.pk]),
        _follow_up_post(ae1, severity_grade="5", treatment="Kept"),
    )
    assert "Grade 5 is a death" in response.context["form"].errors["severity_grade"][0]
    assert "Kept" in response.content.decode()


def test_the_draft_follow_up_is_edited_until_signed_and_concurrent_saves_are_refused(
    login, therapist, investigator, ae1
):
    url = reverse("safety:ae_follow_up", args=[ae1.pk])
    mine = _follow_up_post(ae1, severity_grade="3", reason="Mine")
    theirs = _follow_up_post(ae1, severity_grade="1", reason="Theirs")
    assert login(investigator).post(url, theirs).status_code == 302
    response = login(therapist).post(url, mine)
    assert response.status_code == 200
    assert response.context["conflict"] is True
    page = response.content.decode()
    assert "changed by someone else" in page
    assert "Mine" in page and "Theirs" in page
    report = AdverseEventReport.objects.get(number=1)
    assert report.reason == "Theirs"
    # Saving again from the page shown is a deliberate change of the waiting follow-up.
    form = response.context["form"]
    again = {**mine, "report_version": form["report_version"].value()}
    assert login(therapist).post(url, again).status_code == 302
    report.refresh_from_db()
    assert report.reason == "Mine" and report.changes["severity_grade"]["new"] == 3
    assert AdverseEventReport.objects.filter(adverse_event=ae1).count() == 2


def test_the_investigator_signs_the_version_they_reviewed(therapist, investigator, password, ae1):
    reviewed = _save(therapist, ae1, "Worse", severity_grade=3).version
    _save(therapist, ae1, "Much worse", reviewed, severity_grade=4)
    with pytest.raises(ConcurrentEditError):
        services.adverse_event_follow_up_sign(
            actor=investigator, adverse_event=ae1, password=password, expected_version=reviewed
        )
    ae1.refresh_from_db()
    assert ae1.severity_grade == 2


def test_a_monitor_cannot_change_the_sites_report(login, monitor, ae1):
    client = login(monitor)
    for name in ("safety:ae_follow_up", "safety:ae_follow_up_sign", "safety:ae_edit"):
        assert client.get(reverse(name, args=[ae1.pk])).status_code == 403, name
    response = client.post(
        reverse("safety:ae_follow_up", args=[ae1.pk]), _follow_up_post(ae1, severity_grade="3")
    )
    assert response.status_code == 403
    with pytest.raises(PermissionDenied):
        services.adverse_event_follow_up_save(
            actor=monitor,
            adverse_event=ae1,
            reason="x",
            final=False,
            expected_version=ae1.version,
            expected_report_version=None,
            severity_grade=3,
        )
    assert AdverseEventReport.objects.count() == 1


def test_a_draft_has_no_follow_up(login, therapist, participant1):
    ae = draft(therapist, participant1)
    response = login(therapist).get(reverse("safety:ae_follow_up", args=[ae.pk]))
    assert response.status_code == 302
    assert response.url == reverse("safety:ae_edit", args=[ae.pk])


def test_the_investigators_worklist_asks_to_submit_drafts_and_sign_follow_ups(
    login, therapist, investigator, password, participant1, ae1
):
    waiting = draft(therapist, participant1, verbatim_term="Muscle tightness")
    services.adverse_event_follow_up_save(
        actor=therapist,
        adverse_event=ae1,
        reason="Worse",
        final=False,
        expected_version=ae1.version,
        expected_report_version=None,
        severity_grade=3,
    )
    client = login(investigator)
    body = client.get(reverse("home")).content.decode()
    assert "Submit the adverse event" in body
    assert reverse("safety:ae_submit", args=[waiting.pk]) in body
    assert "Sign the follow-up report" in body
    assert reverse("safety:ae_follow_up_sign", args=[ae1.pk]) in body
    _sign(investigator, ae1, password, AdverseEventReport.objects.get(number=1))
    body = client.get(reverse("home")).content.decode()
    assert "Sign the follow-up report" not in body


def test_a_follow_up_signed_twice_is_signed_once(login, therapist, investigator, password, ae1):
    report = services.adverse_event_follow_up_save(
        actor=therapist,
        adverse_event=ae1,
        reason="Worse",
        final=False,
        expected_version=ae1.version,
        expected_report_version=None,
        severity_grade=3,
    )
    url = reverse("safety:ae_follow_up_sign", args=[ae1.pk])
    client = login(investigator)
    data = {"password": password, "version": report.version, "submission_key": str(uuid.uuid4())}
    first, second = client.post(url, data), client.post(url, data)
    assert first.status_code == second.status_code == 302
    with pytest.raises(services.AdverseEventError, match="No follow-up"):
        _sign(investigator, ae1, password, report)
    assert signatures_for(record=report).count() == 1
    ae1.refresh_from_db()
    assert ae1.version == 3  # submitted (2), then this follow-up once (3)


def test_a_follow_up_of_an_onset_known_by_its_day_lists_only_what_changed(
    therapist, investigator, participant1
):
    participant1.site.time_zone = "America/Chicago"  # never UTC's offset
    participant1.site.save()
    onset = timezone.now() - datetime.timedelta(days=2)
    ae = submitted(
        therapist,
        investigator,
        participant1,
        onset_at=onset,
        onset_date_only=True,
        aware_at=onset,
        ended_at=None,
        ongoing=True,
        outcome=AdverseEvent.Outcome.RECOVERING,
    )

    # The onset read back from the database is the same instant as the one rebuilt at the site.
    with pytest.raises(ValidationError) as refused:
        _save(therapist, ae, "Seen at the clinic", onset_at=ae.onset_at)
    assert refused.value.messages == [services.NOTHING_CHANGED]
    report = _save(therapist, ae, "Seen at the clinic", outcome=AdverseEvent.Outcome.NOT_RECOVERED)
    assert set(report.changes) == {"outcome"}


def test_signing_a_follow_up_changed_since_it_was_opened_is_refused_once(
    login, therapist, investigator, password, ae1
):
    reviewed = _save(therapist, ae1, "Worse", severity_grade=3).version
    report = _save(therapist, ae1, "Much worse", reviewed, severity_grade=4)
    body = (
        login(investigator)
        .post(
            reverse("safety:ae_follow_up_sign", args=[ae1.pk]),
            {"password": password, "version": reviewed},
        )
        .content.decode()
    )
    assert body.count(html.escape(STALE_MESSAGE)) == 1
    assert not signatures_for(record=report).exists()
