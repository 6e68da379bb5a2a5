"""The medical monitor's review of an adverse event: the sponsor's assessment, the review
signature, and the submissions to the regulator that stop a SUSAR's clocks.

A submitted event waits for review (`review_open`); an assessment puts it under review; the
monitor's e-signature (meaning "reviewed") makes it reviewed, and is refused while a query on the
event is open or answered. A change of the assessment after it, or a follow-up report signed by
the site, returns the event to review and voids the review signature.

Whether the event is a SUSAR is worked out here each time what decides it changes
(`_susar_refresh`), never chosen: serious, related by the more conservative causality, and
unexpected. The sponsor first has that information when the change that makes it one is saved:
that moment is kept (`susar_since`), and its day in the site's zone is the clock's day 0.
"""

import datetime

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone

from accounts.models import User
from accounts.permissions import ROLE_PERMISSIONS
from accounts.selectors import user_scope
from audit.context import records_actor
from audit.services import STALE_MESSAGE, ConcurrentEditError, versioned_save
from records.edits import StepRefused, reason_required
from records.forms import YES_NO_REQUIRED
from safety.models import (
    AdverseEvent,
    AdverseEventReport,
    AdverseEventReview,
    ReferenceSafetyInformation,
    RegulatorySubmission,
)
from signatures.models import Signature
from signatures.services import (
    signature_password_confirm,
    signature_sign,
    signature_void_outdated,
)

ASSESS_AE = "safety.assess_adverseevent"
ASSESS_REFUSED = "Only a medical monitor of the study can assess and review adverse events."
NOT_SUBMITTED = "A draft adverse event is reviewed once the investigator has submitted it."
ALREADY_REVIEWED = "This review is signed already: a change of the assessment returns it to review."
NOT_A_SUSAR = (
    "Only a SUSAR (serious, related and unexpected) is reported to the regulator on its clock: "
    "this event is not one."
)
NO_FOLLOW_UP_CLOCK = (
    "Only a fatal or life-threatening SUSAR has a follow-up report due to the regulator."
)
INITIAL_FIRST = "Record the initial report to the regulator before its follow-up."
QUERIES_OPEN = (
    "Queries on this adverse event are still open or answered: close them before signing "
    "the review."
)
SUBMITTED_BEFORE_UPGRADE = (
    "The follow-up is dated before the event was found fatal or life-threatening "
    "({day0:%d %b %Y}): enter the date it was sent to the regulator."
)
SUBMITTED_BEFORE_DAY_0 = (
    "The submission is dated before the event became a SUSAR ({day0:%d %b %Y}): enter the date "
    "it was sent to the regulator."
)
SUBMITTED_IN_FUTURE = "The submission date is in the future. Enter the date it was sent."
REFERENCE_REQUIRED = "Enter the reference number the regulator gave the report."
RSI_NOT_IN_EFFECT = (
    "Version {version} is not in effect yet (from {day:%d %b %Y}): judge expectedness by the "
    "version in effect today."
)
REVIEW_STATEMENT = (
    "I have reviewed this adverse event, its reports and the sponsor's assessment of its "
    "causality, expectedness and coding."
)
RETURNED = "Returned to review: follow-up {number} was signed after the review."
REASSESSED = "Assessment changed after the review was signed:"
REASSESS_REASON = "The review is signed: say why the assessment changes (the signature is voided)."
COMPLETE_FOR_SIGNING = {
    "sponsor_causality": "Choose the sponsor's causality before signing the review.",
    "expected": YES_NO_REQUIRED,
    "reference_safety_information": (
        "Choose the version of the reference safety information the expectedness is judged by."
    ),
}


class ReviewError(StepRefused):
    """A step of the review its state does not allow."""


def _may_assess(actor: User, ae: AdverseEvent) -> None:
    if not actor.has_perm(ASSESS_AE, ae):
        raise PermissionDenied(ASSESS_REFUSED)


def _lock(review: AdverseEventReview) -> AdverseEventReview:
    return (
        AdverseEventReview.objects.select_for_update(of=("self",))
        .select_related("adverse_event__participant__site__study")
        .get(pk=review.pk)
    )


def _susar_refresh(review: AdverseEventReview, *, now: datetime.datetime) -> None:
    """Keep the review's SUSAR state in step with the event: `susar` as it is now; day 0
    (`susar_since`) when it first became one, never moved later by a change of mind; and,
    until the report to the regulator is recorded, which clock runs. A SUSAR found fatal or
    life-threatening later starts its 7-day clock then: that is when the sponsor first had the
    information that makes it one; one found so after its report has been recorded starts the 7-day
    clock of its follow-up then (`susar_fatal_since`)."""
    ae = review.adverse_event
    review.susar = review.is_susar
    if not review.susar:
        return
    if review.susar_since is None:
        review.susar_since = now
        review.susar_fatal_or_life_threatening = ae.is_fatal_or_life_threatening
        return
    fatal = ae.is_fatal_or_life_threatening
    if ae.regulatory_submissions.filter(kind=RegulatorySubmission.Kind.INITIAL).exists():
        # Reported already, and found fatal or life-threatening only now: its follow-up
        # report is due 7 days from now (once; the report made stays as it was).
        if fatal and not review.susar_fatal_or_life_threatening:
            review.susar_fatal_or_life_threatening = True
            review.susar_fatal_since = now
        return
    if fatal and not review.susar_fatal_or_life_threatening:
        review.susar_since = now
    review.susar_fatal_or_life_threatening = fatal


def review_open(ae: AdverseEvent) -> AdverseEventReview:
    """The review of a just-submitted event: awaiting the monitor (called in the submission's
    transaction)."""
    review, _ = AdverseEventReview.objects.get_or_create(adverse_event=ae)
    return review


def review_follow_up(ae: AdverseEvent, report: AdverseEventReport) -> AdverseEventReview:
    """A follow-up report was signed (in its transaction): a reviewed event returns to review,
    and what the report changed may make it a SUSAR, or no longer one."""
    review = _lock(review_open(ae))
    review.adverse_event = ae
    now = timezone.now()
    reason = ""
    if review.state == AdverseEventReview.State.REVIEWED:
        review.state = AdverseEventReview.State.UNDER_REVIEW
        review.returned_at = now
        reason = RETURNED.format(number=report.number)
    _susar_refresh(review, now=now)
    versioned_save(instance=review, expected_version=review.version, reason=reason)
    if reason:
        signature_void_outdated(record=review, reason=reason)
    return review


MEDDRA_TERM_MISSING = "Give the term of this code, as the MedDRA browser writes it."
MEDDRA_CODE_MISSING = "Give the code of this term."


def _check_coded_terms(review: AdverseEventReview) -> None:
    """Each MedDRA code comes with its term, and each term with its code."""
    errors = {}
    for level in ("llt", "pt"):
        code = getattr(review, f"meddra_{level}_code")
        term = getattr(review, f"meddra_{level}_term")
        if code and not term:
            errors[f"meddra_{level}_term"] = MEDDRA_TERM_MISSING
        if term and not code:
            errors[f"meddra_{level}_code"] = MEDDRA_CODE_MISSING
    if errors:
        raise ValidationError(errors)


@records_actor
def review_assess(
    *,
    actor: User,
    review: AdverseEventReview,
    expected_version: int,
    sponsor_causality: str,
    expected: bool | None,
    reference_safety_information: ReferenceSafetyInformation | None,
    meddra_llt_code: str = "",
    meddra_llt_term: str = "",
    meddra_pt_code: str = "",
    meddra_pt_term: str = "",
    meddra_version: str = "",
    reason: str = "",
) -> AdverseEventReview:
    """Save the sponsor's assessment (any part of it may wait); the event is then under review.
    A change after the review was signed needs its `reason`, voids the signature and returns it
    to review. Refused if anyone saved the review after `expected_version` was read."""
    _may_assess(actor, review.adverse_event)
    with transaction.atomic():
        review = _lock(review)
        ae = review.adverse_event
        if ae.status == AdverseEvent.Status.DRAFT:
            raise ReviewError(NOT_SUBMITTED)
        if review.version != expected_version:
            raise ConcurrentEditError(STALE_MESSAGE)
        rsi = reference_safety_information
        if rsi is not None and rsi.study_id != ae.participant.site.study_id:
            raise ValidationError(
                {"reference_safety_information": "This version is another study's."}
            )
        if rsi is not None and rsi.effective_on > timezone.localdate():
            raise ValidationError(
                {
                    "reference_safety_information": RSI_NOT_IN_EFFECT.format(
                        version=rsi.version, day=rsi.effective_on
                    )
                }
            )
        review.sponsor_causality = sponsor_causality
        review.expected = expected
        review.reference_safety_information = rsi
        review.meddra_llt_code = meddra_llt_code.strip()
        review.meddra_llt_term = " ".join(meddra_llt_term.split())
        review.meddra_pt_code = meddra_pt_code.strip()
        review.meddra_pt_term = " ".join(meddra_pt_term.split())
        review.meddra_version = meddra_version.strip()
        if review.meddra_llt_code and not review.meddra_pt_code:
            raise ValidationError(
                {"meddra_pt_code": "Give the preferred term the lowest level term belongs to."}
            )
        _check_coded_terms(review)
        if review.meddra_pt_code and not review.meddra_version:
            raise ValidationError({"meddra_version": "Give the MedDRA version of the codes."})
        now = timezone.now()
        if review.state == AdverseEventReview.State.REVIEWED:
            reason = f"{REASSESSED} {reason_required(reason, REASSESS_REASON)}"
        else:
            reason = reason.strip()
        review.state = AdverseEventReview.State.UNDER_REVIEW
        review.assessed_by, review.assessed_at = actor, now
        _susar_refresh(review, now=now)
        review.full_clean()
        versioned_save(instance=review, expected_version=expected_version, reason=reason)
        if reason:
            signature_void_outdated(record=review, reason=reason)
    return review


def open_queries(ae: AdverseEvent) -> int:
    """How many queries on the event (or its reports) are open or answered."""
    from queries.selectors import markers_for  # queries reads the registry, which names safety

    return markers_for(records=[ae, *ae.reports.all()]).count


@records_actor
def review_sign(
    *,
    actor: User,
    review: AdverseEventReview,
    password: str,
    expected_version: int,
    request: HttpRequest | None = None,
) -> Signature:
    """The monitor's e-signature of the review (meaning "reviewed"), at the version they read:
    refused while the assessment is incomplete, a query is open or answered, or a follow-up waits
    for the investigator's signature."""
    _may_assess(actor, review.adverse_event)
    signature_password_confirm(signer=actor, password=password, request=request)
    with transaction.atomic():
        review = _lock(review)
        ae = review.adverse_event
        if ae.status == AdverseEvent.Status.DRAFT:
            raise ReviewError(NOT_SUBMITTED)
        if review.state == AdverseEventReview.State.REVIEWED:
            raise ReviewError(ALREADY_REVIEWED)
        if review.version != expected_version:
            raise ConcurrentEditError(STALE_MESSAGE)
        missing = {
            field: message
            for field, message in COMPLETE_FOR_SIGNING.items()
            if getattr(review, field) in (None, "")
        }
        if missing:
            raise ValidationError(missing)
        if open_queries(ae):
            raise ReviewError(QUERIES_OPEN)
        if ae.reports.filter(signed_at__isnull=True).exists():
            raise ReviewError(
                "A follow-up report waits for the investigator's signature: review it once "
                "it is signed."
            )
        review.state = AdverseEventReview.State.REVIEWED
        versioned_save(instance=review, expected_version=expected_version, reason="")
        return signature_sign(
            signer=actor,
            record=review,
            meaning=Signature.Meaning.REVIEWED,
            password=password,
            statement=REVIEW_STATEMENT,
        )


@records_actor
def regulatory_submission_record(
    *,
    actor: User,
    adverse_event: AdverseEvent,
    kind: str,
    submitted_on: datetime.date,
    reference: str,
) -> RegulatorySubmission:
    """Record that the sponsor sent the SUSAR's report (initial or follow-up) to the regulator,
    which stops that clock. Refused for an event that is not a SUSAR, a follow-up of one with no
    follow-up clock, and a date before day 0 or in the future."""
    _may_assess(actor, adverse_event)
    reference = reference.strip()
    with transaction.atomic():
        try:
            review = _lock(adverse_event.review)
        except AdverseEventReview.DoesNotExist as missing:
            raise ReviewError(NOT_A_SUSAR) from missing
        ae = review.adverse_event
        if not review.susar:
            raise ReviewError(NOT_A_SUSAR)
        if kind == RegulatorySubmission.Kind.FOLLOW_UP:
            if not review.susar_fatal_or_life_threatening:
                raise ReviewError(NO_FOLLOW_UP_CLOCK)
            if not ae.regulatory_submissions.filter(
                kind=RegulatorySubmission.Kind.INITIAL
            ).exists():
                raise ReviewError(INITIAL_FIRST)
        errors = {}
        upgraded = kind == RegulatorySubmission.Kind.FOLLOW_UP and review.susar_fatal_since
        since = review.susar_fatal_since if upgraded else review.susar_since
        day0 = since.astimezone(ae.participant.site.zoneinfo).date()
        if submitted_on < day0:
            before = SUBMITTED_BEFORE_UPGRADE if upgraded else SUBMITTED_BEFORE_DAY_0
            errors["submitted_on"] = before.format(day0=day0)
        if submitted_on > timezone.localdate(timezone=ae.participant.site.zoneinfo):
            errors["submitted_on"] = SUBMITTED_IN_FUTURE
        if not reference:
            errors["reference"] = REFERENCE_REQUIRED
        if errors:
            raise ValidationError(errors)
        submission = RegulatorySubmission(
            adverse_event=ae,
            kind=kind,
            submitted_on=submitted_on,
            reference=reference,
            recorded_by=actor,
        )
        submission.full_clean()
        submission.save()
    return submission


ADD_RSI = "safety.add_referencesafetyinformation"
RSI_SAME_NAME = "This study has a version of this name already (whatever its capitals)."
RSI_REFUSED = "Only the study administrator adds versions of the reference safety information."
RSI_TERMS_REQUIRED = "List the expected terms, one per line."


@records_actor
def reference_safety_information_add(
    *, actor: User, study, version: str, effective_on: datetime.date, expected_terms: str
) -> ReferenceSafetyInformation:
    """Add a version of the study's reference safety information (none is ever changed). Each
    term is kept on its own line, blank lines and repeats dropped."""
    if not actor.has_perm(ADD_RSI) or study.pk not in studies_with(actor, ADD_RSI):
        raise PermissionDenied(RSI_REFUSED)
    seen, terms = set(), []
    for line in expected_terms.splitlines():
        term = " ".join(line.split())
        if term and term.casefold() not in seen:
            seen.add(term.casefold())
            terms.append(term)
    rsi = ReferenceSafetyInformation(
        study=study,
        version=version.strip(),
        effective_on=effective_on,
        expected_terms="\n".join(terms),
        created_by=actor,
    )
    if not terms:
        raise ValidationError({"expected_terms": RSI_TERMS_REQUIRED})
    if ReferenceSafetyInformation.objects.filter(study=study, version__iexact=rsi.version).exists():
        raise ValidationError({"version": RSI_SAME_NAME})
    with transaction.atomic():
        rsi.full_clean()
        rsi.save()
    return rsi


def studies_with(user: User, perm: str) -> frozenset[int]:
    """The studies in which one of the user's active roles grants `perm`."""
    return frozenset(
        m.study_id
        for m in user_scope(user).memberships
        if perm in ROLE_PERMISSIONS.get(m.role, frozenset())
    )
