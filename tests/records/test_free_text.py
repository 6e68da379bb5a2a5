"""No free text for the sponsor data manager, on any page they can reach (README: "no identity,
no free text"); site staff and the medical monitor read it (records/templatetags/free_text.py).

A database seeded with a distinctive value in every free-text field is crawled as each role:
every link followed from the home page, and every URL pattern of the project about each seeded
record. None of the values may reach the sponsor; the others' crawls show them, so that the
sponsor's cannot pass for want of anything to find.
"""

import datetime
import re
from html import unescape
from urllib.parse import urldefrag, urlsplit

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone

from accounts.models import Role
from accounts.selectors import may_see_free_text
from casebooks import services as casebook_services
from exports.services import ExportOptions, export_start
from participants.models import Participant, ParticipantIdentity
from queries import services as query_services
from records.templatetags.free_text import WITHHELD
from safety.services import adverse_event_draft_create, adverse_event_follow_up_save
from screening import services as screening
from sessions_app import schedule
from sessions_app.models import Observation, Visit, VitalSignAlert, VitalSignReading
from sessions_app.services import flowsheet
from sessions_app.services.notes import integration_note_write
from sessions_app.services.visits import (
    participant_withdraw,
    visit_mark_held,
    visit_mark_missed,
    visit_schedule_create,
)
from tests.accounts.factories import MembershipFactory
from tests.casebooks.conftest import signed
from tests.participants.factories import EnrolledParticipantFactory, IdentityFactory
from tests.safety.factories import event_times
from tests.safety.factories import submitted as submitted_event
from tests.screening.factories import (
    StudyScreeningConfigFactory,
    eligible_answers,
    fill_attempt,
    identity_data,
)
from tests.sessions_app.factories import (
    dosed_session_of,
    reading_correct,
    session_end,
    supplemental_withhold,
)

pytestmark = pytest.mark.django_db

# One distinctive value per free-text field (no character that HTML would escape).
FREE_TEXT = {
    "criterion note": "Zqx criterion note AUDIT 4 DAST-10 0",
    "reason for a screening change": "Zqx screening reason re-read the ECG",
    "duplicate reason": "Zqx duplicate reason twin sibling",
    "observation": "Zqx observation restless asks for water",
    "supplemental reason": "Zqx supplemental withheld pressure rising",
    "overnight note": "Zqx overnight note settled with attendant",
    "reading correction reason": "Zqx reading reason cuff too small",
    "verbatim term": "Zqx verbatim jaw clenching",
    "AE description": "Zqx AE description began an hour after dosing",
    "AE treatment": "Zqx AE treatment ondansetron four mg",
    "follow-up reason": "Zqx follow-up reason seen again next day",
    "integration note": "Zqx integration themes the night of the fire",
    "integration plan": "Zqx integration plan grounding exercises",
    "withdrawal details": "Zqx withdrawal details moved abroad",
    "missed reason": "Zqx missed reason unwell on the day",
    "deviation explanation": "Zqx deviation explanation clinic closed",
    "query answer": "Zqx query answer cuff re-checked",
    "correction after verification": "Zqx reading reason re-measured after verification",
    "site 2 criterion note": "Zqx site two note CAPS-5 below threshold",
    "casebook unlock reason": "Zqx casebook unlock reason late lab result",
}
# What a monitor may not read either: integration notes are confidential to the site.
SITE_ONLY = {"integration note", "integration plan"}

# Never followed: leaving, the admin (staff only), static files, the verification POST page.
NOT_CRAWLED = ("/accounts/logout/", "/admin/", "/static/")
HREF = re.compile(r'href="([^"#][^"]*)"')
# Enough pages that the sponsor's crawl cannot pass by seeing almost nothing.
SPONSOR_PAGES_AT_LEAST = 15


@pytest.fixture
def seeded(study, site1, site2, participant1, therapist, therapist2, investigator, password):
    """Site 1 with a distinctive value in every free-text field; {url name: [records]}."""
    text = FREE_TEXT
    minutes = datetime.timedelta(minutes=1)
    # participant1's first dosing session, held on its target day, ended; its notes, an AE.
    d1_day = schedule.schedule_dates(participant1.enrolled_on)["D1"].target
    started_at = timezone.make_aware(datetime.datetime.combine(d1_day, datetime.time(9, 0)))
    session = dosed_session_of(
        participant1, therapist, investigator, started_at=started_at, deviation_explanation=""
    )
    high = flowsheet.vital_sign_record(
        actor=therapist,
        session=session,
        measured_at=started_at + 60 * minutes,
        systolic=172,
        diastolic=95,
    )
    plain = flowsheet.vital_sign_record(
        actor=therapist, session=session, measured_at=started_at + 90 * minutes, pulse=80
    )
    reading_correct(plain, therapist, reason=text["reading correction reason"], pulse=82)
    observation = flowsheet.observation_record(
        actor=therapist,
        session=session,
        observed_at=started_at + 70 * minutes,
        kind=Observation.Kind.OBSERVATION,
        text=text["observation"],
    )
    supplemental_withhold(session, therapist, reason=text["supplemental reason"])
    session_end(
        session,
        therapist,
        ended_at=started_at + 480 * minutes,
        overnight_note=text["overnight note"],
    )
    integration = Visit.objects.get(participant=participant1, code="I1.1")
    integration_note_write(
        actor=therapist,
        visit=integration,
        data={
            "themes": text["integration note"],
            "participant_report": "Sleeping better",
            "cssrs_ideation": 0,
            "cssrs_behaviour": False,
            "safety_notes": "",
            "plan": text["integration plan"],
            "free_text": "",
        },
        held_on=integration.target_date,
        expected_version=None,
    )
    adverse_event = adverse_event_draft_create(
        actor=therapist,
        participant=participant1,
        verbatim_term=text["verbatim term"],
        onset_at=started_at + 120 * minutes,
        description=text["AE description"],
    )
    # A submitted adverse event with its treatment, and a follow-up waiting for signature.
    followed_up = submitted_event(
        therapist,
        investigator,
        participant1,
        verbatim_term="Headache",
        description="",
        treatment=text["AE treatment"],
        **event_times(started_at),
    )
    adverse_event_follow_up_save(
        actor=therapist,
        adverse_event=followed_up,
        reason=text["follow-up reason"],
        final=False,
        expected_version=followed_up.version,
        expected_report_version=None,
        severity_grade=3,
    )
    # Another participant: a preparatory visit held outside its window, one missed, withdrawn.
    withdrawn = EnrolledParticipantFactory(
        site=site1, study_code="S01-0002", screening_number="SCR01-0099"
    )
    IdentityFactory(participant=withdrawn)
    visits = {v.code: v for v in visit_schedule_create(actor=therapist, participant=withdrawn)}
    visit_mark_held(
        actor=therapist,
        visit=visits["P1"],
        held_on=visits["P1"].window_end + datetime.timedelta(days=2),
        deviation_explanation=text["deviation explanation"],
    )
    visit_mark_missed(
        actor=therapist,
        visit=visits["P2"],
        reason=text["missed reason"],
        expected_version=Visit.objects.get(pk=visits["P2"].pk).version,
    )
    participant_withdraw(
        actor=investigator,
        participant=withdrawn,
        withdrawn_on=timezone.localdate(),
        category=Participant.WithdrawalCategory.OTHER,
        details=text["withdrawal details"],
        expected_version=Participant.objects.get(pk=withdrawn.pk).version,
    )
    # Their casebook signed, locked and unlocked with a reason.
    withdrawn.refresh_from_db()
    signed(withdrawn, investigator, password)
    admin = MembershipFactory(role=Role.STUDY_ADMIN, site=None, study=study).user
    casebook_services.casebook_lock(actor=admin, participant=withdrawn)
    casebook_services.casebook_unlock(
        actor=admin, participant=withdrawn, reason=text["casebook unlock reason"]
    )
    StudyScreeningConfigFactory(study=study)
    # A screening with a note, confirmed (signed), then changed with a reason (the signature
    # void for it); the same candidate screened again, confirmed as a new one with a reason.
    identity = identity_data(given_name="Norah", family_name="Nightingale")
    confirmed = screening.screening_start(
        actor=therapist, site=site1, identity=identity, screened_on=datetime.date(2026, 6, 1)
    )
    confirmed = fill_attempt(attempt=confirmed, actor=therapist)
    screening.eligibility_confirm(actor=investigator, attempt=confirmed, password=password)
    confirmed.refresh_from_db()
    answers = eligible_answers(confirmed)
    first = next(iter(answers))
    answers[first] = (answers[first][0], text["criterion note"])
    screening.screening_update(
        actor=therapist,
        attempt=confirmed,
        answers=answers,
        expected_version=confirmed.version,
        reason=text["reason for a screening change"],
    )
    again = screening.screening_start(
        actor=therapist,
        site=site1,
        identity=identity,
        screened_on=datetime.date(2026, 6, 1),
        duplicate_confirmed=True,
        duplicate_reason=text["duplicate reason"],
    )
    # At site 2, a screen failure with a note.
    failed = screening.screening_start(
        actor=therapist2, site=site2, identity=identity, screened_on=datetime.date(2026, 6, 1)
    )
    failed = fill_attempt(attempt=failed, actor=therapist2, submit=False, caps5_total=10)
    answers = eligible_answers(failed)
    answers[first] = (answers[first][0], text["site 2 criterion note"])
    screening.screening_update(
        actor=therapist2, attempt=failed, answers=answers, expected_version=failed.version
    )
    failed = screening.screening_fail(
        actor=therapist2, attempt=screening.screening_submit(actor=therapist2, attempt=failed)
    )
    # A query on the high reading, answered by the site.
    monitor = MembershipFactory(role=Role.MONITOR, site=None, study=study).user
    query = query_services.query_raise(
        actor=monitor,
        record=high,
        field_name="systolic",
        text="Is 172 right?",
    )
    query_services.query_answer(actor=therapist, query=query, text=text["query answer"])
    # The session verified against the source, and a reading corrected since.
    query_services.source_verify(actor=monitor, record=session.visit, with_parts=True)
    plain = VitalSignReading.objects.get(pk=plain.pk)
    reading_correct(plain, therapist, reason=text["correction after verification"], pulse=84)
    participants = [
        participant1,
        withdrawn,
        confirmed.participant,
        again.participant,
        failed.participant,
    ]
    return {
        "participants": participants,
        "screening": [confirmed, again, failed],
        "sessions_app:flowsheet": [session],
        "sessions_app:sign": [session],
        "sessions_app:history": [session],
        "sessions_app:correct_start": [session],
        "sessions_app:correct_supplemental": [session],
        "sessions_app:reading_edit": [high, plain],
        "sessions_app:observation_edit": [observation],
        "sessions_app:reading_strike": [high, plain],  # (on main, entered in error)
        "sessions_app:observation_strike": [observation],
        "sessions_app:visit_held": list(visits.values())[:3],
        "sessions_app:visit_missed": list(visits.values())[:3],
        "sessions_app:alert_acknowledge": [VitalSignAlert.objects.get(reading=high)],
        "sessions_app:note": [integration],
        "sessions_app:note_edit": [integration],
        "sessions_app:note_history": [integration],
        "sessions_app:administration_correct": list(session.administrations.all()),
        "safety": [adverse_event, followed_up],
        # The CIOMS report of the draft too (marked as such); its PDF is not crawled (no HTML).
        "safety:ae_cioms": [adverse_event, followed_up],
        "safety:ae_cioms_pdf": [adverse_event, followed_up],
        "queries": [query],
        # An export started (running: its package not yet written).
        "exports": [
            export_start(
                actor=MembershipFactory(role=Role.DATA_MANAGER, site=None, study=study).user,
                study=study,
                options=ExportOptions(),
            )
        ],
        "queries:sdv_participant": participants,
        "casebooks": participants,
        "unlock": [therapist],  # an account (POST only: the study administrator's unlock)
    }


def _url_names() -> list[tuple[str, int]]:
    """Every named URL of the project outside the admin: (namespaced name, number of args)."""
    found = []

    def walk(patterns, namespace):
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                if pattern.namespace == "admin":
                    continue
                inner = f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace
                walk(pattern.url_patterns, inner)
            elif isinstance(pattern, URLPattern) and pattern.name:
                found.append((namespace + pattern.name, len(pattern.pattern.regex.groupindex)))

    walk(get_resolver().url_patterns, "")
    return found


def _pattern_urls(seeded) -> list[str]:
    """Every URL pattern, about each seeded record of its kind where it takes one."""
    urls = []
    for name, args in _url_names():
        if not args:
            urls.append(reverse(name))
            continue
        key = name if name in seeded else name.split(":")[0]
        assert key in seeded, f"{name}: no seeded record to open it with; add one"
        urls.extend(reverse(name, args=[record.pk]) for record in seeded[key])
    return urls


def _crawl(client, start: list[str]) -> dict[str, str]:
    """{url: HTML} of every page answered 200, from `start` and every link followed from them."""
    pages, queue, seen = {}, list(start), set(start)
    while queue:
        url = queue.pop(0)
        response = client.get(url)
        if response.status_code != 200 or "html" not in response.get("Content-Type", ""):
            continue
        body = response.content.decode()
        pages[url] = body
        for href in HREF.findall(body):
            link = urldefrag(unescape(href)).url
            parts = urlsplit(link)
            if parts.netloc or not parts.path.startswith("/"):
                continue
            if link.startswith(NOT_CRAWLED) or link in seen:
                continue
            seen.add(link)
            queue.append(link)
    return pages


def _found(pages: dict[str, str]) -> dict[str, list[str]]:
    """Which seeded values appear on which of `pages`."""
    return {
        field: [url for url, body in pages.items() if value in body]
        for field, value in FREE_TEXT.items()
        if any(value in body for body in pages.values())
    }


def test_sponsor_reaches_no_free_text_on_any_page_while_monitor_and_staff_do(
    client, seeded, study, sponsor, monitor, therapist
):
    start = [reverse("home"), *_pattern_urls(seeded)]

    client.force_login(sponsor)
    sponsor_pages = _crawl(client, start)
    assert len(sponsor_pages) >= SPONSOR_PAGES_AT_LEAST, "\n".join(sorted(sponsor_pages))
    assert _found(sponsor_pages) == {}
    # Where there was text, the sponsor is told it is not shown.
    assert any(WITHHELD in body for body in sponsor_pages.values())
    for person in ParticipantIdentity.objects.all():
        assert not any(person.family_name in body for body in sponsor_pages.values())
    # The study administrator reads the text of their pages, never an identity in it.
    client.force_login(MembershipFactory(role=Role.STUDY_ADMIN, site=None, study=study).user)
    admin_pages = _crawl(client, start)
    assert "casebook unlock reason" in _found(admin_pages)
    for person in ParticipantIdentity.objects.all():
        assert not any(person.family_name in body for body in admin_pages.values())

    # The same pages, as the monitor and the site's therapist, show the text withheld above.
    for user in (monitor, therapist):
        client.force_login(user)
        on_sponsor_pages = _found({url: client.get(url).content.decode() for url in sponsor_pages})
        assert set(on_sponsor_pages) >= {
            "criterion note",
            "reason for a screening change",
            "duplicate reason",
            "withdrawal details",
            "missed reason",
            "deviation explanation",
        } | ({"site 2 criterion note"} if user == monitor else set()), user.username
    # And their own crawls every value, but for the monitor the confidential therapy notes.
    client.force_login(monitor)
    assert set(_found(_crawl(client, start))) == set(FREE_TEXT) - SITE_ONLY
    client.force_login(therapist)
    assert set(_found(_crawl(client, start))) == set(FREE_TEXT) - {"site 2 criterion note"}


def test_free_text_is_for_site_staff_the_monitor_and_the_admin_not_the_sponsor(
    sponsor, monitor, therapist, therapist2, investigator, study_admin, participant1
):
    # The study administrator reads the queries they raise and close and the unlocks they give
    # (their pages redact identity, which they never see).
    for user in (therapist, investigator, monitor, study_admin):
        assert may_see_free_text(user) and may_see_free_text(user, participant1), user
    assert not may_see_free_text(sponsor) and not may_see_free_text(sponsor, participant1)
    assert not may_see_free_text(therapist2, participant1)  # nor another site's staff
