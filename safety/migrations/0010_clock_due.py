import zoneinfo
from types import SimpleNamespace

import django.db.models.deletion
from django.db import migrations, models

from safety.clocks import susar_due


def keep_every_clock_due(apps, schema_editor):
    """When the clock of every SUSAR recorded so far ends, worked out as safety.clocks does
    (it reads attributes only: here those of the historical rows)."""
    AdverseEventReview = apps.get_model("safety", "AdverseEventReview")
    RegulatorySubmission = apps.get_model("safety", "RegulatorySubmission")
    ClockDue = apps.get_model("safety", "ClockDue")
    submissions = {}
    for submission in RegulatorySubmission.objects.all():
        submissions.setdefault(submission.adverse_event_id, []).append(submission)
    rows = []
    reviews = AdverseEventReview.objects.filter(susar_since__isnull=False).values(
        "adverse_event_id",
        "adverse_event__participant__site__time_zone",
        "susar",
        "susar_since",
        "susar_fatal_or_life_threatening",
        "susar_fatal_since",
    )
    for row in reviews.iterator():
        zone = zoneinfo.ZoneInfo(row.pop("adverse_event__participant__site__time_zone"))
        ae = SimpleNamespace(participant=SimpleNamespace(site=SimpleNamespace(zoneinfo=zone)))
        review = SimpleNamespace(adverse_event=ae, **row)
        due = susar_due(ae, review, submissions.get(row["adverse_event_id"], []))
        rows.append(ClockDue(adverse_event_id=row["adverse_event_id"], due_at=due))
    ClockDue.objects.bulk_create(rows, batch_size=500)


class Migration(migrations.Migration):
    dependencies = [
        ("safety", "0009_adverse_event_latest_onset_index"),
    ]

    operations = [
        migrations.CreateModel(
            name="ClockDue",
            fields=[
                (
                    "adverse_event",
                    models.OneToOneField(
                        on_delete=django.db.models.deletion.CASCADE,
                        primary_key=True,
                        related_name="clock_due",
                        serialize=False,
                        to="safety.adverseevent",
                    ),
                ),
                ("due_at", models.DateTimeField(blank=True, null=True)),
            ],
        ),
        migrations.RunPython(keep_every_clock_due, migrations.RunPython.noop, elidable=True),
    ]
