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
}

ROLE_PERMISSIONS: dict[str, frozenset[str]] = {
    Role.THERAPIST: frozenset(_SITE_STAFF),
    Role.INVESTIGATOR: frozenset(_SITE_STAFF | {"participants.sign_participant"}),
    Role.MONITOR: frozenset(
        {"accounts.view_site", "participants.view_participant", "audit.view_logentry"}
    ),
    Role.DATA_MANAGER: frozenset(
        {"accounts.view_site", "participants.view_participant", "participants.export_deidentified"}
    ),
    Role.STUDY_ADMIN: frozenset(
        {
            f"accounts.{action}_{model}"
            for action in ("view", "add", "change")
            for model in ("user", "site", "membership")
        }
        | {"accounts.view_study", "accounts.change_study"}
    ),
}

# Permissions that expose identity; only ever granted through a site role.
IDENTITY_PERMISSIONS = frozenset(
    {"participants.view_participantidentity", "participants.change_participantidentity"}
)
