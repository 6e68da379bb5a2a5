"""Raises data queries on a study seeded by seed_trial, for the worklist benchmark (bench/).

The study's monitor raises --queries queries (default 10,000) on the vital-sign readings of every
site in turn, on one of their fields or the whole reading; a therapist of the site answers one in
three, and the monitor closes one in ten of those answered. So the worklist holds queries of
every state across every site. Through the services, like seed_trial: every query and message is
in the audit trail. Sites are seeded by parallel processes (--processes).

Adds to seed_trial's manifest (--manifest) the monitor's account, the sites' ids (for the
worklist's site filter) and the counts of queries by state.
"""

import multiprocessing
import time

from django.core.management.base import BaseCommand, CommandError
from django.db import connections
from django.db.models import Count

from accounts.models import Role, User
from demo.bench import bench_study, manifest_add
from queries import services
from queries.models import Query
from sessions_app.models import VitalSignReading

FIELDS = ["systolic", "diastolic", "pulse", "temperature", "suds", "measured_at", ""]
ANSWER_EVERY, CLOSE_EVERY = 3, 10


class Command(BaseCommand):
    help = "Raise data queries across the sites of a study seeded by seed_trial."

    def add_arguments(self, parser):
        parser.add_argument("--queries", type=int, default=10_000)
        parser.add_argument("--study-code", default="TRIAL-BENCH")
        parser.add_argument("--processes", type=int, default=multiprocessing.cpu_count())
        parser.add_argument("--manifest", help="seed_trial's manifest, to add the queries to.")

    def handle(self, *args, **opts):
        study, monitor, sites = bench_study(opts["study_code"])
        base, extra = divmod(opts["queries"], len(sites))
        jobs = [
            (site.pk, monitor.pk, base + (1 if i < extra else 0)) for i, site in enumerate(sites)
        ]
        started = time.monotonic()
        processes = max(1, min(opts["processes"], len(sites)))
        if processes == 1:
            results = [_seed_site(job) for job in jobs]
        else:
            connections.close_all()  # the children open their own
            with multiprocessing.get_context("fork").Pool(processes) as pool:
                results = list(pool.imap_unordered(_seed_site, jobs))
        elapsed = time.monotonic() - started
        states = dict(
            Query.objects.filter(participant__site__study=study)
            .values_list("state")
            .annotate(n=Count("pk"))
            .order_by()
        )
        self.stdout.write(
            self.style.SUCCESS(
                f"Raised {sum(n for _, n in results)} queries at {len(sites)} sites in "
                f"{elapsed:.0f} s ({processes} process{'es' if processes > 1 else ''}): {states}"
            )
        )
        manifest_add(
            opts["manifest"],
            monitor=monitor,
            sites=sites,
            counts={"queries": sum(states.values()), "queries_by_state": states},
            queries_seed_seconds=round(elapsed, 1),
        )


def _seed_site(job):
    """Raise one site's queries (in the parent or in a pool process); (site id, how many)."""
    site_pk, monitor_pk, count = job
    monitor = User.objects.get(pk=monitor_pk)
    therapist = (
        User.objects.filter(memberships__site_id=site_pk, memberships__role=Role.THERAPIST)
        .order_by("username")
        .first()
    )
    readings = list(
        VitalSignReading.objects.filter(session__visit__participant__site_id=site_pk)
        .select_related("session__visit__participant")
        .order_by("pk")
    )
    if not readings:
        raise CommandError(f"Site {site_pk} has no readings to query.")
    for i in range(count):
        reading = readings[(i * 7) % len(readings)]
        field = FIELDS[i % len(FIELDS)]
        query = services.query_raise(
            actor=monitor,
            record=reading,
            field_name=field,
            text=f"Please check against source ({i}).",
        )
        if i % ANSWER_EVERY == 0:
            query = services.query_answer(
                actor=therapist, query=query, text="Checked against the source: it is right."
            )
            if i % (ANSWER_EVERY * CLOSE_EVERY) == 0:
                services.query_close(actor=monitor, query=query)
    connections.close_all()
    return site_pk, count
