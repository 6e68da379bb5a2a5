"""The list of adverse events (grade, serious, status; filters; constant queries) and the counts
that are all the sponsor sees."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from safety.models import AdverseEvent
from tests.participants.factories import EnrolledParticipantFactory
from tests.safety.factories import draft, submitted

pytestmark = pytest.mark.django_db

LIST = reverse("safety:ae_list")
COUNTS = reverse("safety:ae_counts")


@pytest.fixture
def events(therapist, investigator, therapist2, participant1, participant2):
    """Site 1: a serious cardiovascular event (submitted), a non-serious one (submitted), an
    unanswered draft; site 2: a serious abuse-related one (a draft of another site)."""
    return {
        "serious": submitted(
            therapist,
            investigator,
            participant1,
            verbatim_term="Chest pain",
            serious_hospitalisation=True,
            aesi_cardiovascular=True,
            severity_grade=3,
        ),
        "plain": submitted(therapist, investigator, participant1, verbatim_term="Nausea"),
        "draft": draft(therapist, participant1, verbatim_term="Headache", serious_death=None),
        "site2": draft(
            therapist2,
            participant2,
            verbatim_term="Euphoria",
            aesi_abuse=True,
            serious_other_important=True,
        ),
    }


def _listed(client, query="") -> list[str]:
    return [ae.verbatim_term for ae in client.get(f"{LIST}{query}").context["adverse_events"]]


def test_the_list_shows_grade_serious_and_status(login, therapist, events):
    page = login(therapist).get(LIST).content.decode()
    assert 'data-testid="ae-row-grade"' in page
    assert "Serious" in page and "Submitted" in page and "Draft" in page
    assert "not answered" in page  # the draft's seriousness is not taken as "no"


def test_the_list_filters_by_seriousness_status_and_special_interest(login, monitor, events):
    client = login(monitor)
    assert set(_listed(client, "?seriousness=serious")) == {"Chest pain", "Euphoria"}
    assert set(_listed(client, "?seriousness=non_serious")) == {"Nausea", "Headache"}
    assert set(_listed(client, "?status=draft")) == {"Headache", "Euphoria"}
    assert set(_listed(client, "?special_interest=any")) == {"Chest pain", "Euphoria"}
    assert _listed(client, "?special_interest=aesi_abuse") == ["Euphoria"]
    assert _listed(client, "?special_interest=aesi_suicidality") == []


def test_site_staff_list_only_their_sites(login, therapist2, events):
    assert _listed(login(therapist2)) == ["Euphoria"]


def _list_queries(client) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(LIST)
    assert response.status_code == 200
    return len(queries)


def test_the_list_takes_the_same_queries_for_10_and_200_events(login, therapist, site1):
    participants = [
        EnrolledParticipantFactory(
            site=site1, study_code=f"S01-08{n:02d}", screening_number=f"SCR01-08{n:02d}"
        )
        for n in range(4)
    ]
    for n in range(10):
        draft(therapist, participants[n % 4], aesi_abuse=n % 2 == 0)
    client = login(therapist)
    client.get(LIST)  # caches warmed
    at_10 = _list_queries(client)
    for n in range(190):
        draft(therapist, participants[n % 4], serious_other_important=n % 3 == 0)
    assert AdverseEvent.objects.count() == 200
    assert _list_queries(client) == at_10


def test_the_sponsor_sees_counts_only(login, sponsor, events):
    client = login(sponsor)
    assert client.get(LIST).status_code == 403
    assert client.get(reverse("safety:ae_detail", args=[events["serious"].pk])).status_code == 404
    response = client.get(COUNTS)
    assert response.status_code == 200
    counts = response.context["counts"]
    # Submitted events only: site 1's two; the drafts are not counted.
    assert counts["all"] == {
        "total": 2,
        "serious": 1,
        "non_serious": 1,
        "aesi_abuse": 0,
        "aesi_cardiovascular": 1,
        "aesi_suicidality": 0,
    }
    page = response.content.decode()
    for term in ("Chest pain", "Nausea", "Headache", "Euphoria", "Began an hour", "Ondansetron"):
        assert term not in page


def test_site_staff_count_their_own_sites_only(login, therapist2, investigator, events):
    assert login(therapist2).get(COUNTS).context["counts"]["rows"] == []
    rows = login(investigator).get(COUNTS).context["counts"]["rows"]
    assert [(r["participant__site__number"], r["total"]) for r in rows] == [("01", 2)]
