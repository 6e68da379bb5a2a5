"""Profiles the sponsor-scale benchmark's list pages in-process: for each page (after a warm-up
request) how many queries it reads and how long they take, and, over `--repeat` requests with
Django's test client, the functions that took the most time (cProfile). Read-only; run it after
seed_scale or seed_trial with the manifest they wrote.
"""

import cProfile
import io
import json
import pstats
import time

from django.core.management.base import BaseCommand
from django.db import connection
from django.test.utils import CaptureQueriesContext

from demo.management.commands.explain_pages import page_clients


class Command(BaseCommand):
    help = "Profile each list page of the benchmark in-process (queries and cProfile)."

    def add_arguments(self, parser):
        parser.add_argument("--manifest", required=True)
        parser.add_argument("--repeat", type=int, default=10)
        parser.add_argument("--top", type=int, default=25)
        parser.add_argument("--page", action="append", help="only this path (repeatable)")
        parser.add_argument(
            "--sort", default="cumulative", help="pstats order: cumulative, tottime"
        )

    def handle(self, *args, **opts):
        with open(opts["manifest"]) as f:
            manifest = json.load(f)
        pages, clients = page_clients(manifest)
        for path, role in pages:
            if opts["page"] and path not in opts["page"]:
                continue
            client = clients[role]
            client.get(path)  # warm: the session, the caches
            with CaptureQueriesContext(connection) as captured:
                status = client.get(path).status_code
            queries = captured.captured_queries  # before the profiled requests add to the log
            sql = sum(float(q["time"]) for q in queries) * 1000
            profile = cProfile.Profile()
            started = time.perf_counter()
            profile.enable()
            for _ in range(opts["repeat"]):
                client.get(path)
            profile.disable()
            each = (time.perf_counter() - started) * 1000 / opts["repeat"]
            self.stdout.write(
                f"== {path} as {role}: HTTP {status}, {len(queries)} queries, {sql:.1f} ms of "
                f"SQL, {each:.1f} ms a request (profiled)"
            )
            out = io.StringIO()
            pstats.Stats(profile, stream=out).sort_stats(opts["sort"]).print_stats(opts["top"])
            self.stdout.write(out.getvalue())
