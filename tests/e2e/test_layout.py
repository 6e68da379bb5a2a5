"""The layout at a laptop's width: the navigation bar's labels each stay on one line (the bar
folds behind its toggler where they would not fit), and the flowsheet's vital-signs table fits
its column without scrolling sideways, query links included."""

import datetime
import os

import pytest
from django.utils import timezone

from queries import services as query_services
from sessions_app.services import flowsheet
from tests.sessions_app import conftest as sessions

pytestmark = pytest.mark.e2e

course1 = sessions.course1
session1 = sessions.session1
started_session = sessions.started_session
attested_session = sessions.attested_session
dosed_session = sessions.dosed_session

# Where the screenshots go, to be looked at (the test asserts the layout itself).
SHOTS = os.environ.get("E2E_SCREENSHOTS", "")

NAV_LABELS = """() => [...document.querySelectorAll('#nav .nav-link')].map(link => {
    const style = getComputedStyle(link);
    const line = parseFloat(style.lineHeight);
    const box = link.getBoundingClientRect();
    return {text: link.textContent.trim(), lines: Math.round(
        (box.height - parseFloat(style.paddingTop) - parseFloat(style.paddingBottom)) / line)};
})"""

SIDEWAYS = "el => el.scrollWidth - el.clientWidth"


def _shot(page, name: str) -> None:
    if SHOTS:
        page.screenshot(path=os.path.join(SHOTS, f"{name}.png"), full_page=True)


@pytest.fixture
def long_names(study, site1):
    """Names as long as the demo study's."""
    study.code = "MAPP-DEMO"
    study.save()
    site1.name = "Harbour View Clinical Research Centre"
    site1.save()


@pytest.mark.parametrize("width", [1280, 1440])
@pytest.mark.parametrize("role", ["monitor", "investigator", "therapist", "study_admin"])
def test_navigation_labels_stay_on_one_line(page, log_in, request, long_names, role, width):
    # With the counts beside Alerts and Queries: a reading over a threshold, a query on it.
    session = request.getfixturevalue("readings")
    query_services.query_raise(
        actor=request.getfixturevalue("monitor"),
        record=session.readings.order_by("-systolic").first(),
        field_name="systolic",
        text="Cuff size?",
    )
    user = request.getfixturevalue(role)
    user.first_name, user.last_name = "Irene", "Castellanos-Achterberg"
    user.save()
    page.set_viewport_size({"width": width, "height": 800})
    log_in(user.username)
    page.goto("/")
    _shot(page, f"nav-{role}-{width}")
    toggler = page.locator(".navbar-toggler")
    if toggler.is_visible():
        toggler.click()
        page.locator("#nav.show").wait_for()
        _shot(page, f"nav-{role}-{width}-open")
    labels = page.evaluate(NAV_LABELS)
    assert labels and all(label["lines"] == 1 for label in labels), labels
    assert page.evaluate(f"({SIDEWAYS})(document.documentElement)") <= 0


@pytest.fixture
def readings(dosed_session, therapist):
    now = timezone.now()
    for minutes, systolic in ((40, 128), (20, 171)):
        flowsheet.vital_sign_record(
            actor=therapist,
            session=dosed_session,
            measured_at=now - datetime.timedelta(minutes=minutes),
            systolic=systolic,
            diastolic=84,
            pulse=96,
            temperature="37.4",
            suds=4,
        )
    return dosed_session


@pytest.mark.parametrize("role", ["monitor", "therapist"])
def test_vital_signs_table_fits_the_flowsheet_at_1280(page, log_in, request, readings, role):
    request.getfixturevalue(role)
    log_in(role)
    page.goto(f"/sessions/{readings.pk}/#readings")
    table = page.get_by_test_id("readings")
    _shot(page, f"flowsheet-{role}-1280")
    if role == "monitor":
        assert table.get_by_test_id("raise-suds").first.is_visible()
    assert table.evaluate(f"t => ({SIDEWAYS})(t.parentElement)") <= 0
