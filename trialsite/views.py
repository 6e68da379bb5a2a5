"""Project-wide pages: the home page of each role, health check and error pages."""

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.exceptions import RequestDataTooBig, TooManyFieldsSent, TooManyFilesSent
from django.db import connection
from django.db.models import Count, Window
from django.http import JsonResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from accounts.models import SITE_ROLES, Role
from accounts.selectors import locked_out_accounts, site_list, user_scope
from participants.models import Participant
from participants.selectors import participant_list
from queries.selectors import awaiting_review, site_open_queries, state_counts
from safety.queue import queue_clocks, review_queue, waiting_for_review
from safety.review import ASSESS_AE
from safety.selectors import VIEW_AE, serious_clocks_at_hand
from sessions_app.selectors import alert_list, alert_summary, open_alerts, sessions_at_hand
from trialsite.worklist import investigator_worklist


def _first(queryset, n: int = 10) -> tuple[list, int]:
    """The first `n` rows and how many there are in all, in one query (each row carries the
    count of all, `COUNT(*) OVER ()`; no row, none in all)."""
    rows = list(queryset.annotate(_all=Window(Count("pk")))[:n])
    return rows, rows[0]._all if rows else 0


@login_required
def home(request):
    """One page per role: site staff see their sites' participants, sponsor roles the study."""
    scope = user_scope(request.user)
    roles = scope.roles
    sites = list(site_list(request.user))
    counts: dict[int, dict[str, int]] = {site.pk: {} for site in sites}
    if request.user.has_perm("participants.view_participant"):
        rows = (
            Participant.objects.filter(
                site_id__in=scope.sites_with("participants.view_participant")
            )
            .values("site_id", "status")
            .annotate(n=Count("id"))
            .order_by()
        )
        for row in rows:
            counts[row["site_id"]][row["status"]] = row["n"]
    site_rows = [
        {
            "site": site,
            "counts": [counts[site.pk].get(status, 0) for status in Participant.Status.values],
            "total": sum(counts[site.pk].values()),
        }
        for site in sites
    ]
    recent = []
    if roles & set(SITE_ROLES):
        recent = list(participant_list(user=request.user).order_by("-updated_at")[:10])
    sessions = sessions_at_hand(user=request.user) if roles & set(SITE_ROLES) else []
    alerts_waiting = []
    if Role.MONITOR in roles and request.user.has_perm("sessions_app.view_vitalsignalert"):
        alerts_waiting = [
            (alert, alert_summary(alert))
            for alert in open_alerts(alert_list(user=request.user)).order_by("-raised_at", "-pk")[
                :10
            ]
        ]
    # Data queries: the open ones waiting for the site's answer; the monitor's counts.
    site_queries, site_query_count = [], 0
    if roles & set(SITE_ROLES) and request.user.has_perm("queries.answer_query"):
        waiting = site_open_queries(user=request.user)
        site_queries, site_query_count = _first(waiting)
    query_counts, review_queries = {}, []
    if Role.MONITOR in roles:
        query_counts = state_counts(user=request.user)
        review_queries = list(awaiting_review(user=request.user)[:10])
    # Serious adverse events whose 24-hour clock runs, or that were reported late.
    serious_clocks, serious_clock_count = [], 0
    if roles & set(SITE_ROLES) and request.user.has_perm(VIEW_AE):
        at_hand = serious_clocks_at_hand(user=request.user)
        serious_clocks, serious_clock_count = _first(at_hand)
    # Adverse events: how many wait for the monitor's review, and the most urgent.
    ae_waiting, ae_urgent = 0, []
    if Role.MONITOR in roles and request.user.has_perm(ASSESS_AE):
        waiting = waiting_for_review(review_queue(user=request.user))
        # Two queries, not `_first`'s one: the first rows come from the queue's index, where a
        # count over the same query would make PostgreSQL read and sort every event.
        ae_urgent, ae_waiting = list(waiting[:10]), waiting.count()
        queue_clocks(ae_urgent)
    worklist = None
    if Role.INVESTIGATOR in roles:
        worklist = investigator_worklist(user=request.user)
    return render(
        request,
        "home.html",
        {
            "worklist": worklist,
            "site_rows": site_rows,
            "sessions": sessions,
            "statuses": Participant.Status.choices,
            "recent": recent,
            "open_alerts": alerts_waiting,
            "serious_clocks": serious_clocks,
            "serious_clock_count": serious_clock_count,
            "site_queries": site_queries,
            "site_query_count": site_query_count,
            "query_counts": query_counts,
            "review_queries": review_queries,
            "ae_waiting": ae_waiting,
            "ae_urgent": ae_urgent,
            "is_site_staff": bool(roles & set(SITE_ROLES)),
            "is_monitor": Role.MONITOR in roles,
            "is_data_manager": Role.DATA_MANAGER in roles,
            "is_study_admin": Role.STUDY_ADMIN in roles,
            "locked_out_count": len(locked_out_accounts(user=request.user))
            if Role.STUDY_ADMIN in roles
            else 0,
            "has_no_role": not roles,
        },
    )


def _database_status() -> tuple[bool, str]:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception as error:  # noqa: BLE001 - any failure means "down"
        return False, f"error: {type(error).__name__}"
    return True, "ok"


def _broker_status() -> tuple[bool, str]:
    if not settings.CELERY_BROKER_URL:
        return True, "eager (no broker configured; tasks run in the web process)"
    from trialsite.celery import app

    try:
        with app.connection_for_write(settings.CELERY_BROKER_URL) as conn:
            conn.ensure_connection(max_retries=1, timeout=2)
    except Exception as error:  # noqa: BLE001
        return False, f"error: {type(error).__name__}"
    return True, "ok"


@never_cache
@require_GET
def healthz(request):
    db_ok, db = _database_status()
    broker_ok, broker = _broker_status()
    ok = db_ok and broker_ok
    return JsonResponse(
        {"status": "ok" if ok else "error", "database": db, "broker": broker},
        status=200 if ok else 503,
    )


# A body or a number of fields beyond DATA_UPLOAD_MAX_MEMORY_SIZE / DATA_UPLOAD_MAX_NUMBER_FIELDS.
TOO_LARGE = (RequestDataTooBig, TooManyFieldsSent, TooManyFilesSent)


def csrf_failure(request, reason=""):
    return render(request, "errors/csrf.html", status=403)


def bad_request(request, exception=None):
    if isinstance(exception, TOO_LARGE):
        return render(request, "errors/too_large.html", status=413)
    return render(request, "errors/400.html", status=400)


def permission_denied(request, exception=None):
    message = str(exception) if exception and str(exception) else ""
    return render(request, "errors/403.html", {"message": message}, status=403)


def page_not_found(request, exception=None):
    return render(request, "errors/404.html", status=404)


def server_error(request):
    return render(request, "errors/500.html", status=500)
