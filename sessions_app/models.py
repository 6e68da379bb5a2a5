"""The course of therapy: visits, dosing-session flowsheets, vital-sign alerts, integration notes.

Every model here holds clinical data and is audited (registered at the bottom). Records edited
through forms are versioned, so a save that comes after someone else's is refused.
"""

from decimal import Decimal

from auditlog.registry import auditlog
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.db.models import F, Q
from django.utils import timezone

from accounts.models import Site, Study
from audit.models import AuditedModel, VersionedModel
from participants.models import Participant
from screening.fields import (
    CSSRSIdeationField,
    DiastolicPressureField,
    PulseField,
    SUDSField,
    SystolicPressureField,
    TemperatureField,
)
from sessions_app import schedule


class StudySessionSettings(VersionedModel):
    """Per-study thresholds and monitoring intervals of dosing sessions (defaults: DESIGN.md)."""

    study = models.OneToOneField(Study, on_delete=models.PROTECT, related_name="session_settings")
    systolic_max = models.PositiveSmallIntegerField(
        "systolic threshold (mmHg)",
        default=160,
        validators=[MinValueValidator(100), MaxValueValidator(250)],
    )
    diastolic_max = models.PositiveSmallIntegerField(
        "diastolic threshold (mmHg)",
        default=110,
        validators=[MinValueValidator(60), MaxValueValidator(150)],
    )
    pulse_max = models.PositiveSmallIntegerField(
        "pulse threshold (bpm)",
        default=110,
        validators=[MinValueValidator(60), MaxValueValidator(200)],
    )
    temperature_max = models.DecimalField(
        "temperature threshold (°C)",
        max_digits=4,
        decimal_places=1,
        default=Decimal("38.0"),
        validators=[MinValueValidator(Decimal("37.0")), MaxValueValidator(Decimal("41.0"))],
    )
    reading_interval_minutes = models.PositiveSmallIntegerField(
        default=30,
        validators=[MinValueValidator(5), MaxValueValidator(120)],
        help_text="Minutes between readings while effects last.",
    )
    alert_interval_minutes = models.PositiveSmallIntegerField(
        default=15,
        validators=[MinValueValidator(5), MaxValueValidator(60)],
        help_text="Minutes to the next reading after one over a threshold.",
    )
    supplemental_earliest_minutes = models.PositiveSmallIntegerField(
        default=90, help_text="Earliest supplemental dose, in minutes after the initial dose."
    )
    supplemental_latest_minutes = models.PositiveSmallIntegerField(
        default=150, help_text="Latest supplemental dose, in minutes after the initial dose."
    )

    class Meta:
        verbose_name = "session settings"
        verbose_name_plural = "session settings"
        constraints = [
            models.CheckConstraint(
                condition=Q(alert_interval_minutes__lte=F("reading_interval_minutes")),
                name="session_settings_alert_interval_shorter",
                violation_error_message="The interval after an alert must not be longer "
                "than the usual interval.",
            ),
            models.CheckConstraint(
                condition=Q(supplemental_earliest_minutes__lt=F("supplemental_latest_minutes")),
                name="session_settings_supplemental_window",
                violation_error_message="The supplemental window must open before it closes.",
            ),
        ]

    def __str__(self) -> str:
        return f"Session settings of {self.study_id and self.study}"

    @classmethod
    def for_study(cls, study: Study) -> "StudySessionSettings":
        """The study's settings, or the defaults (unsaved) when none were set."""
        try:
            return cls.objects.get(study=study)
        except cls.DoesNotExist:
            return cls(study=study)

    @property
    def thresholds(self) -> dict[str, Decimal | int]:
        return {
            "systolic": self.systolic_max,
            "diastolic": self.diastolic_max,
            "pulse": self.pulse_max,
            "temperature": self.temperature_max,
        }


class Visit(VersionedModel):
    """One of the 15 therapy visits of a participant's course, with its target date and window."""

    class Kind(models.TextChoices):
        PREPARATORY = schedule.PREPARATORY, "Preparatory"
        DOSING = schedule.DOSING, "Dosing"
        INTEGRATION = schedule.INTEGRATION, "Integration"

    class Status(models.TextChoices):
        SCHEDULED = "scheduled", "Scheduled"
        HELD = "held", "Held"
        MISSED = "missed", "Missed"

    participant = models.ForeignKey(Participant, on_delete=models.PROTECT, related_name="visits")
    code = models.CharField(max_length=8, help_text="P1–P3, D1–D3, I1.1–I3.3")
    kind = models.CharField(max_length=12, choices=Kind.choices)
    sequence = models.PositiveSmallIntegerField()
    dosing_visit = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="integration_visits",
        help_text="For an integration session: the dosing session it follows.",
    )
    target_date = models.DateField()
    window_start = models.DateField()
    window_end = models.DateField()
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.SCHEDULED)
    held_on = models.DateField(null=True, blank=True)
    deviation_explanation = models.TextField(
        blank=True, help_text="Why the visit was held outside its window (a protocol deviation)."
    )
    missed_reason = models.TextField(blank=True, help_text="Why the visit did not take place.")

    class Meta:
        ordering = ["participant_id", "sequence"]
        permissions = [("schedule_visit", "Can generate a participant's visit schedule")]
        constraints = [
            models.UniqueConstraint(fields=["participant", "code"], name="visit_unique_code"),
            models.UniqueConstraint(
                fields=["participant", "sequence"], name="visit_unique_sequence"
            ),
            models.CheckConstraint(
                condition=Q(window_start__lte=F("target_date"), target_date__lte=F("window_end")),
                name="visit_target_within_window",
                violation_error_message="The target date must lie within the window.",
            ),
            models.CheckConstraint(
                condition=Q(status="held", held_on__isnull=False)
                | (~Q(status="held") & Q(held_on__isnull=True)),
                name="visit_held_has_date",
                violation_error_message="A held visit needs the date it was held.",
            ),
            models.CheckConstraint(
                condition=Q(held_on__isnull=True)
                | Q(held_on__gte=F("window_start"), held_on__lte=F("window_end"))
                | ~Q(deviation_explanation=""),
                name="visit_out_of_window_explained",
                violation_error_message="A visit held outside its window needs an explanation.",
            ),
            models.CheckConstraint(
                condition=Q(status="missed") & ~Q(missed_reason="")
                | ~Q(status="missed") & Q(missed_reason=""),
                name="visit_missed_has_reason",
                violation_error_message="A missed visit needs the reason it did not take place.",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.participant.label} {self.label}"

    @property
    def label(self) -> str:
        return schedule.label(self.code)

    @property
    def is_out_of_window(self) -> bool:
        return self.held_on is not None and not (
            self.window_start <= self.held_on <= self.window_end
        )

    @property
    def is_expected(self) -> bool:
        """Not yet held, and still to come: the participant has not left the study."""
        return self.status == self.Status.SCHEDULED and self.participant.expects_visits

    @property
    def may_be_recorded(self) -> bool:
        """Whether the visit can be recorded as held: it is expected, already recorded, or could
        have been held before the participant left the study (entered late)."""
        if self.status != self.Status.SCHEDULED or self.is_expected:
            return True
        left_on = self.participant.withdrawn_on
        return left_on is not None and self.window_start <= left_on

    @property
    def can_be_missed(self) -> bool:
        """Whether the visit can be recorded as missed: expected, its window open, and (a dosing
        visit) its session not started. Load `dosing_session` with the visit to avoid a query."""
        if not self.is_expected or self.window_start > timezone.localdate():
            return False
        session = getattr(self, "dosing_session", None) if self.kind == self.Kind.DOSING else None
        return session is None or session.status == DosingSession.Status.NOT_STARTED

    @property
    def is_overdue(self) -> bool:
        return self.is_expected and self.window_end < timezone.localdate()

    @property
    def notes_closed_reason(self) -> str:
        """Why the notes of this integration visit cannot be written yet; "" once they can.

        An integration session follows its dosing session (the first one the morning after), so
        its notes are written only once that session has started and its visit is held. Load
        `dosing_visit__dosing_session` with the visit to read this without a query.
        """
        dosing_visit = self.dosing_visit if self.kind == self.Kind.INTEGRATION else None
        if dosing_visit is None:
            return ""
        session = getattr(dosing_visit, "dosing_session", None)
        if (
            dosing_visit.status == self.Status.HELD
            and session is not None
            and session.status != DosingSession.Status.NOT_STARTED
        ):
            return ""
        if dosing_visit.status == self.Status.MISSED:
            return f"{dosing_visit.label} was missed: {self.label} has no session to note."
        return (
            f"{self.label} follows {dosing_visit.label}, which has not started: its notes can be "
            f"written once the {dosing_visit.label} session has started."
        )

    def clean(self) -> None:
        if self.is_out_of_window and not self.deviation_explanation.strip():
            raise ValidationError(
                {
                    "deviation_explanation": (
                        f"{self.held_on:%d %b %Y} is outside the window "
                        f"({self.window_start:%d %b} to {self.window_end:%d %b %Y}). "
                        "Explain the protocol deviation."
                    )
                }
            )


class DosingSession(VersionedModel):
    """The flowsheet of one dosing (experimental) session."""

    class Status(models.TextChoices):
        NOT_STARTED = "not_started", "Not started"
        IN_PROGRESS = "in_progress", "In progress"
        ENDED = "ended", "Ended"

    class PregnancyTest(models.TextChoices):
        NEGATIVE = "negative", "Negative"
        POSITIVE = "positive", "Positive"
        NOT_APPLICABLE = "not_applicable", "Not applicable"

    class Supplemental(models.TextChoices):
        GIVE = "give", "Go: give the supplemental dose"
        WITHHOLD = "withhold", "No-go: withhold it"

    visit = models.OneToOneField(Visit, on_delete=models.PROTECT, related_name="dosing_session")
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.NOT_STARTED)
    started_at = models.DateTimeField(null=True, blank=True)
    ended_at = models.DateTimeField(null=True, blank=True)
    lead_therapist = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    co_therapist = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
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
                violation_error_message="The session must end after it started.",
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

    @property
    def predose_done(self) -> bool:
        return bool(self.pregnancy_test) and self.cssrs_pre_ideation is not None

    def clean(self) -> None:
        if self.ended_at and self.started_at and self.ended_at <= self.started_at:
            raise ValidationError({"ended_at": "The session must end after it started."})
        if self.lead_therapist_id and self.lead_therapist_id == self.co_therapist_id:
            raise ValidationError(
                {"co_therapist": "The co-therapist must be someone other than the lead."}
            )


class DoseAdministration(VersionedModel):
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
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    # Entered in error (the supplemental decision was corrected to "not given"): the record is
    # kept, struck through with its reason, and left out of the session's live dose logic.
    voided_at = models.DateTimeField("struck through at", null=True, blank=True)
    void_reason = models.TextField("why it was entered in error", blank=True)
    voided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        ordering = ["administered_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["session", "kind"],
                condition=Q(voided_at__isnull=True),
                name="dose_once_per_kind",
                violation_error_message="This dose is already recorded for the session.",
            ),
            models.CheckConstraint(
                condition=Q(voided_at__isnull=True) | ~Q(void_reason=""),
                name="dose_void_has_reason",
                violation_error_message="An administration struck through needs the reason.",
            ),
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

    @property
    def participant(self) -> Participant:
        return self.session.visit.participant

    @property
    def is_voided(self) -> bool:
        return self.voided_at is not None

    def clean(self) -> None:
        if self.voided_at is not None and not self.void_reason.strip():
            raise ValidationError(
                {"void_reason": "Say why this administration was entered in error."}
            )


VITAL_FIELDS = ("systolic", "diastolic", "pulse", "temperature")


class VitalSignReading(VersionedModel):
    """One set of vital signs and/or SUDS, at its wall-clock time.

    Its time relative to the initial dose (CDISC VSELTM) is derived from the session's initial
    administration, so it stays right when that time is corrected.
    """

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
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
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
                violation_error_message="Enter at least one measurement.",
            ),
            models.CheckConstraint(
                condition=Q(systolic__isnull=True)
                | Q(diastolic__isnull=True)
                | Q(diastolic__lt=F("systolic")),
                name="reading_diastolic_below_systolic",
                violation_error_message="Diastolic pressure must be below systolic.",
            ),
            models.CheckConstraint(
                condition=(Q(systolic__isnull=True) & Q(diastolic__isnull=True))
                | (Q(systolic__isnull=False) & Q(diastolic__isnull=False)),
                name="reading_pressure_pairs",
                violation_error_message="Blood pressure needs both systolic and diastolic.",
            ),
        ]

    def __str__(self) -> str:
        return f"Reading at {self.measured_at:%H:%M}"

    @property
    def participant(self) -> Participant:
        return self.session.visit.participant

    def clean(self) -> None:
        if all(getattr(self, name) is None for name in (*VITAL_FIELDS, "suds")):
            raise ValidationError("Enter at least one measurement.")
        if (self.systolic is None) != (self.diastolic is None):
            missing = "diastolic" if self.diastolic is None else "systolic"
            raise ValidationError({missing: "Blood pressure needs both systolic and diastolic."})
        if (
            self.systolic is not None
            and self.diastolic is not None
            and 50 <= self.systolic <= 300
            and self.diastolic >= self.systolic
        ):
            raise ValidationError(
                {"diastolic": f"Diastolic pressure must be below systolic ({self.systolic} mmHg)."}
            )

    def exceeded(self, settings_: StudySessionSettings) -> list[str]:
        """The measurements above the study's thresholds."""
        return [
            name
            for name, limit in settings_.thresholds.items()
            if getattr(self, name) is not None and getattr(self, name) > limit
        ]


class Observation(VersionedModel):
    """What the therapists observed or did during the session, at its time."""

    class Kind(models.TextChoices):
        OBSERVATION = "observation", "Observation"
        INTERVENTION = "intervention", "Intervention"

    session = models.ForeignKey(
        DosingSession, on_delete=models.PROTECT, related_name="observations"
    )
    observed_at = models.DateTimeField()
    kind = models.CharField(max_length=12, choices=Kind.choices, default=Kind.OBSERVATION)
    text = models.TextField(max_length=4000)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["observed_at", "pk"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} at {self.observed_at:%H:%M}"

    @property
    def participant(self) -> Participant:
        return self.session.visit.participant


class VitalSignAlert(AuditedModel):
    """A reading over a threshold, raised to the study's medical monitors."""

    reading = models.OneToOneField(VitalSignReading, on_delete=models.PROTECT, related_name="alert")
    site = models.ForeignKey(Site, on_delete=models.PROTECT, related_name="vital_sign_alerts")
    exceeded = models.JSONField(help_text="Each measurement over its threshold, with the limit.")
    raised_at = models.DateTimeField(auto_now_add=True)
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    corrected_at = models.DateTimeField(
        null=True, blank=True, help_text="When the reading was last corrected after the alert."
    )
    correction_reason = models.TextField(blank=True)
    withdrawn_at = models.DateTimeField(
        null=True,
        blank=True,
        help_text="Set when a correction brought the reading back within every threshold.",
    )

    class Meta:
        ordering = ["-raised_at", "-pk"]
        permissions = [("acknowledge_vitalsignalert", "Can acknowledge vital-sign alerts")]
        indexes = [models.Index(fields=["site", "raised_at"], name="alert_site_raised")]

    def __str__(self) -> str:
        return f"Alert on {self.reading}"

    @property
    def participant(self) -> Participant:
        return self.reading.session.visit.participant


class AlertNotification(AuditedModel):
    """That one monitor was emailed one kind of news of one alert: the record that makes it once.

    Raised: the reading went over a threshold. Withdrawn: a correction brought it back within
    every threshold. Reinstated: a later correction put a withdrawn alert back over a threshold.
    """

    class Kind(models.TextChoices):
        RAISED = "raised", "Raised"
        WITHDRAWN = "withdrawn", "Withdrawn"
        REINSTATED = "reinstated", "Reinstated"

    alert = models.ForeignKey(
        VitalSignAlert, on_delete=models.PROTECT, related_name="notifications"
    )
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    kind = models.CharField(max_length=12, choices=Kind.choices, default=Kind.RAISED)
    email = models.EmailField()
    sent_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["alert", "recipient", "kind"], name="alert_notified_once_per_kind"
            )
        ]

    def __str__(self) -> str:
        return f"{self.alert} ({self.get_kind_display()}) notified to {self.email}"


class IntegrationNote(VersionedModel):
    """Notes of one integration session. Confidential: the participant's site staff only."""

    visit = models.OneToOneField(Visit, on_delete=models.PROTECT, related_name="integration_note")
    themes = models.TextField("themes explored", max_length=4000)
    participant_report = models.TextField("what the participant reports", max_length=4000)
    cssrs_ideation = CSSRSIdeationField("C-SSRS ideation severity")
    cssrs_behaviour = models.BooleanField("suicidal behaviour since the last visit")
    safety_notes = models.TextField("safety check", max_length=4000, blank=True)
    plan = models.TextField(max_length=4000)
    free_text = models.TextField("further notes", max_length=10000, blank=True)
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"Notes of {self.visit}"

    @property
    def participant(self) -> Participant:
        return self.visit.participant


auditlog.register(StudySessionSettings)
auditlog.register(Visit)
auditlog.register(DosingSession)
auditlog.register(DoseAdministration)
auditlog.register(VitalSignReading)
auditlog.register(Observation)
auditlog.register(VitalSignAlert)
auditlog.register(AlertNotification)
auditlog.register(IntegrationNote)
