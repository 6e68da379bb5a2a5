"""Studies, sites, staff accounts and the role each account holds at a site or study-wide."""

import zoneinfo

from auditlog.registry import auditlog
from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models
from django.db.models import Q

from audit.models import AuditedModel


class User(AbstractUser):
    """A staff account. Accounts are deactivated, never deleted: the audit trail names them."""

    class Meta(AbstractUser.Meta):
        swappable = "AUTH_USER_MODEL"
        permissions = [("unlock_user", "Can unlock an account locked out after failed log-ins")]

    @property
    def printed_name(self) -> str:
        return self.get_full_name() or self.username


class Study(AuditedModel):
    code = models.SlugField(max_length=32, unique=True, help_text="Short code, e.g. MAPP2.")
    name = models.CharField(max_length=200)
    protocol_number = models.CharField(max_length=64, blank=True)
    registry_id = models.CharField(max_length=32, blank=True, help_text="e.g. NCT04077437")
    sdv_required = models.BooleanField(
        "source-data verification required",
        default=True,
        help_text="A participant's casebook is signed only once the monitor has verified every "
        "record against the source.",
    )

    class Meta:
        ordering = ["code"]
        verbose_name_plural = "studies"

    def __str__(self) -> str:
        return self.code


def validate_time_zone(value: str) -> None:
    if value not in zoneinfo.available_timezones():
        raise ValidationError(
            "Enter a time zone by its IANA name, for example Europe/London or America/Chicago."
        )


def default_time_zone() -> str:
    return settings.TIME_ZONE


class Site(AuditedModel):
    study = models.ForeignKey(Study, on_delete=models.PROTECT, related_name="sites")
    number = models.CharField(
        max_length=2,
        validators=[RegexValidator(r"^\d{2}$", "A site number is two digits, e.g. 01.")],
        help_text="Two digits; prefixes the site's participant IDs (S01-0007).",
    )
    name = models.CharField(max_length=200)
    is_active = models.BooleanField(default=True)
    time_zone = models.CharField(
        max_length=64,
        default=default_time_zone,
        validators=[validate_time_zone],
        help_text="The site's local time zone (IANA name, e.g. Europe/London). Times at the "
        "site, such as a dosing session's readings, are entered and shown in it.",
    )

    class Meta:
        ordering = ["study__code", "number"]
        constraints = [
            models.UniqueConstraint(fields=["study", "number"], name="site_number_unique_in_study"),
        ]

    def __str__(self) -> str:
        return f"S{self.number} {self.name}"

    @property
    def zoneinfo(self) -> zoneinfo.ZoneInfo:
        return zoneinfo.ZoneInfo(self.time_zone)


class Role(models.TextChoices):
    THERAPIST = "therapist", "Study therapist"
    INVESTIGATOR = "investigator", "Site investigator"
    MONITOR = "monitor", "Medical monitor"
    DATA_MANAGER = "data_manager", "Sponsor data manager"
    STUDY_ADMIN = "study_admin", "Study administrator"


SITE_ROLES = (Role.THERAPIST, Role.INVESTIGATOR)
STUDY_ROLES = (Role.MONITOR, Role.DATA_MANAGER, Role.STUDY_ADMIN)


class Membership(AuditedModel):
    """A user's role: at one site (site staff) or across a whole study (sponsor roles)."""

    Role = Role

    user = models.ForeignKey(User, on_delete=models.PROTECT, related_name="memberships")
    study = models.ForeignKey(Study, on_delete=models.PROTECT, related_name="memberships")
    site = models.ForeignKey(
        Site, on_delete=models.PROTECT, null=True, blank=True, related_name="memberships"
    )
    role = models.CharField(max_length=20, choices=Role.choices)
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["study__code", "site__number", "role"]
        constraints = [
            models.CheckConstraint(
                condition=(Q(role__in=SITE_ROLES) & Q(site__isnull=False))
                | (Q(role__in=STUDY_ROLES) & Q(site__isnull=True)),
                name="membership_site_matches_role",
                violation_error_message=(
                    "Therapists and investigators belong to a site; monitors, data managers "
                    "and study administrators are study-wide and have no site."
                ),
            ),
            models.UniqueConstraint(
                fields=["user", "site", "role"],
                condition=Q(site__isnull=False),
                name="membership_unique_at_site",
                violation_error_message="This user already has this role at this site.",
            ),
            models.UniqueConstraint(
                fields=["user", "study", "role"],
                condition=Q(site__isnull=True),
                name="membership_unique_in_study",
                violation_error_message="This user already has this role in this study.",
            ),
        ]

    def __str__(self) -> str:
        where = self.site if self.site_id else f"{self.study} (all sites)"
        return f"{self.user} — {self.get_role_display()} — {where}"

    @property
    def label(self) -> str:
        """The role and where it holds, as the navigation bar names it."""
        where = self.site if self.site_id else f"{self.study} all sites"
        return f"{self.get_role_display()} · {where}"

    def clean(self) -> None:
        if self.site_id and self.study_id and self.site.study_id != self.study_id:
            raise ValidationError({"site": "This site belongs to another study."})

    @property
    def is_site_role(self) -> bool:
        return self.role in SITE_ROLES


auditlog.register(Study)
auditlog.register(Site)
auditlog.register(Membership)
auditlog.register(User, exclude_fields=["password", "last_login"])
