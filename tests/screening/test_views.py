import datetime
import re

import pytest
from axes.models import AccessAttempt
from django.urls import reverse

from audit.models import LogEntry
from participants.models import Participant
from screening import services
from screening.forms import PERIOD_REVERSED
from screening.models import ScreeningAttempt
from signatures.models import Signature
from tests.casebooks.conftest import locked
from tests.screening.factories import ELIGIBLE_VALUES, screened_attempt
from tests.sessions_app.pages import input_tag

pytestmark = pytest.mark.django_db

ATTEMPT_URLS = ["detail", "edit", "confirm", "history", "rescreen"]


def _start_post(site, **overrides):
    data = {
        "site": site.pk,
        "screened_on": "2026-06-01",
        "given_name": "Dana",
        "family_name": "Delacroix",
        "date_of_birth": "1990-04-02",
        "sex": "F",
        "phone": "+44 1234 5678",
        "email": "",
        "support_contact_name": "Sam Support",
        "support_contact_phone": "+44 999",
    }
    data.update(overrides)
    return data


def _assessment_post(attempt, reason=None, answers=None, **overrides):
    data = {"version": attempt.version, "screened_on": attempt.screened_on.isoformat()}
    data.update({k: str(v) for k, v in ELIGIBLE_VALUES.items()})
    for answer in attempt.answers.select_related("criterion"):
        criterion = answer.criterion
        value = (answers or {}).get(criterion.code, criterion.kind == "inclusion")
        data[f"answer_{criterion.pk}"] = "yes" if value else "no"
        data[f"note_{criterion.pk}"] = ""
    if reason is not None:
        data["reason"] = reason
    data.update(overrides)
    return data


def _fresh(attempt):
    return ScreeningAttempt.objects.get(pk=attempt.pk)


def test_pages_need_login(client, therapist, site1):
    attempt = screened_attempt(actor=therapist, site=site1)
    for name in ATTEMPT_URLS:
        response = client.get(reverse(f"screening:{name}", args=[attempt.pk]))
        assert response.status_code == 302
        assert response.url.startswith(reverse("login"))
    for name in ("list", "start", "log"):
        assert client.get(reverse(f"screening:{name}")).status_code == 302


def test_therapist_starts_screening_and_enters_assessments(login, therapist, site1):
    client = login(therapist)
    response = client.post(reverse("screening:start"), _start_post(site1))
    attempt = ScreeningAttempt.objects.get()
    assert response.status_code == 302
    assert response.url == reverse("screening:edit", args=[attempt.pk])
    assert attempt.participant.identity.family_name == "Delacroix"

    page = client.get(response.url)
    assert page.status_code == 200
    form = page.context["form"]
    # Computed criteria are not typed: no answer field for CAPS-5 (I3) or age (I1).
    computed = attempt.criteria_set.criteria.exclude(measurement="")
    assert computed.exists()
    for criterion in computed:
        assert f"answer_{criterion.pk}" not in form.fields
    assert "reason" not in form.fields  # a draft needs no reason

    response = client.post(response.url, _assessment_post(attempt, caps5_total="3"))
    assert response.status_code == 302
    detail = client.get(reverse("screening:detail", args=[attempt.pk]))
    assert detail.context["attempt"].decision == "ineligible"
    content = detail.content.decode()
    assert 'data-testid="criterion-I3" class="table-danger"' in content


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("caps5_total", "81", "The CAPS-5 total severity score must be between 0 and 80."),
        ("systolic_bp", "400", "Systolic pressure must be between 50 and 300 mmHg."),
        ("systolic_bp", "40", "Systolic pressure must be between 50 and 300 mmHg."),
        ("diastolic_bp", "130", "Diastolic pressure must be below systolic (122 mmHg)."),
        ("diastolic_bp", "122", "Diastolic pressure must be below systolic (122 mmHg)."),
        ("qtc_ms", "9000", "QTc must be between 250 and 700 ms."),
        ("pulse", "400", "Pulse must be between 20 and 250 beats per minute."),
        # Typed into a text box (a browser empties a number box it cannot read), kept as typed.
        ("weight_kg", "1e400", "Weight must be between 20 and 400 kg."),
        ("systolic_bp", "inf", "Systolic pressure must be between 50 and 300 mmHg."),
        ("screened_on", "2099-01-01", "The day of screening cannot be in the future."),
    ],
)
def test_impossible_values_are_refused_beside_the_field_and_nothing_typed_is_lost(
    login, therapist, site1, field, value, message
):
    attempt = screened_attempt(actor=therapist, site=site1, submit=False)
    response = login(therapist).post(
        reverse("screening:edit", args=[attempt.pk]),
        _assessment_post(
            attempt, **{field: value, "weight_kg": "71.3", "pulse": "77"} | ({field: value})
        ),
    )
    assert response.status_code == 200
    form = response.context["form"]
    assert list(form.errors) == [field]
    assert message in form.errors[field][0]
    content = response.content.decode()
    assert message.replace("(", "(") in content
    assert f'value="{value}"' in content
    field_tag = content.split(f'name="{field}"', 1)[0].rsplit("<input", 1)[1]
    assert 'type="number"' not in field_tag
    if field != "weight_kg":
        assert 'value="71.3"' in content
    assert _fresh(attempt).version == attempt.version


def test_start_refuses_age_200_and_future_birth_beside_the_field(login, therapist, site1):
    client = login(therapist)
    for dob, message in [
        ("1826-01-01", "more than 120 years ago"),
        ("2099-01-01", "cannot be in the future"),
    ]:
        response = client.post(reverse("screening:start"), _start_post(site1, date_of_birth=dob))
        assert response.status_code == 200
        assert list(response.context["form"].errors) == ["date_of_birth"]
        assert message in response.content.decode()
        assert 'value="Delacroix"' in response.content.decode()
    assert not Participant.objects.exists()


def test_therapist_cannot_start_at_another_site(login, therapist, site2):
    response = login(therapist).post(reverse("screening:start"), _start_post(site2))
    assert response.status_code == 200
    assert "site" in response.context["form"].errors
    assert not Participant.objects.exists()


def test_therapist_cannot_confirm_eligibility(login, therapist, site1, password):
    attempt = screened_attempt(actor=therapist, site=site1)
    url = reverse("screening:confirm", args=[attempt.pk])
    client = login(therapist)
    assert client.get(url).status_code == 403
    assert client.post(url, {"password": password}).status_code == 403
    assert _fresh(attempt).status == ScreeningAttempt.Status.SUBMITTED
    detail = client.get(reverse("screening:detail", args=[attempt.pk]))
    assert b"Confirm eligibility and enrol" not in detail.content


def test_investigator_signs_with_password_and_participant_is_enrolled(
    login, therapist, investigator, site1, password
):
    attempt = screened_attempt(actor=therapist, site=site1)
    client = login(investigator)
    url = reverse("screening:confirm", args=[attempt.pk])
    wrong = client.post(url, {"password": "not-mine"})
    assert wrong.status_code == 200
    assert "password" in wrong.context["form"].errors
    assert b"The password is not correct" in wrong.content
    assert not Signature.objects.exists()

    response = client.post(url, {"password": password})
    assert response.status_code == 302
    participant = Participant.objects.get(pk=attempt.participant_id)
    assert participant.status == Participant.Status.ENROLLED
    assert participant.study_code == "S01-0001"
    detail = client.get(reverse("screening:detail", args=[attempt.pk])).content.decode()
    assert investigator.printed_name in detail
    assert "Approved" in detail and "valid" in detail


def test_confirm_page_refuses_a_failing_candidate(login, therapist, investigator, site1, password):
    attempt = screened_attempt(actor=therapist, site=site1, caps5_total=34)
    response = login(investigator).post(
        reverse("screening:confirm", args=[attempt.pk]), {"password": password}
    )
    assert response.status_code == 200
    assert b"cannot be enrolled" in response.content
    assert Participant.objects.get(pk=attempt.participant_id).study_code is None


def test_screen_failure_keeps_reasons_and_offers_rescreen(login, therapist, site1):
    attempt = screened_attempt(actor=therapist, site=site1, caps5_total=34, answers={"E6": True})
    client = login(therapist)
    response = client.post(reverse("screening:fail", args=[attempt.pk]))
    assert response.status_code == 302
    assert Participant.objects.get(pk=attempt.participant_id).status == "screen_failed"
    detail = client.get(reverse("screening:detail", args=[attempt.pk]))
    assert detail.context["can_rescreen"]
    content = detail.content.decode()
    assert "Screen failure" in content
    assert 'data-testid="criterion-E6" class="table-danger"' in content
    # Left to the server to check, so that an empty day gets its message beside the field,
    # not the browser's bubble.
    rescreen = reverse("screening:rescreen", args=[attempt.pk])
    (form_tag,) = re.findall(rf'<form method="post" action="{rescreen}"[^>]*>', content)
    assert "novalidate" in form_tag
    response = client.post(rescreen, {"screened_on": ""})
    assert response.context["form"].errors["screened_on"]
    response = client.post(rescreen, {"screened_on": "2026-06-10"})
    second = ScreeningAttempt.objects.get(number=2)
    assert response.url == reverse("screening:edit", args=[second.pk])
    assert _fresh(attempt).status == ScreeningAttempt.Status.SCREEN_FAILED


def test_edit_after_submission_without_reason_is_refused_and_keeps_input(login, therapist, site1):
    attempt = screened_attempt(actor=therapist, site=site1)
    response = login(therapist).post(
        reverse("screening:edit", args=[attempt.pk]),
        _assessment_post(attempt, reason="  ", caps5_total="44"),
    )
    assert response.status_code == 200
    assert "reason" in response.context["form"].errors
    assert b'value="44"' in response.content
    assert _fresh(attempt).caps5_total == 40


def test_edit_after_signing_voids_the_signature_and_shows_in_history(
    login, therapist, investigator, site1, password
):
    attempt = screened_attempt(actor=therapist, site=site1)
    services.eligibility_confirm(actor=investigator, attempt=attempt, password=password)
    attempt = _fresh(attempt)
    client = login(therapist)
    response = client.post(
        reverse("screening:edit", args=[attempt.pk]),
        _assessment_post(attempt, reason="Mistyped QTc", qtc_ms="420"),
    )
    assert response.status_code == 302
    detail = client.get(reverse("screening:detail", args=[attempt.pk])).content.decode()
    assert 'data-testid="signature-void"' in detail
    assert "Mistyped QTc" in detail
    history = client.get(reverse("screening:history", args=[attempt.pk])).content.decode()
    assert "Mistyped QTc" in history
    assert "qtc_ms" in history or "QTc" in history
    # The investigator is offered to sign the corrected version.
    inv = login(investigator).get(reverse("screening:detail", args=[attempt.pk]))
    assert b"Sign again" in inv.content


def test_concurrent_edit_is_refused_and_keeps_input(login, therapist, investigator, site1):
    attempt = screened_attempt(actor=therapist, site=site1, submit=False)
    url = reverse("screening:edit", args=[attempt.pk])
    stale = _assessment_post(attempt, pulse="81")
    assert login(investigator).post(url, _assessment_post(attempt, pulse="90")).status_code == 302
    response = login(therapist).post(url, stale)
    assert response.status_code == 200
    assert b"changed by someone else" in response.content
    assert b'value="81"' in response.content
    assert _fresh(attempt).pulse == 90


@pytest.mark.parametrize("name", ATTEMPT_URLS)
def test_therapist_cannot_open_another_sites_screening(login, therapist, therapist2, site2, name):
    attempt = screened_attempt(actor=therapist2, site=site2)
    response = login(therapist).get(reverse(f"screening:{name}", args=[attempt.pk]))
    assert response.status_code == 404
    assert attempt.participant.screening_number.encode() not in response.content


@pytest.mark.parametrize("role", ["monitor", "sponsor"])
def test_monitor_and_sponsor_see_outcomes_but_never_identity(
    request, login, therapist, site1, role
):
    attempt = screened_attempt(actor=therapist, site=site1, caps5_total=20)
    user = request.getfixturevalue(role)
    client = login(user)
    for url in (
        reverse("screening:list"),
        reverse("screening:detail", args=[attempt.pk]),
        reverse("screening:log"),
    ):
        response = client.get(url)
        assert response.status_code == 200, url
        assert b"Quixotewood" not in response.content
        assert b"Casey" not in response.content
    detail = client.get(reverse("screening:detail", args=[attempt.pk])).content.decode()
    assert "Not met" in detail and attempt.participant.screening_number in detail
    assert client.get(reverse("screening:start")).status_code == 403
    assert client.get(reverse("screening:edit", args=[attempt.pk])).status_code == 403
    assert client.get(reverse("screening:confirm", args=[attempt.pk])).status_code == 403


def test_log_counts_by_site_and_reason_and_filters(
    login, monitor, therapist, therapist2, investigator, site1, site2, password
):
    failed = screened_attempt(actor=therapist, site=site1, caps5_total=10)
    services.screening_fail(actor=therapist, attempt=failed)
    enrolled = screened_attempt(actor=therapist, site=site1)
    services.eligibility_confirm(actor=investigator, attempt=enrolled, password=password)
    other = screened_attempt(
        actor=therapist2, site=site2, qtc_ms=480, screened_on=datetime.date(2026, 3, 1)
    )
    services.screening_fail(actor=therapist2, attempt=other)
    client = login(monitor)
    log = client.get(reverse("screening:log")).context["log"]
    assert [(r.site.number, r.screened, r.failed, r.enrolled) for r in log.rows] == [
        ("01", 2, 1, 1),
        ("02", 1, 1, 0),
    ]
    assert [(code, n) for code, _, n in log.reasons] == [("I3", 1), ("E12", 1)] or [
        (code, n) for code, _, n in log.reasons
    ] == [("E12", 1), ("I3", 1)]
    by_site = client.get(reverse("screening:log"), {"site": site2.pk}).context["log"]
    assert [(r.site.number, r.screened) for r in by_site.rows] == [("02", 1)]
    by_period = client.get(
        reverse("screening:log"), {"period_after": "2026-05-01", "period_before": "2026-06-30"}
    ).context["log"]
    assert by_period.total.screened == 2 and by_period.total.failed == 1
    page = client.get(reverse("screening:log")).content.decode()
    assert "vendor/chartjs/chart.umd.min.js" in page
    assert "cdn" not in page.lower()


@pytest.mark.parametrize(
    ("period", "message"),
    [
        ({"period_after": "2026-06-30", "period_before": "2026-05-01"}, PERIOD_REVERSED),
        ({"period_after": "2026-13-45"}, "Enter a valid date."),
    ],
)
def test_a_refused_period_counts_nothing_and_says_why(
    login, monitor, therapist, therapist2, site1, site2, participant1, participant2, period, message
):
    """As the other lists do: a filter refused beside its field matches nothing, rather than
    showing every attempt's (or enrolment's) totals under the error; the site chosen still
    holds."""
    screened_attempt(actor=therapist, site=site1)
    screened_attempt(actor=therapist2, site=site2)
    response = login(monitor).get(reverse("screening:log"), {**period, "site": site1.pk})
    assert response.status_code == 200
    assert response.context["filter"].errors["period"] == [message]
    log = response.context["log"]
    assert [(r.site.number, r.screened, r.enrolled) for r in log.rows] == [("01", 0, 0)]
    assert (log.total.screened, log.total.enrolled) == (0, 0)
    assert response.context["chart"]["enrolled"] == [0]
    assert all(value in response.content.decode() for value in period.values())


def test_the_attempt_list_refuses_a_reversed_period_beside_it(login, therapist, site1):
    screened_attempt(actor=therapist, site=site1)
    period = {"period_after": "2026-06-30", "period_before": "2026-05-01"}
    response = login(therapist).get(reverse("screening:list"), period)
    assert response.status_code == 200
    assert response.context["filter"].errors["period"] == [PERIOD_REVERSED]
    assert list(response.context["object_list"]) == []
    assert PERIOD_REVERSED in response.content.decode()


def test_therapist_log_shows_own_site_only(login, therapist, therapist2, site1, site2):
    screened_attempt(actor=therapist2, site=site2)
    response = login(therapist).get(reverse("screening:log"), {"site": site2.pk})
    assert [r.site.number for r in response.context["log"].rows] == ["01"]
    assert response.context["log"].total.screened == 0


def test_log_query_count_does_not_grow_with_attempts(
    login, monitor, therapist, site1, django_assert_max_num_queries
):
    client = login(monitor)
    url = reverse("screening:log")
    client.get(url)
    for _ in range(2):
        services.screening_fail(
            actor=therapist, attempt=screened_attempt(actor=therapist, site=site1, caps5_total=5)
        )
    with django_assert_max_num_queries(30) as few:
        client.get(url)
    for n in range(8):
        attempt = screened_attempt(actor=therapist, site=site1, caps5_total=5 + n, qtc_ms=460)
        services.screening_fail(actor=therapist, attempt=attempt)
    with django_assert_max_num_queries(30) as many:
        response = client.get(url)
    assert response.context["log"].total.failed == 10
    assert len(many.captured_queries) == len(few.captured_queries)


def test_list_query_count_does_not_grow_with_attempts(
    login, monitor, therapist, site1, django_assert_max_num_queries
):
    client = login(monitor)
    url = reverse("screening:list")
    client.get(url)
    screened_attempt(actor=therapist, site=site1)
    with django_assert_max_num_queries(30) as few:
        client.get(url)
    for _ in range(6):
        screened_attempt(actor=therapist, site=site1)
    with django_assert_max_num_queries(30) as many:
        client.get(url)
    assert len(many.captured_queries) == len(few.captured_queries)


def test_wrong_confirmation_passwords_count_once_each_and_lock_the_investigator_out(
    login, therapist, investigator, site1, password, settings
):
    attempt = screened_attempt(actor=therapist, site=site1)
    client = login(investigator)
    url = reverse("screening:confirm", args=[attempt.pk])
    for count in range(1, settings.AXES_FAILURE_LIMIT + 1):
        response = client.post(url, {"password": "not-mine"})
        assert response.status_code == 200
        # Counted although the enrolment it guarded was rolled back.
        assert AccessAttempt.objects.get(username="investigator").failures_since_start == count
    response = client.post(url, {"password": password})
    assert response.status_code == 200
    assert response.context["form"].errors["password"] == [
        f"Too many wrong passwords for {investigator.printed_name}: this account is locked for "
        "15 minutes. Nothing was signed."
    ]
    assert _fresh(attempt).status == ScreeningAttempt.Status.SUBMITTED
    assert not Signature.objects.exists()


def test_after_a_lost_concurrent_save_saving_again_keeps_the_users_values(
    login, therapist, investigator, site1
):
    """The refused form carries the current version: saving it again is a deliberate choice
    that succeeds, instead of failing again on the version first opened."""
    attempt = screened_attempt(actor=therapist, site=site1, submit=False)
    url = reverse("screening:edit", args=[attempt.pk])
    stale = _assessment_post(attempt, pulse="81")
    login(investigator).post(url, _assessment_post(attempt, pulse="90"))
    client = login(therapist)
    refused = client.post(url, stale)
    current_version = _fresh(attempt).version
    assert refused.context["form"]["version"].value() == current_version
    again = client.post(url, {**stale, "version": str(current_version)})
    assert again.status_code == 302
    assert _fresh(attempt).pulse == 81


def test_an_exclusion_criterion_met_says_the_candidate_is_not_excluded(login, therapist, site1):
    """A green "Met" beside an exclusion answered "no" reads as if the exclusion applied."""
    attempt = screened_attempt(actor=therapist, site=site1)
    page = login(therapist).get(reverse("screening:detail", args=[attempt.pk])).content.decode()
    exclusion = next(r["code"] for r in attempt.results if r["kind"] == "exclusion")
    row = page.split(f'data-testid="criterion-{exclusion}"')[1].split("</tr>")[0]
    assert "Met: not excluded" in row
    inclusion = next(r["code"] for r in attempt.results if r["kind"] == "inclusion")
    row = page.split(f'data-testid="criterion-{inclusion}"')[1].split("</tr>")[0]
    assert ">Met<" in row


def test_start_warns_of_a_possible_duplicate_and_writes_nothing_keeping_the_input(
    login, therapist, site1
):
    client = login(therapist)
    client.post(reverse("screening:start"), _start_post(site1))
    earlier = Participant.objects.get()
    response = client.post(
        reverse("screening:start"),
        _start_post(site1, given_name="dana ", family_name=" DELACROIX", phone="+44 777"),
    )
    assert response.status_code == 200
    content = response.content.decode()
    assert 'data-testid="duplicate-warning"' in content
    assert f"{earlier.screening_number}</a> (In screening)" in content
    errors = response.context["form"].errors
    assert list(errors) == ["confirm_duplicate"]
    assert f"{earlier.screening_number} (In screening)" in errors["confirm_duplicate"][0]
    assert 'name="confirm_duplicate"' in content and 'name="duplicate_reason"' in content
    assert 'value="dana "' in content and 'value="+44 777"' in content
    assert Participant.objects.count() == 1


def test_start_of_a_possible_duplicate_confirmed_without_a_reason_asks_for_one(
    login, therapist, site1
):
    client = login(therapist)
    client.post(reverse("screening:start"), _start_post(site1))
    response = client.post(
        reverse("screening:start"), _start_post(site1, confirm_duplicate="on", duplicate_reason="")
    )
    assert response.status_code == 200
    assert list(response.context["form"].errors) == ["duplicate_reason"]
    assert services.DUPLICATE_REASON_MISSING in response.content.decode()
    assert "checked" in input_tag(response.content.decode(), "confirm_duplicate")
    assert Participant.objects.count() == 1


def test_start_of_a_possible_duplicate_confirmed_with_a_reason_goes_through(
    login, therapist, site1
):
    client = login(therapist)
    client.post(reverse("screening:start"), _start_post(site1))
    reason = "Not the same person: different mother's name and NHS number."
    response = client.post(
        reverse("screening:start"),
        _start_post(site1, confirm_duplicate="on", duplicate_reason=reason),
    )
    attempt = ScreeningAttempt.objects.get(participant__screening_number="SCR01-0002")
    assert response.status_code == 302
    assert response.url == reverse("screening:edit", args=[attempt.pk])
    assert attempt.duplicate_reason == reason
    created = LogEntry.objects.get_for_object(attempt).get(action=LogEntry.Action.CREATE)
    assert reason in created.reason


def test_the_same_person_at_another_site_neither_warns_nor_shows_the_other_sites_record(
    login, therapist, therapist2, site1, site2
):
    login(therapist).post(reverse("screening:start"), _start_post(site1))
    client = login(therapist2)
    response = client.post(reverse("screening:start"), _start_post(site2, phone="oops"))
    assert response.status_code == 302
    assert Participant.objects.filter(site=site2).count() == 1
    # Nor does the refusal of another field at site 2 hint at site 1's candidate.
    response = client.post(
        reverse("screening:start"), _start_post(site2, date_of_birth="2099-01-01")
    )
    assert b"duplicate" not in response.content and b"SCR01-" not in response.content


def test_log_counts_a_participant_enrolled_without_a_screening_attempt(
    login, monitor, therapist, site1, participant1
):
    screened_attempt(actor=therapist, site=site1)  # submitted, not yet confirmed
    log = login(monitor).get(reverse("screening:log")).context["log"]
    row = log.rows[0]
    assert (row.site.number, row.screened, row.confirmed, row.enrolled) == ("01", 1, 0, 1)
    assert log.total.enrolled == 1
    # Enrolled in a period: by the day of enrolment.
    before = participant1.enrolled_on - datetime.timedelta(days=1)
    in_period = (
        login(monitor)
        .get(reverse("screening:log"), {"period_before": before.isoformat()})
        .context["log"]
    )
    assert in_period.total.enrolled == 0


def test_a_locked_casebooks_assessments_page_shows_the_lock_and_no_form(
    login, therapist, study_admin, site1
):
    attempt = screened_attempt(actor=therapist, site=site1, submit=False)
    url = reverse("screening:edit", args=[attempt.pk])
    client = login(therapist)
    assert input_tag(client.get(url).content.decode(), "version")
    locked(attempt.participant, study_admin)
    body = client.get(url).content.decode()
    assert 'data-testid="casebook-locked"' in body
    assert not input_tag(body, "version")
    assert '<input type="submit"' not in body


def test_assessments_opened_from_a_query_return_to_it(login, therapist, site1):
    attempt = screened_attempt(actor=therapist, site=site1, submit=False)
    url = reverse("screening:edit", args=[attempt.pk])
    client = login(therapist)
    opened = client.get(url, {"next": "/queries/7/"}).content.decode()
    assert 'href="/queries/7/" data-testid="return-link"' in opened
    saved = client.post(f"{url}?next=/queries/7/", _assessment_post(attempt))
    assert saved["Location"] == "/queries/7/"
    unasked = client.post(url, _assessment_post(_fresh(attempt)))
    assert unasked["Location"] == reverse("screening:detail", args=[attempt.pk])
