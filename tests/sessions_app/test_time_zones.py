"""Each site works in its own time zone: times typed at the site are the site's local time."""

import datetime
import zoneinfo

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from accounts.selectors import user_scope
from sessions_app.models import VitalSignAlert
from sessions_app.selectors import alert_summary
from sessions_app.services import flowsheet

pytestmark = pytest.mark.django_db

CHICAGO = zoneinfo.ZoneInfo("America/Chicago")
TOKYO = zoneinfo.ZoneInfo("Asia/Tokyo")


@pytest.fixture
def chicago(site1):
    site1.time_zone = "America/Chicago"
    site1.save()
    return site1


def test_a_site_time_zone_must_be_a_real_one(site1):
    site1.time_zone = "Mars/Olympus_Mons"
    with pytest.raises(ValidationError) as caught:
        site1.full_clean()
    assert "time_zone" in caught.value.message_dict


def test_staff_of_one_site_work_in_its_time_zone(chicago, therapist):
    assert user_scope(therapist).time_zone == "America/Chicago"


def test_a_monitor_across_time_zones_has_none_of_their_own(chicago, site2, monitor):
    site2.time_zone = "Asia/Tokyo"
    site2.save()
    assert user_scope(monitor).time_zone is None


def test_a_reading_typed_at_the_site_is_stored_as_the_sites_local_time(
    client, chicago, dosed_session, therapist
):
    dosed_session.visit.participant.site.refresh_from_db()
    at_site = (dosed_session.started_at + datetime.timedelta(minutes=60)).astimezone(CHICAGO)
    typed = at_site.strftime("%Y-%m-%dT%H:%M")
    client.force_login(therapist)
    url = reverse("sessions_app:flowsheet", args=[dosed_session.pk])
    response = client.post(
        url, {"action": "reading", "reading-measured_at": typed, "reading-pulse": "81"}
    )
    assert response.status_code == 302
    reading = dosed_session.readings.get(pulse=81)
    assert reading.measured_at == at_site.replace(second=0, microsecond=0)
    page = client.get(url).content.decode()
    assert 'data-testid="time-zone"' in page
    assert "America/Chicago" in page
    assert at_site.strftime("%H:%M") in page


def test_the_alert_names_the_sites_local_time(chicago, dosed_session, therapist):
    measured = dosed_session.started_at + datetime.timedelta(minutes=60)
    reading = flowsheet.vital_sign_record(
        actor=therapist, session=dosed_session, measured_at=measured, systolic=171, diastolic=90
    )
    alert = VitalSignAlert.objects.select_related("site").get(reading=reading)
    local = measured.astimezone(CHICAGO)
    assert f"at {local:%H:%M %Z}" in alert_summary(alert)


def test_the_alerts_list_shows_each_row_in_its_sites_time(
    client, chicago, dosed_session, therapist, monitor, site2
):
    site2.time_zone = "Asia/Tokyo"
    site2.save()
    measured = dosed_session.started_at + datetime.timedelta(minutes=60)
    flowsheet.vital_sign_record(
        actor=therapist, session=dosed_session, measured_at=measured, systolic=171, diastolic=90
    )
    client.force_login(monitor)
    page = client.get(reverse("sessions_app:alerts")).content.decode()
    assert timezone.localtime(measured, CHICAGO).strftime("%d %b %H:%M") in page
    assert timezone.localtime(measured, TOKYO).strftime("%d %b %H:%M") not in page
