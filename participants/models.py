"""Participants (pseudonymous, clinical) and their identities (kept apart, own site only)."""

from auditlog.registry import auditlog
from django.core.validators import RegexValidator
from django.db import models
from django.db.models import F, Q

from accounts.models import Site
from audit.models import VersionedModel
from records.fields import user_field


class Participant(VersionedModel):
    """A candidate or participant, known everywhere outside their site only by pseudonymous IDs."""

    class Status(models.TextChoices):
        SCREENING = "screening", "In screening"
        SCREEN_FAILED = "screen_failed", "Screen failure"
        ENROLLED = "enrolled", "Enrolled"
        COMPLETED = "completed", "Completed"
        WITHDRAWN = "withdrawn", "Withdrawn"

    class WithdrawalCategory(models.TextChoices):
        PARTICIPANT = "participant", "Withdrawal by the participant"
        ADVERSE_EVENT = "adverse_event", "Adverse event"
        INVESTIGATOR = "investigator", "Investigator's decision"
        LOST_TO_FOLLOW_UP = "lost_to_follow_up", "Lost to follow-up"
        PROTOCOL_DEVIATION = "protocol_deviation", "Protocol deviation"
        PREGNANCY = "pregnancy", "Pregnancy"
        OTHER = "other", "Other"

    NUMBERED_STATUSES = (Status.ENROLLED, Status.COMPLETED, Status.WITHDRAWN)

    site = models.ForeignKey(Site, on_delete=models.PROTECT, related_name="participants")
    screening_number = models.CharField(
        max_length=16,
        unique=True,
        validators=[RegexValidator(r"^SCR\d{2}-\d{4}$", "Format: SCR01-0001.")],
        help_text="Assigned when screening starts.",
    )
    study_code = models.CharField(
        "participant ID",
        max_length=16,
        unique=True,
        null=True,
        blank=True,
        validators=[RegexValidator(r"^S\d{2}-\d{4}$", "Format: S01-0007.")],
        help_text="Assigned at enrolment.",
    )
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.SCREENING)
    enrolled_on = models.DateField(null=True, blank=True)
    withdrawn_on = models.DateField(
        null=True, blank=True, help_text="The last day of the participant's participation."
    )
    withdrawal_category = models.CharField(
        "reason for withdrawal", max_length=20, choices=WithdrawalCategory.choices, blank=True
    )
    withdrawal_details = models.TextField("details", blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["site__number", "screening_number"]
        permissions = [
            ("export_deidentified", "Can export de-identified data"),
            ("sign_participant", "Can sign participant records as investigator"),
            ("withdraw_participant", "Can withdraw a participant from the study"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=["screening", "screen_failed"])
                | (Q(study_code__isnull=False) & Q(enrolled_on__isnull=False)),
                name="participant_enrolled_has_id",
                violation_error_message="An enrolled participant needs a participant ID and date.",
            ),
            models.CheckConstraint(
                condition=(
                    Q(status="withdrawn", withdrawn_on__isnull=False)
                    & ~Q(withdrawal_category="")
                    & Q(withdrawn_on__gte=F("enrolled_on"))
                )
                | (
                    ~Q(status="withdrawn")
                    & Q(withdrawn_on__isnull=True, withdrawal_category="", withdrawal_details="")
                ),
                name="participant_withdrawal_dated",
                violation_error_message="A withdrawn participant needs the date of withdrawal, "
                "on or after enrolment, and its reason.",
            ),
        ]

    def __str__(self) -> str:
        return self.label

    @property
    def label(self) -> str:
        """The ID staff use: the participant ID once enrolled, the screening number before."""
        return self.study_code or self.screening_number

    def identifying_strings(self) -> list[str]:
        """What of the participant's identity could be typed into a free text (see
        ParticipantIdentity.identifying_strings); none before an identity is recorded."""
        return self.identifying_strings_of([self])[self.pk]

    @classmethod
    def identifying_strings_of(cls, participants) -> dict[int, list[str]]:
        """`identifying_strings` of each of `participants`, by primary key, in one query."""
        found = {p.pk: [] for p in participants}
        for identity in ParticipantIdentity.objects.filter(participant_id__in=found):
            found[identity.participant_id] = identity.identifying_strings()
        return found

    @property
    def expects_visits(self) -> bool:
        """Whether visits not yet held are still to come: only while the participant is enrolled."""
        return self.status == self.Status.ENROLLED


class ParticipantIdentity(VersionedModel):
    """Who the participant is. Only the participant's own site staff ever see this."""

    class Sex(models.TextChoices):
        FEMALE = "F", "Female"
        MALE = "M", "Male"
        INTERSEX = "I", "Intersex"
        UNDISCLOSED = "U", "Not disclosed"

    participant = models.OneToOneField(
        Participant, on_delete=models.PROTECT, related_name="identity"
    )
    given_name = models.CharField(max_length=100)
    family_name = models.CharField(max_length=100)
    date_of_birth = models.DateField()
    sex = models.CharField(max_length=1, choices=Sex.choices)
    phone = models.CharField(max_length=40, blank=True)
    email = models.EmailField(blank=True)
    address_line = models.CharField("address", max_length=200, blank=True)
    city = models.CharField(max_length=100, blank=True)
    postal_code = models.CharField(max_length=20, blank=True)
    country = models.CharField(max_length=100, blank=True)
    support_contact_name = models.CharField(max_length=200, blank=True)
    support_contact_phone = models.CharField(max_length=40, blank=True)

    # Who the participant is and how to reach them: a locked casebook leaves names and contacts
    # correctable, but not the date of birth and sex, which the study's data rest on (age at
    # screening, the exports' demographics) (participants.casebook).
    casebook_guarded_fields = ("date_of_birth", "sex")

    class Meta:
        verbose_name_plural = "participant identities"

    def __str__(self) -> str:
        # Never the name: this string lands in the audit trail and in logs.
        return f"Identity of {self.participant.label}"

    @property
    def full_name(self) -> str:
        return f"{self.given_name} {self.family_name}"

    def identifying_strings(self) -> list[str]:
        """What of this identity could be typed into a free text: the names, the date of birth
        as people write it, the contacts; longest first, so that "Ada Tucker" goes before
        "Ada". (The sex and the country alone identify no one.)"""
        values = [
            self.full_name,
            self.given_name,
            self.family_name,
            self.phone,
            self.email,
            self.address_line,
            # The email's name part; the street without its number, and its name alone (the
            # street's kind is often shortened: "Dodd Expy"); each name of the support contact.
            self.email.partition("@")[0] if len(self.email.partition("@")[0]) >= 4 else "",
            self.address_line.lstrip("0123456789 ,/-"),
            _street_name(self.address_line),
            self.city,
            self.postal_code,
            self.support_contact_name,
            *self.support_contact_name.split(),
            self.support_contact_phone,
            *_ways_of_writing(self.date_of_birth),
        ]
        found = {value.strip() for value in values if value and len(value.strip()) >= 2}
        return sorted(found, key=len, reverse=True)


def _street_name(address: str) -> str:
    """The street's own name: "2 Dodd Expressway" -> "Dodd" (none for a one-word street)."""
    words = address.lstrip("0123456789 ,/-").split()
    return " ".join(words[:-1]) if len(words) >= 2 else ""


def _ordinal(n: int) -> str:
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def _ways_of_writing(day) -> list[str]:
    """A date as people write it: in numbers (day, month and year in the usual orders, padded
    or not, the year in two digits too; the separators are matched loosely) and in words
    ("5 May 1973", "5th May 1973", "May 5, 1973", "May 5th, 1973")."""
    if not day:
        return []
    d, m, y = day.day, day.month, day.year
    yy = f"{y % 100:02}"  # a two-digit year is written last
    numbers = {
        f"{a}-{b}-{c}"
        for dd in {f"{d}", f"{d:02}"}
        for mm in {f"{m}", f"{m:02}"}
        for a, b, c in ((y, mm, dd), (dd, mm, y), (mm, dd, y), (dd, mm, yy), (mm, dd, yy))
    }
    months = (f"{day:%B}", f"{day:%b}")
    days = {f"{d}", f"{d:02}", _ordinal(d)}
    words = {f"{dd} {month} {y}" for dd in days for month in months} | {
        f"{month} {dd}, {y}" for dd in (f"{d}", _ordinal(d)) for month in months
    }
    return sorted(numbers | words)


class Casebook(VersionedModel):
    """A participant's casebook: signed by the site investigator once its records are complete,
    then locked by the study administrator, after which no write to the participant's clinical
    records is saved until an unlock with a reason (participants.casebook guards every write).

    One per participant, made on first use; a participant without one is open. The signature is
    a signatures.Signature on the casebook, which a data change voids (the casebook is open
    again). Locking and unlocking change the casebook, not the data signed, so they leave it
    signed: an unlocked casebook may be locked again unless data changed meanwhile. Who locked
    or unlocked it and why are in the audit trail (the unlock's reason is its entry's reason).
    """

    class State(models.TextChoices):
        OPEN = "open", "Open"
        SIGNED = "signed", "Signed"
        LOCKED = "locked", "Locked"

    participant = models.OneToOneField(
        Participant, on_delete=models.PROTECT, related_name="casebook"
    )
    state = models.CharField(max_length=10, choices=State.choices, default=State.OPEN)
    locked_at = models.DateTimeField(null=True, blank=True)
    locked_by = user_field(optional=True)
    unlocked_at = models.DateTimeField(null=True, blank=True)
    unlocked_by = user_field(optional=True)
    unlock_reason = models.TextField("reason for unlocking", blank=True)

    class Meta:
        permissions = [
            ("sign_casebook", "Can sign a participant's casebook (investigator)"),
            ("lock_casebook", "Can lock and unlock casebooks (study administrator)"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=(Q(state="locked") & Q(locked_at__isnull=False))
                | (~Q(state="locked") & Q(locked_at__isnull=True)),
                name="casebook_locked_has_time",
                violation_error_message="A locked casebook has its locking time, another none.",
            ),
        ]

    def __str__(self) -> str:
        return f"Casebook of {self.participant.label}"

    @property
    def site(self):
        return self.participant.site

    @property
    def is_locked(self) -> bool:
        return self.state == self.State.LOCKED


# The person, their address and their support contact: together, the identity form.
PERSON_FIELDS = ["given_name", "family_name", "date_of_birth", "sex", "phone", "email"]
ADDRESS_FIELDS = ["address_line", "city", "postal_code", "country"]
SUPPORT_CONTACT_FIELDS = ["support_contact_name", "support_contact_phone"]
IDENTITY_FIELDS = PERSON_FIELDS + ADDRESS_FIELDS + SUPPORT_CONTACT_FIELDS

auditlog.register(Participant)
auditlog.register(ParticipantIdentity, mask_fields=IDENTITY_FIELDS)
auditlog.register(Casebook)
