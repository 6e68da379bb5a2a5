"""The course of therapy: the study's session settings and a participant's visits.

Audited (registered at the bottom); edited through forms, so versioned: a save that comes after
someone else's is refused.
"""

from decimal import Decimal

from auditlog.registry import auditlog
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils import timezone

from accounts.models import Study
from audit.models import VersionedModel
from participants.models import Participant
from records import measurements
from records.fields import optional_link
from sessions_app import schedule


def _setting(verbose_name=None, *, default: int, low: int, high: int, **kwargs):
    """A whole-number session setting: its default and the range a study may set it within."""
    return models.PositiveSmallIntegerField(
        verbose_name,
        default=default,
        validators=[MinValueValidator(low), MaxValueValidator(high)],
        **kwargs,
    )


class StudySessionSettings(VersionedModel):
    """Per-study thresholds and monitoring intervals of dosing sessions (defaults: DESIGN.md)."""

    study = models.OneToOneField(Study, on_delete=models.PROTECT, related_name="session_settings")
    systolic_max = _setting("systolic threshold (mmHg)", default=160, low=100, high=250)
    diastolic_max = _setting("diastolic threshold (mmHg)", default=110, low=60, high=150)
    pulse_max = _setting("pulse threshold (bpm)", default=110, low=60, high=200)
    temperature_max = models.DecimalField(
        "temperature threshold (°C)",
        max_digits=4,
        decimal_places=1,
        default=Decimal("38.0"),
        validators=[MinValueValidator(Decimal("37.0")), MaxValueValidator(Decimal("41.0"))],
    )
    reading_interval_minutes = _setting(
        default=30, low=5, high=120, help_text="Minutes between readings while effects last."
    )
    alert_interval_minutes = _setting(
        default=15,
        low=5,
        high=60,
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
        """The study's settings, or the defaults (unsaved) when none were set: no query when
        the study was read with its `session_settings` (select_related)."""
        try:
            if type(study).session_settings.is_cached(study):
                return study.session_settings
            return cls.objects.get(study=study)
        except cls.DoesNotExist:
            return cls(study=study)

    @property
    def thresholds(self) -> dict[str, Decimal | int]:
        """Each vital sign's alert threshold (the measurement registry names its setting)."""
        return {m.name: getattr(self, m.threshold_setting) for m in measurements.VITAL_SIGNS}


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
    dosing_visit = optional_link(
        "self",
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
        return session is None or session.status == session.Status.NOT_STARTED

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
            and session.status != session.Status.NOT_STARTED
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


auditlog.register(StudySessionSettings)
auditlog.register(Visit)
