"""Export benchmark: the vital_signs dataset of 100,000 and 1,000,000 readings, against a raw COPY
of the same rows (see bench/README.md, "The export").

    scripts/with-test-services.sh .venv/bin/python bench/export.py [--format csv|sdtm]
    make bench-export                      # the same, with the defaults

Seeds a small study with seed_trial (through the services), then adds readings into its dosing
sessions by bulk SQL (INSERT ... SELECT over generate_series: not in the audit trail), up to each
size in turn. At each size, in the same run: (a) a raw `COPY (SELECT ...) TO STDOUT` of the
dataset's rows as stored (its own query, not de-identified) through psycopg, read and discarded;
(b) the export of the dataset through exports.services.export_write into a ZIP on disk, in a
fresh process, with that process's peak resident memory (VmHWM). Prints rows per second, their
ratio and the memory against the targets (export >= 0.5 x COPY; growth < 100 MB), and writes
bench/results/export.json.
"""

import argparse
import base64
import json
import os
import secrets
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"
STUDY = "TRIAL-BENCH"
DATASET = "vital_signs"
RATIO_TARGET = 0.5
GROWTH_TARGET_MB = 100


def _environment() -> None:
    """Production settings, as the other benchmarks run them, with throw-away keys."""
    if "DATABASE_URL" not in os.environ:
        sys.exit("run this under scripts/with-test-services.sh (it needs DATABASE_URL)")
    defaults = {
        "DJANGO_SETTINGS_MODULE": "trialsite.settings.production",
        "SECRET_KEY": secrets.token_urlsafe(48),
        "AUDIT_CHAIN_KEY": f"bench:{secrets.token_urlsafe(48)}",
        "EXPORT_PSEUDONYM_KEY": secrets.token_urlsafe(32),
        "EXPORT_SIGNING_KEY": base64.b64encode(secrets.token_bytes(32)).decode(),
        "EXPORT_ROOT": str(RESULTS / "exports"),
        "ALLOWED_HOSTS": "127.0.0.1",
        "EMAIL_URL": "dummymail://",
        "LOG_LEVEL": "WARNING",
    }
    for name, value in defaults.items():
        os.environ.setdefault(name, value)
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()


def _peak_rss_mb() -> float:
    """This process's peak resident memory (VmHWM), in MB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmHWM in /proc/self/status")


def child(args) -> None:
    """One export of the dataset, as the study's administrator; prints its figures as JSON."""
    from accounts.models import Role, Study
    from exports import copy_csv
    from exports.services import ExportOptions, export_start, export_write

    if args.writer == "python":  # the Python writer, for comparison
        copy_csv.copyable = lambda dataset: False
    study = Study.objects.get(code=STUDY)
    admin = study.memberships.filter(role=Role.STUDY_ADMIN).first().user
    options = ExportOptions(datasets=(DATASET,), formats=(args.format,))
    export = export_start(actor=admin, study=study, options=options)
    out = Path(args.out)
    started = time.perf_counter()
    if args.profile_out:
        import cProfile
        import pstats

        profiler = cProfile.Profile()
        export = profiler.runcall(export_write, export=export, out=out)
        profiler.dump_stats(args.profile_out)
        pstats.Stats(args.profile_out).sort_stats("tottime").print_stats(25)
    else:
        export = export_write(export=export, out=out)
    seconds = time.perf_counter() - started
    # The records written of the readings: a CSV row per reading, a VS record per vital sign.
    rows = export.rows.get(DATASET, export.rows.get("VS"))
    figures = {"rows": rows, "seconds": seconds, "peak_rss_mb": _peak_rss_mb()}
    print(json.dumps({**figures, "zip_bytes": out.stat().st_size}))


def _readings_table():
    from sessions_app.models import VitalSignReading

    return VitalSignReading._meta.db_table


def _add_readings(cursor, count: int) -> None:
    """Add `count` plausible readings, spread evenly over the study's started dosing sessions
    (over 8 hours from the start, systolic 95 to 175 rising, about 3% flagged). Bulk SQL: these
    readings are not in the audit trail."""
    cursor.execute("SELECT count(*) FROM sessions_app_dosingsession WHERE started_at IS NOT NULL")
    (sessions,) = cursor.fetchone()
    each = -(-count // sessions)
    cursor.execute("SELECT setseed(0.2026)")
    cursor.execute(
        f"""
        INSERT INTO {_readings_table()} (session_id, measured_at, systolic, diastolic, pulse,
            temperature, suds, flags, recorded_by_id, created_at, version, void_reason)
        SELECT s.id, s.started_at + g * (interval '8 hours' / %(each)s), v.systolic,
            v.systolic - 30 - floor(random() * 25)::int, 55 + floor(random() * 50)::int,
            round((36.0 + random() * 1.8)::numeric, 1), floor(random() * 11)::int,
            CASE WHEN v.systolic > 172 THEN '["systolic"]' ELSE '[]' END::jsonb,
            s.lead_therapist_id, now(), 1, ''
        FROM sessions_app_dosingsession AS s
        CROSS JOIN generate_series(1, %(each)s) AS g
        CROSS JOIN LATERAL (
            SELECT 95 + floor(random() * 61 + 20 * least(g * 8.0 / %(each)s, 1))::int AS systolic
            OFFSET 0
        ) AS v
        WHERE s.started_at IS NOT NULL AND s.lead_therapist_id IS NOT NULL
        LIMIT %(count)s
        """,  # noqa: S608 (the table's name from the model; the values bound)
        {"each": each, "count": count},
    )
    cursor.execute(f"ANALYZE {_readings_table()}")


def _raw_copy(sql: str) -> tuple[int, float]:
    """COPY (sql) TO STDOUT, read and discarded: rows, seconds."""
    from django.db import connection

    with connection.cursor() as cursor:
        started = time.perf_counter()
        rows = 0
        with cursor.copy(f"COPY ({sql}) TO STDOUT") as copy:
            for _row in copy:
                rows += 1
        return rows, time.perf_counter() - started


def _export(args, size: int) -> dict:
    out = RESULTS / f"export-{args.format}-{size}.zip"
    command = [sys.executable, __file__, "--child", "--format", args.format, "--out", str(out)]
    command += ["--writer", args.writer]
    if args.profile:
        command += ["--profile-out", str(RESULTS / f"export-{args.format}-{size}.prof")]
    done = subprocess.run(command, capture_output=True, text=True, env=os.environ)
    if done.returncode:
        sys.exit(f"bench: the export failed ({done.returncode}):\n{done.stderr[-3000:]}")
    if args.profile:
        (RESULTS / f"export-{args.format}-{size}.profile.txt").write_text(done.stdout)
    return json.loads(done.stdout.strip().splitlines()[-1])


def main(args) -> int:
    from django.core.management import call_command
    from django.db import connection

    from exports.copy_csv import source_sql
    from exports.datasets import REGISTRY, ExportContext
    from exports.deidentify import Deidentifier
    from exports.services import FORMATS

    if args.format not in FORMATS:
        print(f"bench: format {args.format} is not available here (formats: {FORMATS}); skipped")
        return 0
    RESULTS.mkdir(parents=True, exist_ok=True)
    load = " ".join(Path("/proc/loadavg").read_text().split()[:3])
    when = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    print(f"bench: {os.cpu_count()} CPUs, {when}, load average {load}")
    print(f"bench: format {args.format}, {args.writer} writer")
    call_command("migrate", verbosity=0)
    seed = ["--sites", str(args.sites), "--participants", str(args.participants)]
    call_command("seed_trial", *seed, "--processes", str(os.cpu_count()))
    from accounts.models import Study

    study = Study.objects.get(code=STUDY)
    deidentifier = Deidentifier(study_code=STUDY, stable=True, nonce="")
    ctx = ExportContext(study=study, deidentifier=deidentifier)
    raw_sql = source_sql(REGISTRY[DATASET], ctx)
    results = []
    for size in args.sizes:
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT count(*) FROM {_readings_table()}")  # noqa: S608
            (have,) = cursor.fetchone()
            started = time.perf_counter()
            _add_readings(cursor, size - have)
            added = time.perf_counter() - started
        print(
            f"bench: {size - have:,} readings added by bulk SQL in {added:.0f} s "
            f"(benchmark data only: NOT in the audit trail)"
        )
        _raw_copy(raw_sql)  # warms the cache for both
        copy_rows, copy_seconds = min((_raw_copy(raw_sql) for _ in range(2)), key=lambda r: r[1])
        export = _export(args, size)
        row = {
            "size": size,
            "copy_rows": copy_rows,
            "copy_rows_per_s": copy_rows / copy_seconds,
            "export_records": export["rows"],
            # The same readings as the COPY read, per second (in SDTM each gives several
            # VS records).
            "export_rows_per_s": copy_rows / export["seconds"],
            "export_seconds": export["seconds"],
            "peak_rss_mb": export["peak_rss_mb"],
            "zip_mb": export["zip_bytes"] / 1e6,
        }
        row["ratio"] = row["export_rows_per_s"] / row["copy_rows_per_s"]
        results.append(row)
        print(f"bench: {size:,}: {json.dumps(row)}")
    growth = results[-1]["peak_rss_mb"] - results[0]["peak_rss_mb"]
    print()
    print("| rows | COPY rows/s | export rows/s | ratio | peak RSS | ZIP |")
    print("|---|---|---|---|---|---|")
    for row in results:
        verdict = "PASS" if row["ratio"] >= RATIO_TARGET else "FAIL"
        rates = f"{row['copy_rows_per_s']:,.0f} | {row['export_rows_per_s']:,.0f}"
        memory = f"{row['peak_rss_mb']:.0f} MB | {row['zip_mb']:.1f} MB"
        print(f"| {row['size']:,} | {rates} | {row['ratio']:.2f} {verdict} | {memory} |")
    verdict = "PASS" if growth < GROWTH_TARGET_MB else "FAIL"
    print(
        f"\npeak RSS growth {results[0]['size']:,} -> {results[-1]['size']:,} rows: "
        f"{growth:+.1f} MB ({verdict}, target < {GROWTH_TARGET_MB} MB); "
        f"ratio target >= {RATIO_TARGET}"
    )
    summary = {"load_average": load, "format": args.format, "writer": args.writer}
    summary |= {"results": results, "growth_mb": growth}
    (RESULTS / f"export-{args.format}.json").write_text(json.dumps(summary, indent=2))
    passed = growth < GROWTH_TARGET_MB and all(r["ratio"] >= RATIO_TARGET for r in results)
    return 0 if passed else 1


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--format", choices=("csv", "sdtm"), default="csv")
    parser.add_argument(
        "--sizes",
        type=lambda text: [int(size) for size in text.split(",")],
        default=[100_000, 1_000_000],
        help="rows of the dataset, comma-separated, ascending (default 100000,1000000)",
    )
    parser.add_argument("--sites", type=int, default=3, help="seed_trial --sites (default 3)")
    parser.add_argument("--participants", type=int, default=12, help="seed_trial --participants")
    parser.add_argument(
        "--writer",
        choices=("auto", "python"),
        default="auto",
        help="python: the CSV by the Python writer even on PostgreSQL (for comparison)",
    )
    parser.add_argument("--profile", action="store_true", help="cProfile each export")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--out", help=argparse.SUPPRESS)
    parser.add_argument("--profile-out", help=argparse.SUPPRESS)
    return parser


if __name__ == "__main__":
    arguments = _parser().parse_args()
    _environment()
    if arguments.child:
        child(arguments)
        sys.exit(0)
    sys.exit(main(arguments))
