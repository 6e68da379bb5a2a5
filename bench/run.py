"""Load driver: concurrent therapists opening flowsheets and recording readings, or monitors
opening the query worklist (--worklist) or the review queue of adverse events (--ae-queue), or
therapists and monitors opening the list pages that grow with the data (--pages).

Standard library only. Reads the manifest written by `manage.py seed_trial` (and seed_queries),
logs each client in as its own therapist (one per site, round robin) or as the study's monitor,
warms up, then runs each scenario in turn with all clients at once and prints p50/p95/mean/max
latency and throughput. Exits non-zero if any request answered other than expected (200 for a
page, 302 back to the flowsheet for a reading) or failed.

With --hello-url (bench/hello.py, bare Django served by the same gunicorn), the same clients
first measure that baseline, and every scenario's throughput is also given as a ratio to it.

    python bench/run.py --base-url http://127.0.0.1:8123 --manifest bench/results/manifest.json
    python bench/run.py --hello-url http://127.0.0.1:8124 --base-url ... --manifest ...
    python bench/run.py --worklist --clients 4 --base-url ... --manifest ...
    python bench/run.py --ae-queue --clients 4 --base-url ... --manifest ...
"""

import argparse
import datetime
import http.cookiejar
import json
import os
import random
import statistics
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
import zoneinfo

TIMEOUT = 60


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    """Report a redirect instead of following it: a 302 is the answer being measured."""

    def redirect_request(self, req, fp, code, msg, headers, newurl):
        return None


class Client:
    """One browser: its own cookies (session, CSRF token), one request at a time."""

    def __init__(self, base_url: str, username: str, password: str, sessions: dict):
        self.base_url = base_url.rstrip("/")
        self.username = username
        self.password = password
        self.sessions = sessions  # {"in_progress": [...], "ended": [...]}
        self.cookies = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(self.cookies), _NoRedirect()
        )
        self.rng = random.Random(username)

    def request(self, path: str, data: dict | None = None) -> tuple[int, str, bytes, float]:
        """(status, Location header, body, seconds) of one request, body read to the end."""
        body = urllib.parse.urlencode(data).encode() if data is not None else None
        req = urllib.request.Request(self.base_url + path, data=body)  # noqa: S310 - http only
        if body is not None:
            req.add_header("Referer", self.base_url + path)
        started = time.perf_counter()
        try:
            with self.opener.open(req, timeout=TIMEOUT) as response:
                content = response.read()
                status, location = response.status, response.headers.get("Location", "")
        except urllib.error.HTTPError as error:  # 3xx (not followed), 4xx, 5xx
            content = error.read()
            status, location = error.code, error.headers.get("Location", "")
        return status, location, content, time.perf_counter() - started

    def csrf_token(self) -> str:
        for cookie in self.cookies:
            if cookie.name == "csrftoken":
                return cookie.value
        raise RuntimeError(f"{self.username}: no csrftoken cookie")

    def login(self) -> None:
        status, _, _, _ = self.request("/accounts/login/")
        if status != 200:
            raise RuntimeError(f"{self.username}: GET /accounts/login/ answered {status}")
        status, location, _, _ = self.request(
            "/accounts/login/",
            {
                "csrfmiddlewaretoken": self.csrf_token(),
                "username": self.username,
                "password": self.password,
            },
        )
        if status != 302 or "/accounts/login/" in location:
            raise RuntimeError(f"{self.username}: login refused (HTTP {status})")


def open_flowsheet(client: Client, i: int):
    """GET a flowsheet of the client's site: ended and running sessions alike."""
    pool = client.sessions["ended"] + client.sessions["in_progress"]
    path = f"/sessions/{pool[i % len(pool)]}/"
    status, _, _, seconds = client.request(path)
    return path, status == 200, status, seconds


def record_reading(client: Client, i: int, tz):
    """POST a reading to a running session of the client's site; 302 back to it is success."""
    pool = client.sessions["in_progress"]
    pk = pool[i % len(pool)]
    path = f"/sessions/{pk}/"
    rng = client.rng
    systolic = rng.randint(161, 170) if rng.random() < 0.03 else rng.randint(110, 150)
    data = {
        "csrfmiddlewaretoken": client.csrf_token(),
        "action": "reading",
        "reading-measured_at": datetime.datetime.now(tz).strftime("%Y-%m-%dT%H:%M"),
        "reading-systolic": systolic,
        "reading-diastolic": rng.randint(65, min(95, systolic - 25)),
        "reading-pulse": rng.randint(60, 105),
        "reading-temperature": f"{rng.uniform(36.3, 37.6):.1f}",
        "reading-suds": rng.randint(0, 8),
    }
    status, location, _, seconds = client.request(path, data)
    ok = status == 302 and urllib.parse.urlsplit(location).path == path
    return path, ok, status, seconds


def open_page(path: str):
    """A scenario of a monitor's page: GET `path`, success is 200; a `{site}` in it is each
    site's id in turn."""

    def action(client: Client, i: int):
        site_ids = client.sessions.get("site_ids") or [""]
        url = path.format(site=site_ids[i % len(site_ids)])
        status, _, _, seconds = client.request(url)
        return url, status == 200, status, seconds

    return action


def say_hello(client: Client, i: int):
    """GET bare Django's "hello" (bench/hello.py): the baseline every figure is compared with."""
    status, _, body, seconds = client.request("/")
    return "/", status == 200 and body == b"hello", status, seconds


def run_scenario(clients: list[Client], action, per_client: int) -> dict:
    """All clients at once, each doing `per_client` requests back to back."""
    latencies: list[float] = []
    errors: list[str] = []
    lock = threading.Lock()
    barrier = threading.Barrier(len(clients) + 1)

    def work(index: int, client: Client) -> None:
        mine, bad = [], []
        barrier.wait()
        for n in range(per_client):
            try:
                path, ok, status, seconds = action(client, index * per_client + n)
            except Exception as error:  # a failed request is reported, not raised
                bad.append(f"{client.username}: {error!r}")
                continue
            mine.append(seconds)
            if not ok:
                bad.append(f"{client.username}: {path} answered HTTP {status}")
        with lock:
            latencies.extend(mine)
            errors.extend(bad)

    threads = [
        threading.Thread(target=work, args=(i, c), daemon=True) for i, c in enumerate(clients)
    ]
    for thread in threads:
        thread.start()
    barrier.wait()
    started = time.perf_counter()
    for thread in threads:
        thread.join()
    wall = time.perf_counter() - started
    return {"latencies": latencies, "errors": errors, "wall": wall}


def summary(name: str, result: dict) -> dict:
    ms = sorted(x * 1000 for x in result["latencies"])
    if len(ms) < 2:
        return {"scenario": name, "n": len(ms), "errors": len(result["errors"])}
    cuts = statistics.quantiles(ms, n=100, method="inclusive")
    return {
        "scenario": name,
        "n": len(ms),
        "p50_ms": round(statistics.median(ms), 1),
        "p95_ms": round(cuts[94], 1),
        "mean_ms": round(statistics.fmean(ms), 1),
        "max_ms": round(ms[-1], 1),
        "req_per_s": round(len(ms) / result["wall"], 1),
        "errors": len(result["errors"]),
    }


HELLO = "bare Django hello"


def with_ratios(rows: list[dict]) -> None:
    """Each row's throughput as a ratio to the baseline's, measured in the same run."""
    hello = next((r for r in rows if r["scenario"] == HELLO and r.get("req_per_s")), None)
    if hello is None:
        return
    for row in rows:
        if row.get("req_per_s"):
            row["ratio_to_hello"] = round(row["req_per_s"] / hello["req_per_s"], 3)


def compare(trial_path: str, sponsor_path: str) -> str:
    """A Markdown table of p50 and p95 per scenario of two runs: one trial and sponsor scale."""
    runs = []
    for path in (trial_path, sponsor_path):
        with open(path) as f:
            runs.append(json.load(f))
    trial, sponsor = ({row["scenario"]: row for row in run["scenarios"]} for run in runs)
    lines = [
        "| page | one trial p50 | p95 | sponsor scale p50 | p95 |",
        "|---|---|---|---|---|",
    ]
    for name, row in sponsor.items():
        one = trial.get(name, {})
        lines.append(
            f"| {name} | {one.get('p50_ms', '-')} ms | {one.get('p95_ms', '-')} ms "
            f"| {row.get('p50_ms', '-')} ms | {row.get('p95_ms', '-')} ms |"
        )
    for run, label in zip(runs, ("one trial", "sponsor scale"), strict=True):
        c = run["counts"]
        lines.append(
            f"\n{label}: {c['sites']} sites, {c['participants']} participants, "
            f"{c['readings']} readings; {run['clients']} clients, {run['cpus']} CPUs, "
            f"load average {run['load_1min_before']} before the run ({run['date']})"
        )
    return "\n".join(lines)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--base-url", help="e.g. http://127.0.0.1:8123")
    parser.add_argument("--manifest", help="JSON written by seed_trial")
    parser.add_argument(
        "--compare",
        nargs=2,
        metavar=("ONE_TRIAL_JSON", "SPONSOR_JSON"),
        help="print the figures of two --pages runs side by side (a Markdown table) and exit",
    )
    parser.add_argument("--clients", type=int, default=10, help="concurrent clients (10)")
    parser.add_argument(
        "--requests", type=int, default=500, help="measured requests per scenario (500)"
    )
    parser.add_argument(
        "--warmup", type=int, default=5, help="unmeasured requests per client per scenario (5)"
    )
    parser.add_argument("--time-zone", help="server's TIME_ZONE (default: from the manifest)")
    parser.add_argument(
        "--worklist",
        action="store_true",
        help="measure the monitor's query worklist instead (manifest from seed_queries)",
    )
    parser.add_argument(
        "--ae-queue",
        action="store_true",
        help="measure the monitor's review queue instead (manifest from seed_adverse_events)",
    )
    parser.add_argument(
        "--hello-url",
        help="bare Django (bench/hello.py) on the same gunicorn: measured first, as the baseline",
    )
    parser.add_argument(
        "--pages",
        action="store_true",
        help="measure the list pages that grow with the data instead (therapists and monitors; "
        "manifest from seed_scale, or seed_trial and seed_adverse_events)",
    )
    parser.add_argument("--json", help="also write the figures to this file")
    args = parser.parse_args(argv)
    if args.compare:
        print(compare(*args.compare))
        return 0
    if not (args.base_url and args.manifest):
        parser.error("--base-url and --manifest are required")

    with open(args.manifest) as f:
        manifest = json.load(f)
    tz = zoneinfo.ZoneInfo(args.time_zone or manifest.get("time_zone") or "UTC")
    sites = manifest["sites"]
    clients, monitors = [], []
    if args.pages:
        if "monitor" not in manifest:
            parser.error("the manifest has no monitor (run seed_scale or seed_adverse_events)")
        monitors = [
            Client(
                args.base_url,
                manifest["monitor"],
                manifest["password"],
                {"site_ids": manifest["site_ids"]},
            )
            for _ in range(args.clients)
        ]
    for i in range(args.clients):
        if args.worklist or args.ae_queue:
            if "monitor" not in manifest:
                parser.error("the manifest has no monitor (run seed_queries/seed_adverse_events)")
            username, sessions = manifest["monitor"], {"site_ids": manifest["site_ids"]}
        else:
            site = sites[i % len(sites)]
            therapists = site["therapists"]
            username = therapists[(i // len(sites)) % len(therapists)]
            sessions = {"in_progress": site["in_progress"], "ended": site["ended"]}
            if not sessions["in_progress"]:
                parser.error(f"site {site['number']} has no session in progress")
        clients.append(Client(args.base_url, username, manifest["password"], sessions))

    per_client = max(1, args.requests // args.clients)
    counts = manifest["counts"]
    print(
        f"trialsite bench: {args.base_url}, {args.clients} concurrent clients, "
        f"{per_client * args.clients} requests per scenario after {args.warmup} warm-up "
        f"per client; data: {counts['sites']} sites, {counts['participants']} participants, "
        f"{counts['dosing_sessions']} dosing sessions, {counts['readings']} readings"
        + (f", {counts['queries']} queries {counts['queries_by_state']}" if args.worklist else "")
        + (
            f", {counts['adverse_events']} adverse events ({counts['serious']} serious, "
            f"{counts['susars']} SUSARs, {counts['drafts']} drafts)"
            if args.ae_queue
            else ""
        )
    )
    login_errors = []

    def login(client):
        try:
            client.login()
        except Exception as error:  # reported below
            login_errors.append(str(error))

    threads = [threading.Thread(target=login, args=(c,)) for c in clients + monitors]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if login_errors:
        print("login failed:", *login_errors, sep="\n  ", file=sys.stderr)
        return 1

    scenarios = [
        ("staff home", open_page("/")),
        ("open flowsheet", open_flowsheet),
        ("record reading", lambda client, i: record_reading(client, i, tz)),
    ]
    if args.worklist:
        scenarios = [
            # The first page: open and answered queries, longest waiting first.
            ("worklist", open_page("/queries/")),
            # The answered queries of one site.
            ("worklist filtered", open_page("/queries/?state=answered&site={site}")),
        ]
    if args.ae_queue:
        scenarios = [
            # The first page: what waits for the monitor, most urgent first.
            ("review queue", open_page("/safety/review/")),
            # One site's serious events.
            ("queue filtered", open_page("/safety/review/?site={site}&seriousness=serious")),
        ]
    if args.pages:
        # Each list page as the role that works from it: a therapist of the client's site, or
        # the study's monitor (all sites); the first page of each, as a user opens it.
        scenarios = [
            ("home (therapist)", open_page("/")),
            ("participants", open_page("/participants/")),
            ("flowsheet", open_flowsheet),
            ("home (monitor)", open_page("/"), monitors),
            ("alerts", open_page("/sessions/alerts/"), monitors),
            ("adverse events", open_page("/safety/adverse-events/"), monitors),
            ("review queue", open_page("/safety/review/"), monitors),
            ("query worklist", open_page("/queries/"), monitors),
            ("screening log", open_page("/screening/log/"), monitors),
        ]
    # Each scenario by the clients given with it (a page's role), or by every client.
    measured = [(name, action, who[0] if who else clients) for name, action, *who in scenarios]
    if args.hello_url:
        # The baseline first, by as many clients, each its own connection per request too.
        hello_clients = [Client(args.hello_url, c.username, "", {}) for c in clients]
        measured.insert(0, (HELLO, say_hello, hello_clients))
    rows, errors = [], []
    # Other work on the machine skews the figures: say how busy it was.
    load = os.getloadavg()[0]
    print(f"load average (1 min) before the run: {load:.2f}")
    for name, action, group in measured:
        if args.warmup:
            warm = run_scenario(group, action, args.warmup)
            errors.extend(f"[{name}, warm-up] {e}" for e in warm["errors"])
        result = run_scenario(group, action, per_client)
        errors.extend(f"[{name}] {e}" for e in result["errors"])
        rows.append(summary(name, result))
    with_ratios(rows)

    print(
        f"{'scenario':<20}{'n':>6}{'p50 ms':>9}{'p95 ms':>9}{'mean ms':>9}{'max ms':>9}"
        f"{'req/s':>8}{'÷ hello':>9}{'errors':>8}"
    )
    for row in rows:
        print(
            f"{row['scenario']:<20}{row['n']:>6}{row.get('p50_ms', '-'):>9}"
            f"{row.get('p95_ms', '-'):>9}{row.get('mean_ms', '-'):>9}{row.get('max_ms', '-'):>9}"
            f"{row.get('req_per_s', '-'):>8}{row.get('ratio_to_hello', '-'):>9}"
            f"{row['errors']:>8}"
        )
    if args.json:
        with open(args.json, "w") as f:
            figures = {
                "date": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
                "cpus": os.cpu_count(),
                "load_1min_before": round(load, 2),
                "clients": args.clients,
                "counts": counts,
                "scenarios": rows,
            }
            json.dump(figures, f, indent=2)
    if errors:
        print(f"{len(errors)} request(s) failed; the first ones:", file=sys.stderr)
        for error in errors[:10]:
            print(f"  {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
