"""Prints, for each list page of the sponsor-scale benchmark, how many queries it reads and the
plans (EXPLAIN ANALYZE) of its slowest queries against the database as seeded: the evidence
bench/README.md quotes that the pages' indexes are used. Read-only; for bench/flowsheet.sh.
"""

import json

from django.core.management.base import BaseCommand
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from accounts.models import User

# (the page, who opens it: "therapist" of the first site or the study's "monitor").
PAGES = [
    ("/", "therapist"),
    ("/participants/", "therapist"),
    ("/", "monitor"),
    ("/sessions/alerts/", "monitor"),
    ("/safety/adverse-events/", "monitor"),
    ("/safety/review/", "monitor"),
    ("/queries/", "monitor"),
    ("/screening/log/", "monitor"),
]


def page_clients(manifest: dict) -> tuple[list[tuple[str, str]], dict[str, Client]]:
    """The benchmark's pages (with a flowsheet of the first site) and a logged-in test client for
    each role that opens them."""
    users = {
        "therapist": manifest["sites"][0]["therapists"][0],
        "monitor": manifest["monitor"],
    }
    pages = [*PAGES, (f"/sessions/{manifest['sites'][0]['ended'][0]}/", "therapist")]
    clients = {}
    for role, username in users.items():
        clients[role] = Client(HTTP_HOST="127.0.0.1")
        clients[role].force_login(User.objects.get(username=username))
    return pages, clients


class Command(BaseCommand):
    help = "EXPLAIN ANALYZE the slowest queries of each list page of the benchmark."

    def add_arguments(self, parser):
        parser.add_argument("--manifest", required=True)
        parser.add_argument("--slowest", type=int, default=2)

    def handle(self, *args, **opts):
        with open(opts["manifest"]) as f:
            manifest = json.load(f)
        pages, clients = page_clients(manifest)
        for path, role in pages:
            clients[role].get(path)  # warm: the session, the caches
            with CaptureQueriesContext(connection) as captured:
                status = clients[role].get(path).status_code
            queries = sorted(captured.captured_queries, key=lambda q: -float(q["time"]))
            total = sum(float(q["time"]) for q in queries) * 1000
            self.stdout.write(
                f"== {path} as {role}: HTTP {status}, {len(queries)} queries, {total:.1f} ms"
            )
            for query in [q for q in queries if q["sql"].startswith("SELECT")][: opts["slowest"]]:
                self.stdout.write(f"-- {float(query['time']) * 1000:.1f} ms: {query['sql']}")
                with connection.cursor() as cursor:
                    cursor.execute(f"EXPLAIN (ANALYZE, COSTS OFF) {query['sql']}")
                    for (line,) in cursor.fetchall():
                        self.stdout.write(f"   {line}")
