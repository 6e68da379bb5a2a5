"""The medical monitor's review: the sponsor's assessment, SUSAR detection and its clocks, the
reports to the regulator, the review signature, and what returns a reviewed event to review."""

import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone

from audit.services import ConcurrentEditError
from queries import services as query_services
from safety import clocks, queue, review, services
from safety.models import (
    AdverseEvent,
    AdverseEventReview,
    ReferenceSafetyInformation,
    RegulatorySubmission,
)
from signatures.models import Signature
from tests.accounts.factories import TEST_PASSWORD
from tests.safety.factories import submitted

pytestmark = pytest.mark.django_db
SERIOUS = {"serious_hospitalisation": True, "severity_grade": AdverseEvent.Grade.SEVERE}


@pytest.fixture
def rsi(study, study_admin):
    return review.reference_safety_information_add(
        actor=study_admin,
        study=study,
        version="IB edition 7",
        effective_on=timezone.localdate() - datetime.timedelta(days=30),
        expected_terms="Nausea\nJaw clenching\n\nnausea\nMuscle tightness",
    )


@pytest.fixture
def serious(therapist, investigator, participant1):
    """Submitted: grade 3 nausea with hospitalisation, possibly related (investigator)."""
    return submitted(
        therapist,
        investigator,
        participant1,
        causality=AdverseEvent.Causality.POSSIBLE,
        **SERIOUS,
    )


def _assess(monitor, ae, **values):
    ae_review = AdverseEventReview.objects.get(adverse_event=ae)
    values = {
        "sponsor_causality": AdverseEvent.Causality.NOT_RELATED,
        "expected": False,
        "reference_safety_information": None,
        **values,
    }
    return review.review_assess(
        actor=monitor, review=ae_review, expected_version=ae_review.version, **values
    )


def _sign(monitor, ae, password=TEST_PASSWORD):
    ae_review = AdverseEventReview.objects.get(adverse_event=ae)
    return review.review_sign(
        actor=monitor, review=ae_review, password=password, expected_version=ae_review.version
    )


def test_a_submission_waits_for_review_and_starts_no_susar_clock(serious):
    ae_review = serious.review
    assert ae_review.state == AdverseEventReview.State.AWAITING
    assert serious.submitted_at is not None
    assert serious.serious_reported_at == serious.submitted_at
    assert [c.name for c in clocks.clocks(serious)] == ["24-hour report to the sponsor"]
    assert clocks.serious_clock(serious).met


def test_the_rsi_keeps_each_term_once_and_is_never_changed(rsi):
    assert rsi.terms == ["Nausea", "Jaw clenching", "Muscle tightness"]
    assert rsi.lists("  NAUSEA ")
    rsi.version = "changed"
    with pytest.raises(RuntimeError):
        rsi.save()


def test_only_the_study_administrator_adds_a_version(study, monitor):
    with pytest.raises(PermissionDenied):
        review.reference_safety_information_add(
            actor=monitor,
            study=study,
            version="v2",
            effective_on=timezone.localdate(),
            expected_terms="Nausea",
        )


def test_the_more_conservative_causality_decides_and_makes_a_susar(serious, monitor, rsi):
    """The investigator says possible, the sponsor not related: related; unexpected and serious,
    a SUSAR, whose 15-day clock starts on the day of the assessment."""
    assessed = _assess(monitor, serious, reference_safety_information=rsi)
    assert assessed.state == AdverseEventReview.State.UNDER_REVIEW
    assert assessed.related is True and assessed.is_susar
    assert assessed.susar_since is not None
    assert not assessed.susar_fatal_or_life_threatening
    [sae, susar] = clocks.clocks(serious, assessed, [])
    day0 = assessed.susar_since.astimezone(serious.participant.site.zoneinfo).date()
    assert susar.name == "SUSAR report, 15 days"
    assert susar.due_local.date() == day0 + datetime.timedelta(days=15)
    assert susar.running and not susar.late()


def test_a_fatal_or_life_threatening_susar_has_a_7_day_clock_and_a_follow_up_by_day_15(
    therapist, investigator, participant1, monitor
):
    ae = submitted(
        therapist,
        investigator,
        participant1,
        causality=AdverseEvent.Causality.PROBABLE,
        serious_life_threatening=True,
        severity_grade=AdverseEvent.Grade.LIFE_THREATENING,
    )
    assessed = _assess(monitor, ae)
    day0 = assessed.susar_since.astimezone(ae.participant.site.zoneinfo).date()
    initial, follow_up = clocks.susar_clocks(ae, assessed, [])
    assert initial.due_local.date() == day0 + datetime.timedelta(days=7)
    assert follow_up.due_local.date() == day0 + datetime.timedelta(days=15)


def test_expected_or_unrelated_is_no_susar(serious, monitor):
    assert not _assess(monitor, serious, expected=True).is_susar
    ae = AdverseEvent.objects.get(pk=serious.pk)
    ae.review.refresh_from_db()
    assert ae.review.susar_since is None


def test_a_non_serious_event_is_never_a_susar_nor_reported_to_the_regulator(
    therapist, investigator, participant1, monitor
):
    ae = submitted(therapist, investigator, participant1, causality=AdverseEvent.Causality.DEFINITE)
    assessed = _assess(monitor, ae, sponsor_causality=AdverseEvent.Causality.DEFINITE)
    assert assessed.related and assessed.expected is False
    assert not assessed.is_susar and assessed.susar_since is None
    with pytest.raises(review.ReviewError, match="not one"):
        review.regulatory_submission_record(
            actor=monitor,
            adverse_event=ae,
            kind=RegulatorySubmission.Kind.INITIAL,
            submitted_on=timezone.localdate(),
            reference="EU-2026-1",
        )


def test_recording_the_submission_stops_the_clock(serious, monitor):
    _assess(monitor, serious)
    ae = AdverseEvent.objects.get(pk=serious.pk)
    submission = review.regulatory_submission_record(
        actor=monitor,
        adverse_event=ae,
        kind=RegulatorySubmission.Kind.INITIAL,
        submitted_on=timezone.localdate(),
        reference=" EU-2026-0042 ",
    )
    assert submission.reference == "EU-2026-0042"
    [susar] = clocks.susar_clocks(ae)
    assert susar.met and not susar.running
    with pytest.raises(ValidationError, match="recorded already"):
        review.regulatory_submission_record(
            actor=monitor,
            adverse_event=ae,
            kind=RegulatorySubmission.Kind.INITIAL,
            submitted_on=timezone.localdate(),
            reference="again",
        )
    with pytest.raises(review.ReviewError, match="fatal or life-threatening"):
        review.regulatory_submission_record(
            actor=monitor,
            adverse_event=ae,
            kind=RegulatorySubmission.Kind.FOLLOW_UP,
            submitted_on=timezone.localdate(),
            reference="EU-2026-0043",
        )


@pytest.mark.parametrize(
    ("days", "reference", "field", "message"),
    [
        (-3, "EU-1", "submitted_on", "before the event became a SUSAR"),
        (3, "EU-1", "submitted_on", "in the future"),
        (0, "  ", "reference", "reference number"),
    ],
)
def test_a_submission_dated_before_day_0_or_in_the_future_or_without_reference_is_refused(
    serious, monitor, days, reference, field, message
):
    _assess(monitor, serious)
    with pytest.raises(ValidationError) as refused:
        review.regulatory_submission_record(
            actor=monitor,
            adverse_event=AdverseEvent.objects.get(pk=serious.pk),
            kind=RegulatorySubmission.Kind.INITIAL,
            submitted_on=timezone.localdate() + datetime.timedelta(days=days),
            reference=reference,
        )
    assert message in " ".join(refused.value.message_dict[field])
    assert not RegulatorySubmission.objects.exists()


def test_site_staff_cannot_assess_sign_or_record(serious, therapist, investigator):
    ae_review = serious.review
    for actor in (therapist, investigator):
        with pytest.raises(PermissionDenied):
            review.review_assess(
                actor=actor,
                review=ae_review,
                expected_version=ae_review.version,
                sponsor_causality="",
                expected=None,
                reference_safety_information=None,
            )
        with pytest.raises(PermissionDenied):
            review.review_sign(
                actor=actor, review=ae_review, password=TEST_PASSWORD, expected_version=1
            )


def test_the_review_signature_needs_a_complete_assessment(serious, monitor):
    with pytest.raises(ValidationError) as refused:
        _sign(monitor, serious)
    assert set(refused.value.message_dict) == {
        "sponsor_causality",
        "expected",
        "reference_safety_information",
    }


def test_an_open_query_blocks_the_review_signature(serious, monitor, therapist, rsi):
    _assess(monitor, serious, reference_safety_information=rsi)
    query = query_services.query_raise(
        actor=monitor, record=serious, field_name="severity_grade", text="Grade 3 or 4?"
    )
    with pytest.raises(review.ReviewError, match="close them"):
        _sign(monitor, serious)
    query_services.query_answer(actor=therapist, query=query, text="Grade 3, as reported.")
    with pytest.raises(review.ReviewError, match="close them"):
        _sign(monitor, serious)
    query.refresh_from_db()
    query_services.query_answer_read(actor=monitor, query=query)
    query.refresh_from_db()
    query_services.query_close(actor=monitor, query=query)
    signature = _sign(monitor, serious)
    assert signature.meaning == Signature.Meaning.REVIEWED
    assert AdverseEventReview.objects.get(adverse_event=serious).state == "reviewed"
    with pytest.raises(review.ReviewError, match="signed already"):
        _sign(monitor, serious)


def test_a_wrong_password_signs_nothing(serious, monitor, rsi):
    _assess(monitor, serious, reference_safety_information=rsi)
    with pytest.raises(Exception, match="password is not correct"):
        _sign(monitor, serious, password="wrong")
    assert AdverseEventReview.objects.get(adverse_event=serious).state == "under_review"
    assert not Signature.objects.filter(meaning=Signature.Meaning.REVIEWED).exists()


def test_a_follow_up_after_the_review_returns_it_to_review(
    serious, monitor, rsi, therapist, investigator
):
    _assess(monitor, serious, reference_safety_information=rsi)
    signature = _sign(monitor, serious)
    ae = AdverseEvent.objects.get(pk=serious.pk)
    report = services.adverse_event_follow_up_save(
        actor=therapist,
        adverse_event=ae,
        reason="Discharged home",
        final=False,
        expected_version=ae.version,
        expected_report_version=None,
        treatment="IV fluids",
    )
    services.adverse_event_follow_up_sign(
        actor=investigator,
        adverse_event=ae,
        password=TEST_PASSWORD,
        expected_version=report.version,
    )
    returned = AdverseEventReview.objects.get(adverse_event=ae)
    assert returned.state == AdverseEventReview.State.UNDER_REVIEW
    assert returned.returned_at is not None
    signature.refresh_from_db()
    assert signature.voided_at is not None and "follow-up 1" in signature.void_reason


def test_a_changed_assessment_after_signing_voids_the_review_signature(serious, monitor, rsi):
    _assess(monitor, serious, reference_safety_information=rsi)
    signature = _sign(monitor, serious)
    with pytest.raises(ValidationError, match="say why"):
        _assess(monitor, serious, reference_safety_information=rsi, expected=True)
    _assess(
        monitor,
        serious,
        reference_safety_information=rsi,
        expected=True,
        reason="Nausea is listed in edition 7",
    )
    signature.refresh_from_db()
    assert signature.voided_at is not None
    assert "Nausea is listed in edition 7" in signature.void_reason
    assert AdverseEventReview.objects.get(adverse_event=serious).state == "under_review"


def test_a_stale_assessment_is_refused(serious, monitor):
    ae_review = serious.review
    _assess(monitor, serious)
    with pytest.raises(ConcurrentEditError):
        review.review_assess(
            actor=monitor,
            review=ae_review,
            expected_version=ae_review.version,
            sponsor_causality=AdverseEvent.Causality.DEFINITE,
            expected=True,
            reference_safety_information=None,
        )


def test_an_rsi_of_another_study_is_refused(serious, monitor, other_study_rsi):
    with pytest.raises(ValidationError, match="another study"):
        _assess(monitor, serious, reference_safety_information=other_study_rsi)


@pytest.fixture
def other_study_rsi(study_admin):
    from tests.accounts.factories import StudyFactory

    other = StudyFactory()
    return ReferenceSafetyInformation.objects.create(
        study=other,
        version="Other IB",
        effective_on=timezone.localdate(),
        expected_terms="Nausea",
        created_by=study_admin,
    )


# The pages.


def test_opening_a_second_event_from_the_same_reading_names_the_first(
    login, therapist, investigator, participant1
):
    from tests.sessions_app.factories import dosed_session_of

    session = dosed_session_of(participant1, therapist, investigator)
    from sessions_app.services import flowsheet

    reading = flowsheet.vital_sign_record(
        actor=therapist,
        session=session,
        measured_at=timezone.now() - datetime.timedelta(minutes=5),
        systolic=175,
        diastolic=90,
    )
    client = login(therapist)
    url = reverse("safety:ae_create") + f"?reading={reading.pk}"
    assert b'data-testid="reading-events"' not in client.get(url).content
    first = services.adverse_event_draft_create(
        actor=therapist,
        participant=participant1,
        source_reading=reading,
        verbatim_term="Hypertension",
        onset_at=reading.measured_at,
        description="",
    )
    page = client.get(url).content.decode()
    assert 'data-testid="reading-events"' in page and f"AE {first.pk}" in page


def test_the_review_page_saves_the_assessment(login, serious, monitor, rsi):
    client = login(monitor)
    url = reverse("safety:ae_review", args=[serious.pk])
    page = client.get(url)
    assert page.status_code == 200
    assert b"24-hour report to the sponsor: met" in page.content
    data = {
        "version": serious.review.version,
        "sponsor_causality": "unlikely",
        "reference_safety_information": rsi.pk,
        "expected": "False",
        "meddra_llt_code": "10028813",
        "meddra_llt_term": "Nausea",
        "meddra_pt_code": "10028813",
        "meddra_pt_term": "Nausea",
        "meddra_version": "27.1",
    }
    response = client.post(url, data, follow=True)
    assert b"Assessment saved" in response.content
    assert b"SUSAR report, 15 days" in response.content
    saved = AdverseEventReview.objects.get(adverse_event=serious)
    assert saved.meddra_pt_code == "10028813" and saved.is_susar


def test_a_bad_meddra_code_is_refused_beside_its_field_and_kept(login, serious, monitor):
    client = login(monitor)
    url = reverse("safety:ae_review", args=[serious.pk])
    data = {
        "version": serious.review.version,
        "sponsor_causality": "possible",
        "expected": "",
        "meddra_llt_code": "1002881",
        "meddra_llt_term": "Nausea",
        "meddra_pt_code": "10028813",
        "meddra_pt_term": "Nausea",
        "meddra_version": "27.1",
    }
    response = client.post(url, data)
    assert response.status_code == 200
    form = response.context["assessment_form"]
    assert form.errors["meddra_llt_code"] == ["A MedDRA code is 8 digits, the first a 1."]
    assert b'value="1002881"' in response.content
    assert AdverseEventReview.objects.get(adverse_event=serious).sponsor_causality == ""


def test_a_code_without_its_term_or_a_term_without_its_code_is_refused_beside_it(
    login, serious, monitor
):
    client = login(monitor)
    url = reverse("safety:ae_review", args=[serious.pk])
    data = {
        "version": serious.review.version,
        "sponsor_causality": "possible",
        "expected": "",
        "meddra_llt_code": "",
        "meddra_llt_term": "Queasiness",
        "meddra_pt_code": "10028813",
        "meddra_pt_term": "  ",
        "meddra_version": "27.1",
    }
    response = client.post(url, data)
    assert response.status_code == 200
    form = response.context["assessment_form"]
    assert form.errors["meddra_pt_term"] == [review.MEDDRA_TERM_MISSING]
    assert form.errors["meddra_llt_code"] == [review.MEDDRA_CODE_MISSING]
    assert b'value="Queasiness"' in response.content  # what was typed is kept
    assert not AdverseEventReview.objects.get(adverse_event=serious).meddra_pt_code


def test_the_review_page_signs_and_refuses_a_wrong_password_beside_it(login, serious, monitor, rsi):
    _assess(monitor, serious, reference_safety_information=rsi)
    client = login(monitor)
    version = AdverseEventReview.objects.get(adverse_event=serious).version
    sign = reverse("safety:ae_review_sign", args=[serious.pk])
    response = client.post(sign, {"version": version, "password": "wrong"})
    assert response.status_code == 200
    assert "password is not correct" in str(response.context["sign_form"].errors["password"])
    response = client.post(sign, {"version": version, "password": TEST_PASSWORD}, follow=True)
    assert b"Review signed" in response.content
    assert AdverseEventReview.objects.get(adverse_event=serious).state == "reviewed"


def test_the_regulatory_form_refuses_a_future_date_beside_it(login, serious, monitor):
    _assess(monitor, serious)
    client = login(monitor)
    url = reverse("safety:ae_regulatory", args=[serious.pk])
    future = timezone.localdate() + datetime.timedelta(days=5)
    data = {"kind": "initial", "submitted_on": future.isoformat(), "reference": "EU-9"}
    response = client.post(url, data)
    assert response.status_code == 200
    assert "in the future" in str(response.context["regulatory_form"].errors["submitted_on"])
    assert b'value="EU-9"' in response.content
    data["submitted_on"] = timezone.localdate().isoformat()
    response = client.post(url, data, follow=True)
    assert b"its clock is stopped" in response.content
    assert b"SUSAR report, 15 days: met" in response.content


def test_the_monitor_cannot_change_the_sites_report(login, serious, monitor):
    client = login(monitor)
    for name in ("safety:ae_edit", "safety:ae_follow_up", "safety:ae_follow_up_sign"):
        assert client.get(reverse(name, args=[serious.pk])).status_code == 403
        assert client.post(reverse(name, args=[serious.pk]), {}).status_code == 403


def test_the_rsi_page_adds_a_version_and_refuses_a_repeated_one(login, study_admin, rsi):
    client = login(study_admin)
    url = reverse("safety:rsi")
    data = {"version": "IB edition 7", "effective_on": "2026-11-01", "expected_terms": "Nausea"}
    response = client.post(url, data)
    assert response.status_code == 200
    assert "already" in str(response.context["form"].errors)
    response = client.post(url, {**data, "expected_terms": ""})
    assert "expected_terms" in response.context["form"].errors
    response = client.post(url, {**data, "version": "IB edition 8"}, follow=True)
    assert b"IB edition 8" in response.content
    assert ReferenceSafetyInformation.objects.count() == 2


def test_the_monitor_reads_the_rsi_but_cannot_add(login, monitor, rsi):
    client = login(monitor)
    assert b"IB edition 7" in client.get(reverse("safety:rsi")).content
    data = {"version": "v9", "effective_on": "2026-11-01", "expected_terms": "Nausea"}
    assert client.post(reverse("safety:rsi"), data).status_code == 403


def _follow_up(therapist, investigator, ae, **changes):
    """A follow-up report drafted by the therapist with `changes`, signed by the investigator."""
    ae = AdverseEvent.objects.get(pk=ae.pk)
    report = services.adverse_event_follow_up_save(
        actor=therapist,
        adverse_event=ae,
        reason="New information",
        final=False,
        expected_version=ae.version,
        expected_report_version=None,
        **changes,
    )
    services.adverse_event_follow_up_sign(
        actor=investigator, adverse_event=ae, password=TEST_PASSWORD, expected_version=1
    )
    return report


def _days_ago(ae_review, days):
    """The review as if it had become a SUSAR `days` ago."""
    ae_review = AdverseEventReview.objects.get(pk=ae_review.pk)
    ae_review.susar_since = timezone.now() - datetime.timedelta(days=days)
    ae_review.save()
    return ae_review


def test_the_investigators_related_answer_makes_a_susar_before_the_sponsor_answers(
    therapist, investigator, participant1, monitor
):
    ae = submitted(
        therapist, investigator, participant1, causality=AdverseEvent.Causality.PROBABLE, **SERIOUS
    )
    assessed = _assess(monitor, ae, sponsor_causality="")
    assert assessed.related is True and assessed.susar and assessed.susar_since is not None


def test_the_sponsor_may_be_the_more_conservative(therapist, investigator, participant1, monitor):
    ae = submitted(
        therapist,
        investigator,
        participant1,
        causality=AdverseEvent.Causality.NOT_RELATED,
        **SERIOUS,
    )
    assert _assess(monitor, ae, sponsor_causality="").related is None
    assessed = _assess(monitor, ae, sponsor_causality=AdverseEvent.Causality.POSSIBLE)
    assert assessed.related is True and assessed.susar
    assert not _assess(monitor, ae, sponsor_causality=AdverseEvent.Causality.UNLIKELY).related


def test_day_0_does_not_move_later_when_the_assessment_goes_back_and_forth(serious, monitor):
    ae_review = _days_ago(_assess(monitor, serious), 20)
    since = ae_review.susar_since
    assert not _assess(monitor, serious, expected=True).susar
    assert clocks.susar_clocks(AdverseEvent.objects.get(pk=serious.pk)) == []
    again = _assess(monitor, serious, expected=False)
    assert again.susar and again.susar_since == since
    [clock] = clocks.susar_clocks(AdverseEvent.objects.get(pk=serious.pk))
    assert clock.state() == "overdue"


def test_found_life_threatening_later_its_7_day_clock_starts_then(
    serious, monitor, therapist, investigator
):
    _days_ago(_assess(monitor, serious), 10)
    _follow_up(therapist, investigator, serious, serious_life_threatening=True)
    ae = AdverseEvent.objects.get(pk=serious.pk)
    initial, follow_up = clocks.susar_clocks(ae)
    assert initial.name == "SUSAR report, 7 days"
    assert initial.state() == "running"
    today = timezone.localdate(timezone=ae.participant.site.zoneinfo)
    assert initial.due_local.date() == today + datetime.timedelta(days=7)


def test_found_life_threatening_after_its_report_its_follow_up_is_due_7_days_from_then(
    serious, monitor, therapist, investigator, rsi
):
    """Reported to the regulator as a 15-day SUSAR; the site's follow-up then says it was life
    threatening: the follow-up report is due 7 days from the day the sponsor learnt it (not from
    the first day 0, long past), in the clocks, the review queue and the refusals."""
    ae_review = _days_ago(_assess(monitor, serious), 12)
    ae = AdverseEvent.objects.get(pk=serious.pk)
    zone = ae.participant.site.zoneinfo
    day0 = ae_review.susar_since.astimezone(zone).date()
    review.regulatory_submission_record(
        actor=monitor,
        adverse_event=ae,
        kind=RegulatorySubmission.Kind.INITIAL,
        submitted_on=day0 + datetime.timedelta(days=3),
        reference="EU-2026-0100",
    )
    with pytest.raises(review.ReviewError):  # no follow-up clock yet
        review.regulatory_submission_record(
            actor=monitor,
            adverse_event=ae,
            kind=RegulatorySubmission.Kind.FOLLOW_UP,
            submitted_on=timezone.localdate(timezone=zone),
            reference="EU-2026-0100-1",
        )
    _follow_up(therapist, investigator, serious, serious_life_threatening=True)

    ae = AdverseEvent.objects.get(pk=serious.pk)
    upgraded = ae.review
    assert upgraded.susar_since == ae_review.susar_since  # the report's day 0 stays
    assert upgraded.susar_fatal_or_life_threatening and upgraded.susar_fatal_since is not None
    initial, follow_up = clocks.susar_clocks(ae)
    assert initial.name == "SUSAR report, 15 days" and initial.met
    today = timezone.localdate(timezone=zone)
    assert follow_up.running and follow_up.state() == "running"
    assert follow_up.due_local.date() == today + datetime.timedelta(days=7)
    [queued] = queue.with_susar_clock(AdverseEvent.objects.filter(pk=ae.pk))
    assert (queued.clock_due_at, queued.clock_overdue) == (follow_up.due_at, False)

    with pytest.raises(ValidationError, match="before the event was found fatal"):
        review.regulatory_submission_record(
            actor=monitor,
            adverse_event=ae,
            kind=RegulatorySubmission.Kind.FOLLOW_UP,
            submitted_on=today - datetime.timedelta(days=1),
            reference="EU-2026-0100-1",
        )
    review.regulatory_submission_record(
        actor=monitor,
        adverse_event=ae,
        kind=RegulatorySubmission.Kind.FOLLOW_UP,
        submitted_on=today,
        reference="EU-2026-0100-1",
    )
    assert [clock.met for clock in clocks.susar_clocks(AdverseEvent.objects.get(pk=ae.pk))] == [
        True,
        True,
    ]


def test_no_longer_serious_after_its_report_no_susar_clock_runs(
    therapist, investigator, participant1, monitor
):
    ae = submitted(
        therapist,
        investigator,
        participant1,
        causality=AdverseEvent.Causality.PROBABLE,
        serious_life_threatening=True,
        severity_grade=AdverseEvent.Grade.LIFE_THREATENING,
    )
    _assess(monitor, ae)
    review.regulatory_submission_record(
        actor=monitor,
        adverse_event=AdverseEvent.objects.get(pk=ae.pk),
        kind=RegulatorySubmission.Kind.INITIAL,
        submitted_on=timezone.localdate(),
        reference="EU-7",
    )
    _follow_up(
        therapist,
        investigator,
        ae,
        serious_life_threatening=False,
        severity_grade=AdverseEvent.Grade.MODERATE,
    )
    ae = AdverseEvent.objects.get(pk=ae.pk)
    assert not ae.is_serious and not ae.review.susar
    [reported] = clocks.susar_clocks(ae)
    assert reported.met  # the report made stays shown; the follow-up clock no longer runs


def test_serious_from_a_follow_up_its_clock_starts_when_the_site_knew(
    therapist, investigator, participant1
):
    ae = submitted(
        therapist,
        investigator,
        participant1,
        onset_at=timezone.now() - datetime.timedelta(days=4),
        aware_at=timezone.now() - datetime.timedelta(days=3),
    )
    assert clocks.serious_clock(ae) is None
    _follow_up(therapist, investigator, ae, serious_hospitalisation=True)
    clock = clocks.serious_clock(AdverseEvent.objects.get(pk=ae.pk))
    assert clock.met and not clock.late()


def test_a_follow_up_moving_the_awareness_does_not_make_a_late_report_met(
    therapist, investigator, participant1
):
    ae = submitted(
        therapist,
        investigator,
        participant1,
        onset_at=timezone.now() - datetime.timedelta(days=4),
        aware_at=timezone.now() - datetime.timedelta(days=3),
        **SERIOUS,
    )
    assert clocks.serious_clock(ae).state() == "late"
    _follow_up(therapist, investigator, ae, aware_at=timezone.now() - datetime.timedelta(hours=1))
    assert clocks.serious_clock(AdverseEvent.objects.get(pk=ae.pk)).state() == "late"


def test_a_regulatory_submission_is_never_deleted(serious, monitor):
    _assess(monitor, serious)
    review.regulatory_submission_record(
        actor=monitor,
        adverse_event=AdverseEvent.objects.get(pk=serious.pk),
        kind=RegulatorySubmission.Kind.INITIAL,
        submitted_on=timezone.localdate(),
        reference="EU-8",
    )
    with pytest.raises(RuntimeError):
        RegulatorySubmission.objects.all().delete()
    assert RegulatorySubmission.objects.count() == 1


def test_an_administrator_of_two_studies_chooses_the_study(login, study, study_admin):
    from accounts.models import Role
    from tests.accounts.factories import MembershipFactory, StudyFactory

    other = StudyFactory()
    MembershipFactory(user=study_admin, role=Role.STUDY_ADMIN, site=None, study=other)
    client = login(study_admin)
    data = {
        "study": other.pk,
        "version": "Other IB 1",
        "effective_on": "2026-11-01",
        "expected_terms": "Nausea",
    }
    client.post(reverse("safety:rsi"), data)
    assert ReferenceSafetyInformation.objects.get(version="Other IB 1").study == other


def test_a_version_not_yet_in_effect_is_refused(serious, monitor, study, study_admin):
    later = review.reference_safety_information_add(
        actor=study_admin,
        study=study,
        version="IB edition 9",
        effective_on=timezone.localdate() + datetime.timedelta(days=30),
        expected_terms="Nausea",
    )
    with pytest.raises(ValidationError, match="not in effect yet"):
        _assess(monitor, serious, reference_safety_information=later)


def test_a_version_name_differing_only_in_capitals_is_refused(study, study_admin, rsi):
    with pytest.raises(ValidationError, match="whatever its capitals"):
        review.reference_safety_information_add(
            actor=study_admin,
            study=study,
            version=" ib EDITION 7 ",
            effective_on=timezone.localdate(),
            expected_terms="Nausea",
        )


def test_a_fatal_event_is_not_ongoing_and_its_report_gives_the_death(
    therapist, investigator, participant1
):
    from tests.safety.factories import draft

    death = {"serious_death": True, "severity_grade": 5, "outcome": "fatal"}
    with pytest.raises(ValidationError) as refused:
        draft(therapist, participant1, ended_at=None, ongoing=True, **death)
    assert "untick 'ongoing'" in refused.value.message_dict["ongoing"][0]
    ae = draft(therapist, participant1, ended_at=None, **death)
    with pytest.raises(ValidationError) as refused:
        services.adverse_event_submit(
            actor=investigator,
            adverse_event=ae,
            password=TEST_PASSWORD,
            expected_version=ae.version,
        )
    assert "date and time of death" in refused.value.message_dict["ended_at"][0]


def test_the_clocks_name_every_seriousness_criterion():
    from safety.models import SERIOUSNESS_CRITERIA

    assert clocks.SERIOUSNESS_FIELDS == tuple(name for name, _ in SERIOUSNESS_CRITERIA)
