"""What each role may do, as Django permissions ("app_label.codename")."""

from accounts.models import Role

_SITE_STAFF = {
    "accounts.view_site",
    "participants.view_participant",
    "participants.add_participant",
    "participants.change_participant",
    "participants.view_participantidentity",
    "participants.change_participantidentity",
    "audit.view_logentry",
    "screening.view_screeningattempt",
    "screening.add_screeningattempt",
    "screening.change_screeningattempt",
}

ROLE_PERMISSIONS: dict[str, frozenset[str]] = {
    Role.THERAPIST: frozenset(_SITE_STAFF),
    Role.INVESTIGATOR: frozenset(
        _SITE_STAFF
        | {"participants.sign_participant", "screening.confirm_screeningattempt"}
    ),
    Role.MONITOR: frozenset(
        {
            "accounts.view_site",
            "participants.view_participant",
            "audit.view_logentry",
            "screening.view_screeningattempt",
        }
    ),
    Role.DATA_MANAGER: frozenset(
        {
            "accounts.view_site",
            "participants.view_participant",
            "participants.export_deidentified",
            "screening.view_screeningattempt",
        }
    ),
    Role.STUDY_ADMIN: frozenset(
        {
            f"accounts.{action}_{model}"
            for action in ("view", "add", "change")
            for model in ("user", "site", "membership")
        }
        | {"accounts.view_study", "accounts.change_study"}
        # Choosing a study's eligibility criteria set (Django admin). Sets are shared between
        # studies, so an administrator may add a new set but not change an existing one.
        | {f"screening.{action}_criteriaset" for action in ("view", "add")}
        | {f"screening.{action}_criterion" for action in ("view", "add")}
        | {f"screening.{action}_studyscreeningconfig" for action in ("view", "add", "change")}
    ),
}

# Permissions that expose identity; only ever granted through a site role.
IDENTITY_PERMISSIONS = frozenset(
    {"participants.view_participantidentity", "participants.change_participantidentity"}
)
