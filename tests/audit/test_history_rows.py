"""How an audit entry's changes read on a history page: values a person can read, nothing else."""

import zoneinfo

import pytest
from django.contrib.contenttypes.models import ContentType
from django.utils import timezone

from audit.models import LogEntry
from audit.templatetags.audit_tags import change_rows
from participants.services import participant_register
from screening.models import ScreeningAttempt
from sessions_app.models import VitalSignAlert
from tests.screening.factories import identity_data

pytestmark = pytest.mark.django_db


def test_a_new_records_entry_lists_its_values_only(therapist, site1):
    participant = participant_register(actor=therapist, site=site1, identity=identity_data())
    entry = LogEntry.objects.get_for_object(participant).get()
    rows = {label: (old, new) for label, old, new in change_rows(entry)}
    assert rows["screening number"] == ("—", participant.screening_number)
    # The records that point at it (visits, screenings) are not values of the participant,
    # and fields left empty at creation say nothing.
    assert not [label for label in rows if label in ("visits", "screening attempts")]
    assert not [value for value in rows.values() if value == ("—", "—")]
    assert not [new for _, new in rows.values() if str(new).endswith(".None")]


def test_a_timestamp_reads_in_the_active_zone_with_its_name(therapist, site1):
    participant = participant_register(actor=therapist, site=site1, identity=identity_data())
    entry = LogEntry.objects.get_for_object(participant).get()
    chicago = zoneinfo.ZoneInfo("America/Chicago")
    with timezone.override(chicago):
        rows = {label: new for label, _, new in change_rows(entry)}
    created = timezone.localtime(participant.created_at, chicago)
    assert rows["created at"] == f"{created:%Y-%m-%d %H:%M:%S} {created.tzname()}"


@pytest.mark.parametrize(
    ("stored", "shown"),
    [([], "—"), (["I3"], "I3"), (["I3", "E7"], "I3, E7"), ("[bad", "[bad")],
)
def test_a_list_in_a_json_field_reads_as_its_items(stored, shown):
    """A screening's failed criteria read "I3, E7", not as Python writes a list; an empty one
    reads as nothing, and an entry that is not a list is shown as stored."""
    entry = LogEntry(
        content_type=ContentType.objects.get_for_model(ScreeningAttempt),
        changes={"failed_codes": [[], stored]},
    )
    assert change_rows(entry) == ([] if shown == "—" else [("failed codes", "—", shown)])


def test_a_list_of_mappings_in_a_json_field_reads_as_key_value_pairs():
    """An alert's limits exceeded read as what was over which limit, not as Python writes them."""
    stored = [
        {"limit": "160", "measurement": "systolic", "value": "162"},
        {"limit": "100", "measurement": "diastolic", "value": "104"},
    ]
    entry = LogEntry(
        content_type=ContentType.objects.get_for_model(VitalSignAlert),
        changes={"exceeded": [[], stored]},
    )
    assert change_rows(entry) == [
        (
            "exceeded",
            "—",
            "limit: 160, measurement: systolic, value: 162;"
            " limit: 100, measurement: diastolic, value: 104",
        )
    ]
