"""A sponsor's data in bulk (seed_scale): DESIGN.md's larger reading, 100 sites, 10,000
participants and about a million vital-sign readings, written by INSERT ... SELECT over
generate_series in a few statements, so that it takes minutes rather than the days the services
would. THESE ROWS ARE NOT IN THE AUDIT TRAIL: benchmark data, never a study's.

Per site, participant k (1, 2, ...): k = 2 (mod 50) failed screening, k = 3 (mod 50) is still in
screening, the others are enrolled with their 15 visits. An enrolled participant's three dosing
sessions have their pre-dose checks, initial and supplemental doses and `readings` readings each
(16 minutes apart, about 3% over the systolic threshold with an alert), every visit held up to
today; for k = 1 (mod 10) the third dosing session started 6 hours ago and still runs (its
readings so far, the integration visits after it scheduled). Every participant has an identity,
a casebook (open) and a screening attempt. The accounts come from demo.bench.bench_accounts.
"""

# ruff: noqa: S608 - SQL built from our own constants and table names; values are parameters.

import datetime

from django.contrib.contenttypes.models import ContentType
from django.db.models import Count
from django.utils import timezone

from accounts.models import Site
from demo.bulk import execute, insert_select, table
from participants.models import Casebook, Participant, ParticipantIdentity
from queries.models import Query, QueryMessage
from screening.models import ScreeningAttempt, StudyScreeningConfig
from sessions_app import schedule
from sessions_app.models import (
    DoseAdministration,
    DosingSession,
    Visit,
    VitalSignAlert,
    VitalSignReading,
)

# Minutes from a session's start to its first reading, between readings, and to its end after
# the last; two readings before the initial dose.
FIRST_READING, INTERVAL, END_AFTER_LAST, PREDOSE = 5, 16, 15, 2
RUNNING_FOR = datetime.timedelta(hours=6)
GIVEN = ("Ada", "Ben", "Chloe", "Dev", "Ema", "Finn", "Grace", "Hugo", "Isla", "Jon")
FAMILY = ("Archer", "Baker", "Carter", "Dawson", "Ellis", "Foster", "Gray", "Hughes")


# The constants of a statement, joined to its rows as `k`: today and the running sessions' start.
K = "(SELECT %s::date AS today, %s::timestamptz AS run_start) k"


def constants() -> list:
    now = timezone.now()
    return [timezone.localdate(now), now - RUNNING_FOR]


def _values(rows) -> str:
    """A VALUES list of literal rows (our own constants, never input)."""
    return ", ".join("(" + ", ".join(repr(v) for v in row) + ")" for row in rows)


def participants(*, study, per_site: int, screener_of: dict) -> None:
    """Participants, their identities, casebooks and screening attempts, at every site."""
    kind = (
        "CASE mod(g.k, 50) WHEN 2 THEN 'screen_failed' WHEN 3 THEN 'screening' ELSE 'enrolled' END"
    )
    # A finished course ended at least 100 days after enrolment; a running one is on D3 today.
    enrolled_on = (
        f"CASE WHEN mod(g.k, 10) = 1 THEN k.today - {3 * 28} ELSE k.today - 110 - mod(g.k, 60) END"
    )
    insert_select(
        Participant,
        {
            "site": "s.id",
            "screening_number": "'SCR' || s.number || '-' || lpad(g.k::text, 4, '0')",
            "study_code": f"CASE WHEN {kind} = 'enrolled' THEN "
            "'S' || s.number || '-' || lpad(g.k::text, 4, '0') END",
            "status": kind,
            "enrolled_on": f"CASE WHEN {kind} = 'enrolled' THEN {enrolled_on} END",
        },
        f"{K} CROSS JOIN {table(Site)} s "
        "CROSS JOIN generate_series(1, %s) AS g(k) WHERE s.study_id = %s ORDER BY s.number, g.k",
        [*constants(), per_site, study.pk],
    )
    in_study = (
        f"{K} CROSS JOIN {table(Participant)} p JOIN {table(Site)} s "
        "ON s.id = p.site_id WHERE s.study_id = %s"
    )
    insert_select(
        ParticipantIdentity,
        {
            "participant": "p.id",
            "given_name": f"(ARRAY{list(GIVEN)!r})[1 + mod(p.id, {len(GIVEN)})]",
            "family_name": f"(ARRAY{list(FAMILY)!r})[1 + mod(p.id / 7, {len(FAMILY)})]",
            "date_of_birth": "date '1960-01-01' + mod(p.id * 37, 15000)::int",
            "sex": "CASE WHEN mod(p.id, 2) = 0 THEN 'F' ELSE 'M' END",
            "country": "'United Kingdom'",
        },
        in_study,
        [*constants(), study.pk],
    )
    insert_select(Casebook, {"participant": "p.id"}, in_study, [*constants(), study.pk])
    criteria = StudyScreeningConfig.objects.get(study=study).criteria_set_id
    cases = " ".join(f"WHEN {site} THEN {user}" for site, user in screener_of.items())
    insert_select(
        ScreeningAttempt,
        {
            "participant": "p.id",
            "number": "1",
            "criteria_set": str(int(criteria)),
            "screened_on": "coalesce(p.enrolled_on - 14, k.today - mod(p.id, 30)::int)",
            "status": "CASE p.status WHEN 'enrolled' THEN 'confirmed' "
            "WHEN 'screen_failed' THEN 'screen_failed' ELSE 'draft' END",
            "age_at_screening": "30 + mod(p.id, 35)",
            "decision": "CASE p.status WHEN 'enrolled' THEN 'eligible' "
            "WHEN 'screen_failed' THEN 'ineligible' ELSE '' END",
            "failed_codes": "CASE WHEN p.status = 'screen_failed' THEN "
            "jsonb_build_array((ARRAY['E9', 'E12', 'I3'])[1 + mod(p.id, 3)]) ELSE '[]' END",
            "caps5_total": "CASE WHEN p.status = 'screening' THEN NULL ELSE 35 + mod(p.id, 30) END",
            "created_by": f"CASE p.site_id {cases} END",
            "submitted_at": "CASE WHEN p.status = 'screening' THEN NULL "
            "ELSE (coalesce(p.enrolled_on - 14, k.today) + time '12:00') AT TIME ZONE s.time_zone "
            "END",
        },
        in_study,
        [*constants(), study.pk],
    )


def visits(*, study) -> None:
    """The 15 visits of each enrolled participant, held up to today, linked to their dosing
    visits; and a dosing session for each dosing visit (not yet started)."""
    origin = datetime.date(2000, 1, 1)
    plan = schedule.schedule_dates(origin)
    course = _values(
        (
            v.code,
            v.kind,
            v.sequence,
            (plan[v.code].target - origin).days,
            v.days_before,
            v.days_after,
        )
        for v in schedule.COURSE
    )
    target = "p.enrolled_on + c.offset_days"
    insert_select(
        Visit,
        {
            "participant": "p.id",
            "code": "c.code",
            "kind": "c.kind",
            "sequence": "c.seq",
            "target_date": target,
            "window_start": f"{target} - c.before",
            "window_end": f"{target} + c.after",
            "status": f"CASE WHEN {target} <= k.today THEN 'held' ELSE 'scheduled' END",
            "held_on": f"CASE WHEN {target} <= k.today THEN {target} END",
        },
        f"{K} CROSS JOIN {table(Participant)} p JOIN accounts_site s ON s.id = p.site_id "
        f"CROSS JOIN (VALUES {course}) AS c(code, kind, seq, offset_days, before, after) "
        "WHERE s.study_id = %s AND p.status = 'enrolled' ORDER BY p.id, c.seq",
        [*constants(), study.pk],
    )
    visit = table(Visit)
    execute(
        f"UPDATE {visit} i SET dosing_visit_id = d.id FROM {visit} d "
        "WHERE i.kind = 'integration' AND d.participant_id = i.participant_id "
        "AND d.code = 'D' || substr(i.code, 2, 1) AND i.dosing_visit_id IS NULL"
    )


def dosing(*, study, readings: int, therapists: dict, monitor) -> None:
    """The dosing sessions of the visits held (ended, or running today), their doses and
    readings, and an alert for each reading over the threshold."""
    now = timezone.now()
    lead = " ".join(f"WHEN {site} THEN {a}" for site, (a, _) in therapists.items())
    co = " ".join(f"WHEN {site} THEN {b}" for site, (_, b) in therapists.items())
    running = "v.target_date = k.today"
    started = (
        f"CASE WHEN {running} THEN k.run_start "
        "ELSE (v.target_date + time '08:45') AT TIME ZONE s.time_zone END"
    )
    last = FIRST_READING + INTERVAL * (readings - 1)
    insert_select(
        DosingSession,
        {
            "visit": "v.id",
            "status": f"CASE WHEN {running} THEN 'in_progress' ELSE 'ended' END",
            "started_at": started,
            "ended_at": f"CASE WHEN {running} THEN NULL ELSE {started} "
            f"+ interval '{last + END_AFTER_LAST} minutes' END",
            "lead_therapist": f"CASE p.site_id {lead} END",
            "co_therapist": f"CASE p.site_id {co} END",
            "lead_attested_at": f"{started} + interval '1 minute'",
            "co_attested_at": f"{started} + interval '1 minute'",
            "pregnancy_test": "CASE WHEN mod(p.id, 2) = 0 THEN 'negative' "
            "ELSE 'not_applicable' END",
            "cssrs_pre_ideation": "0",
            "cssrs_pre_behaviour": "false",
            "predose_checked_at": f"{started} + interval '3 minutes'",
            "supplemental_decision": "'give'",
            "supplemental_reason": "'Tolerated well; participant agrees'",
            "supplemental_decided_at": f"{started} + interval '2 hours 10 minutes'",
            "cssrs_post_ideation": f"CASE WHEN {running} THEN NULL ELSE 0 END",
            "cssrs_post_behaviour": f"CASE WHEN {running} THEN NULL ELSE false END",
            "overnight_ready": f"CASE WHEN {running} THEN NULL ELSE true END",
        },
        f"{K} CROSS JOIN {table(Visit)} v JOIN {table(Participant)} p ON p.id = v.participant_id "
        "JOIN accounts_site s ON s.id = p.site_id "
        "WHERE s.study_id = %s AND v.kind = 'dosing' AND v.status = 'held' ORDER BY v.id",
        [*constants(), study.pk],
    )
    sessions = (
        f"{table(DosingSession)} ds JOIN {table(Visit)} v ON v.id = ds.visit_id "
        f"JOIN {table(Participant)} p ON p.id = v.participant_id "
        "JOIN accounts_site s ON s.id = p.site_id WHERE s.study_id = %s"
    )
    dose_at = f"ds.started_at + interval '{FIRST_READING + INTERVAL * (PREDOSE - 1) + 5} minutes'"
    for kind, dose, at, suffix in (
        ("initial", "CASE v.code WHEN 'D1' THEN 80 ELSE 120 END", dose_at, "A"),
        (
            "supplemental",
            "CASE v.code WHEN 'D1' THEN 40 ELSE 60 END",
            f"{dose_at} + interval '105 minutes'",
            "B",
        ),
    ):
        insert_select(
            DoseAdministration,
            {
                "session": "ds.id",
                "kind": f"'{kind}'",
                "dose_mg": dose,
                "kit_number": f"'K' || s.number || lpad(v.participant_id::text, 6, '0') || v.code "
                f"|| '{suffix}'",
                "administered_at": at,
                "recorded_by": "ds.lead_therapist_id",
            },
            sessions,
            [study.pk],
        )
    # The fifth reading of a session, and one in 33 after it, goes over the systolic threshold
    # (160): about 3%, and an alert in every session of five readings or more.
    insert_select(
        VitalSignReading,
        {
            "session": "r.session_id",
            "measured_at": "r.at",
            "systolic": "CASE WHEN mod(r.i, 33) = 4 THEN 161 + mod(r.n, 12) "
            "ELSE 105 + mod(r.n, 46) END",
            "diastolic": "65 + mod(r.n / 7, 25)",
            "pulse": "60 + mod(r.n / 3, 40)",
            "temperature": "CASE WHEN mod(r.i, 2) = 0 THEN 36.4 + mod(r.n, 10) / 10.0 END",
            "suds": "CASE WHEN mod(r.i, 4) = 0 THEN mod(r.n, 8) END",
            "flags": "CASE WHEN mod(r.i, 33) = 4 THEN '[\"systolic\"]'::jsonb ELSE '[]'::jsonb END",
            "recorded_by": "r.lead",
            "created_at": "r.at",
        },
        "(SELECT ds.id AS session_id, ds.lead_therapist_id AS lead, g.i, "
        "(random() * 1000000)::int AS n, "
        f"ds.started_at + interval '{FIRST_READING} minutes' + g.i * interval '{INTERVAL} minutes' "
        f"AS at FROM {sessions.replace(' WHERE', ' CROSS JOIN generate_series(0, %s) g(i) WHERE')}"
        " AND ds.status <> 'not_started') r WHERE r.at <= %s ORDER BY r.session_id, r.i",
        [readings - 1, study.pk, now - datetime.timedelta(minutes=1)],
    )
    insert_select(
        VitalSignAlert,
        {
            "reading": "r.id",
            "site": "s.id",
            "exceeded": "jsonb_build_array(jsonb_build_object('measurement', 'systolic', "
            "'value', r.systolic::text, 'limit', '160'))",
            "raised_at": "r.measured_at + interval '1 minute'",
            # One in 10 still waits for the monitor; the others were acknowledged.
            "acknowledged_at": "CASE WHEN mod(r.id, 10) = 0 THEN NULL "
            "ELSE r.measured_at + interval '30 minutes' END",
            "acknowledged_by": f"CASE WHEN mod(r.id, 10) = 0 THEN NULL ELSE {int(monitor.pk)} END",
        },
        f"{table(VitalSignReading)} r JOIN "
        f"{sessions.replace(' WHERE', ' ON ds.id = r.session_id WHERE')}"
        " AND r.flags <> '[]'::jsonb",
        [study.pk],
    )


def queries(*, study, count: int, monitor, answerer_of: dict) -> dict:
    """`count` data queries by the monitor on readings spread over the study (one in 3 answered,
    one in 10 of those closed), each with its thread; their number by state."""
    reading_type = ContentType.objects.get_for_model(VitalSignReading).pk
    total = VitalSignReading.objects.filter(session__visit__participant__site__study=study).count()
    step = max(1, total // max(count, 1))
    fields = "(ARRAY['systolic', 'diastolic', 'pulse', 'temperature', 'suds', 'measured_at', ''])"
    state = (
        "CASE WHEN mod(q.n, 30) = 0 THEN 'closed' WHEN mod(q.n, 3) = 0 THEN 'answered' "
        "ELSE 'open' END"
    )
    insert_select(
        Query,
        {
            "content_type": str(int(reading_type)),
            "object_id": "q.id",
            "field_name": f"{fields}[1 + mod(q.n, 7)]",
            "participant": "q.participant_id",
            "record_label": "'Reading at ' || to_char(q.measured_at AT TIME ZONE q.tz, 'HH24:MI')",
            "state": state,
            "opened_by": str(int(monitor.pk)),
            "opened_at": "q.opened",
            "waiting_since": "q.opened + CASE WHEN mod(q.n, 3) = 0 THEN interval '2 days' "
            "ELSE interval '0' END",
            "closed_by": f"CASE WHEN mod(q.n, 30) = 0 THEN {int(monitor.pk)} END",
            "closed_at": "CASE WHEN mod(q.n, 30) = 0 THEN q.opened + interval '3 days' END",
            "record_version_at_close": "CASE WHEN mod(q.n, 30) = 0 THEN 1 END",
        },
        "(SELECT r.id, r.measured_at, v.participant_id, s.time_zone AS tz, "
        "row_number() OVER (ORDER BY r.id) AS n, "
        "now() - (mod(r.id, 90) || ' days')::interval AS opened "
        f"FROM {table(VitalSignReading)} r JOIN {table(DosingSession)} ds ON ds.id = r.session_id "
        f"JOIN {table(Visit)} v ON v.id = ds.visit_id "
        f"JOIN {table(Participant)} p ON p.id = v.participant_id "
        "JOIN accounts_site s ON s.id = p.site_id "
        "WHERE s.study_id = %s AND mod(r.id, %s) = 0 ORDER BY r.id LIMIT %s) q",
        [study.pk, step, count],
    )
    answerer = " ".join(f"WHEN {site} THEN {user}" for site, user in answerer_of.items())
    mine = (
        f"{table(Query)} q JOIN {table(Participant)} p ON p.id = q.participant_id "
        "JOIN accounts_site s ON s.id = p.site_id WHERE s.study_id = %s"
    )
    for kind, author, text, when, condition in (
        ("question", "q.opened_by_id", "'Please check against source.'", "q.opened_at", "true"),
        (
            "answer",
            f"CASE p.site_id {answerer} END",
            "'Checked against the source: it is right.'",
            "q.opened_at + interval '2 days'",
            "q.state <> 'open'",
        ),
        ("close", "q.closed_by_id", "''", "q.closed_at", "q.state = 'closed'"),
    ):
        insert_select(
            QueryMessage,
            {
                "query": "q.id",
                "kind": f"'{kind}'",
                "author": author,
                "written_at": when,
                "text": text,
            },
            f"{mine} AND {condition}",
            [study.pk],
        )
    return dict(
        Query.objects.filter(participant__site__study=study)
        .values_list("state")
        .annotate(n=Count("pk"))
        .order_by()
    )


def query_count(study) -> int:
    return Query.objects.filter(participant__site__study=study).count()
