"""Events entered before the site's awareness was kept are migrated with a known bound of it."""

import datetime

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

BEFORE = [("safety", "0002_adverse_event_submit_permission")]
REPORT = [("safety", "0003_adverse_event_report")]


def _migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


@pytest.mark.django_db(transaction=True)
def test_an_event_entered_before_awareness_was_kept_is_aware_when_it_was_entered(
    therapist, participant1
):
    latest = MigrationExecutor(connection).loader.graph.leaf_nodes("safety")
    entered = timezone.now() - datetime.timedelta(days=3)
    try:
        old_apps = _migrate(BEFORE)
        OldEvent = old_apps.get_model("safety", "AdverseEvent")
        event = OldEvent.objects.create(
            participant_id=participant1.pk,
            reported_by_id=therapist.pk,
            verbatim_term="Headache",
            onset_at=entered - datetime.timedelta(hours=2),
        )
        OldEvent.objects.filter(pk=event.pk).update(created_at=entered)
        new_apps = _migrate(REPORT)
        migrated = new_apps.get_model("safety", "AdverseEvent").objects.get(pk=event.pk)
        assert migrated.aware_at == entered  # not the time of the migration
    finally:
        _migrate(latest)
