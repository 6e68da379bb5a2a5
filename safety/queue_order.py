"""The review queue's order, kept in a table (`QueuePlace`): each event's rank (a SUSAR clock
running, serious, or neither), when the SUSAR clock it runs next ends and when it was submitted,
written in the transaction of whatever moves them. Only four things do: a save of the event (its
seriousness, its submission), of its review (what makes it a SUSAR, and which clock runs), the
record of a submission to the regulator (which stops a clock), and a change of its site's zone
(day 0 is a day at the site). The models' saves call `refresh`, as the site's does
(safety.apps); writers in bulk (demo.adverse_events) call it themselves.
"""

from collections.abc import Iterable

from accounts.models import Site
from safety.clocks import susar_due
from safety.models import AdverseEvent, QueuePlace

BATCH = 500


def place_of(ae: AdverseEvent) -> QueuePlace:
    """Where the event stands in the queue, from its clocks (safety.clocks, the same reckoning
    as the event's page): `ae` with its site, review and submissions fetched."""
    due = susar_due(ae)
    if due is not None:
        rank = QueuePlace.Rank.SUSAR_CLOCK
    elif ae.is_serious:
        rank = QueuePlace.Rank.SERIOUS
    else:
        rank = QueuePlace.Rank.OTHER
    return QueuePlace(adverse_event_id=ae.pk, rank=rank, due_at=due, submitted_at=ae.submitted_at)


def refresh(ae_ids: Iterable[int]) -> None:
    """Work out anew the place of each event of `ae_ids` and keep it, in a few queries whatever
    their number."""
    ids = list(ae_ids)
    for start in range(0, len(ids), BATCH):
        events = (
            AdverseEvent.objects.filter(pk__in=ids[start : start + BATCH])
            .select_related("participant__site", "review")
            .prefetch_related("regulatory_submissions")
        )
        QueuePlace.objects.bulk_create(
            [place_of(ae) for ae in events],
            update_conflicts=True,
            unique_fields=["adverse_event"],
            update_fields=["rank", "due_at", "submitted_at"],
        )


def refresh_site(site: Site) -> None:
    """After a change of the site's zone: its running clocks end at the end of another day."""
    refresh(
        QueuePlace.objects.filter(
            adverse_event__participant__site=site, due_at__isnull=False
        ).values_list("adverse_event_id", flat=True)
    )


def site_saved(sender, instance: Site, created: bool, raw: bool = False, **kwargs) -> None:
    """The receiver of a site's save (connected in safety.apps): the accounts app, below this
    one, saves sites without knowing of clocks. (Not for a fixture's rows, `raw`: its events
    may not be loaded yet.)"""
    if not created and not raw:
        refresh_site(instance)
