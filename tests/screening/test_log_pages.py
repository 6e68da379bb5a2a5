"""The screening log pages its sites, 25 a page: its totals count every site of the filter, and it
reads the database the same number of times with 2 sites as with 30."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.models import Role
from screening import services
from tests.accounts.factories import MembershipFactory, SiteFactory, UserFactory
from tests.screening.factories import screened_attempt

pytestmark = pytest.mark.django_db


def _more_sites(study, n: int) -> list:
    return [SiteFactory(study=study) for _ in range(n)]


def _screen_at(site, *, failed: bool = False):
    therapist = UserFactory(username=f"therapist-{site.number}")
    MembershipFactory(user=therapist, role=Role.THERAPIST, site=site, study=site.study)
    attempt = screened_attempt(actor=therapist, site=site, caps5_total=10 if failed else 30)
    if failed:
        services.screening_fail(actor=therapist, attempt=attempt)
    return attempt


def test_log_pages_its_sites_and_totals_every_site(login, monitor, therapist, study, site1):
    screened_attempt(actor=therapist, site=site1)
    last = _more_sites(study, 28)[-1]
    _screen_at(last, failed=True)
    client = login(monitor)
    first = client.get(reverse("screening:log"))
    log = first.context["log"]
    assert len(log.rows) == 25 and log.rows[0].site == site1
    assert (log.total.screened, log.total.failed) == (2, 1)
    assert [code for code, _, _ in log.reasons] == ["I3"]
    page = first.content.decode()
    assert "All 30 sites (every page)" in page and "Page 1 of 2" in page
    second = client.get(reverse("screening:log"), {"page": 2}).context["log"]
    assert [row.site for row in second.rows][-1] == last and len(second.rows) == 5
    assert (second.rows[-1].screened, second.rows[-1].failed) == (1, 1)
    assert (second.total.screened, second.total.failed) == (2, 1)


def test_log_pages_keep_the_filters_and_the_totals_follow_them(
    login, monitor, therapist, study, site1
):
    screened_attempt(actor=therapist, site=site1)
    _more_sites(study, 28)
    client = login(monitor)
    filtered = client.get(reverse("screening:log"), {"period_after": "2026-01-01"})
    assert 'href="?period_after=2026-01-01&amp;page=2"' in filtered.content.decode()
    one_site = client.get(reverse("screening:log"), {"site": site1.pk}).context
    assert [row.site for row in one_site["log"].rows] == [site1]
    assert one_site["log"].total.screened == 1 and not one_site["is_paginated"]
    past = client.get(reverse("screening:log"), {"period_before": "2026-05-31", "page": 2})
    assert past.context["log"].total.screened == 0 and len(past.context["log"].rows) == 5


def _reads(client) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(reverse("screening:log")).status_code == 200
    return len(captured)


def test_log_reads_alike_with_2_sites_and_with_30(login, monitor, therapist, study, site1, site2):
    client = login(monitor)
    screened_attempt(actor=therapist, site=site1)
    client.get(reverse("screening:log"))  # warm: the session, the caches
    few = _reads(client)
    for site in _more_sites(study, 28):
        _screen_at(site, failed=site.number.endswith("5"))
    assert _reads(client) == few
