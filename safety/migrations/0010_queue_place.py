import zoneinfo
from types import SimpleNamespace

import django.db.models.deletion
from django.db import migrations, models

from safety.clocks import SERIOUSNESS_FIELDS, susar_due

SUSAR_CLOCK, SERIOUS, OTHER = 1, 2, 3
REVIEW_FIELDS = ("susar", "susar_since", "susar_fatal_or_life_threatening", "susar_fatal_since")


def place_every_event(apps, schema_editor):
    """Each event's place in the review queue, worked out as safety.queue_order does (with
    safety.clocks, which reads attributes only: here those of the historical rows)."""
    AdverseEvent = apps.get_model("safety", "AdverseEvent")
    AdverseEventReview = apps.get_model("safety", "AdverseEventReview")
    RegulatorySubmission = apps.get_model("safety", "RegulatorySubmission")
    QueuePlace = apps.get_model("safety", "QueuePlace")
    submissions = {}
    for submission in RegulatorySubmission.objects.all():
        submissions.setdefault(submission.adverse_event_id, []).append(submission)
    reviews = {
        row.pop("adverse_event_id"): row
        for row in AdverseEventReview.objects.filter(susar_since__isnull=False).values(
            "adverse_event_id", *REVIEW_FIELDS
        )
    }
    places = []
    events = AdverseEvent.objects.values(
        "pk", "submitted_at", "participant__site__time_zone", *SERIOUSNESS_FIELDS
    )
    for row in events.iterator():
        zone = zoneinfo.ZoneInfo(row["participant__site__time_zone"])
        ae = SimpleNamespace(participant=SimpleNamespace(site=SimpleNamespace(zoneinfo=zone)))
        due = None
        if row["pk"] in reviews:
            review = SimpleNamespace(adverse_event=ae, **reviews[row["pk"]])
            due = susar_due(ae, review, submissions.get(row["pk"], []))
        if due is not None:
            rank = SUSAR_CLOCK
        elif any(row[name] for name in SERIOUSNESS_FIELDS):
            rank = SERIOUS
        else:
            rank = OTHER
        places.append(
            QueuePlace(
                adverse_event_id=row["pk"], rank=rank, due_at=due, submitted_at=row["submitted_at"]
            )
        )
    QueuePlace.objects.bulk_create(places, batch_size=500)


class Migration(migrations.Migration):
    dependencies = [
        ("safety", "0009_adverse_event_latest_onset_index"),
    ]

    operations = [
        migrations.CreateModel(
            name="QueuePlace",
            fields=[
                (
                    "adverse_event",
                    models.OneToOneField(
                        on_delete=django.db.models.deletion.CASCADE,
                        primary_key=True,
                        related_name="queue_place",
                        serialize=False,
                        to="safety.adverseevent",
                    ),
                ),
                (
                    "rank",
                    models.PositiveSmallIntegerField(
                        choices=[(1, "A SUSAR clock runs"), (2, "Serious"), (3, "Other")],
                        default=3,
                    ),
                ),
                ("due_at", models.DateTimeField(blank=True, null=True)),
                ("submitted_at", models.DateTimeField(blank=True, null=True)),
            ],
            options={
                "indexes": [
                    models.Index(
                        fields=["rank", "due_at", "submitted_at"], name="queue_place_order"
                    )
                ],
            },
        ),
        migrations.RunPython(place_every_event, migrations.RunPython.noop, elidable=True),
    ]
