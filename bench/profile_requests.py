"""Profile the benchmark's requests in-process: where the milliseconds and the queries go.

Run after `seed_trial` (bench/flowsheet.sh runs it with BENCH_PROFILE set, in place of the
driver), under the same settings as the served app (production: DEBUG off, cached template
loader). For each scenario (staff home, open flowsheet, record reading) it makes a few warm-up
requests with Django's test client as one of the site's therapists, then:

1. lists the queries of one request;
2. times `--repeat` requests unprofiled: wall and CPU milliseconds per request (CPU of this
   process only: Python's share, without PostgreSQL's), and the time spent waiting on SQL;
3. times the same requests with a clock between every two middlewares: each middleware's own
   milliseconds (what it does before and after the next one), the view's, and each template's
   own rendering time (without the templates it includes);
4. profiles them (cProfile): the `--top` functions by cumulative and by own time.

    python bench/profile_requests.py --manifest bench/results/manifest.json [--repeat 50] [--top 30]
    python bench/profile_requests.py --manifest ... --only flowsheet --no-cprofile
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
from collections import defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "trialsite.settings.production")

# Middleware timing: a clock before every middleware and before the view. A mark's inclusive time
# minus the next mark's is the middleware's own time between them.
_clock: dict[int, float] = defaultdict(float)


def _mark(index: int):
    class Mark:
        def __init__(self, get_response):
            self.get_response = get_response

        def __call__(self, request):
            started = time.perf_counter()
            try:
                return self.get_response(request)
            finally:
                _clock[index] += time.perf_counter() - started

    Mark.__name__ = f"Mark{index}"
    return Mark


def timed_middleware(middleware: list[str]) -> list[str]:
    """MIDDLEWARE with a mark before each entry and one before the view."""
    module = sys.modules[__name__]
    timed = []
    for index, path in enumerate([*middleware, None]):
        setattr(module, f"Mark{index}", _mark(index))
        timed.append(f"{__name__}.Mark{index}")
        if path:
            timed.append(path)
    return timed


# Template timing: each template's own rendering time (an {% include %}d one is its own entry).
_templates: dict[str, list] = defaultdict(lambda: [0, 0.0])
_template_stack: list[float] = []


def time_templates() -> None:
    from django.template.base import Template

    render = Template._render

    def timed_render(self, context):
        started = time.perf_counter()
        _template_stack.append(0.0)
        try:
            return render(self, context)
        finally:
            spent = time.perf_counter() - started
            inner = _template_stack.pop()
            entry = _templates[self.origin.template_name or self.origin.name]
            entry[0] += 1
            entry[1] += spent - inner
            if _template_stack:
                _template_stack[-1] += spent

    Template._render = timed_render


class SqlClock:
    """Time spent executing SQL (database round trips, as the client sees them)."""

    def __init__(self):
        self.seconds = 0.0
        self.count = 0

    def __call__(self, execute, sql, params, many, context):
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            self.seconds += time.perf_counter() - started
            self.count += 1


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--manifest", required=True, help="JSON written by seed_trial")
    parser.add_argument("--repeat", type=int, default=50, help="requests per scenario and pass")
    parser.add_argument("--top", type=int, default=30, help="functions listed per scenario")
    parser.add_argument("--only", help="only the scenarios whose name contains this")
    parser.add_argument("--no-cprofile", action="store_true", help="timings only")
    args = parser.parse_args(argv)

    import django

    django.setup()
    from django.conf import settings
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext, override_settings

    from accounts.models import User

    with open(args.manifest) as f:
        manifest = json.load(f)
    site = manifest["sites"][0]
    tz = zoneinfo.ZoneInfo(manifest.get("time_zone") or "UTC")
    user = User.objects.get(username=site["therapists"][0])
    # The readings are posted to another running session than the one opened, so that repeated
    # runs open a flowsheet of the same size.
    running, posted_to = site["in_progress"][0], site["in_progress"][-1]
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
        ("staff home GET /", lambda c, n: c.get("/"), 200),
        ("flowsheet GET (ended)", lambda c, n: c.get(f"/sessions/{ended}/"), 200),
        ("flowsheet GET (running)", lambda c, n: c.get(f"/sessions/{running}/"), 200),
        ("reading POST", lambda c, n: c.post(f"/sessions/{posted_to}/", reading(n)), 302),
    ]
    if args.only:
        scenarios = [s for s in scenarios if args.only in s[0]]

    def new_client() -> Client:
        client = Client(SERVER_NAME="127.0.0.1")
        client.force_login(user)
        return client

    client = new_client()
    middleware = list(settings.MIDDLEWARE)
    with override_settings(MIDDLEWARE=timed_middleware(middleware)):
        timed_client = new_client()
        timed_client.get("/")  # the handler reads MIDDLEWARE on its first request
    time_templates()
    print(
        f"profile: {os.cpu_count()} CPUs, load average {' '.join(map(str, os.getloadavg()))}, "
        f"{args.repeat} requests per scenario and pass, DEBUG={settings.DEBUG}"
    )
    summary = []
    for name, request, expected in scenarios:
        for n in range(3):
            response = request(client, n)
            if response.status_code != expected:
                print(f"{name}: answered {response.status_code}", file=sys.stderr)
                return 1
        with CaptureQueriesContext(connection) as queries:
            request(client, 3)
        print(f"\n=== {name}: {len(queries.captured_queries)} queries")
        for i, query in enumerate(queries.captured_queries, 1):
            print(f"  {i:>2}. [{query['time']}s] {query['sql'][:200]}")

        # Unprofiled: wall, CPU of this process, SQL.
        sql = SqlClock()
        wall, cpu = time.perf_counter(), time.process_time()
        with connection.execute_wrapper(sql):
            for n in range(args.repeat):
                request(client, 4 + n)
        wall = (time.perf_counter() - wall) * 1000 / args.repeat
        cpu = (time.process_time() - cpu) * 1000 / args.repeat
        sql_ms = sql.seconds * 1000 / args.repeat
        summary.append((name, wall, cpu, sql_ms, sql.count / args.repeat))
        print(
            f"--- {name}: {wall:.1f} ms wall, {cpu:.1f} ms CPU per request; SQL "
            f"{sql_ms:.1f} ms ({sql.count / args.repeat:.0f} statements, savepoints included)"
        )

        # Middleware by middleware, the view, templates.
        _clock.clear()
        _templates.clear()
        for n in range(args.repeat):
            request(timed_client, 100 + n)
        marks = [_clock[i] * 1000 / args.repeat for i in range(len(middleware) + 1)]
        print(f"--- {name}: own ms per request, middleware by middleware (then the view)")
        for i, path in enumerate(middleware):
            print(f"  {marks[i] - marks[i + 1]:>7.2f}  {path}")
        print(f"  {marks[-1]:>7.2f}  view (with process_view, templates, forms)")
        print(f"--- {name}: own rendering ms per request, template by template")
        for template, (count, seconds) in sorted(_templates.items(), key=lambda t: -t[1][1])[:15]:
            print(f"  {seconds * 1000 / args.repeat:>7.2f}  {template} (x{count / args.repeat:g})")

        if args.no_cprofile:
            continue
        profiler = cProfile.Profile()
        profiler.enable()
        for n in range(args.repeat):
            request(client, 200 + n)
        profiler.disable()
        for order in ("cumulative", "tottime"):
            out = io.StringIO()
            pstats.Stats(profiler, stream=out).strip_dirs().sort_stats(order).print_stats(args.top)
            print(f"--- {name}: cProfile by {order}, {args.repeat} requests")
            print(out.getvalue().split("\n", 6)[-1].rstrip())

    print("\n=== per request, unprofiled")
    print(f"{'scenario':<26}{'wall ms':>9}{'CPU ms':>8}{'SQL ms':>8}{'SQL stmts':>10}")
    for name, wall, cpu, sql_ms, stmts in summary:
        print(f"{name:<26}{wall:>9.1f}{cpu:>8.1f}{sql_ms:>8.1f}{stmts:>10.0f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
