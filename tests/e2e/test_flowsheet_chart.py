"""The flowsheet chart as Chart.js draws it in headless Chromium: the doses as vertical lines, the
supplemental window, x ticks at round steps from the dose, and the chart resized for print."""

import datetime

import pytest

from sessions_app.models import DosingSession
from sessions_app.services import flowsheet
from tests.sessions_app.factories import dosed_session_of

pytestmark = pytest.mark.e2e

MINUTE = datetime.timedelta(minutes=1)

CHART = "Chart.getChart(document.getElementById('vitals-chart'))"


@pytest.fixture
def session_with_supplemental(participant1, therapist, investigator):
    """Initial dose 2h50 ago (a pre-dose reading at -0h05), supplemental at +1h45, readings."""
    session = dosed_session_of(participant1, therapist, investigator)
    dose_at = session.administrations.get(kind="initial").administered_at
    for minutes, systolic in ((30, 128), (60, 134), (90, 141), (120, 138), (150, 130)):
        flowsheet.vital_sign_record(
            actor=therapist,
            session=session,
            measured_at=dose_at + minutes * MINUTE,
            systolic=systolic,
            diastolic=80,
            pulse=88,
        )
    flowsheet.supplemental_decide(
        actor=therapist,
        session=session,
        decision=DosingSession.Supplemental.GIVE,
        reason="Participant asked; vital signs stable.",
        dose_mg=60,
        kit_number="KIT-2002",
        administered_at=dose_at + 105 * MINUTE,
    )
    return session


def test_chart_marks_the_doses_and_ticks_round_steps_from_the_dose(
    page, log_in, session_with_supplemental
):
    log_in("therapist")
    page.goto(f"/sessions/{session_with_supplemental.pk}/")
    page.wait_for_function(f"() => window.Chart && {CHART}")
    chart = page.evaluate(
        f"""() => {{
          const chart = {CHART};
          return {{
            datasets: chart.data.datasets.map((d) => ({{
              label: d.label, xs: d.data.map((p) => p.x), axis: d.yAxisID,
            }})),
            ticks: chart.scales.x.ticks.map((t) => t.value),
            labels: chart.scales.x.ticks.map((t) => t.label),
            min: chart.scales.x.min,
            max: chart.scales.x.max,
          }};
        }}"""
    )
    by_label = {d["label"]: d for d in chart["datasets"]}

    assert by_label["Initial dose"]["xs"] == [0, 0]
    assert by_label["Supplemental dose +1h45"]["xs"] == [105, 105]
    assert by_label["Supplemental window +1h30 to +2h30"]["xs"] == [90, 150]
    # The readings are still there, with their minutes from the dose.
    assert by_label["Systolic"]["xs"] == [-5, 30, 60, 90, 120, 150]

    ticks = chart["ticks"]
    assert 0 in ticks
    assert all(tick % 30 == 0 for tick in ticks)
    assert ticks == sorted(ticks) and len(ticks) >= 4
    assert chart["min"] <= -5 and chart["max"] >= 150
    assert "+0h00" in chart["labels"] and "+1h00" in chart["labels"]

    # Printed, the chart is redrawn at the size of its printed box.
    page.emulate_media(media="print")
    page.wait_for_function(
        f"() => {CHART}.height === document.querySelector('.chart-box').clientHeight"
    )
    assert page.evaluate(f"() => {CHART}.height") == 260
