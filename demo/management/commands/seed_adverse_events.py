"""Adds adverse events to a study seeded by seed_trial, for the review queue's benchmark
(bench/, `make bench-ae-queue`).

--adverse-events events (default 5,000) spread over the study's sites, each site's for its own
participants and reported by its first therapist, with the monitor's reviews and the regulatory
submissions of the SUSARs among them (the mix is demo.adverse_events'). They are inserted in bulk,
past the services: unlike seed_trial's and seed_queries' records, THEY ARE NOT IN THE AUDIT
TRAIL. A benchmark's data, never a study's.

Adds to seed_trial's manifest (--manifest) the monitor's account, the sites' ids (for the queue's
site filter) and the counts of events.
"""

import time

from django.core.management.base import BaseCommand
from django.db.models import Count, Q

from accounts.models import Role, User
from demo.adverse_events import bulk_adverse_events
from demo.bench import bench_study, manifest_add
from participants.models import Participant
from safety.models import SERIOUS, AdverseEvent


class Command(BaseCommand):
    help = "Insert adverse events in bulk across the sites of a study seeded by seed_trial."

    def add_arguments(self, parser):
        parser.add_argument("--adverse-events", type=int, default=5_000)
        parser.add_argument("--study-code", default="TRIAL-BENCH")
        parser.add_argument("--manifest", help="seed_trial's manifest, to add the events to.")

    def handle(self, *args, **opts):
        study, monitor, sites = bench_study(opts["study_code"])
        base, extra = divmod(opts["adverse_events"], len(sites))
        started = time.monotonic()
        susars = 0
        for i, site in enumerate(sites):
            reporter = (
                User.objects.filter(memberships__site=site, memberships__role=Role.THERAPIST)
                .order_by("username")
                .first()
            )
            susars += bulk_adverse_events(
                participants=list(Participant.objects.filter(site=site).order_by("pk")),
                reporter=reporter,
                monitor=monitor,
                count=base + (1 if i < extra else 0),
                seed=i,
            )
        elapsed = time.monotonic() - started
        counts = AdverseEvent.objects.filter(participant__site__study=study).aggregate(
            adverse_events=Count("pk"),
            serious=Count("pk", filter=SERIOUS),
            drafts=Count("pk", filter=Q(status=AdverseEvent.Status.DRAFT)),
        )
        counts["susars"] = susars
        self.stdout.write(
            self.style.SUCCESS(
                f"Inserted {counts['adverse_events']} adverse events at {len(sites)} sites in "
                f"{elapsed:.0f} s: {counts}. Bulk-inserted benchmark data: these events, their "
                "reviews and submissions are NOT in the audit trail."
            )
        )
        manifest_add(
            opts["manifest"],
            monitor=monitor,
            sites=sites,
            counts=counts,
            adverse_events_seed_seconds=round(elapsed, 1),
        )
