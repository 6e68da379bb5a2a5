"""Eligibility criteria (per study, configurable) and screening attempts with their answers."""

from auditlog.registry import auditlog
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator
from django.db import models
from django.db.models import Q

from accounts.models import Study
from audit.models import AuditedModel, VersionedModel
from participants.models import Participant
from records.fields import (
    DIASTOLIC_BELOW_SYSTOLIC,
    CAPS5TotalField,
    DiastolicPressureField,
    PulseField,
    QTcField,
    SystolicPressureField,
    WeightField,
    user_field,
    validate_diastolic_below_systolic,
)
from records.measurements import CSSRS_IDEATION_LEVELS
from screening import eligibility


class CriteriaSet(AuditedModel):
    """A published set of eligibility criteria, e.g. the MAPP2 protocol's."""

    code = models.SlugField(max_length=32, unique=True)
    name = models.CharField(max_length=200)
    description = models.TextField(blank=True)

    class Meta:
        ordering = ["code"]

    def __str__(self) -> str:
        return self.code

    def specs(self) -> list[eligibility.CriterionSpec]:
        return [c.spec() for c in self.criteria.all()]


class Criterion(AuditedModel):
    Kind = eligibility.Kind
    Measurement = eligibility.Measurement
    Operator = eligibility.Operator

    criteria_set = models.ForeignKey(CriteriaSet, on_delete=models.PROTECT, related_name="criteria")
    code = models.CharField(max_length=16, help_text="e.g. I3 or E10")
    text = models.CharField(max_length=300)
    kind = models.CharField(max_length=10, choices=eligibility.Kind.choices)
    measurement = models.CharField(
        max_length=32,
        choices=eligibility.Measurement.choices,
        blank=True,
        help_text="For a computed criterion: what it is computed from. Blank: answered yes/no.",
    )
    operator = models.CharField(max_length=2, choices=eligibility.Operator.choices, blank=True)
    bound = models.DecimalField(max_digits=7, decimal_places=2, null=True, blank=True)
    order = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["criteria_set", "order", "code"]
        verbose_name_plural = "criteria"
        constraints = [
            models.UniqueConstraint(
                fields=["criteria_set", "code"],
                name="criterion_code_unique_in_set",
                violation_error_message="This code is already used in this criteria set.",
            ),
            models.CheckConstraint(
                condition=(Q(measurement="") & Q(operator="") & Q(bound__isnull=True))
                | (~Q(measurement="") & ~Q(operator="") & Q(bound__isnull=False)),
                name="criterion_computed_is_complete",
                violation_error_message=(
                    "A computed criterion needs a measurement, an operator and a bound; "
                    "a yes/no criterion has none of them."
                ),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.code}: {self.text}"

    def spec(self) -> eligibility.CriterionSpec:
        return eligibility.CriterionSpec(
            code=self.code,
            text=self.text,
            kind=self.kind,
            measurement=self.measurement,
            operator=self.operator,
            bound=self.bound,
        )

    @property
    def is_computed(self) -> bool:
        return bool(self.measurement)


class StudyScreeningConfig(AuditedModel):
    """Which criteria set a study screens against; chosen by the study administrator."""

    study = models.OneToOneField(Study, on_delete=models.PROTECT, related_name="screening_config")
    criteria_set = models.ForeignKey(CriteriaSet, on_delete=models.PROTECT, related_name="+")

    class Meta:
        verbose_name = "study screening configuration"

    def __str__(self) -> str:
        return f"{self.study}: {self.criteria_set}"


class ScreeningAttempt(VersionedModel):
    """One screening of one candidate. A re-screen is a new attempt; earlier ones are kept."""

    class Status(models.TextChoices):
        DRAFT = "draft", "Assessments in progress"
        SUBMITTED = "submitted", "Submitted"
        CONFIRMED = "confirmed", "Eligibility confirmed"
        SCREEN_FAILED = "screen_failed", "Screen failure"

    EDITABLE_STATUSES = (Status.DRAFT, Status.SUBMITTED, Status.CONFIRMED)

    class CSSRSIdeation(models.IntegerChoices):
        # The levels as every form offers them (records.measurements).
        NONE = CSSRS_IDEATION_LEVELS[0]
        WISH_DEAD = CSSRS_IDEATION_LEVELS[1]
        NONSPECIFIC = CSSRS_IDEATION_LEVELS[2]
        METHOD_NO_INTENT = CSSRS_IDEATION_LEVELS[3]
        INTENT_NO_PLAN = CSSRS_IDEATION_LEVELS[4]
        PLAN_AND_INTENT = CSSRS_IDEATION_LEVELS[5]

    participant = models.ForeignKey(
        Participant, on_delete=models.PROTECT, related_name="screening_attempts"
    )
    number = models.PositiveSmallIntegerField(
        help_text="1 for the first screening, 2 for a re-screen."
    )
    criteria_set = models.ForeignKey(CriteriaSet, on_delete=models.PROTECT, related_name="+")
    screened_on = models.DateField()
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.DRAFT)

    ptsd_duration_months = models.PositiveSmallIntegerField(
        "PTSD duration (months)",
        null=True,
        blank=True,
        validators=[MaxValueValidator(1440, "PTSD duration must be at most 1440 months.")],
    )
    caps5_total = CAPS5TotalField("CAPS-5 total severity", null=True, blank=True)
    systolic_bp = SystolicPressureField("systolic BP (mmHg)", null=True, blank=True)
    diastolic_bp = DiastolicPressureField("diastolic BP (mmHg)", null=True, blank=True)
    pulse = PulseField("pulse (beats/min)", null=True, blank=True)
    qtc_ms = QTcField("QTc (ms)", null=True, blank=True)
    weight_kg = WeightField("weight (kg)", null=True, blank=True)
    pregnancy_test = models.CharField(
        max_length=20, choices=eligibility.PregnancyTest.choices, blank=True
    )
    cssrs_ideation = models.PositiveSmallIntegerField(
        "C-SSRS ideation level", choices=CSSRSIdeation.choices, null=True, blank=True
    )

    age_at_screening = models.PositiveSmallIntegerField(null=True, blank=True, editable=False)
    decision = models.CharField(
        max_length=12, choices=eligibility.Decision.choices, blank=True, editable=False
    )
    results = models.JSONField(default=list, blank=True, editable=False)
    failed_codes = models.JSONField(default=list, blank=True, editable=False)

    created_by = user_field()
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    submitted_at = models.DateTimeField(null=True, blank=True, editable=False)
    # Why a candidate was screened although a candidate or participant of the site had the same
    # name and date of birth (screening.services.duplicate_check); blank when none had.
    duplicate_reason = models.CharField(
        "why screened despite a possible duplicate", max_length=500, blank=True, editable=False
    )

    class Meta:
        ordering = ["-screened_on", "-pk"]
        permissions = [("confirm_screeningattempt", "Can confirm eligibility (investigator)")]
        constraints = [
            models.UniqueConstraint(
                fields=["participant", "number"], name="screening_attempt_number_unique"
            ),
            models.CheckConstraint(
                condition=Q(systolic_bp__isnull=True)
                | Q(diastolic_bp__isnull=True)
                | Q(diastolic_bp__lt=models.F("systolic_bp")),
                name="screening_diastolic_below_systolic",
                violation_error_message=DIASTOLIC_BELOW_SYSTOLIC,
            ),
            models.CheckConstraint(
                condition=Q(caps5_total__isnull=True) | Q(caps5_total__lte=80),
                name="screening_caps5_at_most_80",
                violation_error_message="The CAPS-5 total severity score is at most 80.",
            ),
        ]

    def __str__(self) -> str:
        return f"Screening {self.number} of {self.participant.label}"

    def clean(self) -> None:
        validate_diastolic_below_systolic(self.systolic_bp, self.diastolic_bp)

    @property
    def is_editable(self) -> bool:
        return self.status in self.EDITABLE_STATUSES

    # Once submitted, a change needs a reason and voids the signature (records.edits).
    late_change_message = "Say why a submitted screening is being changed."

    @property
    def changes_need_reason(self) -> bool:
        return self.status != self.Status.DRAFT

    @property
    def site(self):
        return self.participant.site

    def measurements(self, date_of_birth=None) -> eligibility.Measurements:
        return eligibility.Measurements(
            screened_on=self.screened_on,
            date_of_birth=date_of_birth,
            pregnancy_test=self.pregnancy_test or None,
            **{name: getattr(self, name) for name in eligibility.COUNTED_MEASUREMENTS},
        )


class CriterionAnswer(AuditedModel):
    """The yes/no answer to a non-computed criterion, with a note."""

    attempt = models.ForeignKey(ScreeningAttempt, on_delete=models.PROTECT, related_name="answers")
    criterion = models.ForeignKey(Criterion, on_delete=models.PROTECT, related_name="+")
    answer = models.BooleanField(null=True, blank=True)
    note = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["criterion__order", "criterion__code"]
        constraints = [
            models.UniqueConstraint(
                fields=["attempt", "criterion"], name="criterion_answer_once_per_attempt"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.criterion.code} of {self.attempt}"

    @property
    def participant(self):
        return self.attempt.participant

    def clean(self) -> None:
        if self.criterion_id and self.criterion.is_computed:
            raise ValidationError("A computed criterion is not answered by hand.")


auditlog.register(CriteriaSet)
auditlog.register(Criterion)
auditlog.register(StudyScreeningConfig)
auditlog.register(ScreeningAttempt, exclude_fields=["results", "updated_at"])
auditlog.register(CriterionAnswer)
