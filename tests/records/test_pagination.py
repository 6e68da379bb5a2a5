"""A list's page number that is not a number, below the first page or past the last (a typo, an
old bookmark, a list that shrank), shows the nearest page: a 404 would read as a record out of
the user's reach."""

import pytest
from django.urls import reverse

from tests.participants.factories import EnrolledParticipantFactory

pytestmark = pytest.mark.django_db

LIST_PAGES = [
    "participants:list",
    "screening:list",
    "sessions_app:alerts",
    "safety:ae_list",
    "safety:review_queue",
    "queries:list",
    "queries:sdv",
    "casebooks:list",
    "screening:log",
]


@pytest.fixture
def thirty(site1):
    """30 participants at site 1: two pages of the participants list."""
    return [
        EnrolledParticipantFactory(
            site=site1, study_code=f"S01-{n:04d}", screening_number=f"SCR01-{n:04d}"
        )
        for n in range(1, 31)
    ]


@pytest.mark.parametrize(
    ("typed", "shown"),
    [("abc", 1), ("", 1), ("1", 1), ("2", 2), ("3", 2), ("99999", 2), ("0", 1), ("-1", 1)],
)
def test_a_page_number_out_of_range_or_not_a_number_shows_the_nearest_page(
    login, therapist, thirty, typed, shown
):
    response = login(therapist).get(reverse("participants:list"), {"page": typed})
    assert response.status_code == 200
    page = response.context["page_obj"]
    assert (page.number, page.paginator.num_pages) == (shown, 2)
    assert len(page.object_list) == (25 if shown == 1 else 5)


@pytest.mark.parametrize("name", LIST_PAGES)
@pytest.mark.parametrize("typed", ["abc", "7", "-3"])
def test_every_list_page_answers_a_bad_page_number_with_a_page_not_a_404(
    login, monitor, participant1, name, typed
):
    response = login(monitor).get(reverse(name), {"page": typed})
    assert response.status_code == 200
    assert response.context["page_obj"].number == 1
