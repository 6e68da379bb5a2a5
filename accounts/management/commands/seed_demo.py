"""Loads a synthetic demo study: sites, one account per role, participants in several states."""

import datetime
import random
import secrets

from auditlog.context import set_actor
from django.core.management.base import BaseCommand
from django.db import transaction
from faker import Faker

from accounts.models import Membership, Role, Site, Study, User
from audit.context import change_reason
from participants.models import Participant, ParticipantIdentity
from participants.services import participant_enrol, participant_register, participant_set_status
from screening.models import CriteriaSet, StudyScreeningConfig
from sessions_app.models import StudySessionSettings, Visit
from sessions_app.services.visits import visit_mark_held, visit_schedule_create

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
    ("monitor", "Monica", "Reyes", Role.MONITOR, None),
    ("sponsor", "Sam", "Okafor", Role.DATA_MANAGER, None),
    ("admin", "Ada", "Brennan", Role.STUDY_ADMIN, None),
]

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
        fake = Faker("en_GB")
        Faker.seed(seed)
        rng = random.Random(seed)  # noqa: S311 - synthetic demo data, not security
        with transaction.atomic():
            printed = []
            users = {}
            for username, first, last, role, _site in USERS:
                user, created = User.objects.get_or_create(
                    username=username,
                    defaults={
                        "first_name": first,
                        "last_name": last,
                        "email": f"{username}@demo.invalid",
                        "is_staff": role == Role.STUDY_ADMIN,
                    },
                )
                if created or reset_passwords or password:
                    new_password = password or secrets.token_urlsafe(12)
                    user.set_password(new_password)
                    user.save()
                    printed.append((username, role, _site, new_password))
                users[username] = user
            # The study administrator sets up the study; the investigator screens participants.
            with set_actor(users["admin"]), change_reason("Synthetic demo data"):
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
                        user=users[username],
                        study=study,
                        site=sites[site_number] if site_number else None,
                        role=role,
                    )
            actor = users["investigator"]
            with set_actor(actor), change_reason("Synthetic demo data"):
                for site in sites.values():
                    if Participant.objects.filter(site=site).exists():
                        continue
                    for index, status in enumerate(STATUS_PLAN):
                        self._make_participant(fake, rng, actor, site, status, index)
                # A demo database seeded before visit schedules existed gets them now.
                unscheduled = Participant.objects.filter(
                    site__study=study, enrolled_on__isnull=False
                ).exclude(pk__in=Visit.objects.values("participant_id"))
                for participant in unscheduled:
                    visit_schedule_create(actor=actor, participant=participant)
        self.stdout.write(self.style.SUCCESS(f"Demo study {study.code}: {len(sites)} sites."))
        self.stdout.write(
            f"{Participant.objects.filter(site__study=study).count()} synthetic participants."
        )
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

    def _make_participant(self, fake, rng, actor, site, status, index):
        sex = rng.choice([ParticipantIdentity.Sex.FEMALE, ParticipantIdentity.Sex.MALE])
        given = fake.first_name_female() if sex == "F" else fake.first_name_male()
        identity = {
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
        participant = participant_register(actor=actor, site=site, identity=identity)
        if status == "screening":
            return
        if status == "screen_failed":
            participant_set_status(
                actor=actor,
                participant=participant,
                status=Participant.Status.SCREEN_FAILED,
                reason="Demo: CAPS-5 below threshold",
            )
            return
        # The first enrolled participant of each site has their first dosing session due today.
        days_ago = 28 if index == STATUS_PLAN.index("enrolled") else rng.randint(20, 200)
        enrolled_on = datetime.date.today() - datetime.timedelta(days=days_ago)  # noqa: DTZ011
        participant = participant_enrol(actor=actor, participant=participant, on=enrolled_on)
        visits = visit_schedule_create(actor=actor, participant=participant)
        # Preparatory sessions already due were held on their target day.
        today = datetime.date.today()  # noqa: DTZ011
        for visit in visits:
            if visit.kind == Visit.Kind.PREPARATORY and visit.target_date <= today:
                visit_mark_held(actor=actor, visit=visit, held_on=visit.target_date)
        if status != "enrolled":
            participant_set_status(
                actor=actor, participant=participant, status=status, reason="Demo data"
            )
