"""Loads a trial-sized synthetic study for the benchmark (bench/), through the services.

Every participant is registered, enrolled and scheduled, and goes through their course up to the
third dosing session, which is left running today: preparatory sessions held, the first two dosing
sessions complete (pre-dose checks, initial and supplemental doses, about 30 readings, end), their
integration sessions held. The third dosing session started some hours ago and has its readings so
far, so that new readings can be posted to it without a reason for a late change.

Nothing is bulk-inserted: every record goes through its service and into the hash-chained audit
trail, which therefore grows to trial size too. Sites can be seeded by parallel processes
(--processes); the audit chain's advisory lock still serialises the appends themselves.

Writes a JSON manifest (--manifest) with the accounts, their password and the sessions of each
site, for bench/run.py.
"""

import datetime
import multiprocessing
import random
import secrets
import time

from django.contrib.auth.hashers import make_password
from django.core.management.base import BaseCommand, CommandError
from django.db import connections
from django.test.utils import override_settings
from django.utils import timezone
from faker import Faker

from accounts.models import Role, Site, User
from audit.context import acting_as, change_reason
from audit.models import LogEntry
from demo import synthetic
from demo.bench import (
    account_arguments,
    bench_accounts,
    bench_manifest,
    manifest_write,
    seeded_line,
)
from participants.models import ParticipantIdentity
from participants.services import participant_enrol, participant_register
from sessions_app.models import (
    DosingSession,
    Visit,
)
from sessions_app.services import flowsheet
from sessions_app.services.visits import visit_mark_held, visit_schedule_create

REASON = "Synthetic trial-sized data for the benchmark"
# Minutes between readings; 2 before the dose and 28 after it make 30 over an 8-hour session.
INTERVAL = 16
PREDOSE_READINGS = 2
# How long ago today's (third) dosing session started.
RUNNING_FOR = datetime.timedelta(hours=6)
INITIAL_DOSE = {"D1": 80, "D2": 120, "D3": 120}  # MAPP1


class Command(BaseCommand):
    help = "Load a trial-sized synthetic study (sites, staff, participants, full courses)."

    def add_arguments(self, parser):
        parser.add_argument("--sites", type=int, default=15)
        group = parser.add_mutually_exclusive_group()
        group.add_argument(
            "--participants",
            type=int,
            default=100,
            help="Participants in all, spread evenly over the sites (default 100).",
        )
        group.add_argument("--participants-per-site", type=int)
        parser.add_argument(
            "--readings",
            type=int,
            default=30,
            help="Readings per complete dosing session (default 30).",
        )
        parser.add_argument("--therapists-per-site", type=int, default=2)
        parser.add_argument("--study-code", default="TRIAL-BENCH")
        account_arguments(parser)
        parser.add_argument(
            "--processes", type=int, default=1, help="Seed sites in this many processes."
        )
        parser.add_argument("--seed", type=int, default=20261121)

    def handle(self, *args, **opts):
        with override_settings(PASSWORD_HASHERS=synthetic.SEED_HASHERS):
            study, password = self._handle(**opts)
        # Now the production hash, the same for every account: the served app then has no
        # hash to upgrade at log-in (an upgrade would end the user's other sessions).
        hashed = make_password(password)
        for user in User.objects.filter(memberships__study=study).distinct():
            user.password = hashed
            user.save(update_fields=["password"])

    def _handle(self, **opts):
        n_sites = opts["sites"]
        if not 1 <= n_sites <= 99:
            raise CommandError("--sites must be between 1 and 99 (two-digit site numbers).")
        if opts["therapists_per_site"] < 2:
            raise CommandError("A dosing session needs two therapists: --therapists-per-site >= 2.")
        if opts["readings"] < PREDOSE_READINGS + 2:
            raise CommandError(f"--readings must be at least {PREDOSE_READINGS + 2}.")
        if opts["participants_per_site"] is not None:
            per_site = [opts["participants_per_site"]] * n_sites
        else:
            base, extra = divmod(opts["participants"], n_sites)
            per_site = [base + (1 if i < extra else 0) for i in range(n_sites)]
        password = opts["password"] or secrets.token_urlsafe(16)
        started = time.monotonic()
        audit_before = LogEntry.objects.count()

        study, sites = bench_accounts(
            study_code=opts["study_code"],
            site_numbers=[f"{n:02d}" for n in range(1, n_sites + 1)],
            therapists_per_site=opts["therapists_per_site"],
            password=password,
        )
        jobs = [
            (site.pk, count, opts["readings"], password, opts["seed"] + i)
            for i, (site, count) in enumerate(zip(sites, per_site, strict=True))
        ]
        processes = max(1, min(opts["processes"], n_sites))
        if processes == 1:
            for job in jobs:
                self._report(_seed_site(job))
        else:
            # Children open their own database connections; none may be inherited.
            connections.close_all()
            with multiprocessing.get_context("fork").Pool(processes) as pool:
                for result in pool.imap_unordered(_seed_site, jobs):
                    self._report(result)
        elapsed = time.monotonic() - started

        manifest = bench_manifest(
            study, sites, password, therapists_per_site=opts["therapists_per_site"]
        )
        manifest["seed_seconds"] = round(elapsed, 1)
        manifest["audit_entries_written"] = LogEntry.objects.count() - audit_before
        counts = manifest["counts"]
        self.stdout.write(
            self.style.SUCCESS(
                f"{seeded_line(counts)}, "
                f"{manifest['audit_entries_written']} audit entries in {elapsed:.0f} s "
                f"({processes} process{'es' if processes > 1 else ''})."
            )
        )
        if opts["manifest"]:
            path = manifest_write(opts["manifest"], manifest)
            self.stdout.write(f"Manifest: {path}")
        elif not opts["password"]:
            self.stdout.write(f"Password of every account: {password}")
        return study, password

    def _report(self, result):
        number, count, seconds = result
        self.stdout.write(f"  site {number}: {count} participants in {seconds:.0f} s")


def _seed_site(job):
    """Seed one site's participants (run in the parent or in a pool process)."""
    site_pk, count, readings, password, seed = job
    started = time.monotonic()
    site = Site.objects.select_related("study").get(pk=site_pk)
    staff = list(
        User.objects.filter(memberships__site=site, memberships__role=Role.THERAPIST).order_by(
            "username"
        )
    )
    seeder = _SiteSeeder(site, staff[0], staff[1], readings, password, seed)
    with acting_as(staff[0]), change_reason(REASON):
        for _ in range(count):
            seeder.participant()
    connections.close_all()
    return site.number, count, time.monotonic() - started


class _SiteSeeder:
    """One site's participants, each through their course up to a running third dosing session."""

    def __init__(self, site, lead, co, readings, password, seed):
        self.site = site
        self.password = password
        self.lead = lead
        self.co = co
        self.readings = readings
        self.fake = Faker("en_GB")
        self.fake.seed_instance(seed)
        self.rng = random.Random(seed)  # noqa: S311 - synthetic data, not security
        self.now = timezone.now()
        # Today's session started RUNNING_FOR ago; the course is laid out backwards from its day.
        self.d3_start = self.now - RUNNING_FOR - datetime.timedelta(minutes=self.rng.randint(0, 30))

    def participant(self):
        rng = self.rng
        sex = rng.choice([ParticipantIdentity.Sex.FEMALE, ParticipantIdentity.Sex.MALE])
        given = self.fake.first_name_female() if sex == "F" else self.fake.first_name_male()
        identity = {
            "given_name": given,
            "family_name": self.fake.last_name(),
            "date_of_birth": self.fake.date_of_birth(minimum_age=21, maximum_age=70),
            "sex": sex,
            "phone": self.fake.phone_number(),
            "email": f"{given.lower()}.{rng.randint(100, 999)}@example.org",
            "address_line": self.fake.street_address().replace("\n", ", "),
            "city": self.fake.city(),
            "postal_code": self.fake.postcode(),
            "country": "United Kingdom",
            "support_contact_name": self.fake.name(),
            "support_contact_phone": self.fake.phone_number(),
        }
        actor = self.lead
        participant = participant_register(actor=actor, site=self.site, identity=identity)
        # Each dosing session a few days off its target (well within the 7-day window).
        shifts = [rng.randint(-3, 3) for _ in range(3)]
        d3_day = timezone.localdate(self.d3_start)
        enrolled_on = d3_day - datetime.timedelta(days=3 * 28 + sum(shifts))
        participant = participant_enrol(actor=actor, participant=participant, on=enrolled_on)
        visit_schedule_create(actor=actor, participant=participant)
        self.baseline = synthetic.baseline_draw(rng)
        self.pregnancy = (
            DosingSession.PregnancyTest.NEGATIVE
            if sex == "F"
            else DosingSession.PregnancyTest.NOT_APPLICABLE
        )
        for code in ("P1", "P2", "P3"):
            self._hold(participant, code, rng.randint(-2, 2))
        for number, shift in zip((1, 2, 3), shifts, strict=True):
            code = f"D{number}"
            visit = Visit.objects.get(participant=participant, code=code)
            if number == 3:
                start = self.d3_start
            else:
                day = visit.target_date + datetime.timedelta(days=shift)
                start = timezone.make_aware(
                    datetime.datetime.combine(day, datetime.time(8, rng.randint(30, 59)))
                )
            self._dosing(visit, code, start, finish=number < 3)
            if number < 3:
                for k in (1, 2, 3):
                    self._hold(participant, f"I{number}.{k}", 0 if k == 1 else rng.randint(-2, 2))

    def _hold(self, participant, code, shift):
        visit = Visit.objects.get(participant=participant, code=code)
        visit_mark_held(
            actor=self.lead, visit=visit, held_on=visit.target_date + datetime.timedelta(days=shift)
        )

    def _dosing(self, visit, code, start, finish):
        rng, actor = self.rng, self.lead
        session = DosingSession.objects.get(visit=visit)
        flowsheet.dosing_session_start(
            actor=actor,
            session=session,
            started_at=start,
            lead_therapist=self.lead,
            co_therapist=self.co,
            expected_version=session.version,
        )
        for role in ("lead", "co"):
            flowsheet.presence_attest(
                actor=actor, session=session, role=role, password=self.password
            )
        session.refresh_from_db()
        flowsheet.predose_checks_record(
            actor=actor,
            session=session,
            pregnancy_test=self.pregnancy,
            cssrs_pre_ideation=rng.choice([0, 0, 0, 1]),
            cssrs_pre_behaviour=False,
            expected_version=session.version,
        )
        times = [start + datetime.timedelta(minutes=5 + INTERVAL * i) for i in range(self.readings)]
        if not finish:
            times = [t for t in times if t <= self.now - datetime.timedelta(minutes=1)]
        dose_at = times[PREDOSE_READINGS - 1] + datetime.timedelta(minutes=5)
        initial = INITIAL_DOSE[code]
        kit = f"K{self.site.number}{visit.participant_id:05d}{code}"
        decided = False
        for i, when in enumerate(times):
            if i == PREDOSE_READINGS:
                flowsheet.dose_initial_administer(
                    actor=actor,
                    session=session,
                    dose_mg=initial,
                    kit_number=f"{kit}A",
                    administered_at=dose_at,
                )
            if when - dose_at >= datetime.timedelta(minutes=110) and not decided:
                flowsheet.supplemental_decide(
                    actor=actor,
                    session=session,
                    decision=DosingSession.Supplemental.GIVE,
                    reason="Tolerated well; participant agrees",
                    dose_mg=initial // 2,
                    kit_number=f"{kit}B",
                    administered_at=dose_at + datetime.timedelta(minutes=105),
                )
                decided = True
            flowsheet.vital_sign_record(
                actor=actor, session=session, measured_at=when, **self._values(i, when - dose_at)
            )
        if finish:
            session.refresh_from_db()
            flowsheet.dosing_session_end(
                actor=actor,
                session=session,
                ended_at=times[-1] + datetime.timedelta(minutes=15),
                cssrs_post_ideation=0,
                cssrs_post_behaviour=False,
                overnight_ready=True,
                overnight_note="",
                expected_version=session.version,
            )

    def _values(self, index, since_dose):
        """Plausible vital signs, temperature every other reading and SUDS every fourth; a few
        over the thresholds (see demo.synthetic)."""
        return synthetic.vital_signs(
            self.rng,
            self.baseline,
            since_dose,
            temperature=index % 2 == 0,
            suds=index % 4 == 0,
        )
