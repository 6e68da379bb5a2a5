"""Corrections of the start and team, a dose, and the supplemental decision: services and pages."""

import datetime
import re

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from accounts import passwords
from accounts.models import Role
from audit.models import LogEntry
from audit.services import ConcurrentEditError
from sessions_app.models import DosingSession, Visit
from sessions_app.selectors import flowsheet_for
from sessions_app.services import flowsheet
from sessions_app.services.flowsheet import FlowsheetError, team
from signatures.models import Signature
from tests.accounts.factories import MembershipFactory, UserFactory
from tests.sessions_app.factories import initial_of as _initial
from tests.sessions_app.factories import session_end
from tests.sessions_app.factories import supplemental_of as _supplemental
from tests.sessions_app.pages import (
    decision_url,
    dose_form,
    dose_url,
    field_error,
    flowsheet_url,
    local,
)

pytestmark = pytest.mark.django_db

MINUTE = datetime.timedelta(minutes=1)
DAY = datetime.timedelta(days=1)
GIVE = DosingSession.Supplemental.GIVE
WITHHOLD = DosingSession.Supplemental.WITHHOLD


# --- Fixtures and helpers ---------------------------------------------------------------------


@pytest.fixture
def third(site1):
    """Another therapist of site 1, who can join a team."""
    user = UserFactory(username="therapist3", first_name="Carla", last_name="Cole")
    MembershipFactory(user=user, role=Role.THERAPIST, site=site1, study=site1.study)
    return user


def _last_entry(instance) -> LogEntry:
    return LogEntry.objects.get_for_object(instance).order_by("-seq").first()


def _correct_start(session, actor, **kwargs):
    values = {
        "started_at": session.started_at,
        "lead_therapist": session.lead_therapist,
        "co_therapist": session.co_therapist,
        "deviation_explanation": session.visit.deviation_explanation,
        "expected_version": session.version,
        "reason": "Start time taken from the paper log.",
    }
    values.update(kwargs)
    return flowsheet.session_start_correct(actor=actor, session=session, **values)


def _correct_dose(administration, actor, **kwargs):
    values = {
        "dose_mg": administration.dose_mg,
        "kit_number": administration.kit_number,
        "administered_at": administration.administered_at,
        "expected_version": administration.version,
        "reason": "Kit label re-read.",
    }
    values.update(kwargs)
    return flowsheet.dose_administration_correct(
        actor=actor, administration=administration, **values
    )


def _correct_decision(session, actor, **kwargs):
    values = {
        "decision": session.supplemental_decision,
        "decision_reason": session.supplemental_reason,
        "expected_version": session.version,
        "reason": "Decision transcribed wrongly.",
    }
    values.update(kwargs)
    return flowsheet.supplemental_decision_correct(actor=actor, session=session, **values)


# --- Start time and team ----------------------------------------------------------------------


def test_start_time_correction_is_audited_with_old_and_new_values_and_reason(
    dosed_session, therapist
):
    session = dosed_session
    old = session.started_at
    _correct_start(session, therapist, started_at=old - 5 * MINUTE)
    session.refresh_from_db()
    assert session.started_at == old - 5 * MINUTE
    entry = _last_entry(session)
    assert entry.reason == "Start time taken from the paper log."
    before, after = entry.changes["started_at"]
    assert before != after
    assert str(old.year) in before


def test_a_start_correction_needs_a_reason(dosed_session, therapist):
    with pytest.raises(ValidationError) as caught:
        _correct_start(
            dosed_session, therapist, started_at=dosed_session.started_at - MINUTE, reason=" "
        )
    assert "reason" in caught.value.message_dict


def test_a_start_in_the_future_or_after_the_initial_dose_is_refused(dosed_session, therapist):
    for started_at, message in (
        (timezone.now() + datetime.timedelta(hours=1), "in the future"),
        (_initial(dosed_session).administered_at + MINUTE, "cannot have started after it"),
    ):
        with pytest.raises(ValidationError) as caught:
            _correct_start(dosed_session, therapist, started_at=started_at)
        assert message in caught.value.message_dict["started_at"][0]
    old = dosed_session.started_at
    dosed_session.refresh_from_db()
    assert dosed_session.started_at == old


def test_a_start_cannot_leave_readings_long_before_it(started_session, therapist):
    flowsheet.vital_sign_record(
        actor=therapist,
        session=started_session,
        measured_at=started_session.started_at - datetime.timedelta(minutes=90),
        systolic=120,
        diastolic=80,
    )
    later = started_session.started_at + datetime.timedelta(hours=1)
    with pytest.raises(ValidationError) as caught:
        _correct_start(started_session, therapist, started_at=later)
    assert "long before this start time" in caught.value.message_dict["started_at"][0]


def test_a_start_after_the_end_is_refused(attested_session, therapist):
    session = attested_session
    flowsheet.predose_checks_record(
        actor=therapist,
        session=session,
        pregnancy_test="positive",
        cssrs_pre_ideation=0,
        cssrs_pre_behaviour=False,
        expected_version=session.version,
    )
    session.refresh_from_db()
    session_end(
        session,
        therapist,
        ended_at=timezone.now() - 10 * MINUTE,
        not_dosed_reason="Positive pregnancy test.",
    )
    with pytest.raises(ValidationError) as caught:
        _correct_start(session, therapist, started_at=timezone.now() - 5 * MINUTE)
    assert "it must have started before that" in caught.value.message_dict["started_at"][0]


def test_a_session_not_started_has_nothing_to_correct(session1, therapist, investigator):
    with pytest.raises(FlowsheetError, match="not started"):
        flowsheet.session_start_correct(
            actor=therapist,
            session=session1,
            started_at=timezone.now() - 5 * MINUTE,
            lead_therapist=therapist,
            co_therapist=investigator,
            expected_version=session1.version,
            reason="?",
        )


def test_a_new_team_member_attests_presence_with_their_own_password(
    dosed_session, therapist, investigator, third, password
):
    session = dosed_session
    lead_attested = session.lead_attested_at
    for typed, message in (("", "attest their presence"), ("wrong", "That is not Carla Cole")):
        with pytest.raises(ValidationError) as caught:
            _correct_start(session, therapist, co_therapist=third, co_password=typed)
        assert message in caught.value.message_dict["co_password"][0]
        session.refresh_from_db()
        assert session.co_therapist == investigator

    before = timezone.now()
    _correct_start(
        session,
        therapist,
        co_therapist=third,
        co_password=password,
        reason="The investigator was called away; Carla Cole co-led the session.",
    )
    session.refresh_from_db()
    assert session.co_therapist == third
    assert session.co_attested_at >= before
    assert session.lead_attested_at == lead_attested
    entry = _last_entry(session)
    assert "co_therapist" in entry.changes and "co_attested_at" in entry.changes
    assert entry.reason.startswith("The investigator was called away")


def test_the_team_stays_two_people_of_the_participants_site(
    dosed_session, therapist, therapist2, password
):
    with pytest.raises(ValidationError) as caught:
        _correct_start(dosed_session, therapist, co_therapist=therapist)
    assert "co_therapist" in caught.value.message_dict
    with pytest.raises(ValidationError) as caught:
        _correct_start(dosed_session, therapist, lead_therapist=therapist2, lead_password=password)
    assert "lead_therapist" in caught.value.message_dict


def test_a_start_on_another_day_moves_the_visit_and_the_visits_after_it(started_session, therapist):
    session = started_session
    visit = session.visit
    later = Visit.objects.get(participant=visit.participant, code="I1.1")
    new_start = session.started_at - DAY
    with pytest.raises(ValidationError) as caught:
        _correct_start(session, therapist, started_at=new_start, deviation_explanation="")
    assert "outside the window" in caught.value.message_dict["deviation_explanation"][0]

    _correct_start(
        session,
        therapist,
        started_at=new_start,
        deviation_explanation="Held a day late: the participant was unwell.",
        reason="Date typed wrongly: the session started the day before.",
    )
    visit.refresh_from_db()
    assert visit.held_on == timezone.localtime(new_start).date()
    assert visit.deviation_explanation == "Held a day late: the participant was unwell."
    assert _last_entry(visit).reason == "Date typed wrongly: the session started the day before."
    moved = Visit.objects.get(pk=later.pk)
    assert moved.target_date == later.target_date - DAY


# --- Dose administrations ---------------------------------------------------------------------


def test_the_initial_dose_correction_is_audited(dosed_session, therapist):
    dose = _initial(dosed_session)
    _correct_dose(
        dose, therapist, kit_number=" KIT-1009 ", administered_at=dose.administered_at + 2 * MINUTE
    )
    dose.refresh_from_db()
    assert dose.kit_number == "KIT-1009"
    entry = _last_entry(dose)
    assert entry.changes["kit_number"] == ["KIT-1001", "KIT-1009"]
    assert "administered_at" in entry.changes
    assert entry.reason == "Kit label re-read."


@pytest.mark.parametrize(
    ("field", "values", "message"),
    [
        ("administered_at", {"administered_at": "future"}, "in the future"),
        ("administered_at", {"administered_at": "before start"}, "before the session started"),
        ("kit_number", {"kit_number": "K!"}, "A kit number has 3 to 20"),
        ("reason", {"reason": ""}, "Say why"),
    ],
)
def test_a_bad_initial_dose_correction_is_refused(dosed_session, therapist, field, values, message):
    dose = _initial(dosed_session)
    when = values.get("administered_at")
    if when == "future":
        values["administered_at"] = timezone.now() + datetime.timedelta(hours=1)
    elif when == "before start":
        values["administered_at"] = dosed_session.started_at - MINUTE
    with pytest.raises(ValidationError) as caught:
        _correct_dose(dose, therapist, **values)
    assert message in caught.value.message_dict[field][0]
    assert _initial(dosed_session).version == dose.version


def test_the_supplemental_dose_stays_half_the_initial(given, therapist):
    with pytest.raises(ValidationError) as caught:
        _correct_dose(_supplemental(given), therapist, dose_mg=40)
    assert "half the initial dose: 60 mg" in caught.value.message_dict["dose_mg"][0]


def test_the_initial_strength_changes_only_with_a_consistent_supplemental(given, therapist):
    initial = _initial(given)
    with pytest.raises(ValidationError) as caught:
        _correct_dose(initial, therapist, dose_mg=80)
    message = caught.value.message_dict["supplemental_dose_mg"][0]
    assert "The supplemental dose (60 mg) must stay half" in message
    assert "Correct both strengths together" in message
    assert _supplemental(given).dose_mg == 60

    _correct_dose(initial, therapist, dose_mg=80, supplemental_dose_mg=40, reason="Kits mixed up")
    assert _initial(given).dose_mg == 80
    supplemental = _supplemental(given)
    assert supplemental.dose_mg == 40
    assert _last_entry(supplemental).changes["dose_mg"] == [60, 40]
    assert _last_entry(supplemental).reason == "Kits mixed up"


def test_the_supplemental_window_is_recomputed(given, therapist):
    supplemental = _supplemental(given)
    late = _initial(given).administered_at + 160 * MINUTE
    with pytest.raises(ValidationError) as caught:
        _correct_dose(supplemental, therapist, administered_at=late)
    assert "explain the protocol deviation" in caught.value.message_dict["deviation_reason"][0]

    _correct_dose(supplemental, therapist, administered_at=late, deviation_reason="Asleep.")
    supplemental.refresh_from_db()
    assert supplemental.deviation_reason == "Asleep."
    assert flowsheet_for(session=given).deviations

    _correct_dose(
        supplemental,
        therapist,
        administered_at=_initial(given).administered_at + 120 * MINUTE,
        deviation_reason="Asleep.",
        reason="Time re-read from the log.",
    )
    supplemental.refresh_from_db()
    assert supplemental.deviation_reason == ""  # back inside the window


def test_moving_the_initial_dose_can_put_the_supplemental_outside_its_window(given, therapist):
    initial = _initial(given)
    later = initial.administered_at + 15 * MINUTE  # the supplemental is then at +1h25
    with pytest.raises(ValidationError) as caught:
        _correct_dose(initial, therapist, administered_at=later)
    assert "+1h25" in caught.value.message_dict["deviation_reason"][0]
    _correct_dose(initial, therapist, administered_at=later, deviation_reason="Given early.")
    assert _supplemental(given).deviation_reason == "Given early."


def test_a_dose_correction_from_a_stale_form_is_refused(dosed_session, therapist):
    dose = _initial(dosed_session)
    _correct_dose(dose, therapist, kit_number="KIT-1005")
    with pytest.raises(ConcurrentEditError):
        _correct_dose(dose, therapist, kit_number="KIT-1006")  # the version it was opened at
    assert _initial(dosed_session).kit_number == "KIT-1005"


# --- The supplemental decision ----------------------------------------------------------------


def test_give_corrected_to_withhold_strikes_the_dose_through(given, therapist):
    supplemental = _supplemental(given)
    _correct_decision(
        given,
        therapist,
        decision=WITHHOLD,
        decision_reason="Withheld: blood pressure rising.",
        reason="Entered in error: the dose was prepared, never given.",
    )
    given.refresh_from_db()
    assert given.supplemental_decision == WITHHOLD
    supplemental.refresh_from_db()  # kept, struck through
    assert supplemental.voided_at is not None
    assert supplemental.voided_by == therapist
    assert supplemental.void_reason == "Entered in error: the dose was prepared, never given."
    assert "voided_at" in _last_entry(supplemental).changes
    sheet = flowsheet_for(session=given)
    assert sheet.supplemental is None
    assert not sheet.chart()["supplemental"]
    assert supplemental in sheet.administrations
    assert "supplemental_decision" in _last_entry(given).changes


def test_withhold_corrected_to_give_records_the_dose(withheld, therapist):
    with pytest.raises(ValidationError) as caught:
        _correct_decision(withheld, therapist, decision=GIVE, decision_reason="Given after all.")
    assert {"administered_at", "kit_number", "dose_mg"} <= set(caught.value.message_dict)
    assert not withheld.administrations.filter(kind="supplemental").exists()

    at = _initial(withheld).administered_at + 170 * MINUTE
    values = {"decision": GIVE, "decision_reason": "Given.", "dose_mg": 60, "kit_number": "K-77"}
    with pytest.raises(ValidationError) as caught:
        _correct_decision(withheld, therapist, administered_at=at, **values)
    assert "deviation_reason" in caught.value.message_dict
    _correct_decision(withheld, therapist, administered_at=at, deviation_reason="Late.", **values)
    dose = _supplemental(withheld)
    assert (dose.dose_mg, dose.kit_number, dose.deviation_reason) == (60, "K-77", "Late.")
    assert _last_entry(dose).reason == "Decision transcribed wrongly."


def test_a_dose_struck_through_can_be_given_again_and_not_corrected(given, therapist):
    struck = _supplemental(given)
    _correct_decision(given, therapist, decision=WITHHOLD, decision_reason="No.")
    given.refresh_from_db()
    _correct_decision(
        given,
        therapist,
        decision=GIVE,
        decision_reason="Yes after all.",
        dose_mg=60,
        kit_number="KIT-1003",
        administered_at=_initial(given).administered_at + 95 * MINUTE,
        reason="The first correction was itself wrong.",
    )
    assert given.administrations.filter(kind="supplemental").count() == 2
    assert _supplemental(given).kit_number == "KIT-1003"
    struck.refresh_from_db()
    with pytest.raises(FlowsheetError, match="struck through"):
        _correct_dose(struck, therapist, kit_number="KIT-1004")


def test_the_decisions_reason_alone_can_be_corrected(withheld, therapist):
    _correct_decision(withheld, therapist, decision_reason="Pulse 118 at +1h30.")
    withheld.refresh_from_db()
    assert withheld.supplemental_reason == "Pulse 118 at +1h30."
    assert _last_entry(withheld).changes["supplemental_reason"][1] == "Pulse 118 at +1h30."
    with pytest.raises(ValidationError) as caught:
        _correct_decision(withheld, therapist)
    assert "Nothing was changed" in str(caught.value)


# --- After the end: the signature -------------------------------------------------------------


@pytest.mark.parametrize("what", ["start", "dose", "decision"])
def test_a_correction_after_signing_voids_the_signature(signed, ended, therapist, what):
    reason = f"Late correction of the {what}"
    if what == "start":
        _correct_start(ended, therapist, started_at=ended.started_at - MINUTE, reason=reason)
    elif what == "dose":
        _correct_dose(_initial(ended), therapist, kit_number="KIT-1010", reason=reason)
    else:
        _correct_decision(ended, therapist, decision_reason="Reworded.", reason=reason)
    signed.refresh_from_db()
    ended.refresh_from_db()
    assert signed.voided_at is not None
    assert reason in signed.void_reason
    assert not signed.is_valid_for(ended)


# --- The pages --------------------------------------------------------------------------------


def start_url(session) -> str:
    return reverse("sessions_app:correct_start", args=[session.pk])


def test_the_correction_pages_open_from_the_flowsheet(login, therapist, given):
    client = login(therapist)
    page = client.get(flowsheet_url(given)).content.decode()
    for testid in ("correct-start", "correct-dose", "correct-supplemental"):
        assert f'data-testid="{testid}"' in page
    initial, supplemental = _initial(given), _supplemental(given)
    for url, testid in (
        (start_url(given), "form-correct-start"),
        (dose_url(initial), "form-correct-dose"),
        (dose_url(supplemental), "form-correct-dose"),
        (decision_url(given), "form-correct-supplemental"),
    ):
        response = client.get(url)
        assert response.status_code == 200, url
        assert testid in response.content.decode()
    body = client.get(dose_url(initial)).content.decode()
    assert f'value="{local(initial.administered_at)}"' in body  # local time, to the minute
    assert "Supplemental dose (half the initial)" in body


def test_a_start_correction_without_a_reason_is_refused_and_the_input_kept(
    login, therapist, investigator, dosed_session
):
    client = login(therapist)
    typed = local(dosed_session.started_at - 7 * MINUTE)
    response = client.post(
        start_url(dosed_session),
        {
            "version": dosed_session.version,
            "started_at": typed,
            "lead_therapist": therapist.pk,
            "co_therapist": investigator.pk,
            "deviation_explanation": dosed_session.visit.deviation_explanation,
            "reason": "",
        },
    )
    body = response.content.decode()
    assert response.status_code == 200
    assert "Say why this record is being changed." in field_error(body, "reason")
    assert f'value="{typed}"' in body


def test_a_team_change_with_a_wrong_password_is_refused_beside_it(
    login, therapist, investigator, third, dosed_session, password, monkeypatch
):
    seen = []

    def spy(*, user, password, request=None):
        seen.append(request)
        return passwords.password_confirm(user=user, password=password, request=request)

    monkeypatch.setattr(team, "password_confirm", spy)
    client = login(therapist)
    data = {
        "version": dosed_session.version,
        "started_at": local(dosed_session.started_at),
        "lead_therapist": therapist.pk,
        "co_therapist": third.pk,
        "co_password": "not-hers",
        "deviation_explanation": dosed_session.visit.deviation_explanation,
        "reason": "Carla Cole replaced the investigator.",
    }
    body = client.post(start_url(dosed_session), data).content.decode()
    assert "That is not Carla Cole's password" in field_error(body, "co_password")
    assert seen and seen[0] is not None  # the request reaches the password check (lockout)
    dosed_session.refresh_from_db()
    assert dosed_session.co_therapist == investigator

    data["co_password"] = password
    assert client.post(start_url(dosed_session), data).status_code == 302
    dosed_session.refresh_from_db()
    assert dosed_session.co_therapist == third


@pytest.mark.parametrize(
    ("values", "field", "message"),
    [
        ({"administered_at": "future"}, "administered_at", "in the future"),
        ({"kit_number": "K!"}, "kit_number", "A kit number has 3 to 20"),
        ({"reason": ""}, "reason", "Say why"),
    ],
)
def test_a_bad_dose_correction_is_refused_beside_the_field_and_input_kept(
    login, therapist, dosed_session, values, field, message
):
    dose = _initial(dosed_session)
    if values.get("administered_at") == "future":
        values["administered_at"] = local(timezone.now() + datetime.timedelta(hours=2))
    data = dose_form(dose, **values)
    response = login(therapist).post(dose_url(dose), data)
    body = response.content.decode()
    assert response.status_code == 200
    assert message in field_error(body, field)
    assert f'value="{data["kit_number"]}"' in body
    assert f'value="{data["administered_at"]}"' in body


def test_a_supplemental_not_half_the_initial_is_refused_beside_the_strength(
    login, therapist, given
):
    dose = _supplemental(given)
    body = login(therapist).post(dose_url(dose), dose_form(dose, dose_mg=40)).content.decode()
    assert "half the initial dose: 60 mg" in field_error(body, "dose_mg")


def test_a_stale_dose_form_is_refused_with_the_input_shown(login, therapist, dosed_session):
    dose = _initial(dosed_session)
    stale = dose_form(dose, kit_number="KIT-3333")
    _correct_dose(dose, therapist, kit_number="KIT-2222")
    body = login(therapist).post(dose_url(dose), stale).content.decode()
    assert "changed by someone else" in body
    assert 'value="KIT-3333"' in body
    current = _initial(dosed_session)
    assert current.kit_number == "KIT-2222"
    assert f'name="version" value="{current.version}"' in body


def test_correcting_a_signed_session_through_the_page_voids_the_signature(
    login, therapist, signed, ended
):
    client = login(therapist)
    response = client.post(
        decision_url(ended),
        {
            "version": ended.version,
            "supplemental_decision": WITHHOLD,
            "supplemental_reason": "Pulse 118 at +1h30.",
            "reason": "Reason made precise from the paper log.",
        },
    )
    assert response.status_code == 302
    page = client.get(flowsheet_url(ended)).content.decode()
    assert 'data-testid="signature-void"' in page
    assert Signature.objects.get(pk=signed.pk).voided_at is not None


def test_a_dose_struck_through_is_shown_with_its_reason(login, therapist, given):
    client = login(therapist)
    response = client.post(
        decision_url(given),
        {
            "version": given.version,
            "supplemental_decision": WITHHOLD,
            "supplemental_reason": "Withheld: blood pressure rising.",
            "reason": "Entered in error: prepared, never given.",
        },
    )
    assert response.status_code == 302
    page = client.get(flowsheet_url(given)).content.decode()
    struck = re.search(r'data-testid="voided-dose">(.*?)</div>', page, re.S).group(1)
    assert "<del>Supplemental half dose: 60 mg, kit KIT-1002" in struck
    assert "Entered in error: prepared, never given." in struck
    assert page.count('data-testid="correct-dose"') == 1  # the initial dose only


def test_a_session_not_started_sends_back_to_the_flowsheet(login, therapist, session1):
    response = login(therapist).get(start_url(session1))
    assert response.status_code == 302
    assert response.url == flowsheet_url(session1) + "#team"


def test_monitor_sees_no_correct_buttons_and_cannot_correct(login, monitor, given):
    client = login(monitor)
    assert 'data-testid="correct-' not in client.get(flowsheet_url(given)).content.decode()
    for url in (start_url(given), dose_url(_initial(given)), decision_url(given)):
        assert client.get(url).status_code == 403
        assert client.post(url, {}).status_code == 403


@pytest.mark.parametrize("who", ["therapist2", "sponsor"])
def test_other_sites_and_data_managers_cannot_open_corrections(request, login, who, given):
    client = login(request.getfixturevalue(who))
    for url in (start_url(given), dose_url(_initial(given)), decision_url(given)):
        assert client.get(url).status_code == 404
        assert client.post(url, {}).status_code == 404


def test_no_go_corrected_to_go_on_the_page_needs_the_dose_given(login, therapist, withheld):
    client = login(therapist)
    assert 'name="kit_number"' in client.get(decision_url(withheld)).content.decode()
    data = {
        "version": withheld.version,
        "supplemental_decision": GIVE,
        "supplemental_reason": "Given after all: vitals settled.",
        "dose_mg": "60",
        "kit_number": "",
        "administered_at": "",
        "reason": "Decision transcribed wrongly.",
    }
    body = client.post(decision_url(withheld), data).content.decode()
    assert "Enter when the supplemental dose was given." in field_error(body, "administered_at")
    assert "Enter the kit number." in field_error(body, "kit_number")
    assert "Given after all: vitals settled." in body

    data |= {
        "kit_number": "KIT-1002",
        "administered_at": local(_initial(withheld).administered_at + 100 * MINUTE),
    }
    assert client.post(decision_url(withheld), data).status_code == 302
    assert _supplemental(withheld).kit_number == "KIT-1002"
    withheld.refresh_from_db()
    assert withheld.supplemental_decision == GIVE


def test_an_ended_sessions_start_moved_past_its_end_is_refused_beside_the_field(
    login, therapist, investigator, ended
):
    client = login(therapist)
    version = ended.version
    for started_at, message in (
        (timezone.now() + datetime.timedelta(days=3), "in the future"),
        (ended.ended_at + MINUTE, "correct its end first"),
    ):
        response = client.post(
            start_url(ended),
            {
                "version": version,
                "started_at": local(started_at),
                "lead_therapist": therapist.pk,
                "co_therapist": investigator.pk,
                "deviation_explanation": ended.visit.deviation_explanation,
                "reason": "Start time from the paper log",
            },
        )
        assert response.status_code == 200
        assert message in " ".join(response.context["form"].errors["started_at"])
        assert not response.context["form"].non_field_errors()
    ended.refresh_from_db()
    assert ended.version == version
