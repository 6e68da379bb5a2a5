"""Loads a synthetic demo study: sites, one account per role, participants in several states.

Everything clinical goes through the app's services, so the demo's audit trail reads as real use
would leave it: screening attempts at every stage, enrolment by the site investigator's signed
confirmation of an eligible screening (so that the screening log and the participant table
agree), and at site 01 one first dosing session held about four weeks ago, flowsheet complete and
signed, with its integration notes.

Attesting presence, confirming eligibility and signing need the staff's passwords, which this
command knows only when it sets them: a site first seeded in a run that did not set them gets its
participants enrolled directly and no dosing session.
"""

import datetime
import random
import secrets
from decimal import Decimal

from django.core.management.base import BaseCommand
from django.db import transaction
from django.test.utils import override_settings
from django.utils import timezone
from faker import Faker

from accounts.models import Membership, Role, Site, Study, User
from audit.context import acting_as, change_reason
from demo import synthetic
from participants.models import Participant, ParticipantIdentity
from participants.services import participant_enrol, participant_register, participant_set_status
from queries.selectors import sdv_marks_for, sdv_records
from queries.services import query_raise, source_verify
from safety.models import (
    COMMON_TERMS,
    SERIOUSNESS_CRITERIA,
    AdverseEvent,
    ReferenceSafetyInformation,
)
from safety.review import reference_safety_information_add
from safety.services import adverse_event_draft_create, adverse_event_submit
from screening import services as screening
from screening.eligibility import PregnancyTest
from screening.models import CriteriaSet, ScreeningAttempt, StudyScreeningConfig
from sessions_app.models import (
    DosingSession,
    Observation,
    StudySessionSettings,
    Visit,
    VitalSignReading,
)
from sessions_app.services import flowsheet
from sessions_app.services.notes import integration_note_write
from sessions_app.services.visits import (
    participant_withdraw,
    visit_mark_held,
    visit_mark_missed,
    visit_schedule_create,
)

REASON = "Synthetic demo data"
# The demo's reference safety information: the common terms of MDMA-assisted therapy but the
# cardiovascular and suicidality ones, so that those are unexpected in the monitor's assessment.
EXPECTED_TERMS = [
    t for t in COMMON_TERMS if t not in {"Hypertension", "Tachycardia", "Suicidal ideation"}
]
MEMORY_EMAIL = "django.core.mail.backends.locmem.EmailBackend"

SITES = [
    ("01", "Riverside Trauma Research Clinic"),
    ("02", "Northfield Psychiatry Research Unit"),
    ("03", "Harbour View Clinical Research Centre"),
]

# username, first, last, role, site number (None: study-wide)
USERS = [
    ("therapist", "Tess", "Harper", Role.THERAPIST, "01"),
    ("investigator", "Ivan", "Morel", Role.INVESTIGATOR, "01"),
    ("therapist2", "Theo", "Lindqvist", Role.THERAPIST, "02"),
    ("investigator2", "Irene", "Castellanos", Role.INVESTIGATOR, "02"),
    ("investigator3", "Idris", "Achterberg", Role.INVESTIGATOR, "03"),
    ("monitor", "Monica", "Reyes", Role.MONITOR, None),
    ("sponsor", "Sam", "Okafor", Role.DATA_MANAGER, None),
    ("admin", "Ada", "Brennan", Role.STUDY_ADMIN, None),
]
# The site whose team (therapist lead, investigator co-therapist) ran the demo's dosing session.
SESSION_SITE = "01"
# Each site's investigator, who screens its candidates and confirms their eligibility.
INVESTIGATORS = {
    site: username for username, _f, _l, role, site in USERS if role == Role.INVESTIGATOR
}

# Statuses given to the demo participants of each site, in order.
STATUS_PLAN = [
    "enrolled",
    "enrolled",
    "enrolled",
    "screening",
    "screening",
    "screen_failed",
    "completed",
    "withdrawn",
]
D1_DUE_TODAY = 0  # the first enrolled participant: first dosing session due today
D1_HELD = 1  # the second: first dosing session held (at SESSION_SITE, with its flowsheet)
MISSED_P2 = 2  # the third enrolled participant missed their second preparatory session
IN_PROGRESS = 3  # the first in screening: assessments in progress; the second: submitted
D1_HELD_DAYS_AGO = 26  # about four weeks ago; the second dosing session is due two days from now

# Notes on some yes/no criteria, as staff would write them.
CRITERION_NOTES = {
    "I6": "Support contact named and reachable.",
    "E7": "AUDIT 4, DAST-10 0: no current use disorder.",
    "E11": "ECG: sinus rhythm, no conduction abnormality.",
}
# Measured and answered first, while the other assessments are still being done.
EARLY_MEASUREMENTS = ("ptsd_duration_months", "caps5_total", "systolic_bp", "diastolic_bp", "pulse")
EARLY_CRITERIA = ("I5", "I6", "I7", "I8", "E1", "E2", "E3", "E4")

OBSERVATIONS = [
    # minutes after the start, kind, text ({systolic}: the reading over the threshold)
    (
        80,
        Observation.Kind.OBSERVATION,
        "Onset of effects about 50 minutes after the dose: feels warm, some jaw tightness, "
        "pupils dilated. Resting with eyeshades and music, talking at times.",
    ),
    (
        155,
        Observation.Kind.INTERVENTION,
        "Systolic {systolic} mmHg at the +2h reading, near the expected peak. No headache, chest "
        "pain or visual disturbance; participant calm. Sat up and drank water; blood pressure "
        "re-checked at 15 minutes.",
    ),
    (
        340,
        Observation.Kind.OBSERVATION,
        "Revisits memories of the index trauma with the co-therapist; tearful at times, then "
        "settled. Says they feel safe in the room and want to continue.",
    ),
]

INTEGRATION_NOTES = {
    "I1.1": {
        "themes": "First reflections the morning after: the index trauma revisited with less "
        "fear than expected; self-blame easing.",
        "participant_report": "Slept about six hours. Mild fatigue and jaw ache, settling. "
        "Describes the session as hard but worth it; remembers feeling safe with both "
        "therapists.",
        "cssrs_ideation": 0,
        "cssrs_behaviour": False,
        "safety_notes": "No suicidal ideation. Support contact collecting at noon; crisis line "
        "number given again.",
        "plan": "Check-in calls over the next three days; keep a journal of moments of "
        "distress; next integration session in a week.",
    },
    "I1.2": {
        "themes": "Grief and anger about the event; noticing avoidance in daily life.",
        "participant_report": "Two nightmares this week instead of most nights. Low mood for "
        "two days mid-week, then lifted. Went back to a supermarket avoided for a year.",
        "cssrs_ideation": 0,
        "cssrs_behaviour": False,
        "safety_notes": "No ideation; no alcohol or drug use reported.",
        "plan": "Continue the journal; graded return to avoided places; next session in a week.",
    },
    "I1.3": {
        "themes": "Consolidating the changes; intentions for the second experimental session.",
        "participant_report": "Fewer intrusive memories; startle less marked. Some irritability "
        "at work, managed by taking short breaks.",
        "cssrs_ideation": 0,
        "cssrs_behaviour": False,
        "safety_notes": "No ideation.",
        "plan": "Preparatory call the week before the second experimental session.",
    },
}


class Command(BaseCommand):
    help = "Load the synthetic demo study (idempotent). Prints the demo passwords it sets."

    def add_arguments(self, parser):
        parser.add_argument("--password", help="Use this password for every demo account.")
        parser.add_argument(
            "--reset-passwords",
            action="store_true",
            help="Give existing demo accounts new passwords (printed once).",
        )
        parser.add_argument("--seed", type=int, default=20261121, help="Random seed for Faker.")

    def handle(self, *args, password=None, reset_passwords=False, seed=20261121, **options):
        self.fake = Faker("en_GB")
        Faker.seed(seed)
        self.rng = random.Random(seed)  # noqa: S311 - synthetic demo data, not security
        self.today = timezone.localdate()
        self.summary = []
        # The demo session's vital-sign alert notifies the demo monitor, whose address is not
        # real: without a broker the task runs here, on commit, and that email stays in memory.
        with override_settings(EMAIL_BACKEND=MEMORY_EMAIL), transaction.atomic():
            # Attesting, confirming and signing check passwords again: a cheap hash while
            # seeding, then the production hasher's (as seed_trial does).
            with override_settings(PASSWORD_HASHERS=synthetic.SEED_HASHERS):
                printed = self._accounts(password=password, reset=reset_passwords)
                study, sites = self._study()
                self._participants(study, sites)
            for username, _role, _site, pw in printed:
                self.users[username].set_password(pw)
                self.users[username].save(update_fields=["password"])
        self.stdout.write(self.style.SUCCESS(f"Demo study {study.code}: {len(sites)} sites."))
        self.stdout.write(
            f"{Participant.objects.filter(site__study=study).count()} synthetic participants."
        )
        for line in self.summary:
            self.stdout.write(line)
        if printed:
            self.stdout.write("Demo accounts (passwords are shown only now):")
            for username, role, site_number, pw in printed:
                where = f"site {site_number}" if site_number else "all sites"
                self.stdout.write(f"  {username:<13} {pw:<20} {Role(role).label}, {where}")
        else:
            self.stdout.write(
                "Demo accounts already exist; their passwords are unchanged. "
                "Run `python manage.py seed_demo --reset-passwords` for new ones."
            )

    def _accounts(self, *, password: str | None, reset: bool) -> list[tuple]:
        """The demo accounts; (username, role, site number, password) of those given one now."""
        printed = []
        self.users = {}
        for username, first, last, role, site_number in USERS:
            user, created = User.objects.get_or_create(
                username=username,
                defaults={
                    "first_name": first,
                    "last_name": last,
                    "email": f"{username}@demo.invalid",
                    "is_staff": role == Role.STUDY_ADMIN,
                },
            )
            if created or reset or password:
                new_password = password or secrets.token_urlsafe(12)
                user.set_password(new_password)
                user.save()
                printed.append((username, role, site_number, new_password))
            self.users[username] = user
        # Known only for the accounts given a password in this run.
        self.passwords = {username: pw for username, _role, _site, pw in printed}
        return printed

    def _study(self) -> tuple[Study, dict[str, Site]]:
        """The study administrator sets up the study, its sites and the demo memberships."""
        with acting_as(self.users["admin"]), change_reason(REASON):
            study, _ = Study.objects.get_or_create(
                code="MAPP-DEMO",
                defaults={
                    "name": "Demo: MDMA-assisted therapy for PTSD (synthetic data)",
                    "protocol_number": "DEMO-001",
                },
            )
            sites = {}
            for number, name in SITES:
                sites[number], _ = Site.objects.get_or_create(
                    study=study, number=number, defaults={"name": name}
                )
            criteria = CriteriaSet.objects.filter(code="MAPP2").first()
            if criteria is not None:  # seeded by screening's data migration
                StudyScreeningConfig.objects.get_or_create(
                    study=study, defaults={"criteria_set": criteria}
                )
            StudySessionSettings.objects.get_or_create(study=study)
            for username, _first, _last, role, site_number in USERS:
                Membership.objects.get_or_create(
                    user=self.users[username],
                    study=study,
                    site=sites[site_number] if site_number else None,
                    role=role,
                )
            if not ReferenceSafetyInformation.objects.filter(study=study).exists():
                reference_safety_information_add(
                    actor=self.users["admin"],
                    study=study,
                    version="Investigator's brochure, edition 1 (synthetic)",
                    effective_on=self.today - datetime.timedelta(days=365),
                    expected_terms="\n".join(EXPECTED_TERMS),
                )
        return study, sites

    def _participants(self, study: Study, sites: dict[str, Site]) -> None:
        """The investigator screens and enrols the participants of each site not seeded yet; at
        SESSION_SITE the team then runs a first dosing session."""
        new_sites = [
            site for site in sites.values() if not Participant.objects.filter(site=site).exists()
        ]
        made = {}
        for site in new_sites:
            actor = self.users[INVESTIGATORS[site.number]]
            with acting_as(actor), change_reason(REASON):
                made[site.number] = [
                    self._make_participant(actor, site, status, index)
                    for index, status in enumerate(STATUS_PLAN)
                ]
        # A demo database seeded before visit schedules existed gets them now.
        unscheduled = Participant.objects.filter(
            site__study=study, enrolled_on__isnull=False
        ).exclude(pk__in=Visit.objects.values("participant_id"))
        for participant in unscheduled.select_related("site"):
            actor = self.users[INVESTIGATORS[participant.site.number]]
            with acting_as(actor), change_reason(REASON):
                visit_schedule_create(actor=actor, participant=participant)
        if made:
            self.summary.append(
                f"Screening at sites {', '.join(made)}: at each, one candidate's assessments "
                "in progress, one awaiting the investigator's confirmation, one screen failure."
            )
        if SESSION_SITE in made:
            if self._team_passwords_known():
                self._first_dosing_course(made[SESSION_SITE][D1_HELD])
                self._monitor_review(made[SESSION_SITE])
            else:
                self.summary.append(
                    "No dosing session was seeded: the demo team's passwords were not set in "
                    "this run."
                )

    def _monitor_review(self, participants: list[Participant]) -> None:
        """The monitor's review at SESSION_SITE: an open query on the demo session's reading
        over the threshold (on the therapist's home page), and every record of the withdrawn
        participant verified against the source, so that the investigator may sign their
        casebook and the study administrator lock it."""
        monitor = self.users["monitor"]
        peak = (
            VitalSignReading.objects.filter(session__visit__participant=participants[D1_HELD])
            .order_by("-systolic", "measured_at")
            .first()
        )
        with acting_as(monitor):
            if peak is not None:
                query_raise(
                    actor=monitor,
                    record=peak,
                    field_name="systolic",
                    text=f"Systolic {peak.systolic} mmHg: is this the value on the source "
                    "flowsheet? Which cuff size was used?",
                )
            withdrawn = next(p for p in participants if p.status == Participant.Status.WITHDRAWN)
            for row in sdv_records(participant=withdrawn):
                if not sdv_marks_for(records=[row.record]).is_verified(row.record):
                    source_verify(actor=monitor, record=row.record)
        self._serious_event(participants[D1_HELD], peak)
        self.summary.append(
            f"Monitor review: an open query on {participants[D1_HELD].label}'s peak reading; "
            f"{withdrawn.label}'s records verified, their casebook ready for the investigator "
            "to sign and the administrator to lock."
        )

    def _serious_event(self, participant: Participant, peak: VitalSignReading | None) -> None:
        """A serious adverse event opened from the demo session's peak reading: grade 3
        hypertension, hospitalised overnight, possibly related, which the site learned of three
        hours ago; submitted by the investigator within its 24 hours, it waits for the
        monitor's review."""
        if peak is None:
            return
        therapist, investigator = self.users["therapist"], self.users["investigator"]
        onset = peak.measured_at
        with acting_as(therapist):
            ae = adverse_event_draft_create(
                actor=therapist,
                participant=participant,
                source_reading=peak,
                verbatim_term=f"Hypertension, systolic {peak.systolic} mmHg",
                onset_at=onset,
                description="Blood pressure stayed high for an hour after the session; the "
                "participant was admitted overnight elsewhere and told the site today.",
                aware_at=max(onset, timezone.now() - datetime.timedelta(hours=3)),
                ended_at=onset + datetime.timedelta(hours=14),
                ongoing=False,
                treatment="Observation overnight; no medication needed.",
                severity_grade=AdverseEvent.Grade.SEVERE,
                **{name: name == "serious_hospitalisation" for name, _ in SERIOUSNESS_CRITERIA},
                causality=AdverseEvent.Causality.POSSIBLE,
                related_psychotherapy=False,
                related_overnight_stay=False,
                aesi_cardiovascular=True,
                action_taken=AdverseEvent.ActionTaken.SUPPLEMENTAL_NOT_GIVEN,
                outcome=AdverseEvent.Outcome.RECOVERED,
            )
        with acting_as(investigator):
            adverse_event_submit(
                actor=investigator,
                adverse_event=ae,
                password=self.passwords["investigator"],
                expected_version=ae.version,
            )
        self.summary.append(
            f"Safety: a serious adverse event of {participant.label} (hypertension, "
            "hospitalised), submitted and awaiting the monitor's review."
        )

    def _team_passwords_known(self) -> bool:
        """Whether the session team can attest and sign in this run (passwords set now)."""
        return {"therapist", "investigator"} <= set(self.passwords)

    def _confirms_at(self, site: Site) -> bool:
        """Whether the site's investigator can confirm eligibility at `site` in this run."""
        return INVESTIGATORS[site.number] in self.passwords

    def _identity(self) -> dict:
        fake, rng = self.fake, self.rng
        sex = rng.choice([ParticipantIdentity.Sex.FEMALE, ParticipantIdentity.Sex.MALE])
        given = fake.first_name_female() if sex == "F" else fake.first_name_male()
        return {
            "given_name": given,
            "family_name": fake.last_name(),
            "date_of_birth": fake.date_of_birth(minimum_age=21, maximum_age=70),
            "sex": sex,
            "phone": fake.phone_number(),
            "email": f"{given.lower()}.{rng.randint(100, 999)}@example.org",
            "address_line": fake.street_address().replace("\n", ", "),
            "city": fake.city(),
            "postal_code": fake.postcode(),
            "country": "United Kingdom",
            "support_contact_name": fake.name(),
            "support_contact_phone": fake.phone_number(),
        }

    def _days_ago(self, days: int) -> datetime.date:
        return self.today - datetime.timedelta(days=days)

    def _make_participant(self, actor, site, status, index):
        rng = self.rng
        identity = self._identity()
        if status == "screening":
            if index == IN_PROGRESS:
                attempt = self._screen(actor, site, identity, self._days_ago(2), complete=False)
            else:  # awaiting the investigator's confirmation
                attempt = self._screen(actor, site, identity, self._days_ago(6))
                screening.screening_submit(actor=actor, attempt=attempt)
            return attempt.participant
        if status == "screen_failed":
            attempt = self._screen(
                actor,
                site,
                identity,
                self._days_ago(rng.randint(10, 30)),
                caps5=rng.randint(17, 26),
            )
            attempt = screening.screening_submit(actor=actor, attempt=attempt)
            return screening.screening_fail(actor=actor, attempt=attempt).participant
        # The first enrolled participant of each site has their first dosing session due today;
        # the second held it about four weeks ago, where the demo has a session for it.
        if index == D1_DUE_TODAY:
            days_ago = 28
        elif index == D1_HELD and site.number == SESSION_SITE and self._team_passwords_known():
            days_ago = 28 + D1_HELD_DAYS_AGO
        else:
            days_ago = rng.randint(20, 200)
        enrolled_on = self._days_ago(days_ago)
        if self._confirms_at(site):
            screened_on = enrolled_on - datetime.timedelta(days=rng.randint(5, 12))
            attempt = self._screen(actor, site, identity, screened_on)
            attempt = screening.screening_submit(actor=actor, attempt=attempt)
            # Enrols the participant and creates their visit schedule.
            screening.eligibility_confirm(
                actor=actor,
                attempt=attempt,
                password=self.passwords[INVESTIGATORS[site.number]],
                on=enrolled_on,
            )
            participant = Participant.objects.get(pk=attempt.participant_id)
            visits = Visit.objects.filter(participant=participant)
        else:
            participant = participant_register(actor=actor, site=site, identity=identity)
            participant = participant_enrol(actor=actor, participant=participant, on=enrolled_on)
            visits = visit_schedule_create(actor=actor, participant=participant)
        # Preparatory sessions already due were held on their target day, but for one missed.
        for visit in visits:
            if visit.kind != Visit.Kind.PREPARATORY or visit.target_date > self.today:
                continue
            if index == MISSED_P2 and visit.code == "P2":
                visit_mark_missed(
                    actor=actor,
                    visit=visit,
                    reason="Participant unwell; no appointment free within the window.",
                    expected_version=Visit.objects.get(pk=visit.pk).version,
                )
            else:
                visit_mark_held(actor=actor, visit=visit, held_on=visit.target_date)
        if status == "withdrawn":
            # Withdrawn by the participant a few days after the last visit they attended.
            held = Visit.objects.filter(participant=participant, held_on__isnull=False)
            last = max(held.values_list("held_on", flat=True), default=enrolled_on)
            participant = participant_withdraw(
                actor=actor,
                participant=participant,
                withdrawn_on=min(self.today, last + datetime.timedelta(days=3)),
                category=Participant.WithdrawalCategory.PARTICIPANT,
                details="Moved away; no longer able to attend the visits.",
                expected_version=Participant.objects.get(pk=participant.pk).version,
            )
        elif status != "enrolled":
            participant_set_status(
                actor=actor, participant=participant, status=status, reason="Demo data"
            )
        return participant

    def _screen(
        self, actor, site, identity, screened_on, *, complete=True, caps5=None
    ) -> ScreeningAttempt:
        """A new candidate's first screening with their assessments: all of them (eligible unless
        `caps5` is below the threshold), or only the first ones (`complete=False`)."""
        rng = self.rng
        attempt = screening.screening_start(
            actor=actor, site=site, identity=identity, screened_on=screened_on
        )
        values = {
            "ptsd_duration_months": rng.randint(14, 180),
            "caps5_total": caps5 if caps5 is not None else rng.randint(33, 52),
            "systolic_bp": rng.randint(108, 134),
            "diastolic_bp": rng.randint(64, 86),
            "pulse": rng.randint(58, 86),
            "weight_kg": Decimal(f"{rng.uniform(52, 98):.1f}"),
            "qtc_ms": rng.randint(385, 440),
            "pregnancy_test": (
                PregnancyTest.NEGATIVE
                if identity["sex"] == ParticipantIdentity.Sex.FEMALE
                else PregnancyTest.NOT_APPLICABLE
            ),
            "cssrs_ideation": rng.choice([0, 0, 1, 2]),
        }
        if not complete:  # the attempt in progress: history and vital signs so far
            values = {k: v for k, v in values.items() if k in EARLY_MEASUREMENTS}
        for name, value in values.items():
            setattr(attempt, name, value)
        answers = {}
        for answer in attempt.answers.select_related("criterion"):
            criterion = answer.criterion
            if complete or criterion.code in EARLY_CRITERIA:
                answers[criterion.pk] = (
                    criterion.kind == criterion.Kind.INCLUSION,
                    CRITERION_NOTES.get(criterion.code, ""),
                )
        return screening.screening_update(
            actor=actor, attempt=attempt, answers=answers, expected_version=attempt.version
        )

    def _first_dosing_course(self, participant: Participant) -> None:
        """The participant's first dosing session, held on its target day about four weeks ago by
        the site's therapist (lead) and investigator (co-therapist), then its integration notes.

        Entered in the order of the day, each at its time. Attestations, the pre-dose checks'
        and the supplemental decision's own timestamps, and the signature, are stamped by the
        services with the time of entry (now), as they are in real use.
        """
        therapist, investigator = self.users["therapist"], self.users["investigator"]
        site = participant.site
        session = DosingSession.objects.select_related("visit").get(
            visit__participant=participant, visit__code="D1"
        )
        # At 9 in the morning where the demo sites are: in the project's time zone.
        start = datetime.datetime.combine(
            session.visit.target_date, datetime.time(9, 0), tzinfo=timezone.get_default_timezone()
        )
        dose_at = start + datetime.timedelta(minutes=30)
        sex = ParticipantIdentity.objects.get(participant=participant).sex
        kit = f"K{site.number}-{participant.study_code[-4:]}-D1"
        # Readings: one before the dose, then every 30 minutes for seven and a half hours; the
        # one at +2h goes over the systolic threshold and is re-checked 15 minutes later.
        baseline = synthetic.baseline_draw(self.rng)
        peak = dose_at + datetime.timedelta(hours=2)
        times = [start + datetime.timedelta(minutes=15)] + [
            dose_at + datetime.timedelta(minutes=30 * k) for k in range(1, 16)
        ]
        readings = {
            when: synthetic.vital_signs(
                self.rng,
                baseline,
                when - dose_at,
                temperature=index % 2 == 0,
                suds=index % 4 == 0,
                spike=when == peak,
            )
            for index, when in enumerate(times)
        }
        recheck = dose_at + datetime.timedelta(hours=2, minutes=15)
        readings[recheck] = synthetic.vital_signs(
            self.rng, baseline, recheck - dose_at, temperature=False, suds=False, spike=False
        )
        events = [
            (when, flowsheet.vital_sign_record, {"measured_at": when, **values})
            for when, values in readings.items()
        ]
        events.append(
            (
                dose_at,
                flowsheet.dose_initial_administer,
                {"dose_mg": 120, "kit_number": f"{kit}A", "administered_at": dose_at},
            )
        )
        supplemental_at = dose_at + datetime.timedelta(minutes=105)
        events.append(
            (
                supplemental_at,
                flowsheet.supplemental_decide,
                {
                    "decision": DosingSession.Supplemental.GIVE,
                    "reason": "Initial dose well tolerated, vital signs within the thresholds; "
                    "participant agrees to the supplemental dose.",
                    "dose_mg": 60,
                    "kit_number": f"{kit}B",
                    "administered_at": supplemental_at,
                },
            )
        )
        for minutes, kind, text in OBSERVATIONS:
            when = start + datetime.timedelta(minutes=minutes)
            events.append(
                (
                    when,
                    flowsheet.observation_record,
                    {"observed_at": when, "kind": kind, "text": text.format(**readings[peak])},
                )
            )
        ended_at = start + datetime.timedelta(hours=8, minutes=30)

        with acting_as(therapist), change_reason(REASON):
            flowsheet.dosing_session_start(
                actor=therapist,
                session=session,
                started_at=start,
                lead_therapist=therapist,
                co_therapist=investigator,
                expected_version=session.version,
            )
            for role, username in (("lead", "therapist"), ("co", "investigator")):
                flowsheet.presence_attest(
                    actor=therapist, session=session, role=role, password=self.passwords[username]
                )
            session.refresh_from_db()
            flowsheet.predose_checks_record(
                actor=therapist,
                session=session,
                pregnancy_test=(
                    DosingSession.PregnancyTest.NEGATIVE
                    if sex == ParticipantIdentity.Sex.FEMALE
                    else DosingSession.PregnancyTest.NOT_APPLICABLE
                ),
                cssrs_pre_ideation=0,
                cssrs_pre_behaviour=False,
                expected_version=session.version,
            )
            for _when, record, kwargs in sorted(events, key=lambda event: event[0]):
                record(actor=therapist, session=session, **kwargs)
            session.refresh_from_db()
            flowsheet.dosing_session_end(
                actor=therapist,
                session=session,
                ended_at=ended_at,
                cssrs_post_ideation=0,
                cssrs_post_behaviour=False,
                overnight_ready=True,
                overnight_note="Calm, oriented and steady on their feet; vital signs back near "
                "baseline. Settled in the overnight room; night attendant briefed.",
                expected_version=session.version,
            )
        with acting_as(investigator), change_reason(REASON):
            flowsheet.dosing_session_sign(
                actor=investigator,
                session=session,
                password=self.passwords["investigator"],
                team_acknowledged=True,  # the investigator was the co-therapist
            )
        held_on = session.visit.target_date
        with acting_as(therapist), change_reason(REASON):
            for code, data in INTEGRATION_NOTES.items():
                visit = Visit.objects.get(participant=participant, code=code)
                integration_note_write(
                    actor=therapist,
                    visit=visit,
                    data=data,
                    held_on=visit.target_date,
                    expected_version=None,
                )
        self.summary.append(
            f"{participant.label}: first dosing session held on {held_on:%d %b %Y}, signed, "
            f"with {len(INTEGRATION_NOTES)} integration notes; one vital-sign alert open for the "
            "medical monitor."
        )
