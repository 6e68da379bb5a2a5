"""Writes of screening: start, assessments, submission, confirmation (signed) and screen failure.

Every write recomputes the decision with the pure engine and keeps its reasons on the attempt,
so a screen failure keeps exactly why it failed even if the criteria are later changed.
"""

import datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone

from accounts.models import Site, User
from audit.context import change_reason, records_actor
from audit.services import versioned_save
from participants.casebook import casebook_refuse_locked
from participants.models import Participant
from participants.services import participant_enrol, participant_register, participant_set_status
from records.edits import StepRefused, late_change_check, late_change_commit
from screening import eligibility
from screening.models import CriteriaSet, CriterionAnswer, ScreeningAttempt, StudyScreeningConfig
from screening.selectors import attempt_date_of_birth, candidate_duplicates
from sessions_app.services.visits import visit_schedule_create
from signatures.models import Signature
from signatures.services import signature_password_confirm, signature_sign

CONFIRM_STATEMENT = (
    "I confirm that this candidate meets every eligibility criterion of the protocol."
)


CONFIRM_REFUSED = "Only the site investigator can confirm eligibility."


class ScreeningError(StepRefused):
    """A screening step that the attempt's state or decision does not allow."""


class DuplicateCandidateError(ValidationError):
    """The candidate has the name and date of birth of one already recorded at the site, and
    screening them as a new candidate was not confirmed (with a reason)."""

    def __init__(self, message, *, duplicates: list[Participant]):
        super().__init__(message)
        self.duplicates = duplicates


DUPLICATE_REASON_MISSING = "Say why this candidate is screened as a new one."


def duplicate_check(
    *, site: Site, identity: dict, confirmed: bool, reason: str
) -> list[Participant]:
    """The site's candidates and participants who may be this same person; refused unless the
    user confirmed screening a new candidate anyway, with a reason.

    Asked by the start form (so that the warning is shown beside its checkbox) and again by
    `screening_start` before anything is written.
    """
    duplicates = candidate_duplicates(site=site, identity=identity)
    if not duplicates:
        return []
    if not confirmed:
        earlier = ", ".join(f"{p.screening_number} ({p.get_status_display()})" for p in duplicates)
        raise DuplicateCandidateError(
            {
                "confirm_duplicate": (
                    "Someone with this name and date of birth is already recorded at this "
                    f"site: {earlier}. Check that this is not the same person (a screen failure "
                    "is re-screened from their screening page); to screen a new candidate "
                    "anyway, tick the box and say why."
                )
            },
            duplicates=duplicates,
        )
    if not reason.strip():
        raise DuplicateCandidateError(
            {"duplicate_reason": DUPLICATE_REASON_MISSING}, duplicates=duplicates
        )
    return duplicates


def criteria_set_for(*, site: Site) -> CriteriaSet:
    try:
        return (
            StudyScreeningConfig.objects.select_related("criteria_set")
            .get(study_id=site.study_id)
            .criteria_set
        )
    except StudyScreeningConfig.DoesNotExist:
        raise ScreeningError(
            "This study has no eligibility criteria yet. Ask the study administrator to choose "
            "a criteria set for it."
        ) from None


def screening_evaluate(
    *, attempt: ScreeningAttempt, date_of_birth: datetime.date | None
) -> eligibility.EligibilityResult:
    """The engine's verdict on the attempt as it is saved now, for a candidate born then."""
    answers = {a.criterion.code: a for a in attempt.answers.select_related("criterion")}
    return eligibility.evaluate(
        attempt.criteria_set.specs(),
        attempt.measurements(date_of_birth=date_of_birth),
        answers={code: a.answer for code, a in answers.items()},
        notes={code: a.note for code, a in answers.items()},
    )


def _apply_result(attempt: ScreeningAttempt) -> eligibility.EligibilityResult:
    dob = attempt_date_of_birth(attempt=attempt)
    result = screening_evaluate(attempt=attempt, date_of_birth=dob)
    attempt.age_at_screening = eligibility.age_on(dob, attempt.screened_on) if dob else None
    attempt.decision = result.decision
    attempt.results = [r.as_dict() for r in result.results]
    attempt.failed_codes = [r.code for r in result.failed]
    return result


def _new_attempt(
    *,
    actor: User,
    participant: Participant,
    screened_on: datetime.date,
    duplicate_reason: str = "",
):
    criteria_set = criteria_set_for(site=participant.site)
    number = ScreeningAttempt.objects.filter(participant=participant).count() + 1
    attempt = ScreeningAttempt(
        participant=participant,
        number=number,
        criteria_set=criteria_set,
        screened_on=screened_on,
        created_by=actor,
        duplicate_reason=duplicate_reason,
    )
    attempt.full_clean()
    attempt.save()
    for criterion in criteria_set.criteria.filter(measurement=""):
        answer = CriterionAnswer(attempt=attempt, criterion=criterion)
        answer.full_clean()
        answer.save()
    _apply_result(attempt)
    attempt.save()
    return attempt


@records_actor
def screening_start(
    *,
    actor: User,
    site: Site,
    identity: dict,
    screened_on: datetime.date,
    duplicate_confirmed: bool = False,
    duplicate_reason: str = "",
) -> ScreeningAttempt:
    """Register a new candidate at `site` (identity captured here) and open their first attempt.

    A candidate with the name and date of birth of one already recorded at the site is refused
    (`DuplicateCandidateError`) unless `duplicate_confirmed`, with a `duplicate_reason`, which
    the attempt keeps and the audit trail gives as the reason of every entry written here.
    """
    criteria_set_for(site=site)  # refuse before anything is written
    with transaction.atomic():
        Site.objects.select_for_update().get(pk=site.pk)  # one registration at a time
        duplicates = duplicate_check(
            site=site, identity=identity, confirmed=duplicate_confirmed, reason=duplicate_reason
        )
        duplicate_reason = duplicate_reason.strip() if duplicates else ""
        reason = "Screening started"
        if duplicates:
            numbers = ", ".join(p.screening_number for p in duplicates)
            reason = f"{reason} despite a possible duplicate ({numbers}): {duplicate_reason}"
        participant = participant_register(actor=actor, site=site, identity=identity, reason=reason)
        with change_reason(reason):
            return _new_attempt(
                actor=actor,
                participant=participant,
                screened_on=screened_on,
                duplicate_reason=duplicate_reason,
            )


@records_actor
def screening_restart(
    *, actor: User, participant: Participant, screened_on: datetime.date
) -> ScreeningAttempt:
    """Re-screen a screen-failed candidate: a new attempt; earlier attempts stay as they were."""
    with transaction.atomic():
        participant = Participant.objects.select_for_update().get(pk=participant.pk)
        if participant.status != Participant.Status.SCREEN_FAILED:
            raise ScreeningError("Only a candidate who failed screening can be re-screened.")
        participant_set_status(
            actor=actor,
            participant=participant,
            status=Participant.Status.SCREENING,
            reason="Re-screening",
        )
        with change_reason("Re-screening"):
            return _new_attempt(actor=actor, participant=participant, screened_on=screened_on)


@records_actor
def screening_update(
    *,
    actor: User,
    attempt: ScreeningAttempt,
    answers: dict[int, tuple[bool | None, str]],
    expected_version: int,
    reason: str = "",
) -> ScreeningAttempt:
    """Save the assessments and yes/no answers; recompute; void signatures of earlier versions.

    `answers` maps criterion id to (answer, note). After submission a reason is required.
    """
    if not attempt.is_editable:
        raise ScreeningError("This screening is closed; start a re-screen instead.")
    # The attempt is its own root: its versioned save below refuses a stale one.
    late = late_change_check(attempt, reason, root_fresh=True, refusal=ScreeningError)
    with transaction.atomic(), change_reason(reason):
        for answer in attempt.answers.select_for_update().select_related("criterion"):
            if answer.criterion_id not in answers:
                continue
            value, note = answers[answer.criterion_id]
            if (answer.answer, answer.note) != (value, note):
                answer.answer, answer.note = value, note
                answer.full_clean()
                answer.save()
        try:
            _apply_result(attempt)
        except eligibility.InconsistentDataError as error:
            raise ValidationError(str(error)) from error
        versioned_save(instance=attempt, expected_version=expected_version, reason=reason)
        if late:
            late_change_commit(
                attempt,
                reason,
                root_saved=True,
                void_reason=f"Screening changed after signing: {reason}".strip(),
            )
    return attempt


@records_actor
def screening_submit(*, actor: User, attempt: ScreeningAttempt) -> ScreeningAttempt:
    """Hand the completed assessments to the investigator. Incomplete ones are refused."""
    with transaction.atomic(), change_reason("Submitted for investigator review"):
        attempt = ScreeningAttempt.objects.select_for_update().get(pk=attempt.pk)
        if attempt.status != ScreeningAttempt.Status.DRAFT:
            raise ScreeningError("This screening was already submitted.")
        result = _apply_result(attempt)
        if result.decision == eligibility.Decision.INCOMPLETE:
            missing = ", ".join(r.code for r in result.missing)
            raise ScreeningError(
                f"Complete every criterion before submitting (missing: {missing})."
            )
        attempt.status = ScreeningAttempt.Status.SUBMITTED
        attempt.submitted_at = timezone.now()
        attempt.full_clean()
        attempt.save()
    return attempt


@records_actor
def eligibility_confirm(
    *,
    actor: User,
    attempt: ScreeningAttempt,
    password: str,
    on: datetime.date | None = None,
    request: HttpRequest | None = None,
) -> Signature:
    """The investigator's signed confirmation; the first one enrols the participant.

    Refused unless the actor may confirm at the attempt's site and every criterion is met. The
    password is confirmed before the transaction, so that a wrong one counts toward the lockout
    (the refusal's rollback would undo the count); signing inside re-checks it plainly.
    """
    if not actor.has_perm("screening.confirm_screeningattempt", attempt):
        raise PermissionError(CONFIRM_REFUSED)
    casebook_refuse_locked(attempt.participant_id)
    signature_password_confirm(signer=actor, password=password, request=request)
    with transaction.atomic():
        attempt = (
            ScreeningAttempt.objects.select_for_update()
            .select_related("participant__site", "criteria_set")
            .get(pk=attempt.pk)
        )
        if attempt.status not in (
            ScreeningAttempt.Status.SUBMITTED,
            ScreeningAttempt.Status.CONFIRMED,
        ):
            raise ScreeningError("Only a submitted screening can be confirmed.")
        result = _apply_result(attempt)
        if not result.eligible:
            raise ScreeningError(
                "This candidate does not meet every criterion and cannot be enrolled."
            )
        with change_reason("Eligibility confirmed by investigator"):
            if attempt.status == ScreeningAttempt.Status.SUBMITTED:
                participant = participant_enrol(
                    actor=actor,
                    participant=attempt.participant,
                    on=on or timezone.localdate(),
                    reason="Eligibility confirmed by investigator",
                )
                visit_schedule_create(actor=actor, participant=participant)
                attempt.status = ScreeningAttempt.Status.CONFIRMED
            attempt.full_clean()
            attempt.save()
        return signature_sign(
            signer=actor,
            record=attempt,
            meaning=Signature.Meaning.APPROVED,
            password=password,
            statement=CONFIRM_STATEMENT,
        )


@records_actor
def screening_fail(*, actor: User, attempt: ScreeningAttempt) -> ScreeningAttempt:
    """Close a submitted screening that fails a criterion: the candidate is a screen failure."""
    with transaction.atomic():
        attempt = (
            ScreeningAttempt.objects.select_for_update()
            .select_related("participant", "criteria_set")
            .get(pk=attempt.pk)
        )
        if attempt.status != ScreeningAttempt.Status.SUBMITTED:
            raise ScreeningError("Only a submitted screening can be closed as a screen failure.")
        result = _apply_result(attempt)
        if result.decision != eligibility.Decision.INELIGIBLE:
            raise ScreeningError(
                "This candidate meets every criterion; it is not a screen failure."
            )
        reasons = "; ".join(f"{r.code} {r.text}" for r in result.failed)
        with change_reason(f"Screen failure: {reasons}"):
            attempt.status = ScreeningAttempt.Status.SCREEN_FAILED
            attempt.full_clean()
            attempt.save()
            participant_set_status(
                actor=actor,
                participant=attempt.participant,
                status=Participant.Status.SCREEN_FAILED,
                reason=f"Screen failure: {reasons}",
            )
    return attempt
