"""Profile the benchmark's requests in-process: where the milliseconds and the queries go.

Run after `seed_trial` (bench/flowsheet.sh runs it with BENCH_PROFILE set, in place of the
driver), under the same settings as the served app. For each scenario (staff home, open
flowsheet, record reading) it makes a few warm-up requests with Django's test client as one of
the site's therapists, then lists the queries of one request and the functions that took the
most time over `--repeat` requests (cProfile, cumulative).

    python bench/profile_requests.py --manifest bench/results/manifest.json [--repeat 20] [--top 25]
"""

import argparse
import cProfile
import datetime
import io
import json
import os
import pstats
import sys
import time
import zoneinfo
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "trialsite.settings.production")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--manifest", required=True, help="JSON written by seed_trial")
    parser.add_argument("--repeat", type=int, default=20, help="profiled requests per scenario")
    parser.add_argument("--top", type=int, default=25, help="functions listed per scenario")
    args = parser.parse_args(argv)

    import django

    django.setup()
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext, setup_test_environment

    from accounts.models import User

    setup_test_environment()
    with open(args.manifest) as f:
        manifest = json.load(f)
    site = manifest["sites"][0]
    tz = zoneinfo.ZoneInfo(manifest.get("time_zone") or "UTC")
    client = Client(SERVER_NAME="127.0.0.1")
    client.force_login(User.objects.get(username=site["therapists"][0]))
    running = site["in_progress"][0]
    ended = site["ended"][0]

    def reading(n: int) -> dict:
        return {
            "action": "reading",
            "reading-measured_at": datetime.datetime.now(tz).strftime("%Y-%m-%dT%H:%M"),
            "reading-systolic": 120 + n % 20,
            "reading-diastolic": 80,
            "reading-pulse": 72,
            "reading-temperature": "36.8",
            "reading-suds": 2,
        }

    scenarios = [
        ("staff home GET /", lambda n: client.get("/"), 200),
        ("flowsheet GET (ended)", lambda n: client.get(f"/sessions/{ended}/"), 200),
        ("flowsheet GET (running)", lambda n: client.get(f"/sessions/{running}/"), 200),
        ("reading POST", lambda n: client.post(f"/sessions/{running}/", reading(n)), 302),
    ]
    for name, request, expected in scenarios:
        for n in range(3):
            response = request(n)
            if response.status_code != expected:
                print(f"{name}: answered {response.status_code}", file=sys.stderr)
                return 1
        with CaptureQueriesContext(connection) as queries:
            request(3)
        print(f"\n=== {name}: {len(queries.captured_queries)} queries")
        for i, query in enumerate(queries.captured_queries, 1):
            print(f"  {i:>2}. [{query['time']}s] {query['sql'][:220]}")
        profiler = cProfile.Profile()
        started = time.perf_counter()
        profiler.enable()
        for n in range(args.repeat):
            request(4 + n)
        profiler.disable()
        ms = (time.perf_counter() - started) * 1000 / args.repeat
        out = io.StringIO()
        stats = pstats.Stats(profiler, stream=out).sort_stats("cumulative")
        stats.print_stats(args.top)
        print(f"--- {name}: {ms:.1f} ms per request (profiled, {args.repeat} requests)")
        print(out.getvalue().split("\n", 6)[-1])
    return 0


if __name__ == "__main__":
    sys.exit(main())
