"""Reads of screening, always within the user's site scope (anything else is not found)."""

import datetime
from collections import Counter
from dataclasses import dataclass, field

from django.db.models import Count, Q, QuerySet
from django.db.models.functions import Coalesce

from accounts.models import Site, User
from accounts.selectors import get_in_scope, user_scope
from participants.models import Participant, ParticipantIdentity
from screening import eligibility
from screening.models import CriterionAnswer, ScreeningAttempt
from signatures.selectors import with_signature_state

VIEW = "screening.view_screeningattempt"
CONFIRM = "screening.confirm_screeningattempt"


def attempt_list(*, user: User) -> QuerySet[ScreeningAttempt]:
    site_ids = user_scope(user).sites_with(VIEW)
    return ScreeningAttempt.objects.filter(participant__site_id__in=site_ids).select_related(
        "participant__site__study", "criteria_set", "created_by"
    )


def attempt_get(*, user: User, pk: int) -> ScreeningAttempt:
    return get_in_scope(attempt_list(user=user), pk, missing="No such screening.")


def awaiting_confirmation(*, user: User) -> QuerySet[ScreeningAttempt]:
    """Screenings that wait for the investigator's signed confirmation, at the sites where the user
    confirms, oldest first: submitted and eligible ones, and confirmed ones whose confirmation a
    later change voided. Each has `ready_at`, when it began to wait."""
    site_ids = user_scope(user).sites_with(CONFIRM)
    status = ScreeningAttempt.Status
    return (
        with_signature_state(ScreeningAttempt.objects.filter(participant__site_id__in=site_ids))
        .filter(
            Q(status=status.SUBMITTED, decision=eligibility.Decision.ELIGIBLE)
            | Q(status=status.CONFIRMED, signed=False)
        )
        .annotate(ready_at=Coalesce("signature_voided_at", "submitted_at", "updated_at"))
        .select_related("participant__site")
        .order_by("ready_at", "pk")
    )


def attempt_answers(*, attempt: ScreeningAttempt) -> list[CriterionAnswer]:
    return list(attempt.answers.select_related("criterion"))


def attempt_date_of_birth(*, attempt: ScreeningAttempt) -> datetime.date | None:
    """The candidate's date of birth, from their identity (None if none is recorded)."""
    return (
        ParticipantIdentity.objects.filter(participant_id=attempt.participant_id)
        .values_list("date_of_birth", flat=True)
        .first()
    )


def _same_name(name: str) -> str:
    """A name as compared for duplicates: case and spacing aside."""
    return " ".join((name or "").split()).casefold()


def candidate_duplicates(*, site: Site, identity: dict) -> list[Participant]:
    """The candidates and participants of `site` with the name and date of birth of `identity`
    (case and spacing aside): perhaps the same person, screened again.

    Identity is the site's own: only `site` is searched, never another site.
    """
    date_of_birth = identity.get("date_of_birth")
    if date_of_birth is None:
        return []
    name = (_same_name(identity.get("given_name")), _same_name(identity.get("family_name")))
    same_birthday = (
        ParticipantIdentity.objects.filter(participant__site=site, date_of_birth=date_of_birth)
        .select_related("participant")
        .order_by("participant__screening_number")
    )
    return [
        match.participant
        for match in same_birthday
        if (_same_name(match.given_name), _same_name(match.family_name)) == name
    ]


def screenable_sites(*, user: User) -> QuerySet[Site]:
    """Sites where the user captures identities and may start screenings: their own sites."""
    scope = user_scope(user)
    site_ids = scope.sites_with("screening.add_screeningattempt") & scope.identity_site_ids
    return Site.objects.filter(id__in=site_ids, is_active=True).select_related("study")


@dataclass
class LogRow:
    site: Site
    screened: int = 0
    in_progress: int = 0
    failed: int = 0
    # Screenings whose eligibility the investigator confirmed.
    confirmed: int = 0
    # Participants enrolled, as the participant table has them: also those enrolled without a
    # screening attempt recorded here.
    enrolled: int = 0


@dataclass
class ScreeningLog:
    # The rows of one page of sites; `total` counts every site of the filter, not just those.
    rows: list[LogRow]
    total: LogRow
    reasons: list[tuple[str, str, int]] = field(default_factory=list)


LOG_COUNTS = ("screened", "failed", "confirmed", "enrolled", "in_progress")


def _attempt_counts() -> dict[str, Count]:
    status = ScreeningAttempt.Status
    return {
        "screened": Count("id"),
        "failed": Count("id", filter=Q(status=status.SCREEN_FAILED)),
        "confirmed": Count("id", filter=Q(status=status.CONFIRMED)),
        "in_progress": Count("id", filter=Q(status__in=[status.DRAFT, status.SUBMITTED])),
    }


def screening_log(
    *,
    user: User,
    attempts: QuerySet[ScreeningAttempt],
    sites: QuerySet[Site],
    page_sites: list[Site],
    period: slice | None = None,
    refused: bool = False,
) -> ScreeningLog:
    """Screened / failed (by reason) / confirmed per site of `page_sites`, and enrolled as the
    participant table counts them (enrolled in `period`, a slice of dates, if given), with the
    totals of all `sites` counted by the database, in a fixed number of queries.

    `attempts` is an already scoped and filtered queryset (see `attempt_list`); `sites` are
    within the user's scope too, and `page_sites` some of them (one page of the log). When the
    filter was `refused`, nothing is counted, the enrolled as the attempts (`attempts` is empty).
    """
    page_ids = [site.pk for site in page_sites]
    per_site = {
        row["participant__site_id"]: row
        for row in attempts.filter(participant__site_id__in=page_ids)
        .order_by()
        .values("participant__site_id")
        .annotate(**_attempt_counts())
    }
    enrolled = Participant.objects.filter(site__in=sites, enrolled_on__isnull=False)
    if period is not None and period.start:
        enrolled = enrolled.filter(enrolled_on__gte=period.start)
    if period is not None and period.stop:
        enrolled = enrolled.filter(enrolled_on__lte=period.stop)
    if refused:
        enrolled = enrolled.none()
    for row in (
        enrolled.filter(site_id__in=page_ids).order_by().values("site_id").annotate(n=Count("id"))
    ):
        per_site.setdefault(row["site_id"], {})["enrolled"] = row["n"]
    rows = [
        LogRow(site=site, **{name: per_site.get(site.pk, {}).get(name, 0) for name in LOG_COUNTS})
        for site in page_sites
    ]
    total = LogRow(
        site=None,
        enrolled=enrolled.count(),
        **attempts.filter(participant__site__in=sites).order_by().aggregate(**_attempt_counts()),
    )
    return ScreeningLog(rows=rows, total=total, reasons=_failure_reasons(attempts))


def _failure_reasons(attempts: QuerySet[ScreeningAttempt]) -> list[tuple[str, str, int]]:
    """Each failed criterion's code, text and how many screen failures of `attempts` it caused."""
    counter: Counter[str] = Counter()
    texts: dict[str, str] = {}
    for codes, results in (
        attempts.filter(status=ScreeningAttempt.Status.SCREEN_FAILED)
        .values_list("failed_codes", "results")
        .order_by()
    ):
        counter.update(codes)
        for result in results:
            if result.get("code") in codes:
                texts.setdefault(result["code"], result.get("text", ""))
    return [(code, texts.get(code, ""), n) for code, n in counter.most_common()]
