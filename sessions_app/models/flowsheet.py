"""The flowsheet of a dosing session: the session, its doses, vital-sign readings and observations.

Audited (registered at the bottom); edited through forms, so versioned: a save that comes after
someone else's is refused.
"""

from auditlog.registry import auditlog
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models
from django.db.models import F, Q

from accounts.models import Site
from audit.models import VersionedModel
from participants.models import Participant
from records import measurements
from records.fields import (
    DIASTOLIC_BELOW_SYSTOLIC,
    CSSRSIdeationField,
    DiastolicPressureField,
    PulseField,
    SUDSField,
    SystolicPressureField,
    TemperatureField,
    user_field,
    validate_diastolic_below_systolic,
)
from sessions_app.models.course import StudySessionSettings, Visit

ENDS_AFTER_START = "The session must end after it started."
TWO_THERAPISTS = "The co-therapist must be someone other than the lead."


class DosingSession(VersionedModel):
    """The flowsheet of one dosing (experimental) session."""

    class Status(models.TextChoices):
        NOT_STARTED = "not_started", "Not started"
        IN_PROGRESS = "in_progress", "In progress"
        ENDED = "ended", "Ended"

    PregnancyTest = measurements.PregnancyTest

    class Supplemental(models.TextChoices):
        GIVE = "give", "Go: give the supplemental dose"
        WITHHOLD = "withhold", "No-go: withhold it"

    visit = models.OneToOneField(Visit, on_delete=models.PROTECT, related_name="dosing_session")
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.NOT_STARTED)
    started_at = models.DateTimeField(null=True, blank=True)
    ended_at = models.DateTimeField(null=True, blank=True)
    lead_therapist = user_field(optional=True)
    co_therapist = user_field(optional=True)
    lead_attested_at = models.DateTimeField(null=True, blank=True)
    co_attested_at = models.DateTimeField(null=True, blank=True)
    # Pre-dose checks.
    pregnancy_test = models.CharField(max_length=16, choices=PregnancyTest.choices, blank=True)
    cssrs_pre_ideation = CSSRSIdeationField(
        "C-SSRS ideation before the dose", null=True, blank=True
    )
    cssrs_pre_behaviour = models.BooleanField(
        "suicidal behaviour since the last visit", null=True, blank=True
    )
    predose_checked_at = models.DateTimeField(null=True, blank=True)
    # The supplemental half dose: a go/no-go decision with its reason.
    supplemental_decision = models.CharField(
        max_length=10, choices=Supplemental.choices, blank=True
    )
    supplemental_reason = models.TextField(blank=True)
    supplemental_decided_at = models.DateTimeField(null=True, blank=True)
    # End of session.
    cssrs_post_ideation = CSSRSIdeationField("C-SSRS ideation at the end", null=True, blank=True)
    cssrs_post_behaviour = models.BooleanField(
        "suicidal behaviour during the session", null=True, blank=True
    )
    overnight_ready = models.BooleanField("ready for the overnight stay", null=True, blank=True)
    overnight_note = models.TextField(blank=True)
    not_dosed_reason = models.TextField(
        blank=True, help_text="Why no dose was given in this session (for example, a check failed)."
    )

    class Meta:
        permissions = [("sign_dosingsession", "Can sign dosing sessions as investigator")]
        constraints = [
            models.CheckConstraint(
                condition=Q(lead_therapist__isnull=True)
                | Q(co_therapist__isnull=True)
                | ~Q(lead_therapist=F("co_therapist")),
                name="dosing_session_two_therapists",
                violation_error_message="The lead and the co-therapist must be two people.",
            ),
            models.CheckConstraint(
                condition=Q(status="not_started") | Q(started_at__isnull=False),
                name="dosing_session_started_has_time",
                violation_error_message="A started session needs its start time.",
            ),
            models.CheckConstraint(
                condition=~Q(status="ended") | Q(ended_at__isnull=False),
                name="dosing_session_ended_has_time",
                violation_error_message="An ended session needs its end time.",
            ),
            models.CheckConstraint(
                condition=Q(ended_at__isnull=True) | Q(ended_at__gt=F("started_at")),
                name="dosing_session_ends_after_start",
                violation_error_message=ENDS_AFTER_START,
            ),
            models.CheckConstraint(
                condition=Q(supplemental_decision="") | ~Q(supplemental_reason=""),
                name="dosing_session_supplemental_has_reason",
                violation_error_message="A supplemental-dose decision needs its reason.",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.visit} session"

    @property
    def start_closed_reason(self) -> str:
        """Why this session cannot be started; "" while it can (or has started).

        A withdrawn participant's session can still be entered if it may have been held by the
        day of withdrawal (the start itself is then refused after that day).
        """
        if self.status != self.Status.NOT_STARTED:
            return ""
        visit, participant = self.visit, self.visit.participant
        if visit.status == Visit.Status.MISSED:
            return (
                f"{visit.label} was recorded as missed, so its session cannot be started: "
                f"{visit.missed_reason}"
            )
        if participant.status != participant.Status.ENROLLED and not visit.may_be_recorded:
            since = participant.withdrawn_on
            return (
                f"{participant.label} is {participant.get_status_display().lower()}"
                + (f" since {since:%d %b %Y}" if since else "")
                + ": no dosing session is started for them."
            )
        return ""

    @property
    def participant(self) -> Participant:
        return self.visit.participant

    @property
    def site(self) -> Site:
        return self.visit.participant.site

    # The signed record of the flowsheet: once it has ended, any change to it or to its entries
    # needs a reason and voids the investigator's signature (records.edits).
    late_change_message = "The session has ended: say why this is being added or changed."

    @property
    def changes_need_reason(self) -> bool:
        return self.status == self.Status.ENDED

    @property
    def initial_dose(self) -> "DoseAdministration | None":
        """The initial dose that stands (read from the administrations prefetched, if they are);
        to lock it for a change: DoseAdministration.live()."""
        return next(
            (
                a
                for a in self.administrations.all()
                if a.kind == DoseAdministration.Kind.INITIAL and a.voided_at is None
            ),
            None,
        )

    @property
    def predose_done(self) -> bool:
        return bool(self.pregnancy_test) and self.cssrs_pre_ideation is not None

    def clean(self) -> None:
        if self.ended_at and self.started_at and self.ended_at <= self.started_at:
            raise ValidationError({"ended_at": ENDS_AFTER_START})
        if self.lead_therapist_id and self.lead_therapist_id == self.co_therapist_id:
            raise ValidationError({"co_therapist": TWO_THERAPISTS})


class SessionEntry(models.Model):
    """An entry of a session's flowsheet: the session's participant's, and signed with it (a
    change after the session's end voids the session's signature: records.edits).

    An entry made by mistake is struck through as entered in error, never deleted: it stays on
    the flowsheet and in the history, struck through with its reason, and no longer counts (the
    session's live doses, the chart, the readings' flags and alerts, the next reading due).
    """

    voided_at = models.DateTimeField("struck through at", null=True, blank=True)
    void_reason = models.TextField("why it was entered in error", blank=True)
    voided_by = user_field(optional=True)

    class Meta:
        abstract = True

    @property
    def participant(self) -> Participant:
        return self.session.visit.participant

    @property
    def signature_root(self) -> DosingSession:
        return self.session

    @property
    def is_voided(self) -> bool:
        return self.voided_at is not None


def void_has_reason(name: str, what: str) -> models.CheckConstraint:
    """An entry struck through says why (`what`: "An administration")."""
    return models.CheckConstraint(
        condition=Q(voided_at__isnull=True) | ~Q(void_reason=""),
        name=name,
        violation_error_message=f"{what} struck through needs the reason.",
    )


class DoseAdministration(SessionEntry, VersionedModel):
    """An administration of investigational product (blinded): kit number, dose label and time."""

    class Kind(models.TextChoices):
        INITIAL = "initial", "Initial dose"
        SUPPLEMENTAL = "supplemental", "Supplemental half dose"

    class Dose(models.IntegerChoices):
        MG40 = 40, "40 mg"
        MG60 = 60, "60 mg"
        MG80 = 80, "80 mg"
        MG120 = 120, "120 mg"

    session = models.ForeignKey(
        DosingSession, on_delete=models.PROTECT, related_name="administrations"
    )
    kind = models.CharField(max_length=12, choices=Kind.choices)
    dose_mg = models.PositiveSmallIntegerField("dose (mg, as labelled)", choices=Dose.choices)
    kit_number = models.CharField(
        max_length=20,
        validators=[
            RegexValidator(
                r"^[A-Za-z0-9][A-Za-z0-9-]{2,19}$",
                "A kit number has 3 to 20 letters, digits or hyphens, as on the kit label.",
            )
        ],
    )
    administered_at = models.DateTimeField()
    deviation_reason = models.TextField(
        blank=True,
        help_text="Why a supplemental dose was given outside its window (a protocol deviation).",
    )
    recorded_by = user_field()

    class Meta:
        ordering = ["administered_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["session", "kind"],
                condition=Q(voided_at__isnull=True),
                name="dose_once_per_kind",
                violation_error_message="This dose is already recorded for the session.",
            ),
            void_has_reason("dose_void_has_reason", "An administration"),
            models.CheckConstraint(
                condition=Q(kind="initial", dose_mg__in=[80, 120])
                | Q(kind="supplemental", dose_mg__in=[40, 60]),
                name="dose_strength_matches_kind",
                violation_error_message="An initial dose is 80 or 120 mg; a supplemental dose "
                "is 40 or 60 mg.",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} kit {self.kit_number}"

    @classmethod
    def live(cls, session, kind: str, *, lock: bool = False) -> "DoseAdministration | None":
        """The session's dose of `kind` that stands (not struck through), if any; `lock` locks it
        for a correction."""
        doses = cls.objects.filter(session=session, kind=kind, voided_at__isnull=True)
        return (doses.select_for_update() if lock else doses).first()

    def clean(self) -> None:
        if self.voided_at is not None and not self.void_reason.strip():
            raise ValidationError(
                {"void_reason": "Say why this administration was entered in error."}
            )


READING_EMPTY = "Enter at least one measurement."
PRESSURE_PAIRS = "Blood pressure needs both systolic and diastolic."


class VitalSignReading(SessionEntry, VersionedModel):
    """One set of vital signs and/or SUDS, at its wall-clock time.

    Its time relative to the initial dose (CDISC VSELTM) is derived from the session's initial
    administration, so it stays right when that time is corrected.
    """

    time_field = "measured_at"  # the time that places it in the session

    session = models.ForeignKey(DosingSession, on_delete=models.PROTECT, related_name="readings")
    measured_at = models.DateTimeField()
    systolic = SystolicPressureField("systolic (mmHg)", null=True, blank=True)
    diastolic = DiastolicPressureField("diastolic (mmHg)", null=True, blank=True)
    pulse = PulseField("pulse (bpm)", null=True, blank=True)
    temperature = TemperatureField("temperature (°C)", null=True, blank=True)
    suds = SUDSField("SUDS (0–10)", null=True, blank=True)
    flags = models.JSONField(
        default=list,
        blank=True,
        help_text="The measurements over the study's thresholds when recorded.",
    )
    recorded_by = user_field()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["measured_at", "pk"]
        indexes = [models.Index(fields=["session", "measured_at"], name="reading_session_time")]
        constraints = [
            models.CheckConstraint(
                condition=Q(systolic__isnull=False)
                | Q(diastolic__isnull=False)
                | Q(pulse__isnull=False)
                | Q(temperature__isnull=False)
                | Q(suds__isnull=False),
                name="reading_has_a_value",
                violation_error_message=READING_EMPTY,
            ),
            models.CheckConstraint(
                condition=Q(systolic__isnull=True)
                | Q(diastolic__isnull=True)
                | Q(diastolic__lt=F("systolic")),
                name="reading_diastolic_below_systolic",
                violation_error_message=DIASTOLIC_BELOW_SYSTOLIC,
            ),
            models.CheckConstraint(
                condition=(Q(systolic__isnull=True) & Q(diastolic__isnull=True))
                | (Q(systolic__isnull=False) & Q(diastolic__isnull=False)),
                name="reading_pressure_pairs",
                violation_error_message=PRESSURE_PAIRS,
            ),
            void_has_reason("reading_void_has_reason", "A reading"),
        ]

    def __str__(self) -> str:
        return f"Reading at {self.measured_at:%H:%M}"

    def clean(self) -> None:
        if all(getattr(self, name) is None for name in measurements.READING_NAMES):
            raise ValidationError(READING_EMPTY)
        if (self.systolic is None) != (self.diastolic is None):
            missing = "diastolic" if self.diastolic is None else "systolic"
            raise ValidationError({missing: PRESSURE_PAIRS})
        validate_diastolic_below_systolic(self.systolic, self.diastolic, field="diastolic")

    def exceeded(self, settings_: StudySessionSettings) -> list[str]:
        """The measurements above the study's thresholds."""
        return [
            name
            for name, limit in settings_.thresholds.items()
            if getattr(self, name) is not None and getattr(self, name) > limit
        ]


class Observation(SessionEntry, VersionedModel):
    """What the therapists observed or did during the session, at its time."""

    time_field = "observed_at"  # the time that places it in the session

    class Kind(models.TextChoices):
        OBSERVATION = "observation", "Observation"
        INTERVENTION = "intervention", "Intervention"

    session = models.ForeignKey(
        DosingSession, on_delete=models.PROTECT, related_name="observations"
    )
    observed_at = models.DateTimeField()
    kind = models.CharField(max_length=12, choices=Kind.choices, default=Kind.OBSERVATION)
    text = models.TextField(max_length=4000)
    recorded_by = user_field()

    class Meta:
        ordering = ["observed_at", "pk"]
        constraints = [void_has_reason("observation_void_has_reason", "An observation")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} at {self.observed_at:%H:%M}"


auditlog.register(DosingSession)
auditlog.register(DoseAdministration)
auditlog.register(VitalSignReading)
auditlog.register(Observation)
