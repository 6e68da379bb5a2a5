"""The safety emails: a serious adverse event reported to the study's medical monitors at once,
the site reminded 18 hours after its awareness of a serious event not yet submitted, and the
monitors warned of a SUSAR's report to the regulator due soon, then overdue (safety.notices says
what each email holds).

Each email is one `SafetyNotice` row (unique per event, recipient, kind and clock step), claimed
in the transaction that sends it, which also locks the event's row and checks that the email
still applies: a submission waits for a reminder in flight, and a reminder overtaken by the
submission is not sent. A second run, beat running twice, or a task delivered again after its
worker died, finds the claim and sends nothing; a failed sending rolls the claim back, so that
the retry sends it.

Celery beat runs `serious_reminders_send` every 15 minutes and `susar_warnings_send` hourly
(CELERY_BEAT_SCHEDULE); each queues one task per event and step with someone left to tell.
"""

import datetime
from collections.abc import Callable, Iterable

from celery import shared_task
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import Prefetch, QuerySet
from django.utils import timezone

from accounts.models import User
from audit.tasks import acting_as_queuing_user
from records.tasks import EMAIL_RETRIES
from safety.clocks import (
    SERIOUS_REMINDER_HOURS,
    SUSAR_WARNING_DAYS,
    Clock,
    serious_clock,
    susar_clocks,
)
from safety.models import AdverseEvent, SafetyNotice
from safety.notices import notice_email
from safety.selectors import site_staff_of, unreported_serious
from sessions_app.selectors import monitors_of

Kind = SafetyNotice.Kind
# The steps of a SUSAR's clocks, in the order safety.clocks.susar_clocks gives them.
SUSAR_STEPS = ("initial", "follow_up")
# One event's emails: a few reads and one email per recipient (EMAIL_TIMEOUT bounds each).
NOTIFY_LIMITS = {"soft_time_limit": 120, "time_limit": 150}
# Finding the events with an email due: a read of them, their notices and the recipients.
SCAN_LIMITS = {"soft_time_limit": 120, "time_limit": 180}


def _locked(ae_id: int) -> AdverseEvent:
    """The event, its row locked, with what its clocks and emails read."""
    return (
        AdverseEvent.objects.select_for_update(of=("self",))
        .select_related("participant__site__study", "review")
        .prefetch_related("regulatory_submissions")
        .get(pk=ae_id)
    )


def _notify(
    ae_id: int,
    *,
    kind: str,
    step: str = "",
    recipients: QuerySet[User],
    due: Callable[[AdverseEvent], Clock | None],
) -> int:
    """Email each recipient with an address the `kind` (and `step`) of news of the event once,
    while `due(ae)` gives the clock the news is about (None: it no longer applies, and nothing
    more is sent). Returns how many were sent."""
    sent = 0
    for user in recipients.exclude(email=""):
        with transaction.atomic():
            ae = _locked(ae_id)
            clock = due(ae)
            if clock is None:
                break
            _, claimed = SafetyNotice.objects.get_or_create(
                adverse_event=ae,
                recipient=user,
                kind=kind,
                step=step,
                defaults={"email": user.email},
            )
            if not claimed:
                continue
            subject, message = notice_email(ae, kind=kind, clock=clock)
            send_mail(
                subject=subject, message=message, from_email=None, recipient_list=[user.email]
            )
            sent += 1
    return sent


def _study_monitors(ae_id: int) -> QuerySet[User]:
    study_id = AdverseEvent.objects.values_list("participant__site__study_id", flat=True).get(
        pk=ae_id
    )
    return monitors_of(study_id=study_id)


def _reported_serious(ae: AdverseEvent) -> Clock | None:
    return serious_clock(ae) if ae.serious_reported_at is not None else None


@shared_task(**EMAIL_RETRIES, **NOTIFY_LIMITS)
@acting_as_queuing_user
def serious_submitted_notify(ae_id: int) -> int:
    """Email every active medical monitor of the study that the event was reported as serious
    (queued once the submission, or the follow-up that made it serious, commits); returns how
    many were sent."""
    return _notify(
        ae_id,
        kind=Kind.SERIOUS_SUBMITTED,
        recipients=_study_monitors(ae_id),
        due=_reported_serious,
    )


def _untold(
    events: Iterable[AdverseEvent],
    *,
    wanted: Callable[[AdverseEvent], Iterable[tuple[str, str]]],
    group: Callable[[AdverseEvent], int],
    recipients: Callable[[int], QuerySet[User]],
) -> list[tuple[AdverseEvent, str, str]]:
    """(event, kind, step) of each email `wanted` of the events that one of its recipients
    (with an address) has not been sent. The events come with their `notices` of those kinds;
    the recipients are those of the event's `group` (its site or study), read once a group."""
    of_group: dict[int, set[int]] = {}
    found = []
    for ae in events:
        emails = list(wanted(ae))
        if not emails:
            continue
        key = group(ae)
        if key not in of_group:
            users = recipients(key).exclude(email="")
            of_group[key] = set(users.values_list("pk", flat=True))
        for kind, step in emails:
            told = {n.recipient_id for n in ae.notices.all() if (n.kind, n.step) == (kind, step)}
            if of_group[key] - told:
                found.append((ae, kind, step))
    return found


def _notices(*kinds: str) -> Prefetch:
    return Prefetch("notices", queryset=SafetyNotice.objects.filter(kind__in=kinds))


# The reminder: a serious draft the site has known of for SERIOUS_REMINDER_HOURS, not reported.


def _reminders_due() -> QuerySet[AdverseEvent]:
    """Events the site has known of as serious for SERIOUS_REMINDER_HOURS, not yet reported."""
    since = timezone.now() - datetime.timedelta(hours=SERIOUS_REMINDER_HOURS)
    return unreported_serious(AdverseEvent.objects.all(), known_before=since)


def _unreported(ae: AdverseEvent) -> Clock | None:
    due = _reminders_due().filter(pk=ae.pk).first()
    return serious_clock(due) if due is not None else None


@shared_task(**SCAN_LIMITS)
def serious_reminders_send() -> int:
    """Queue the reminder of every serious draft due one (scheduled every 15 minutes); returns
    how many were queued."""
    events = (
        _reminders_due()
        .select_related("participant")
        .prefetch_related(_notices(Kind.SERIOUS_REMINDER))
    )
    due = _untold(
        events,
        wanted=lambda ae: [(Kind.SERIOUS_REMINDER, "")],
        group=lambda ae: ae.participant.site_id,
        recipients=lambda site_id: site_staff_of(site_id=site_id),
    )
    for ae, _, _ in due:
        serious_reminder_send.delay(ae.pk)
    return len(due)


@shared_task(**EMAIL_RETRIES, **NOTIFY_LIMITS)
def serious_reminder_send(ae_id: int) -> int:
    """Remind the site's active investigators and therapists, once each, that the serious event
    is not yet submitted; returns how many were sent."""
    site_id = AdverseEvent.objects.values_list("participant__site_id", flat=True).get(pk=ae_id)
    return _notify(
        ae_id,
        kind=Kind.SERIOUS_REMINDER,
        recipients=site_staff_of(site_id=site_id),
        due=_unreported,
    )


# The SUSAR's warnings: a running clock due within SUSAR_WARNING_DAYS, then overdue.


def susar_warning(clock: Clock, now: datetime.datetime | None = None) -> str | None:
    """The warning a SUSAR's clock calls for now: overdue, due soon, or none."""
    now = now or timezone.now()
    if not clock.running:
        return None
    if clock.late(now):
        return Kind.SUSAR_OVERDUE
    if clock.remaining(now) <= datetime.timedelta(days=SUSAR_WARNING_DAYS):
        return Kind.SUSAR_DUE_SOON
    return None


def _susar_warnings(ae: AdverseEvent) -> list[tuple[str, str]]:
    """(kind, step) of each warning the event's SUSAR clocks call for now."""
    now = timezone.now()
    found = []
    for step, clock in zip(SUSAR_STEPS, susar_clocks(ae), strict=False):
        kind = susar_warning(clock, now)
        if kind is not None:
            found.append((kind, step))
    return found


@shared_task(**SCAN_LIMITS)
def susar_warnings_send() -> int:
    """Queue the warning of every SUSAR clock due soon or overdue with a monitor not yet told
    (scheduled hourly); returns how many were queued."""
    events = (
        AdverseEvent.objects.filter(review__susar=True)
        .select_related("participant__site", "review")
        .prefetch_related(
            "regulatory_submissions", _notices(Kind.SUSAR_DUE_SOON, Kind.SUSAR_OVERDUE)
        )
    )
    due = _untold(
        events,
        wanted=_susar_warnings,
        group=lambda ae: ae.participant.site.study_id,
        recipients=lambda study_id: monitors_of(study_id=study_id),
    )
    for ae, kind, step in due:
        susar_warning_send.delay(ae.pk, kind, step)
    return len(due)


@shared_task(**EMAIL_RETRIES, **NOTIFY_LIMITS)
def susar_warning_send(ae_id: int, kind: str, step: str) -> int:
    """Warn the study's monitors, once each, that the SUSAR's clock (`step`) is due soon or
    overdue (`kind`), while it still is; returns how many were sent."""

    def still(ae: AdverseEvent) -> Clock | None:
        clocks = dict(zip(SUSAR_STEPS, susar_clocks(ae), strict=False))
        clock = clocks.get(step)
        return clock if clock is not None and susar_warning(clock) == kind else None

    return _notify(ae_id, kind=kind, step=step, recipients=_study_monitors(ae_id), due=still)
