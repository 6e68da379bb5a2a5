"""The review queue's order, kept as a column (`ClockDue`): when the SUSAR clock each event runs
next ends, written in the transaction of whatever moves it. Only three things do: a save of the
event's review (what makes it a SUSAR, and which clock runs), the record of a submission to the
regulator (which stops one), and a change of its site's zone (day 0 is a day at the site).
"""

from collections.abc import Iterable

from accounts.models import Site
from safety.clocks import susar_due
from safety.models import AdverseEvent, ClockDue

BATCH = 500


def refresh(ae_ids: Iterable[int]) -> None:
    """Work out anew when the SUSAR clock of each event of `ae_ids` ends (safety.clocks, the
    same reckoning as the event's page) and keep it, in a few queries whatever their number."""
    events = (
        AdverseEvent.objects.filter(pk__in=list(ae_ids))
        .select_related("participant__site", "review")
        .prefetch_related("regulatory_submissions")
    )
    ClockDue.objects.bulk_create(
        [ClockDue(adverse_event_id=ae.pk, due_at=susar_due(ae)) for ae in events],
        batch_size=BATCH,
        update_conflicts=True,
        unique_fields=["adverse_event"],
        update_fields=["due_at"],
    )


def refresh_site(site: Site) -> None:
    """After a change of the site's zone: its running clocks end at the end of another day."""
    refresh(
        ClockDue.objects.filter(
            adverse_event__participant__site=site, due_at__isnull=False
        ).values_list("adverse_event_id", flat=True)
    )


def site_saved(sender, instance: Site, created: bool, **kwargs) -> None:
    """The receiver of a site's save (connected in safety.apps): the accounts app, below this
    one, saves sites without knowing of clocks."""
    if not created:
        refresh_site(instance)
