import datetime

import pytest
from django.core.exceptions import PermissionDenied
from django.db import connection
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.models import Role, Study
from accounts.selectors import user_scope
from audit.models import LogEntry
from sessions_app.context_processors import open_alerts
from sessions_app.models import StudySessionSettings, VitalSignAlert
from sessions_app.services import flowsheet
from sessions_app.services.alerts import AlertError, alert_acknowledge
from tests.accounts.factories import MembershipFactory, UserFactory
from tests.sessions_app.factories import dosed_session_of

pytestmark = pytest.mark.django_db

ALERTS = reverse("sessions_app:alerts")


def _ack_url(alert):
    return reverse("sessions_app:alert_acknowledge", args=[alert.pk])


def flagged(session, actor, minutes_after_start=40, **values) -> VitalSignAlert:
    values = values or {"systolic": 172, "diastolic": 95, "pulse": 88}
    reading = flowsheet.vital_sign_record(
        actor=actor,
        session=session,
        measured_at=session.started_at + datetime.timedelta(minutes=minutes_after_start),
        **values,
    )
    return VitalSignAlert.objects.get(reading=reading)


@pytest.fixture
def alert1(dosed_session, therapist):
    """Site 1: systolic 172 at +0h30 after the initial dose."""
    return flagged(dosed_session, therapist)


@pytest.fixture
def session2(participant2, therapist2, site2):
    co = UserFactory(username="investigator2")
    MembershipFactory(user=co, role=Role.INVESTIGATOR, site=site2, study=site2.study)
    return dosed_session_of(participant2, therapist2, co)


@pytest.fixture
def alert2(session2, therapist2):
    """Site 2: pulse 125."""
    return flagged(session2, therapist2, systolic=130, diastolic=80, pulse=125)


def test_alerts_page_needs_login(client):
    response = client.get(ALERTS)
    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))


def test_monitor_sees_alerts_of_both_sites(login, monitor, alert1, alert2):
    response = login(monitor).get(ALERTS)
    assert response.status_code == 200
    assert {a.pk for a in response.context["alerts"]} == {alert1.pk, alert2.pk}
    page = response.content.decode()
    assert "S01-0001" in page and "S02-0001" in page
    assert "Systolic 172 mmHg" in page and "(threshold 160)" in page
    assert "Pulse 125 bpm" in page and "(threshold 110)" in page
    assert "+0h30" in page  # time relative to the initial dose
    assert reverse("sessions_app:flowsheet", args=[alert1.reading.session_id]) in page
    assert "Ashdown" not in page and "Bexley" not in page  # never identity
    assert page.count("Acknowledge</button>") == 2


def test_alerts_newest_first(login, monitor, dosed_session, therapist):
    older = flagged(dosed_session, therapist, minutes_after_start=40)
    newer = flagged(dosed_session, therapist, minutes_after_start=60)
    response = login(monitor).get(ALERTS)
    assert [a.pk for a in response.context["alerts"]] == [newer.pk, older.pk]


def test_therapist_does_not_see_other_sites_alerts(login, therapist2, alert1, alert2):
    response = login(therapist2).get(ALERTS)
    assert response.status_code == 200
    assert [a.pk for a in response.context["alerts"]] == [alert2.pk]
    assert "S01-0001" not in response.content.decode()
    # Site staff see alerts but do not acknowledge them.
    assert "Acknowledge</button>" not in response.content.decode()


def test_therapist_gets_404_acknowledging_other_sites_alert(login, therapist2, alert1):
    response = login(therapist2).post(_ack_url(alert1))
    assert response.status_code == 404
    alert1.refresh_from_db()
    assert alert1.acknowledged_at is None


def test_therapist_cannot_acknowledge_own_sites_alert(login, therapist, alert1):
    response = login(therapist).post(_ack_url(alert1))
    assert response.status_code == 403
    alert1.refresh_from_db()
    assert alert1.acknowledged_at is None


def test_data_manager_gets_403_on_alerts(login, sponsor, alert1):
    client = login(sponsor)
    assert client.get(ALERTS).status_code == 403
    assert client.post(_ack_url(alert1)).status_code == 404  # not in their scope at all


def test_acknowledge_is_post_only(login, monitor, alert1):
    assert login(monitor).get(_ack_url(alert1)).status_code == 405


def test_monitor_acknowledges_once_and_it_is_audited(login, monitor, alert1):
    client = login(monitor)
    response = client.post(_ack_url(alert1), {"next": ALERTS + "?status=open"})
    assert response.status_code == 302
    assert response.url == ALERTS + "?status=open"
    alert1.refresh_from_db()
    assert alert1.acknowledged_by == monitor
    assert alert1.acknowledged_at is not None
    entry = LogEntry.objects.get_for_object(alert1).order_by("-seq").first()
    assert entry.action == LogEntry.Action.UPDATE
    assert entry.actor == monitor
    assert "acknowledged_by" in str(entry.changes)

    first_at = alert1.acknowledged_at
    response = client.post(_ack_url(alert1), follow=True)
    assert "already acknowledged" in response.content.decode()
    alert1.refresh_from_db()
    assert alert1.acknowledged_at == first_at
    page = client.get(ALERTS).content.decode()
    assert monitor.printed_name in page
    assert "Acknowledge</button>" not in page


def test_acknowledge_refuses_an_unsafe_next(login, monitor, alert1):
    response = login(monitor).post(_ack_url(alert1), {"next": "https://evil.invalid/"})
    assert response.url == ALERTS


def test_service_refuses_twice_and_refuses_site_staff(monitor, therapist, alert1):
    with pytest.raises(PermissionDenied):
        alert_acknowledge(actor=therapist, alert=alert1)
    alert_acknowledge(actor=monitor, alert=alert1)
    with pytest.raises(AlertError, match="already acknowledged"):
        alert_acknowledge(actor=monitor, alert=alert1)


def test_filter_open_and_acknowledged(login, monitor, alert1, alert2):
    alert_acknowledge(actor=monitor, alert=alert1)
    client = login(monitor)
    open_ = client.get(ALERTS, {"status": "open"}).context["alerts"]
    assert [a.pk for a in open_] == [alert2.pk]
    done = client.get(ALERTS, {"status": "acknowledged"}).context["alerts"]
    assert [a.pk for a in done] == [alert1.pk]


def test_nav_badge_counts_open_alerts_in_scope(login, monitor, therapist2, alert1, alert2):
    response = login(monitor).get(reverse("home"))
    assert response.context["open_alert_count"] == 2
    assert 'data-testid="nav-alerts"' in response.content.decode()
    alert_acknowledge(actor=monitor, alert=alert1)
    assert login(therapist2).get(reverse("home")).context["open_alert_count"] == 1


def test_nav_badge_costs_one_query(monitor, alert1, alert2):
    request = RequestFactory().get("/")
    request.user = monitor
    user_scope(monitor)  # computed once per request by the navigation already
    with CaptureQueriesContext(connection) as queries:
        assert open_alerts(request) == {"open_alert_count": 2}
    assert len(queries.captured_queries) == 1


def test_no_badge_for_data_manager(login, sponsor, alert1):
    response = login(sponsor).get(reverse("home"))
    assert "open_alert_count" not in response.context
    assert 'data-testid="nav-alerts"' not in response.content.decode()


def test_monitor_home_lists_open_alerts(login, monitor, alert1, alert2):
    alert_acknowledge(actor=monitor, alert=alert2)
    response = login(monitor).get(reverse("home"))
    page = response.content.decode()
    assert [a.pk for a, _ in response.context["open_alerts"]] == [alert1.pk]
    assert "Systolic 172 mmHg (threshold 160)" in page
    assert "S02-0001" not in page


def test_alert_list_query_count_does_not_grow(
    login, monitor, dosed_session, therapist, django_assert_max_num_queries
):
    client = login(monitor)
    flagged(dosed_session, therapist, minutes_after_start=15)
    client.get(ALERTS)
    with django_assert_max_num_queries(20) as one:
        response = client.get(ALERTS)
    assert len(response.context["alerts"]) == 1
    for minute in range(16, 35):
        flagged(dosed_session, therapist, minutes_after_start=minute)
    with django_assert_max_num_queries(20) as twenty:
        response = client.get(ALERTS)
    assert len(response.context["alerts"]) == 20
    assert len(twenty.captured_queries) == len(one.captured_queries)


def test_study_admin_sees_only_their_studies_session_settings(login, study_admin, study):
    other = Study.objects.create(code="OTHER", name="Another study")
    mine = StudySessionSettings.objects.create(study=study, systolic_max=150)
    StudySessionSettings.objects.create(study=other)
    client = login(study_admin)
    response = client.get(reverse("admin:sessions_app_studysessionsettings_changelist"))
    assert response.status_code == 200
    assert list(response.context["cl"].queryset) == [mine]
    change = reverse("admin:sessions_app_studysessionsettings_change", args=[mine.pk])
    assert client.get(change).status_code == 200
    response = client.post(
        change,
        {
            "systolic_max": 165,
            "diastolic_max": 110,
            "pulse_max": 110,
            "temperature_max": "38.0",
            "reading_interval_minutes": 30,
            "alert_interval_minutes": 15,
            "supplemental_earliest_minutes": 90,
            "supplemental_latest_minutes": 150,
            "reason": "Protocol amendment 3 raises the systolic threshold",
        },
    )
    assert response.status_code == 302
    mine.refresh_from_db()
    assert mine.systolic_max == 165
    entry = LogEntry.objects.get_for_object(mine).order_by("-seq").first()
    assert entry.actor == study_admin
    assert entry.reason == "Protocol amendment 3 raises the systolic threshold"


def test_a_change_of_the_study_settings_without_a_reason_is_refused(login, study_admin, study):
    settings_ = StudySessionSettings.objects.create(study=study)
    change = reverse("admin:sessions_app_studysessionsettings_change", args=[settings_.pk])
    response = login(study_admin).post(
        change,
        {
            "systolic_max": 170,
            "diastolic_max": 110,
            "pulse_max": 110,
            "temperature_max": "38.0",
            "reading_interval_minutes": 30,
            "alert_interval_minutes": 15,
            "supplemental_earliest_minutes": 90,
            "supplemental_latest_minutes": 150,
            "reason": "  ",
        },
    )
    assert response.status_code == 200
    assert "Say why the study&#x27;s settings change" in response.content.decode()
    settings_.refresh_from_db()
    assert settings_.systolic_max == 160


def test_alert_admin_is_read_only(admin_client, alert1):
    url = reverse("admin:sessions_app_vitalsignalert_changelist")
    assert admin_client.get(url).status_code == 200
    change = reverse("admin:sessions_app_vitalsignalert_change", args=[alert1.pk])
    assert admin_client.get(change).status_code == 200
    assert admin_client.post(change, {}).status_code == 403
