"""A history page past its last page shows its last one (records.views.NearestPageMixin)."""

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("typed", ["40", "x"])
def test_a_history_page_number_out_of_range_shows_a_page_of_the_history(
    login, therapist, dosed_session, typed
):
    url = reverse("sessions_app:history", args=[dosed_session.pk])
    response = login(therapist).get(url, {"page": typed})
    assert response.status_code == 200
    page = response.context["page_obj"]
    assert page.number == (page.paginator.num_pages if typed == "40" else 1)
    assert page.object_list
