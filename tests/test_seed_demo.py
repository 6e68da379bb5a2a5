"""`manage.py seed_demo`: the synthetic demo study, its accounts, what it writes to the trail.

Seeding goes through every service and takes seconds, so the tests that read the demo (or run
the command again in their own transaction, which is rolled back) share one seeded database per
class; tests that need the first run itself seed their own.
"""

import datetime
from collections import Counter
from io import StringIO

import pytest
from django.contrib.contenttypes.models import ContentType
from django.core.management import call_command
from django.db import transaction
from django.test import RequestFactory
from django.urls import reverse
from django.utils import timezone

from accounts.models import Membership, Role, Site, Study, User
from audit.chain import chain_verify
from audit.models import LogEntry
from participants.models import Participant, ParticipantIdentity
from screening.models import CriterionAnswer, ScreeningAttempt, StudyScreeningConfig
from sessions_app.models import (
    AlertNotification,
    DoseAdministration,
    DosingSession,
    IntegrationNote,
    Observation,
    Visit,
    VitalSignAlert,
    VitalSignReading,
)
from signatures.models import Signature

pytestmark = pytest.mark.django_db

DEMO_USERS = {
    # username: (role, site number or None for study-wide)
    "therapist": (Role.THERAPIST, "01"),
    "investigator": (Role.INVESTIGATOR, "01"),
    "therapist2": (Role.THERAPIST, "02"),
    "investigator2": (Role.INVESTIGATOR, "02"),
    "investigator3": (Role.INVESTIGATOR, "03"),
    "monitor": (Role.MONITOR, None),
    "sponsor": (Role.DATA_MANAGER, None),
    "admin": (Role.STUDY_ADMIN, None),
}
PASSWORD_HEADER = "Demo accounts (passwords are shown only now):"
UNCHANGED = "Demo accounts already exist; their passwords are unchanged."


def seed(*args):
    out = StringIO()
    call_command("seed_demo", *args, stdout=out)
    return out.getvalue()


def password_lines(output):
    """The `username password role` lines printed after the header, keyed by username."""
    if PASSWORD_HEADER not in output:
        return {}
    lines = output.split(PASSWORD_HEADER, 1)[1].strip().splitlines()
    return {line.split()[0]: line.split()[1] for line in lines if line.strip()}


def snapshot():
    counted = [
        Study,
        Site,
        User,
        Membership,
        Participant,
        ParticipantIdentity,
        ScreeningAttempt,
        CriterionAnswer,
        Visit,
        DosingSession,
        DoseAdministration,
        VitalSignReading,
        VitalSignAlert,
        AlertNotification,
        Observation,
        IntegrationNote,
        Signature,
        LogEntry,
    ]
    counts = {model.__name__: model.objects.count() for model in counted}
    counts["sessions by status"] = Counter(DosingSession.objects.values_list("status", flat=True))
    counts["attempts by status"] = Counter(
        ScreeningAttempt.objects.values_list("status", flat=True)
    )
    return counts


def demo_session():
    """The demo's dosing session that was held (the only one that has started)."""
    return DosingSession.objects.select_related("visit__participant__site").get(
        status=DosingSession.Status.ENDED
    )


def signatures_of(record):
    return Signature.objects.filter(
        content_type=ContentType.objects.get_for_model(record), object_pk=str(record.pk)
    )


@pytest.fixture(scope="class")
def demo(django_db_setup, django_db_blocker):
    """The output of one first run, in a transaction rolled back after the class's tests."""
    with django_db_blocker.unblock(), transaction.atomic():
        yield seed()
        transaction.set_rollback(True)


class TestDemoStudy:
    """What the first run of seed_demo leaves, and what a second run does to it."""

    def test_seed_demo_creates_the_study_with_three_sites(self, demo):
        study = Study.objects.get(code="MAPP-DEMO")
        assert sorted(study.sites.values_list("number", flat=True)) == ["01", "02", "03"]
        assert Study.objects.count() == 1

    def test_seed_demo_creates_one_account_per_role_at_the_right_site(self, demo):
        study = Study.objects.get(code="MAPP-DEMO")
        for username, (role, site_number) in DEMO_USERS.items():
            user = User.objects.get(username=username)
            memberships = list(user.memberships.all())
            assert len(memberships) == 1, username
            membership = memberships[0]
            assert membership.role == role, username
            assert membership.study == study, username
            assert membership.is_active, username
            if site_number is None:
                assert membership.site is None, username
            else:
                assert membership.site.number == site_number, username
            assert user.is_active, username
            assert user.has_usable_password(), username
            assert user.get_full_name(), username
        assert User.objects.get(username="admin").is_staff
        assert not User.objects.get(username="therapist").is_staff

    def test_seed_demo_creates_eight_participants_per_site_in_several_statuses_with_identities(
        self, demo
    ):
        participants = Participant.objects.filter(site__study__code="MAPP-DEMO")
        assert participants.count() == 24
        for number in ("01", "02", "03"):
            at_site = participants.filter(site__number=number)
            assert Counter(at_site.values_list("status", flat=True)) == {
                Participant.Status.ENROLLED: 3,
                Participant.Status.SCREENING: 2,
                Participant.Status.SCREEN_FAILED: 1,
                Participant.Status.COMPLETED: 1,
                Participant.Status.WITHDRAWN: 1,
            }, number
            # Participant IDs follow the site number; only enrolled (or later) participants
            # have one.
            codes = sorted(c for c in at_site.values_list("study_code", flat=True) if c)
            assert codes == [f"S{number}-{n:04d}" for n in range(1, 6)]
            for p in at_site:
                assert p.screening_number.startswith(f"SCR{number}-")
        assert not participants.filter(identity__isnull=True).exists()
        assert ParticipantIdentity.objects.filter(participant__in=participants).count() == 24
        for identity in ParticipantIdentity.objects.all():
            assert identity.given_name and identity.family_name and identity.date_of_birth

    def test_seed_demo_shows_a_withdrawal_and_a_missed_visit_at_each_site(self, demo):
        for number in ("01", "02", "03"):
            withdrawn = Participant.objects.get(
                site__number=number, status=Participant.Status.WITHDRAWN
            )
            assert withdrawn.enrolled_on <= withdrawn.withdrawn_on <= timezone.localdate()
            assert withdrawn.withdrawal_category == Participant.WithdrawalCategory.PARTICIPANT
            visits = Visit.objects.filter(participant=withdrawn).select_related("participant")
            assert not [v.code for v in visits if v.is_overdue]
            missed = Visit.objects.get(participant__site__number=number, status="missed")
            assert missed.code == "P2" and missed.missed_reason
            assert missed.participant.status == Participant.Status.ENROLLED

    def test_seed_demo_prints_each_new_random_password_once(self, demo):
        printed = password_lines(demo)
        assert set(printed) == set(DEMO_USERS)
        assert len(set(printed.values())) == len(DEMO_USERS), "each account gets its own password"
        for username, pw in printed.items():
            assert demo.count(pw) == 1
            assert User.objects.get(username=username).check_password(pw), username

    def test_seed_demo_second_run_creates_nothing_and_prints_no_passwords(self, demo):
        before = snapshot()
        passwords = password_lines(demo)

        second = seed()

        assert snapshot() == before
        assert PASSWORD_HEADER not in second
        assert UNCHANGED in second
        for username, pw in passwords.items():
            assert pw not in second
            assert User.objects.get(username=username).check_password(pw), "password unchanged"
        # No duplicate roles: still exactly one membership per demo account.
        assert Counter(Membership.objects.values_list("user__username", flat=True)) == {
            username: 1 for username in DEMO_USERS
        }

    def test_seed_demo_second_run_changes_nothing_in_the_clinical_data(self, demo):
        before = snapshot()

        seed()

        assert snapshot() == before
        assert before["attempts by status"] == {
            "draft": 3,
            "submitted": 3,
            "screen_failed": 3,
            "confirmed": 15,
        }
        assert before["sessions by status"][DosingSession.Status.ENDED] == 1
        assert before["VitalSignReading"] >= 16
        assert before["VitalSignAlert"] == 1 and before["IntegrationNote"] == 3

    def test_seed_demo_reset_passwords_gives_existing_accounts_new_passwords(self, demo):
        old = password_lines(demo)

        new = password_lines(seed("--reset-passwords"))

        assert set(new) == set(DEMO_USERS)
        for username in DEMO_USERS:
            assert new[username] != old[username]
            assert User.objects.get(username=username).check_password(new[username])

    def test_seed_demo_participant_audit_entries_name_the_sites_investigator_as_actor(self, demo):
        clinical_types = ContentType.objects.get_for_models(
            Participant, ParticipantIdentity
        ).values()
        entries = LogEntry.objects.filter(content_type__in=clinical_types)
        # 24 registrations each write a participant and an identity; enrolments and status
        # changes add updates.
        assert entries.filter(action=LogEntry.Action.CREATE).count() == 48
        assert entries.filter(action=LogEntry.Action.UPDATE).exists()
        for number, username in (("01", "investigator"), ("02", "investigator2")):
            at_site = Participant.objects.filter(site__number=number)
            actors = entries.filter(
                content_type=ContentType.objects.get_for_model(Participant),
                object_pk__in=[str(pk) for pk in at_site.values_list("pk", flat=True)],
            ).values_list("actor__username", flat=True)
            assert set(actors) == {username}, number

    def test_seed_demo_leaves_an_intact_audit_chain(self, demo):
        seed()

        report = chain_verify()
        assert report.ok, report.describe()
        assert report.checked == LogEntry.objects.count()

    def test_seed_demo_participant_audit_entries_carry_the_demo_reason(self, demo):
        clinical_types = ContentType.objects.get_for_models(
            Participant, ParticipantIdentity
        ).values()
        entries = LogEntry.objects.filter(content_type__in=clinical_types)
        assert not entries.filter(reason="").exists()
        # Every candidate is screened through the screening service, and registered with its
        # reason: each site's investigator confirms the eligibility of those enrolled.
        creates = entries.filter(action=LogEntry.Action.CREATE)
        assert creates.filter(reason="Screening started").count() == 2 * 24
        # A reason given for one change still wins over the surrounding one.
        failures = entries.filter(
            action=LogEntry.Action.UPDATE, reason__startswith="Screen failure: I3 CAPS-5"
        )
        assert failures.count() == 3
        assert entries.filter(reason="Eligibility confirmed by investigator").count() == 15

    def test_demo_study_screens_against_the_mapp2_criteria(self, demo):
        config = StudyScreeningConfig.objects.get(study__code="MAPP-DEMO")
        assert config.criteria_set.code == "MAPP2"

    def test_every_enrolled_demo_participant_has_a_course_with_a_dosing_session_due_today(
        self, demo
    ):
        enrolled = Participant.objects.filter(enrolled_on__isnull=False)
        assert enrolled.exists()
        for participant in enrolled:
            assert Visit.objects.filter(participant=participant).count() == 15
        due_today = DosingSession.objects.filter(
            visit__code="D1",
            visit__target_date=timezone.localdate(),
            status=DosingSession.Status.NOT_STARTED,
        )
        assert due_today.count() == 3  # one per site, ready to be run in the demo

    def test_seed_demo_screens_candidates_at_every_stage_through_the_screening_service(self, demo):
        for number in ("01", "02", "03"):
            attempts = ScreeningAttempt.objects.filter(participant__site__number=number)
            in_screening = attempts.filter(participant__status=Participant.Status.SCREENING)
            # One with assessments in progress, one awaiting the investigator's confirmation.
            draft = in_screening.get(status=ScreeningAttempt.Status.DRAFT)
            assert draft.decision == "incomplete"
            assert draft.caps5_total is not None and draft.qtc_ms is None
            assert draft.answers.exclude(answer=None).exists()
            assert draft.answers.filter(answer=None).exists()
            submitted = in_screening.get(status=ScreeningAttempt.Status.SUBMITTED)
            assert submitted.decision == "eligible" and submitted.submitted_at is not None
            assert not submitted.answers.filter(answer=None).exists()
            assert not signatures_of(submitted).exists()
            # The screen failure was submitted, then closed, and keeps the criterion it failed.
            failed = attempts.get(participant__status=Participant.Status.SCREEN_FAILED)
            assert failed.status == ScreeningAttempt.Status.SCREEN_FAILED
            assert failed.decision == "ineligible" and failed.submitted_at is not None
            assert failed.failed_codes == ["I3"]
            assert failed.caps5_total < 28
            for attempt in attempts:
                assert attempt.screened_on < timezone.localdate()

    def test_seed_demo_enrols_each_site_by_its_investigators_signed_confirmation(self, demo):
        for number, username in (("01", "investigator"), ("02", "investigator2")):
            investigator = User.objects.get(username=username)
            numbered = Participant.objects.filter(site__number=number, study_code__isnull=False)
            assert numbered.count() == 5
            for participant in numbered:
                attempt = participant.screening_attempts.get()
                assert attempt.status == ScreeningAttempt.Status.CONFIRMED
                assert attempt.decision == "eligible"
                assert attempt.screened_on < participant.enrolled_on
                signature = signatures_of(attempt).get()
                assert signature.signer == investigator
                assert signature.meaning == Signature.Meaning.APPROVED
                assert signature.voided_at is None
        assert not Participant.objects.filter(
            enrolled_on__isnull=False, screening_attempts__isnull=True
        ).exists()

    def test_seed_demo_screening_log_counts_what_the_participant_table_says(self, demo, client):
        client.force_login(User.objects.get(username="monitor"))
        log = client.get(reverse("screening:log")).context["log"]
        # The home page's participants by site and status, in the order of the statuses.
        home = {
            row["site"].number: dict(zip(Participant.Status.values, row["counts"], strict=True))
            for row in client.get(reverse("home")).context["site_rows"]
        }
        assert len(log.rows) == 3
        for row in log.rows:
            participants = Participant.objects.filter(site=row.site)
            on_home = home[row.site.number]
            enrolled = sum(on_home[status] for status in Participant.NUMBERED_STATUSES)
            assert enrolled == 5, row.site
            assert row.enrolled == row.confirmed == enrolled, row.site
            assert row.screened == participants.count() == sum(on_home.values()), row.site
            assert row.failed == on_home[Participant.Status.SCREEN_FAILED], row.site
            assert row.in_progress == on_home[Participant.Status.SCREENING], row.site

    def test_seed_demo_has_one_signed_dosing_session_held_about_four_weeks_ago(self, demo):
        session = demo_session()
        assert DosingSession.objects.exclude(status=DosingSession.Status.NOT_STARTED).count() == 1
        visit = session.visit
        assert visit.participant.site.number == "01"
        assert visit.code == "D1" and visit.status == Visit.Status.HELD
        assert visit.window_start <= visit.held_on <= visit.window_end
        assert 21 <= (timezone.localdate() - visit.held_on).days <= 35
        # The team of the site: its therapist leads, its investigator is the co-therapist.
        assert session.lead_therapist.username == "therapist"
        assert session.co_therapist.username == "investigator"
        assert session.lead_attested_at and session.co_attested_at
        assert session.predose_done and session.cssrs_pre_behaviour is False
        assert session.overnight_ready is True and session.cssrs_post_ideation == 0
        assert session.started_at < session.ended_at < timezone.now()
        signature = signatures_of(session).get()
        assert signature.signer.username == "investigator"
        assert signature.record_version == session.version and signature.voided_at is None

    def test_demo_session_has_its_doses_readings_and_observations_in_order(self, demo):
        session = demo_session()
        initial = session.administrations.get(kind=DoseAdministration.Kind.INITIAL)
        supplemental = session.administrations.get(kind=DoseAdministration.Kind.SUPPLEMENTAL)
        assert (initial.dose_mg, supplemental.dose_mg) == (120, 60)
        assert session.supplemental_decision == DosingSession.Supplemental.GIVE
        minutes = (supplemental.administered_at - initial.administered_at).total_seconds() / 60
        assert 90 <= minutes <= 150 and supplemental.deviation_reason == ""
        readings = list(session.readings.all())
        assert 16 <= len(readings) <= 18
        assert readings[0].measured_at < initial.administered_at, "vital signs before the dose"
        for reading in readings:
            assert session.started_at <= reading.measured_at <= session.ended_at
        after_dose = [r.measured_at for r in readings if r.measured_at > initial.administered_at]
        gaps = {b - a for a, b in zip(after_dose, after_dose[1:], strict=False)}
        assert max(gaps) == datetime.timedelta(minutes=30)
        # One reading over a threshold, re-checked 15 minutes later.
        assert [r.flags for r in readings if r.flags] == [["systolic"]]
        assert datetime.timedelta(minutes=15) in gaps
        observations = list(session.observations.all())
        assert len(observations) >= 2
        assert {o.kind for o in observations} == {"observation", "intervention"}
        for entry in observations:
            assert session.started_at <= entry.observed_at <= session.ended_at
        assert {r.recorded_by.username for r in readings} == {"therapist"}

    def test_demo_session_leaves_its_alert_open_for_the_monitor(self, demo):
        alert = VitalSignAlert.objects.select_related("reading__session").get()
        assert alert.reading.session == demo_session()
        assert alert.acknowledged_at is None and alert.retracted_at is None
        assert [e["measurement"] for e in alert.exceeded] == ["systolic"]

    def test_demo_session_is_followed_by_its_integration_notes(self, demo):
        session = demo_session()
        notes = IntegrationNote.objects.filter(visit__participant=session.visit.participant)
        assert sorted(notes.values_list("visit__code", flat=True)) == ["I1.1", "I1.2", "I1.3"]
        for note in notes.select_related("visit__dosing_visit", "author"):
            assert note.visit.status == Visit.Status.HELD
            assert note.visit.dosing_visit == session.visit
            assert session.visit.held_on < note.visit.held_on < timezone.localdate()
            assert note.visit.window_start <= note.visit.held_on <= note.visit.window_end
            assert note.author.username == "therapist"
            assert note.themes and note.participant_report and note.plan
        # Nothing of this participant's course is overdue; the next dosing session is to come.
        course = Visit.objects.filter(participant=session.visit.participant)
        assert [v.code for v in course if v.is_overdue] == []


@pytest.mark.parametrize("username", ["therapist", "monitor"])
def test_seed_demo_password_option_lets_the_demo_user_log_in_with_it(client, username):
    seed("--password", "Demo-pass-2026!")

    # django-axes needs the request that carries the login attempt.
    request = RequestFactory().post("/accounts/login/")
    assert client.login(request=request, username=username, password="Demo-pass-2026!")
    response = client.get("/")
    assert response.status_code == 200
    assert response.wsgi_request.user.username == username


def test_demo_emails_the_demo_monitor_once_per_alert_and_serious_event(
    mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        seed()

    alert = VitalSignAlert.objects.get()
    assert list(alert.notifications.values_list("email", flat=True)) == ["monitor@demo.invalid"]
    # The alert's email, and the demo's serious adverse event's, each once to the monitor.
    assert [message.to for message in mailoutbox] == [["monitor@demo.invalid"]] * 2
    assert "Serious adverse event reported" in mailoutbox[1].subject

    with django_capture_on_commit_callbacks(execute=True):
        seed()
    assert len(mailoutbox) == 2


def test_seed_demo_without_the_teams_passwords_enrols_directly_and_runs_no_session():
    # Accounts made before the demo keep their passwords, which the command does not know:
    # nothing can be attested, confirmed or signed with them.
    User.objects.create_user(username="therapist", password="set-elsewhere-1")
    User.objects.create_user(username="investigator", password="set-elsewhere-2")

    output = seed()

    assert "No dosing session was seeded" in output
    assert not DosingSession.objects.exclude(status=DosingSession.Status.NOT_STARTED).exists()
    # Site 01's investigator cannot sign: its participants are enrolled without a screening.
    confirmed = ScreeningAttempt.objects.filter(status=ScreeningAttempt.Status.CONFIRMED)
    assert not confirmed.filter(participant__site__number="01").exists()
    assert confirmed.count() == 10
    assert Participant.objects.filter(status=Participant.Status.ENROLLED).count() == 9
    assert ScreeningAttempt.objects.filter(status=ScreeningAttempt.Status.SUBMITTED).count() == 3
    assert User.objects.get(username="investigator").check_password("set-elsewhere-2")
