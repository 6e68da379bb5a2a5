"""Loads a sponsor's data for the sponsor-scale benchmark (bench/, `make bench-scale`):
DESIGN.md's larger reading, by default 100 sites, 10,000 participants, about a million
vital-sign readings, 5,000 adverse events and 10,000 data queries, in a few minutes.

The study, its sites and its accounts are made through the audited models (a study
administrator, a monitor and a data manager study-wide; two therapists and an investigator per
site, all with one password, printed or written to the manifest). Everything else is inserted
in bulk by SQL (demo.scale, demo.adverse_events): THOSE ROWS ARE NOT IN THE AUDIT TRAIL. A
benchmark's data, never a study's. PostgreSQL only.

Writes the manifest bench/run.py reads (--manifest), like seed_trial's with the monitor's and the
data manager's accounts and the sites' ids added.
"""

import secrets
import time

from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction

from accounts.models import Role, User
from audit.context import acting_as, change_reason
from demo import scale
from demo.adverse_events import bulk_adverse_events
from demo.bench import (
    REASON,
    account_arguments,
    bench_accounts,
    bench_manifest,
    manifest_write,
    seeded_line,
)
from participants.models import Participant
from safety.models import AdverseEvent
from screening.models import CriteriaSet, StudyScreeningConfig

THERAPISTS_PER_SITE = 2


class Command(BaseCommand):
    help = "Load a sponsor-scale synthetic study in bulk (not in the audit trail)."

    def add_arguments(self, parser):
        parser.add_argument("--sites", type=int, default=100)
        parser.add_argument(
            "--first-site", type=int, default=1, help="Number of the first site (1)."
        )
        parser.add_argument("--participants-per-site", type=int, default=100)
        parser.add_argument(
            "--readings", type=int, default=35, help="Readings per complete dosing session (35)."
        )
        parser.add_argument("--adverse-events", type=int, default=5_000)
        parser.add_argument("--queries", type=int, default=10_000)
        parser.add_argument("--study-code", default="SCALE-BENCH")
        account_arguments(parser)

    def handle(self, *args, **opts):
        if connection.vendor != "postgresql":
            raise CommandError("seed_scale inserts in bulk with PostgreSQL's SQL: use PostgreSQL.")
        if not 1 <= opts["first_site"] + opts["sites"] - 1 <= 100:
            raise CommandError("--sites must be between 1 and 100 (two-digit site numbers).")
        if opts["readings"] < scale.PREDOSE + 2:
            raise CommandError(f"--readings must be at least {scale.PREDOSE + 2}.")
        password = opts["password"] or secrets.token_urlsafe(16)
        started = time.monotonic()
        # Sites 01 to 99, then 00 for the hundredth.
        first = opts["first_site"]
        numbers = [f"{n % 100:02d}" for n in range(first, first + opts["sites"])]
        study, sites = bench_accounts(
            study_code=opts["study_code"],
            site_numbers=numbers,
            therapists_per_site=THERAPISTS_PER_SITE,
            password=password,
            data_manager=True,
        )
        _screening_config(study)
        staff = _site_staff(study)
        therapists = {site: users[Role.THERAPIST] for site, users in staff.items()}
        monitor = User.objects.get(memberships__study=study, memberships__role=Role.MONITOR)
        steps = [
            (
                "participants, identities, casebooks, screening attempts",
                lambda: scale.participants(
                    study=study,
                    per_site=opts["participants_per_site"],
                    screener_of={site: users[0] for site, users in therapists.items()},
                ),
            ),
            ("visits", lambda: scale.visits(study=study)),
            (
                "dosing sessions, doses, readings, alerts",
                lambda: scale.dosing(
                    study=study, readings=opts["readings"], therapists=therapists, monitor=monitor
                ),
            ),
            (
                "adverse events",
                lambda: self._adverse_events(sites, therapists, monitor, opts["adverse_events"]),
            ),
            (
                "queries",
                lambda: scale.queries(
                    study=study,
                    count=opts["queries"],
                    monitor=monitor,
                    answerer_of={site: users[0] for site, users in therapists.items()},
                ),
            ),
        ]
        for label, step in steps:
            at = time.monotonic()
            with transaction.atomic():
                step()
            self.stdout.write(f"  {label}: {time.monotonic() - at:.0f} s")
        with connection.cursor() as cursor:
            # Vacuumed as well as analysed, outside a transaction: a million rows just inserted
            # are otherwise vacuumed by autovacuum, and their hint bits written by the first
            # reads, while the benchmark runs.
            cursor.execute("ANALYZE" if connection.in_atomic_block else "VACUUM (ANALYZE)")
        elapsed = time.monotonic() - started

        manifest = bench_manifest(study, sites, password, therapists_per_site=THERAPISTS_PER_SITE)
        manifest["seed_seconds"] = round(elapsed, 1)
        counts = manifest["counts"]
        self.stdout.write(
            self.style.SUCCESS(
                f"{seeded_line(counts)}, "
                f"{AdverseEvent.objects.filter(participant__site__study=study).count()} adverse "
                f"events and {scale.query_count(study)} queries in {elapsed:.0f} s. "
                "Bulk-inserted benchmark data: everything but the study, its sites and its "
                "accounts is NOT in the audit trail."
            )
        )
        self.stdout.write(
            f"Accounts: {study.code.lower()}-admin, -monitor, -datamanager, "
            f"-s<site>-therapist1/2, -s<site>-investigator"
        )
        if opts["manifest"]:
            manifest.update(
                monitor=monitor.username,
                data_manager=f"{study.code.lower()}-datamanager",
                site_ids=[site.pk for site in sites],
            )
            manifest["counts"]["queries"] = scale.query_count(study)
            path = manifest_write(opts["manifest"], manifest)
            self.stdout.write(f"Manifest: {path}")
        if not opts["password"]:
            self.stdout.write(f"Password of every account: {password}")

    def _adverse_events(self, sites, therapists, monitor, count):
        base, extra = divmod(count, len(sites))
        for i, site in enumerate(sites):
            n = base + (1 if i < extra else 0)
            people = list(Participant.objects.filter(site=site).order_by("pk"))
            if n and people:
                bulk_adverse_events(
                    participants=people,
                    reporter=User.objects.get(pk=therapists[site.pk][0]),
                    monitor=monitor,
                    count=n,
                    seed=i,
                )


def _screening_config(study) -> None:
    """The study screens by MAPP2's published criteria (seeded by screening's migration)."""
    criteria = CriteriaSet.objects.filter(code="MAPP2").first()
    if criteria is None:
        raise CommandError("No MAPP2 criteria set: run the migrations first.")
    admin = User.objects.get(memberships__study=study, memberships__role=Role.STUDY_ADMIN)
    with acting_as(admin), change_reason(REASON):
        StudyScreeningConfig.objects.create(study=study, criteria_set=criteria)


def _site_staff(study) -> dict[int, dict[str, list[int]]]:
    """Each site's account ids by role, in username order."""
    staff: dict[int, dict[str, list[int]]] = {}
    rows = (
        User.objects.filter(memberships__study=study, memberships__site__isnull=False)
        .order_by("username")
        .values_list("memberships__site_id", "memberships__role", "pk")
    )
    for site, role, user in rows:
        staff.setdefault(site, {}).setdefault(role, []).append(user)
    return staff
