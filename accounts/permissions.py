"""What each role may do, as Django permissions ("app_label.codename")."""

from accounts.models import Role

# Reading the free text of clinical records (notes, reasons for change, descriptions, details):
# site staff and the medical monitor; never the sponsor data manager, to whom the study promises
# no free text. Asked through accounts.selectors.may_see_free_text, which the pages ask through
# the {% free_text %} tag (records/templatetags/free_text.py).
FREE_TEXT_PERMISSION = "records.view_free_text"

# Source-data verification: its progress figures (counts, no record named) and which records are
# verified; the monitor alone marks records verified.
SDV_PROGRESS = "queries.view_sourceverification"
_SDV_RECORDS = {SDV_PROGRESS, "queries.view_sdv_records"}
# A participant's casebook: every role sees its state (casebooks app); the site investigator
# signs it, the study administrator locks and, with a reason, unlocks it.
CASEBOOK_VIEW = "participants.view_casebook"
# Starting a de-identified export of the study (exports app): its data managers and its
# administrators, study-wide roles only.
EXPORT_PERMISSION = "exports.add_export"

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
    "sessions_app.view_visit",
    "sessions_app.change_visit",
    "sessions_app.schedule_visit",
    "sessions_app.view_dosingsession",
    "sessions_app.change_dosingsession",
    "sessions_app.add_vitalsignreading",
    "sessions_app.change_vitalsignreading",
    "sessions_app.view_vitalsignalert",
    # Integration notes are confidential: granted to site staff only, never to sponsor roles.
    "sessions_app.view_integrationnote",
    "sessions_app.add_integrationnote",
    "sessions_app.change_integrationnote",
    "safety.view_adverseevent",
    "safety.add_adverseevent",
    "safety.change_adverseevent",
    "safety.count_adverseevent",
    FREE_TEXT_PERMISSION,
    # Data queries: site staff read and answer those on their sites' records.
    "queries.view_query",
    "queries.answer_query",
    # Source-data verification: site staff see which records the monitor verified (read-only).
    *_SDV_RECORDS,
    CASEBOOK_VIEW,
}

# Data queries: monitors raise, close (answered or not) and reopen them; the study administrator
# raises and closes answered ones.
_QUERY_MONITOR = {
    "queries.view_query",
    "queries.add_query",
    "queries.close_query",
    "queries.close_unanswered_query",
    "queries.reopen_query",
}
_QUERY_ADMIN = {"queries.view_query", "queries.add_query", "queries.close_query"}
_SDV_MONITOR = {*_SDV_RECORDS, "queries.verify_source"}

ROLE_PERMISSIONS: dict[str, frozenset[str]] = {
    Role.THERAPIST: frozenset(_SITE_STAFF),
    Role.INVESTIGATOR: frozenset(
        _SITE_STAFF
        | {
            "participants.sign_participant",
            "participants.withdraw_participant",
            "screening.confirm_screeningattempt",
            "sessions_app.sign_dosingsession",
            # A draft adverse event waits for the investigator's signed submission.
            "safety.submit_adverseevent",
            "participants.sign_casebook",
        }
    ),
    Role.MONITOR: frozenset(
        {
            "accounts.view_site",
            "participants.view_participant",
            "audit.view_logentry",
            "screening.view_screeningattempt",
            "sessions_app.view_visit",
            "sessions_app.view_dosingsession",
            "sessions_app.view_vitalsignalert",
            "sessions_app.acknowledge_vitalsignalert",
            "safety.view_adverseevent",
            "safety.count_adverseevent",
            # The sponsor's assessment and review of adverse events, and the SUSAR's reports.
            "safety.assess_adverseevent",
            "safety.view_referencesafetyinformation",
            FREE_TEXT_PERMISSION,
            CASEBOOK_VIEW,
        }
        | _QUERY_MONITOR
        | _SDV_MONITOR
    ),
    Role.DATA_MANAGER: frozenset(
        {
            "accounts.view_site",
            "participants.view_participant",
            "participants.export_deidentified",
            EXPORT_PERMISSION,
            "screening.view_screeningattempt",
            "sessions_app.view_visit",
            SDV_PROGRESS,
            CASEBOOK_VIEW,
            # Adverse events by seriousness and special interest: counts, never their text.
            "safety.count_adverseevent",
        }
    ),
    Role.STUDY_ADMIN: frozenset(
        {
            f"accounts.{action}_{model}"
            for action in ("view", "add", "change")
            for model in ("user", "site", "membership")
        }
        | {"accounts.view_study", "accounts.change_study"}
        # Lifting the lockout of an account after failed log-ins, with a reason (accounts.views).
        | {"accounts.unlock_user"}
        # Checking the audit trail's hash chain on demand (audit.views.ChainVerifyView).
        | {"audit.verify_chain"}
        | {EXPORT_PERMISSION}
        # Choosing a study's eligibility criteria set (Django admin). Sets are shared between
        # studies, so an administrator may add a new set but not change an existing one.
        | {f"screening.{action}_criteriaset" for action in ("view", "add")}
        | {f"screening.{action}_criterion" for action in ("view", "add")}
        | {f"screening.{action}_studyscreeningconfig" for action in ("view", "add", "change")}
        # Vital-sign thresholds and monitoring intervals of the study's dosing sessions.
        | {f"sessions_app.{action}_studysessionsettings" for action in ("view", "add", "change")}
        | _QUERY_ADMIN
        | {CASEBOOK_VIEW, "participants.lock_casebook"}
        # The study's reference safety information: a new version is added, none is changed.
        | {f"safety.{action}_referencesafetyinformation" for action in ("view", "add")}
        # The text of the queries they raise and close and of the unlocks they give, without any
        # participant's identity (the administrator sees none); no clinical page besides.
        | {FREE_TEXT_PERMISSION}
    ),
}

# Permissions that expose identity; only ever granted through a site role.
IDENTITY_PERMISSIONS = frozenset(
    {"participants.view_participantidentity", "participants.change_participantidentity"}
)

# Confidential therapy notes; only ever granted through a site role.
NOTE_PERMISSIONS = frozenset(
    {
        "sessions_app.view_integrationnote",
        "sessions_app.add_integrationnote",
        "sessions_app.change_integrationnote",
    }
)
