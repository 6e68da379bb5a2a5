"""Many adverse events at once, for the review queue's benchmark (seed_adverse_events) and the
tests of its query counts: inserted in bulk, past the services and so NOT in the audit trail
(the audited managers refuse bulk writes; a plain queryset of the same models does not).

A mix like a long trial's, the first 10 events having one of each: every event submitted but
one in 50 (serious drafts the sites have not reported yet, aware of 2 to 30 hours ago), one in 4
serious (one in 8 of all reported after its 24 hours), about one in 5 of the serious a SUSAR
(two thirds of them fatal or life-threatening; a third recent, their clocks running; half of the
older ones reported to the regulator, half of those late), a special interest in one in 6,
reviews awaiting, under review and reviewed, and three in 5 coded.
"""

import datetime
import random

from django.db import models, transaction
from django.utils import timezone

from accounts.models import User
from participants.models import Participant
from safety import queue_order
from safety.models import AdverseEvent, AdverseEventReview, RegulatorySubmission

TERMS = ("Nausea", "Headache", "Jaw clenching", "Anxiety", "Palpitations", "Insomnia")
STATES = AdverseEventReview.State.values
BATCH = 500


def _plain(model):
    """A queryset of `model` without the audited manager's refusal of bulk writes."""
    return models.QuerySet(model=model)


def _event(i: int, participant, reporter, now, rng) -> tuple[AdverseEvent, bool]:
    draft = i % 50 == 6
    serious = draft or i % 4 == 0
    if draft:
        aware = now - datetime.timedelta(hours=rng.randint(2, 30))
    else:
        aware = now - datetime.timedelta(days=rng.randint(25, 400), hours=rng.randint(0, 23))
    fatal = serious and i % 64 in (0, 8)
    # One in 8 reported after its 24 hours (the site late); the others within them.
    delay = rng.randint(25, 30) if i % 8 == 4 else rng.randint(1, 20)
    submitted = None if draft else aware + datetime.timedelta(hours=delay)
    ae = AdverseEvent(
        participant=participant,
        verbatim_term=TERMS[i % len(TERMS)],
        onset_at=aware - datetime.timedelta(hours=1),
        aware_at=aware,
        severity_grade=AdverseEvent.Grade.SEVERE if serious else AdverseEvent.Grade.MILD,
        serious_death=False,
        serious_life_threatening=fatal,
        serious_hospitalisation=serious and not fatal,
        serious_disability=False,
        serious_congenital_anomaly=False,
        serious_other_important=False,
        causality=AdverseEvent.Causality.PROBABLE,
        aesi_abuse=i % 18 == 1,
        aesi_cardiovascular=i % 18 == 7,
        aesi_suicidality=i % 18 == 13,
        outcome=AdverseEvent.Outcome.RECOVERED,
        status=AdverseEvent.Status.DRAFT if draft else AdverseEvent.Status.SUBMITTED,
        reported_by=reporter,
        submitted_at=submitted,
        serious_reported_at=submitted if serious else None,
    )
    return ae, fatal


def bulk_adverse_events(
    *,
    participants: list[Participant],
    reporter: User,
    count: int,
    monitor: User,
    seed: int = 14,
) -> int:
    """Insert `count` adverse events for `participants` in turn, with their reviews and
    regulatory submissions; how many are SUSARs."""
    rng = random.Random(seed)  # noqa: S311 - synthetic data, not a secret
    now = timezone.now()
    susars = 0
    with transaction.atomic():
        for start in range(0, count, BATCH):
            made = [
                _event(i, participants[i % len(participants)], reporter, now, rng)
                for i in range(start, min(start + BATCH, count))
            ]
            _plain(AdverseEvent).bulk_create([ae for ae, _ in made])
            reviews, submissions = [], []
            for n, (ae, fatal) in enumerate(made, start):
                if ae.status == AdverseEvent.Status.DRAFT:
                    continue
                susar = fatal or (ae.serious_reported_at is not None and n % 32 == 0)
                since = None
                if susar:  # in the last months, after the submission
                    since = max(
                        ae.submitted_at + datetime.timedelta(hours=4),
                        now - datetime.timedelta(days=rng.randint(21, 80)),
                    )
                if susar and n % 3 == 0:  # a recent one: its clock runs
                    since = now - datetime.timedelta(days=rng.randint(0, 20))
                coded = n % 5 < 3  # independent of seriousness (every 4th)
                reviews.append(
                    AdverseEventReview(
                        adverse_event=ae,
                        state=STATES[n % len(STATES)],
                        sponsor_causality=AdverseEvent.Causality.PROBABLE if n % 3 else "",
                        expected=False if susar else None,
                        meddra_pt_code="10028813" if coded else "",
                        meddra_pt_term="Nausea" if coded else "",
                        meddra_version="27.0" if coded else "",
                        assessed_by=monitor if n % 3 else None,
                        susar=susar,
                        susar_since=since,
                        susar_fatal_or_life_threatening=susar and fatal,
                    )
                )
                susars += susar
                if susar and since < now - datetime.timedelta(days=20) and n % 2 == 0:
                    submissions.append(
                        RegulatorySubmission(
                            adverse_event=ae,
                            kind=RegulatorySubmission.Kind.INITIAL,
                            # One in 2 of them after its due day.
                            submitted_on=(
                                since + datetime.timedelta(days=20 if n % 4 == 0 else 5)
                            ).date(),
                            reference=f"REG-{ae.pk}",
                            recorded_by=monitor,
                        )
                    )
            _plain(AdverseEventReview).bulk_create(reviews)
            _plain(RegulatorySubmission).bulk_create(submissions)
            # Each event's place in the review queue, as the models' saves keep it.
            queue_order.refresh(ae.pk for ae, _ in made)
    return susars
