"""What every field of the study's models is, for de-identification (HIPAA Safe Harbor).

IDENTIFIER: names a person or is a code unique to one (never exported; a participant's key is
replaced by a pseudonym). QUASI_IDENTIFIER: identifies in combination (dates, which are shifted or
replaced by study day; age, capped at 90; sex; country). FREE_TEXT: typed by a person, so it may
say anything (never exported, except the adverse event's verbatim term once the participant's
identity is removed from it). SAFE: codes, numbers and flags that identify no one.

Every concrete field of every model of the project's apps is classified here, per model; a test
(tests/exports/test_classification.py) names any field that is not, so a new field must be.
Only `id` and `version` default to SAFE, and foreign keys other than to a participant or an
identity (a row's key identifies no person).
"""

from enum import StrEnum

from django.apps import apps
from django.db import models


class Kind(StrEnum):
    IDENTIFIER = "identifier"
    QUASI_IDENTIFIER = "quasi_identifier"
    FREE_TEXT = "free_text"
    SAFE = "safe"


ID = Kind.IDENTIFIER
QUASI = Kind.QUASI_IDENTIFIER
TEXT = Kind.FREE_TEXT
SAFE = Kind.SAFE

# Apps whose models hold no study data: Django's own, and the libraries' (log-in attempts, the
# audit library's abstract entries). Everything else installed is classified.
EXCLUDED_APPS = frozenset(
    {"admin", "auth", "contenttypes", "sessions", "messages", "axes", "auditlog"}
)

DEFAULT_SAFE_FIELDS = frozenset({"id", "version"})
# A foreign key to these is a participant's key: an identifier.
IDENTITY_MODELS = frozenset({"participants.Participant", "participants.ParticipantIdentity"})

# A dosing-session entry struck through as entered in error (sessions_app SessionEntry).
_STRUCK_THROUGH = {"voided_at": QUASI, "void_reason": TEXT}

CLASSIFICATION: dict[str, dict[str, Kind]] = {
    # accounts: staff accounts are people too; studies and sites are the study's frame.
    "accounts.User": {
        "password": ID,
        "last_login": QUASI,
        "is_superuser": SAFE,
        "username": ID,
        "first_name": ID,
        "last_name": ID,
        "email": ID,
        "is_staff": SAFE,
        "is_active": SAFE,
        "date_joined": QUASI,
    },
    "accounts.Study": {
        "code": SAFE,
        "name": SAFE,
        "protocol_number": SAFE,
        "registry_id": SAFE,
        "sdv_required": SAFE,
    },
    "accounts.Site": {
        "number": SAFE,
        # A clinic's name and time zone place it below the country.
        "name": QUASI,
        "is_active": SAFE,
        "time_zone": QUASI,
    },
    "accounts.Membership": {"role": SAFE, "is_active": SAFE},
    # participants
    "participants.Participant": {
        "id": ID,  # replaced by the pseudonym
        "screening_number": ID,
        "study_code": ID,
        "status": SAFE,
        "enrolled_on": QUASI,
        "withdrawn_on": QUASI,
        "withdrawal_category": SAFE,
        "withdrawal_details": TEXT,
        "created_at": QUASI,
        "updated_at": QUASI,
    },
    "participants.ParticipantIdentity": {
        "given_name": ID,
        "family_name": ID,
        "date_of_birth": ID,
        "sex": QUASI,
        "phone": ID,
        "email": ID,
        "address_line": ID,
        "city": ID,
        "postal_code": ID,
        "country": QUASI,
        "support_contact_name": ID,
        "support_contact_phone": ID,
    },
    "participants.Casebook": {
        "state": SAFE,
        "locked_at": QUASI,
        "unlocked_at": QUASI,
        "unlock_reason": TEXT,
    },
    # audit: what changed, as typed (masked identity aside), and from where.
    "audit.LogEntry": {
        "object_pk": SAFE,
        "object_id": SAFE,
        "object_repr": TEXT,
        "serialized_data": TEXT,
        "action": SAFE,
        "changes_text": TEXT,
        "changes": TEXT,
        "cid": SAFE,
        "remote_addr": ID,
        "remote_port": SAFE,
        "timestamp": QUASI,
        "additional_data": TEXT,
        "actor_email": ID,
        "reason": TEXT,
        "seq": SAFE,
        "prev_hash": SAFE,
        "entry_hash": SAFE,
        "key_id": SAFE,
    },
    # records: a form's one-time key and what its request answered.
    "records.Submission": {
        "key": SAFE,
        "path": TEXT,
        "created_at": QUASI,
        "completed_at": QUASI,
        "redirect_to": TEXT,
        "messages": TEXT,
    },
    # screening: the protocol's criteria are the sponsor's text, not a participant's.
    "screening.CriteriaSet": {"code": SAFE, "name": SAFE, "description": SAFE},
    "screening.Criterion": {
        "code": SAFE,
        "text": SAFE,
        "kind": SAFE,
        "measurement": SAFE,
        "operator": SAFE,
        "bound": SAFE,
        "order": SAFE,
    },
    "screening.StudyScreeningConfig": {},
    "screening.ScreeningAttempt": {
        "number": SAFE,
        "screened_on": QUASI,
        "status": SAFE,
        "ptsd_duration_months": SAFE,
        "caps5_total": SAFE,
        "systolic_bp": SAFE,
        "diastolic_bp": SAFE,
        "pulse": SAFE,
        "qtc_ms": SAFE,
        "weight_kg": SAFE,
        "pregnancy_test": SAFE,
        "cssrs_ideation": SAFE,
        "age_at_screening": QUASI,  # over 89: 90, flagged
        "decision": SAFE,
        # Each criterion's outcome with its text and the values it was computed from.
        "results": TEXT,
        "failed_codes": SAFE,
        "created_at": QUASI,
        "updated_at": QUASI,
        "submitted_at": QUASI,
        "duplicate_reason": TEXT,
    },
    "screening.CriterionAnswer": {"answer": SAFE, "note": TEXT},
    # signatures
    "signatures.Signature": {
        "object_pk": SAFE,
        "record_version": SAFE,
        "printed_name": ID,
        "meaning": SAFE,
        "statement": TEXT,
        "signed_at": QUASI,
        "voided_at": QUASI,
        "void_reason": TEXT,
    },
    # sessions_app
    "sessions_app.StudySessionSettings": {
        "systolic_max": SAFE,
        "diastolic_max": SAFE,
        "pulse_max": SAFE,
        "temperature_max": SAFE,
        "reading_interval_minutes": SAFE,
        "alert_interval_minutes": SAFE,
        "supplemental_earliest_minutes": SAFE,
        "supplemental_latest_minutes": SAFE,
    },
    "sessions_app.Visit": {
        "code": SAFE,
        "kind": SAFE,
        "sequence": SAFE,
        "target_date": QUASI,
        "window_start": QUASI,
        "window_end": QUASI,
        "status": SAFE,
        "held_on": QUASI,
        "deviation_explanation": TEXT,
        "missed_reason": TEXT,
    },
    "sessions_app.DosingSession": {
        "status": SAFE,
        "started_at": QUASI,
        "ended_at": QUASI,
        "lead_attested_at": QUASI,
        "co_attested_at": QUASI,
        "pregnancy_test": SAFE,
        "cssrs_pre_ideation": SAFE,
        "cssrs_pre_behaviour": SAFE,
        "predose_checked_at": QUASI,
        "supplemental_decision": SAFE,
        "supplemental_reason": TEXT,
        "supplemental_decided_at": QUASI,
        "cssrs_post_ideation": SAFE,
        "cssrs_post_behaviour": SAFE,
        "overnight_ready": SAFE,
        "overnight_note": TEXT,
        "not_dosed_reason": TEXT,
    },
    "sessions_app.DoseAdministration": {
        **_STRUCK_THROUGH,
        "kind": SAFE,
        "dose_mg": SAFE,
        # A kit's number is on the participant's randomisation record: a unique code.
        "kit_number": ID,
        "administered_at": QUASI,
        "deviation_reason": TEXT,
    },
    "sessions_app.VitalSignReading": {
        **_STRUCK_THROUGH,
        "measured_at": QUASI,
        "systolic": SAFE,
        "diastolic": SAFE,
        "pulse": SAFE,
        "temperature": SAFE,
        "suds": SAFE,
        "flags": SAFE,  # the names of the measurements over a threshold
        "created_at": QUASI,
    },
    "sessions_app.Observation": {
        **_STRUCK_THROUGH,
        "observed_at": QUASI,
        "kind": SAFE,
        "text": TEXT,
    },
    "sessions_app.VitalSignAlert": {
        "exceeded": SAFE,  # each measurement over its threshold, with the limit
        "raised_at": QUASI,
        "acknowledged_at": QUASI,
        "corrected_at": QUASI,
        "correction_reason": TEXT,
        "retracted_at": QUASI,
    },
    "sessions_app.AlertNotification": {"kind": SAFE, "email": ID, "sent_at": QUASI},
    "sessions_app.IntegrationNote": {
        "themes": TEXT,
        "participant_report": TEXT,
        "cssrs_ideation": SAFE,
        "cssrs_behaviour": SAFE,
        "safety_notes": TEXT,
        "plan": TEXT,
        "free_text": TEXT,
        "created_at": QUASI,
        "updated_at": QUASI,
    },
    # safety
    "safety.AdverseEvent": {
        "verbatim_term": TEXT,  # exported only with the participant's identity removed
        "onset_at": QUASI,
        "onset_date_only": SAFE,
        "ended_at": QUASI,
        "ongoing": SAFE,
        "aware_at": QUASI,
        "description": TEXT,
        "treatment": TEXT,
        "action_taken": SAFE,
        "outcome": SAFE,
        "severity_grade": SAFE,
        "serious_death": SAFE,
        "serious_life_threatening": SAFE,
        "serious_hospitalisation": SAFE,
        "serious_disability": SAFE,
        "serious_congenital_anomaly": SAFE,
        "serious_other_important": SAFE,
        "causality": SAFE,
        "related_psychotherapy": SAFE,
        "related_overnight_stay": SAFE,
        "aesi_abuse": SAFE,
        "aesi_cardiovascular": SAFE,
        "aesi_suicidality": SAFE,
        "status": SAFE,
        "created_at": QUASI,
        "submitted_at": QUASI,
        "serious_aware_at": QUASI,
        "serious_reported_at": QUASI,
    },
    "safety.AdverseEventReport": {
        "number": SAFE,
        "reason": TEXT,
        "final": SAFE,
        "changes": TEXT,  # the values changed, free text among them
        "drafted_at": QUASI,
        "signed_at": QUASI,
    },
    "safety.ReferenceSafetyInformation": {
        "version": SAFE,
        "effective_on": SAFE,  # the sponsor's document, not a participant's date
        "expected_terms": SAFE,
        "created_at": SAFE,
    },
    "safety.AdverseEventReview": {
        "state": SAFE,
        "sponsor_causality": SAFE,
        "expected": SAFE,
        "meddra_llt_code": SAFE,
        # Dictionary terms, but typed: exported only scrubbed of the participant's identity.
        "meddra_llt_term": TEXT,
        "meddra_pt_code": SAFE,
        "meddra_pt_term": TEXT,
        "meddra_version": SAFE,
        "assessed_at": QUASI,
        "susar": SAFE,
        "susar_since": QUASI,
        "susar_fatal_or_life_threatening": SAFE,
        "susar_fatal_since": QUASI,
        "returned_at": QUASI,
    },
    "safety.RegulatorySubmission": {
        "kind": SAFE,
        "submitted_on": QUASI,
        "reference": ID,  # the regulator's case number
        "recorded_at": QUASI,
    },
    "safety.SafetyNotice": {"kind": SAFE, "step": SAFE, "email": ID, "sent_at": QUASI},
    "safety.QueuePlace": {"rank": SAFE, "due_at": QUASI, "submitted_at": QUASI},
    # queries
    "queries.Query": {
        "object_id": SAFE,
        "field_name": SAFE,
        "record_label": TEXT,
        "state": SAFE,
        "opened_at": QUASI,
        "waiting_since": QUASI,
        "closed_at": QUASI,
        "answer_read_at": QUASI,
        "record_version_at_close": SAFE,
        "field_digest_at_close": SAFE,
    },
    "queries.QueryMessage": {
        "kind": SAFE,
        "written_at": QUASI,
        "text": TEXT,
        "corrected": SAFE,
    },
    "queries.SourceVerification": {"object_id": SAFE, "record_version": SAFE, "verified_at": QUASI},
    "queries.QueryDigest": {"day": QUASI, "email": ID, "items": SAFE, "sent_at": QUASI},
    # exports: the export's own record (who asked, and what it wrote).
    "exports.Export": {
        "requested_at": QUASI,
        "options": SAFE,
        "status": SAFE,
        "finished_at": QUASI,
        "file_name": SAFE,
        "size": SAFE,
        "sha256": SAFE,
        "manifest": SAFE,
        "rows": SAFE,
        "failure": SAFE,
    },
    "exports.ExportProgress": {"rows": SAFE, "started_at": QUASI, "updated_at": QUASI},
    "exports.ExportDownload": {"downloaded_at": QUASI},
}


def classify(field: models.Field) -> Kind | None:
    """The field's class: from the table, or a default (`id`, `version`, a foreign key to
    anything but a participant); None when it is not classified."""
    table = CLASSIFICATION.get(field.model._meta.label)
    if table is not None and field.name in table:
        return table[field.name]
    if field.name in DEFAULT_SAFE_FIELDS:
        return SAFE
    if field.many_to_one or field.one_to_one:
        return ID if field.related_model._meta.label in IDENTITY_MODELS else SAFE
    return None


def classified_models() -> list[type[models.Model]]:
    """Every concrete model of the installed apps, those of EXCLUDED_APPS aside."""
    return [
        model
        for config in apps.get_app_configs()
        if config.label not in EXCLUDED_APPS
        for model in config.get_models()
        if not model._meta.proxy
    ]


def unclassified() -> list[str]:
    """ "app.Model.field" of every field not classified, and of every entry of the table that
    names no field (a field renamed or removed)."""
    missing = []
    known = {}
    for model in classified_models():
        label = model._meta.label
        fields = {field.name: field for field in model._meta.concrete_fields}
        known[label] = fields
        missing += [f"{label}.{name}" for name, field in fields.items() if classify(field) is None]
    for label, table in CLASSIFICATION.items():
        missing += [f"{label}.{name}" for name in table if name not in known.get(label, {})]
    return missing
