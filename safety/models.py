"""Adverse events: the site's report and the investigator's signed submission and follow-ups.

A site opens an event as a draft (for example from a reading over a threshold) and completes it;
the investigator submits it with an e-signature, which makes the initial report (number 0). After
that nothing is overwritten: each later change is a follow-up report, numbered, with its reason
and the values it changed, drafted by the site staff and signed by the investigator. A final
follow-up closes the event. The event keeps the current values (see DESIGN.md, "Adverse events").

The medical monitor's side is apart from the site's report, so that a review never changes the
report's version: `AdverseEventReview` holds the sponsor's causality, expectedness against the
study's `ReferenceSafetyInformation`, the MedDRA codes and the review state, signed by the monitor
(meaning "reviewed"); a SUSAR's regulatory clock and the submissions that stop it are
`RegulatorySubmission` rows, and `SafetyNotice` claims each email sent about an event once.
"""

import operator
from functools import reduce

from auditlog.registry import auditlog
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone

from accounts.models import Study
from audit.models import Immutable, VersionedModel
from participants.models import Participant
from records.fields import optional_link, user_field

# Common terms of MDMA-assisted therapy (DESIGN.md), offered while the verbatim term is typed;
# what is typed is kept as written.
COMMON_TERMS = (
    "Muscle tightness",
    "Decreased appetite",
    "Nausea",
    "Hyperhidrosis",
    "Feeling cold",
    "Restlessness",
    "Mydriasis",
    "Jaw clenching",
    "Nystagmus",
    "Non-cardiac chest pain",
    "Euphoria",
    "Dissociation",
    "Anxiety",
    "Headache",
    "Fatigue",
    "Insomnia",
    "Palpitations",
    "Hypertension",
    "Tachycardia",
    "Suicidal ideation",
)

# The six ICH E2A seriousness criteria, as ICH E2B(R3) E.i.3.2a-f carries them: (field, label).
SERIOUSNESS_CRITERIA = (
    ("serious_death", "Results in death"),
    ("serious_life_threatening", "Is life-threatening (an immediate risk of death)"),
    ("serious_hospitalisation", "Requires inpatient hospitalisation or prolongs it"),
    ("serious_disability", "Results in persistent or significant disability or incapacity"),
    ("serious_congenital_anomaly", "Is a congenital anomaly or birth defect"),
    ("serious_other_important", "Is another important medical event"),
)
# Serious is any of them (a filter of events).
SERIOUS = reduce(operator.or_, (Q(**{name: True}) for name, _ in SERIOUSNESS_CRITERIA))

# Relation to the study procedures, asked apart from causality to the product: (field, label).
PROCEDURES = (
    ("related_psychotherapy", "Related to the psychotherapy"),
    ("related_overnight_stay", "Related to the overnight stay"),
)

# Adverse events of special interest: (field, label).
SPECIAL_INTEREST = (
    ("aesi_abuse", "Abuse-related (euphoria, dissociation, drug-seeking, diversion)"),
    ("aesi_cardiovascular", "Cardiovascular"),
    ("aesi_suicidality", "Suicidality"),
)


END_BEFORE_ONSET = "The event cannot have ended before its onset."
AWARE_BEFORE_ONSET = "The site cannot have learned of the event before its onset."
ENDED_AND_ONGOING = "An ongoing event has no end yet: clear the end, or untick 'ongoing'."
GRADE_5_NEEDS_DEATH = (
    "Grade 5 is a death related to the event: answer yes to 'results in death', or choose the "
    "grade the event reached."
)
DEATH_NEEDS_FATAL = "The event resulted in death: its outcome is fatal."
FATAL_NEEDS_DEATH = "A fatal outcome means the event resulted in death: answer yes to it."
FATAL_NOT_ONGOING = (
    "A fatal event has ended: untick 'ongoing' and enter the date and time of death as its end."
)


def _yes_no(label: str) -> models.BooleanField:
    """A safety answer: yes or no, and unanswered (None) until someone answers it."""
    return models.BooleanField(label, null=True, blank=True)


class AdverseEvent(VersionedModel):
    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        SUBMITTED = "submitted", "Submitted"
        # The medical monitor's review (under review, reviewed) comes between these two.
        CLOSED = "closed", "Closed"

    class Grade(models.IntegerChoices):
        """CTCAE v5.0 grades, with the general meaning of each."""

        MILD = (
            1,
            (
                "Grade 1 · Mild: no or mild symptoms; clinical or diagnostic observations only; "
                "no intervention indicated"
            ),
        )
        MODERATE = (
            2,
            (
                "Grade 2 · Moderate: minimal, local or non-invasive intervention indicated; "
                "limits age-appropriate instrumental activities of daily living"
            ),
        )
        SEVERE = (
            3,
            (
                "Grade 3 · Severe or medically significant but not immediately life-threatening; "
                "hospitalisation indicated; disabling; limits self-care"
            ),
        )
        LIFE_THREATENING = (
            4,
            ("Grade 4 · Life-threatening consequences; urgent intervention indicated"),
        )
        DEATH = 5, "Grade 5 · Death related to the adverse event"

    class ActionTaken(models.TextChoices):
        NONE = "none", "None"
        SUPPLEMENTAL_NOT_GIVEN = "supplemental_not_given", "Supplemental dose not given"
        NEXT_DOSE_POSTPONED = "next_dose_postponed", "Next dose postponed"
        DISCONTINUED = "discontinued", "Discontinued"
        NOT_APPLICABLE = "not_applicable", "Not applicable"

    class Outcome(models.TextChoices):
        RECOVERED = "recovered", "Recovered"
        RECOVERING = "recovering", "Recovering"
        NOT_RECOVERED = "not_recovered", "Not recovered"
        RECOVERED_WITH_SEQUELAE = "recovered_with_sequelae", "Recovered with sequelae"
        FATAL = "fatal", "Fatal"
        UNKNOWN = "unknown", "Unknown"

    class Causality(models.TextChoices):
        NOT_RELATED = "not_related", "Not related"
        UNLIKELY = "unlikely", "Unlikely"
        POSSIBLE = "possible", "Possible"
        PROBABLE = "probable", "Probable"
        DEFINITE = "definite", "Definite"

    participant = models.ForeignKey(
        Participant, on_delete=models.PROTECT, related_name="adverse_events"
    )
    dosing_session = optional_link("sessions_app.DosingSession", related_name="adverse_events")
    source_reading = optional_link(
        "sessions_app.VitalSignReading",
        related_name="adverse_events",
        help_text="The vital-sign reading this event was opened from.",
    )
    verbatim_term = models.CharField(
        max_length=200, help_text="The event in the reporter's words, kept as written."
    )
    onset_at = models.DateTimeField("onset")
    onset_date_only = models.BooleanField(
        "only the date of onset is known",
        default=False,
        help_text="The onset is then kept as the start of that day at the site.",
    )
    ended_at = models.DateTimeField("end", null=True, blank=True)
    ongoing = models.BooleanField(default=False)
    aware_at = models.DateTimeField(
        "site's awareness",
        default=timezone.now,
        help_text="When the site first learned of the event.",
    )
    description = models.TextField(max_length=4000, blank=True)
    treatment = models.TextField("treatment given", max_length=4000, blank=True)
    action_taken = models.CharField(
        "action taken with the investigational product",
        max_length=30,
        choices=ActionTaken.choices,
        blank=True,
    )
    outcome = models.CharField(max_length=30, choices=Outcome.choices, blank=True)
    severity_grade = models.PositiveSmallIntegerField(
        "severity (CTCAE grade)", choices=Grade.choices, null=True, blank=True
    )
    serious_death = _yes_no(SERIOUSNESS_CRITERIA[0][1])
    serious_life_threatening = _yes_no(SERIOUSNESS_CRITERIA[1][1])
    serious_hospitalisation = _yes_no(SERIOUSNESS_CRITERIA[2][1])
    serious_disability = _yes_no(SERIOUSNESS_CRITERIA[3][1])
    serious_congenital_anomaly = _yes_no(SERIOUSNESS_CRITERIA[4][1])
    serious_other_important = _yes_no(SERIOUSNESS_CRITERIA[5][1])
    causality = models.CharField(
        "causality to the investigational product (investigator)",
        max_length=20,
        choices=Causality.choices,
        blank=True,
    )
    related_psychotherapy = _yes_no(PROCEDURES[0][1])
    related_overnight_stay = _yes_no(PROCEDURES[1][1])
    aesi_abuse = models.BooleanField(SPECIAL_INTEREST[0][1], default=False)
    aesi_cardiovascular = models.BooleanField(SPECIAL_INTEREST[1][1], default=False)
    aesi_suicidality = models.BooleanField(SPECIAL_INTEREST[2][1], default=False)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.DRAFT)
    reported_by = user_field()
    created_at = models.DateTimeField(auto_now_add=True)
    # Set by the signatures that reach the sponsor, never typed.
    submitted_at = models.DateTimeField(
        "submitted", null=True, blank=True, help_text="When the signed initial report was made."
    )
    serious_aware_at = models.DateTimeField(
        "aware of it as serious",
        null=True,
        blank=True,
        help_text=(
            "When the 24-hour clock started: the site's awareness, kept as the report that "
            "made the event serious had it (a later follow-up does not move it)."
        ),
    )
    serious_reported_at = models.DateTimeField(
        "reported as serious",
        null=True,
        blank=True,
        help_text=(
            "When the sponsor first had a signed report of the event as serious: its 24-hour "
            "clock stops then."
        ),
    )

    class Meta:
        ordering = ["-onset_at", "-pk"]
        # The list's order (latest onset first) across the study's sites, at scale.
        indexes = [models.Index(fields=["-onset_at", "-id"], name="adverse_event_latest_onset")]
        permissions = [
            ("submit_adverseevent", "Can submit adverse events (investigator)"),
            ("count_adverseevent", "Can see counts of adverse events"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(ongoing=False) | Q(ended_at__isnull=True),
                name="adverse_event_ongoing_has_no_end",
                violation_error_message=ENDED_AND_ONGOING,
            ),
            models.CheckConstraint(
                condition=Q(ended_at__isnull=True) | Q(ended_at__gte=models.F("onset_at")),
                name="adverse_event_ends_after_onset",
                violation_error_message=END_BEFORE_ONSET,
            ),
            models.CheckConstraint(
                condition=~Q(severity_grade=5) | ~Q(serious_death=False),
                name="adverse_event_grade_5_is_death",
                violation_error_message=GRADE_5_NEEDS_DEATH,
            ),
        ]

    def __str__(self) -> str:
        return f"AE {self.pk}: {self.verbatim_term}"

    def clean(self) -> None:
        """How the values agree with each other, each beside its field (the constraints above,
        and the rest of what grade 5, death and a fatal outcome mean together)."""
        errors = {}
        if self.onset_at and self.ended_at and self.ended_at < self.onset_at:
            errors["ended_at"] = END_BEFORE_ONSET
        if self.onset_at and self.aware_at and self.aware_at < self.onset_at:
            errors["aware_at"] = AWARE_BEFORE_ONSET
        if self.ongoing and self.ended_at:
            errors.setdefault("ended_at", ENDED_AND_ONGOING)
        if self.severity_grade == self.Grade.DEATH and self.serious_death is False:
            errors["severity_grade"] = GRADE_5_NEEDS_DEATH
        fatal = self.outcome == self.Outcome.FATAL
        if self.serious_death and self.outcome and not fatal:
            errors["outcome"] = DEATH_NEEDS_FATAL
        elif fatal and self.serious_death is False:
            errors["outcome"] = FATAL_NEEDS_DEATH
        if fatal and self.ongoing:
            errors["ongoing"] = FATAL_NOT_ONGOING
        if errors:
            raise ValidationError(errors)

    def save(self, *args, **kwargs):
        super().save(*args, **kwargs)
        _queue_place_refresh(self.pk)  # seriousness and submission decide it

    @property
    def is_serious(self) -> bool | None:
        """Serious when any criterion is met; None while a criterion is unanswered and none is."""
        answers = [getattr(self, name) for name, _ in SERIOUSNESS_CRITERIA]
        if any(answers):
            return True
        return None if None in answers else False

    @property
    def seriousness_met(self) -> list[str]:
        return [label for name, label in SERIOUSNESS_CRITERIA if getattr(self, name)]

    @property
    def special_interest(self) -> list[str]:
        return [label for name, label in SPECIAL_INTEREST if getattr(self, name)]

    @property
    def is_draft(self) -> bool:
        return self.status == self.Status.DRAFT

    @property
    def is_fatal_or_life_threatening(self) -> bool:
        return bool(self.serious_death or self.serious_life_threatening)


# What a report carries: the event's values a submission snapshots and a follow-up may change.
REPORT_FIELDS = (
    "verbatim_term",
    "onset_at",
    "onset_date_only",
    "ended_at",
    "ongoing",
    "aware_at",
    "description",
    "treatment",
    "severity_grade",
    *(name for name, _ in SERIOUSNESS_CRITERIA),
    "causality",
    *(name for name, _ in PROCEDURES),
    "aesi_abuse",
    "aesi_cardiovascular",
    "aesi_suicidality",
    "action_taken",
    "outcome",
)


class AdverseEventReport(VersionedModel):
    """One report of an event: the initial one (number 0, the submission) or a follow-up.

    `changes` holds, for each field the report set, {"old": ..., "new": ...} as JSON (times in
    ISO 8601); the initial report's "old" values are all null. A follow-up is drafted by the
    site's staff and, while unsigned, may be edited; once the investigator signs it, it is
    applied to the event and never changed again.
    """

    adverse_event = models.ForeignKey(
        AdverseEvent, on_delete=models.PROTECT, related_name="reports"
    )
    number = models.PositiveSmallIntegerField(help_text="0: the initial report; 1...: follow-ups.")
    reason = models.TextField(max_length=2000, blank=True)
    final = models.BooleanField(
        default=False, help_text="The last report: the outcome is known and the event is closed."
    )
    changes = models.JSONField(default=dict)
    drafted_by = user_field()
    drafted_at = models.DateTimeField()
    signed_by = user_field(optional=True)
    signed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["adverse_event", "number"]
        constraints = [
            models.UniqueConstraint(
                fields=["adverse_event", "number"], name="adverse_event_report_number_unique"
            ),
            models.UniqueConstraint(
                fields=["adverse_event"],
                condition=Q(signed_at__isnull=True),
                name="adverse_event_one_unsigned_report",
                violation_error_message="A follow-up report already waits for signature.",
            ),
            models.CheckConstraint(
                condition=Q(number=0) | ~Q(reason=""),
                name="adverse_event_follow_up_has_reason",
                violation_error_message="A follow-up report says why it is made.",
            ),
            models.CheckConstraint(
                condition=Q(signed_at__isnull=True) | Q(signed_by__isnull=False),
                name="adverse_event_report_signed_by_someone",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.label} of AE {self.adverse_event_id}"

    @property
    def label(self) -> str:
        return "Initial report" if self.number == 0 else f"Follow-up {self.number}"

    @property
    def is_signed(self) -> bool:
        return self.signed_at is not None

    @property
    def participant(self) -> Participant:
        """Whose casebook the report belongs to (a locked one refuses it)."""
        return self.adverse_event.participant


RSI_IMMUTABLE = "A version of the reference safety information is never changed: add a new one."
SUBMISSION_IMMUTABLE = "A submission to the regulator, once recorded, is never changed."


class Causality:
    """The causality scale, strongest last: related is possible or stronger (DESIGN.md)."""

    ORDER = [choice.value for choice in AdverseEvent.Causality]
    RELATED = frozenset(ORDER[ORDER.index(AdverseEvent.Causality.POSSIBLE) :])

    @classmethod
    def more_conservative(cls, *values: str) -> str:
        """Of the answers given, the one that says the event is the more related."""
        given = [value for value in values if value]
        return max(given, key=cls.ORDER.index, default="")


class ReferenceSafetyInformation(Immutable):
    """One version of a study's reference safety information: the expected terms against which
    the medical monitor assesses expectedness. A new version is a new record; none is changed."""

    immutable_message = RSI_IMMUTABLE

    study = models.ForeignKey(
        Study, on_delete=models.PROTECT, related_name="reference_safety_information"
    )
    version = models.CharField(
        max_length=60, help_text='As the document names it, for example "IB edition 7".'
    )
    effective_on = models.DateField("effective from")
    expected_terms = models.TextField(max_length=20000, help_text="One expected term per line.")
    created_by = user_field()
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["study", "-effective_on", "-pk"]
        verbose_name = "reference safety information"
        verbose_name_plural = "reference safety information"
        constraints = [
            models.UniqueConstraint(
                fields=["study", "version"],
                name="rsi_version_unique_in_study",
                violation_error_message="This study has a version of this name already.",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.study.code} RSI {self.version}"

    @property
    def terms(self) -> list[str]:
        return [line.strip() for line in self.expected_terms.splitlines() if line.strip()]

    def lists(self, term: str) -> bool:
        """Whether `term` is one of the expected terms (case and spacing aside)."""
        wanted = " ".join(term.split()).casefold()
        return any(" ".join(t.split()).casefold() == wanted for t in self.terms)


MEDDRA_CODE = RegexValidator(r"^1[0-9]{7}$", "A MedDRA code is 8 digits, the first a 1.")
MEDDRA_VERSION = RegexValidator(
    r"^[0-9]{1,2}\.[0-9]$", 'The MedDRA version as it is numbered, for example "27.1".'
)


MEDDRA_TERM_HELP = "As the MedDRA browser writes it."


class AdverseEventReview(VersionedModel):
    """The medical monitor's review of a submitted adverse event: the sponsor's assessment and
    the review state, signed by the monitor (meaning "reviewed").

    Made when the event is submitted (awaiting review); saving an assessment puts it under
    review; the signature makes it reviewed, and a later change, or a follow-up report signed
    after, returns it to review. SUSAR: serious, related by the more conservative causality, and
    unexpected; `susar_since` is when the sponsor first had what makes it one (its day 0 in the
    site's zone is the clock's start) and `susar_fatal_or_life_threatening` decides its clock.
    """

    class State(models.TextChoices):
        AWAITING = "awaiting", "Awaiting review"
        UNDER_REVIEW = "under_review", "Under review"
        REVIEWED = "reviewed", "Reviewed"

    # The monitor's review of the data: refused on a locked casebook, but it leaves a signed one
    # signed (participants.casebook).
    casebook_review = True

    adverse_event = models.OneToOneField(
        AdverseEvent, on_delete=models.PROTECT, related_name="review"
    )
    state = models.CharField(max_length=12, choices=State.choices, default=State.AWAITING)
    sponsor_causality = models.CharField(
        "causality to the investigational product (sponsor)",
        max_length=20,
        choices=AdverseEvent.Causality.choices,
        blank=True,
    )
    expected = models.BooleanField(
        "expected per the reference safety information",
        null=True,
        blank=True,
    )
    reference_safety_information = models.ForeignKey(
        ReferenceSafetyInformation,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="reviews",
        verbose_name="reference safety information version",
    )
    meddra_llt_code = models.CharField(
        "MedDRA lowest level term code", max_length=8, blank=True, validators=[MEDDRA_CODE]
    )
    meddra_llt_term = models.CharField(
        "MedDRA lowest level term", max_length=100, blank=True, help_text=MEDDRA_TERM_HELP
    )
    meddra_pt_code = models.CharField(
        "MedDRA preferred term code", max_length=8, blank=True, validators=[MEDDRA_CODE]
    )
    meddra_pt_term = models.CharField(
        "MedDRA preferred term", max_length=100, blank=True, help_text=MEDDRA_TERM_HELP
    )
    meddra_version = models.CharField(
        "MedDRA version", max_length=5, blank=True, validators=[MEDDRA_VERSION]
    )
    assessed_by = user_field(optional=True)
    assessed_at = models.DateTimeField(null=True, blank=True)
    susar = models.BooleanField(
        "a SUSAR", default=False, help_text="Serious, related and unexpected, as it is now."
    )
    susar_since = models.DateTimeField(
        "a SUSAR since",
        null=True,
        blank=True,
        help_text=(
            "When the sponsor first had what starts the SUSAR's clock: kept when the event "
            "stops being one, so that its day 0 never moves later."
        ),
    )
    susar_fatal_or_life_threatening = models.BooleanField(default=False)
    susar_fatal_since = models.DateTimeField(
        "found fatal or life-threatening",
        null=True,
        blank=True,
        help_text=(
            "When a SUSAR already reported to the regulator was found fatal or life-threatening: "
            "the day 0 of its follow-up report's 7-day clock."
        ),
    )
    returned_at = models.DateTimeField(
        "returned to review",
        null=True,
        blank=True,
        help_text="When a follow-up report signed after the review returned it to review.",
    )

    class Meta:
        ordering = ["adverse_event"]
        permissions = [
            ("assess_adverseevent", "Can assess and sign the review of adverse events (monitor)")
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(meddra_llt_code="") | Q(meddra_version__gt=""),
                name="ae_review_coding_has_version",
                violation_error_message="Give the MedDRA version the codes are from.",
            ),
        ]

    def __str__(self) -> str:
        return f"Review of AE {self.adverse_event_id}"

    def save(self, *args, **kwargs):
        super().save(*args, **kwargs)
        _queue_place_refresh(self.adverse_event_id)

    @property
    def participant(self) -> Participant:
        return self.adverse_event.participant

    @property
    def is_coded(self) -> bool:
        return bool(self.meddra_pt_code)

    @property
    def related(self) -> bool | None:
        """Related by the more conservative of the two causalities: related as soon as either
        says possible or stronger; not related when both answered otherwise; None until then."""
        answers = [self.adverse_event.causality, self.sponsor_causality]
        if any(answer in Causality.RELATED for answer in answers if answer):
            return True
        return None if "" in answers else False

    @property
    def is_susar(self) -> bool:
        return bool(self.adverse_event.is_serious and self.related and self.expected is False)


class RegulatorySubmission(Immutable):
    """The sponsor's expedited report of a SUSAR to the regulator, recorded by the monitor: the
    initial one stops the SUSAR's clock; for a fatal or life-threatening one, the follow-up
    stops the second. Written once, never changed."""

    class Kind(models.TextChoices):
        INITIAL = "initial", "Initial report"
        FOLLOW_UP = "follow_up", "Follow-up report"

    immutable_message = SUBMISSION_IMMUTABLE
    # The sponsor's step, not the site's data: refused on a locked casebook, but a signed one
    # stays signed (participants.casebook).
    casebook_review = True

    adverse_event = models.ForeignKey(
        AdverseEvent, on_delete=models.PROTECT, related_name="regulatory_submissions"
    )
    kind = models.CharField(max_length=10, choices=Kind.choices)
    submitted_on = models.DateField("submitted to the regulator on")
    reference = models.CharField(
        "regulator's reference number", max_length=60, help_text="As the regulator gave it."
    )
    recorded_by = user_field()
    recorded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["adverse_event", "submitted_on", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["adverse_event", "kind"],
                name="regulatory_submission_once_per_kind",
                violation_error_message="This report to the regulator is recorded already.",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} of AE {self.adverse_event_id} ({self.reference})"

    def save(self, *args, **kwargs):
        super().save(*args, **kwargs)
        _queue_place_refresh(self.adverse_event_id)

    @property
    def participant(self) -> Participant:
        return self.adverse_event.participant


def _queue_place_refresh(ae_id: int) -> None:
    """Keep the event's place in the review queue in step with what was just saved, in its
    transaction (whoever saves it: a service, a data fix, a test)."""
    from safety import queue_order  # which reads these models

    queue_order.refresh([ae_id])


class QueuePlace(models.Model):
    """An adverse event's place in the monitor's review queue (safety.queue), kept in step with
    the event, its review, its submissions to the regulator and its site's zone in the
    transactions that change them (safety.queue_order): first the events a SUSAR clock runs for,
    soonest due first (`due_at`: when the clock it runs next ends), then the serious ones, then
    the rest, oldest submission first within each. The queue reads a page in this order from an
    index, rather than working out and sorting every event's clocks on each request. Derived
    from audited records, and not itself audited."""

    class Rank(models.IntegerChoices):
        SUSAR_CLOCK = 1, "A SUSAR clock runs"
        SERIOUS = 2, "Serious"
        OTHER = 3, "Other"

    adverse_event = models.OneToOneField(
        AdverseEvent, on_delete=models.CASCADE, primary_key=True, related_name="queue_place"
    )
    rank = models.PositiveSmallIntegerField(choices=Rank.choices, default=Rank.OTHER)
    due_at = models.DateTimeField(null=True, blank=True)
    submitted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [
            models.Index(fields=["rank", "due_at", "submitted_at"], name="queue_place_order")
        ]

    def __str__(self) -> str:
        return f"AE {self.adverse_event_id}: {self.get_rank_display()}"


class SafetyNotice(models.Model):
    """That one email about one event was sent to one user, at one step (`kind`): the row is
    claimed in the transaction that sends it, so that two workers, or beat running twice, send
    it once, and a failed sending rolls the claim back for the retry."""

    class Kind(models.TextChoices):
        SERIOUS_SUBMITTED = "serious_submitted", "Serious adverse event submitted"
        SERIOUS_REMINDER = "serious_reminder", "18 hours without a submission"
        SUSAR_DUE_SOON = "susar_due_soon", "SUSAR report due within 2 days"
        SUSAR_OVERDUE = "susar_overdue", "SUSAR report overdue"

    adverse_event = models.ForeignKey(
        AdverseEvent, on_delete=models.PROTECT, related_name="notices"
    )
    recipient = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    step = models.CharField(
        max_length=20, blank=True, help_text="Which clock of the event, where it has two."
    )
    email = models.EmailField()
    sent_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["sent_at", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["adverse_event", "recipient", "kind", "step"],
                name="safety_notice_once",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} to user {self.recipient_id} (AE {self.adverse_event_id})"


# A follow-up report, waiting for the investigator's signature, that makes the event serious: its
# 24-hour clock runs from when the site drafted it (safety.clocks.serious_clock).
MAKES_SERIOUS = Q(signed_at__isnull=True) & reduce(
    operator.or_, (Q(**{f"changes__{name}__new": True}) for name, _ in SERIOUSNESS_CRITERIA)
)


auditlog.register(AdverseEvent)
auditlog.register(AdverseEventReport)
auditlog.register(ReferenceSafetyInformation)
auditlog.register(AdverseEventReview)
auditlog.register(RegulatorySubmission)
