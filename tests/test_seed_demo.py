"""`manage.py seed_demo`: the synthetic demo study, its accounts, what it writes to the trail."""

import datetime
from collections import Counter
from io import StringIO

import pytest
from django.contrib.contenttypes.models import ContentType
from django.core.management import call_command
from django.test import RequestFactory

from accounts.models import Membership, Role, Site, Study, User
from audit.models import LogEntry
from participants.models import Participant, ParticipantIdentity

pytestmark = pytest.mark.django_db

DEMO_USERS = {
    # username: (role, site number or None for study-wide)
    "therapist": (Role.THERAPIST, "01"),
    "investigator": (Role.INVESTIGATOR, "01"),
    "therapist2": (Role.THERAPIST, "02"),
    "monitor": (Role.MONITOR, None),
    "sponsor": (Role.DATA_MANAGER, None),
    "admin": (Role.STUDY_ADMIN, None),
}
PASSWORD_HEADER = "Demo accounts (passwords are shown only now):"
UNCHANGED = "Demo accounts already exist; their passwords are unchanged."


def seed(*args):
    out = StringIO()
    call_command("seed_demo", *args, stdout=out)
    return out.getvalue()


def password_lines(output):
    """The `username password role` lines printed after the header, keyed by username."""
    if PASSWORD_HEADER not in output:
        return {}
    lines = output.split(PASSWORD_HEADER, 1)[1].strip().splitlines()
    return {line.split()[0]: line.split()[1] for line in lines if line.strip()}


def snapshot():
    return {
        "studies": Study.objects.count(),
        "sites": Site.objects.count(),
        "users": User.objects.count(),
        "memberships": Membership.objects.count(),
        "participants": Participant.objects.count(),
        "identities": ParticipantIdentity.objects.count(),
    }


def test_seed_demo_creates_the_study_with_three_sites():
    seed()

    study = Study.objects.get(code="MAPP-DEMO")
    assert sorted(study.sites.values_list("number", flat=True)) == ["01", "02", "03"]
    assert Study.objects.count() == 1


def test_seed_demo_creates_one_account_per_role_at_the_right_site():
    seed()

    study = Study.objects.get(code="MAPP-DEMO")
    for username, (role, site_number) in DEMO_USERS.items():
        user = User.objects.get(username=username)
        memberships = list(user.memberships.all())
        assert len(memberships) == 1, username
        membership = memberships[0]
        assert membership.role == role, username
        assert membership.study == study, username
        assert membership.is_active, username
        if site_number is None:
            assert membership.site is None, username
        else:
            assert membership.site.number == site_number, username
        assert user.is_active, username
        assert user.has_usable_password(), username
        assert user.get_full_name(), username
    assert User.objects.get(username="admin").is_staff
    assert not User.objects.get(username="therapist").is_staff


def test_seed_demo_creates_eight_participants_per_site_in_several_statuses_with_identities():
    seed()

    participants = Participant.objects.filter(site__study__code="MAPP-DEMO")
    assert participants.count() == 24
    for number in ("01", "02", "03"):
        at_site = participants.filter(site__number=number)
        assert Counter(at_site.values_list("status", flat=True)) == {
            Participant.Status.ENROLLED: 3,
            Participant.Status.SCREENING: 2,
            Participant.Status.SCREEN_FAILED: 1,
            Participant.Status.COMPLETED: 1,
            Participant.Status.WITHDRAWN: 1,
        }, number
        # Participant IDs follow the site number; only enrolled (or later) participants have one.
        codes = sorted(c for c in at_site.values_list("study_code", flat=True) if c)
        assert codes == [f"S{number}-{n:04d}" for n in range(1, 6)]
        for p in at_site:
            assert p.screening_number.startswith(f"SCR{number}-")
    assert not participants.filter(identity__isnull=True).exists()
    assert ParticipantIdentity.objects.filter(participant__in=participants).count() == 24
    for identity in ParticipantIdentity.objects.all():
        assert identity.given_name and identity.family_name and identity.date_of_birth


def test_seed_demo_prints_each_new_random_password_once():
    output = seed()

    printed = password_lines(output)
    assert set(printed) == set(DEMO_USERS)
    assert len(set(printed.values())) == len(DEMO_USERS), "each account gets its own password"
    for username, pw in printed.items():
        assert output.count(pw) == 1
        assert User.objects.get(username=username).check_password(pw), username


def test_seed_demo_second_run_creates_nothing_and_prints_no_passwords():
    first = seed()
    before = snapshot()
    passwords = password_lines(first)

    second = seed()

    assert snapshot() == before
    assert PASSWORD_HEADER not in second
    assert UNCHANGED in second
    for username, pw in passwords.items():
        assert pw not in second
        assert User.objects.get(username=username).check_password(pw), "password unchanged"
    # No duplicate roles: still exactly one membership per demo account.
    assert Counter(Membership.objects.values_list("user__username", flat=True)) == {
        username: 1 for username in DEMO_USERS
    }


def test_seed_demo_reset_passwords_gives_existing_accounts_new_passwords():
    old = password_lines(seed())

    new = password_lines(seed("--reset-passwords"))

    assert set(new) == set(DEMO_USERS)
    for username in DEMO_USERS:
        assert new[username] != old[username]
        assert User.objects.get(username=username).check_password(new[username])


@pytest.mark.parametrize("username", ["therapist", "monitor"])
def test_seed_demo_password_option_lets_the_demo_user_log_in_with_it(client, username):
    seed("--password", "Demo-pass-2026!")

    # django-axes needs the request that carries the login attempt.
    request = RequestFactory().post("/accounts/login/")
    assert client.login(request=request, username=username, password="Demo-pass-2026!")
    response = client.get("/")
    assert response.status_code == 200
    assert response.wsgi_request.user.username == username


def test_seed_demo_participant_audit_entries_name_the_investigator_as_actor():
    seed()

    investigator = User.objects.get(username="investigator")
    clinical_types = ContentType.objects.get_for_models(Participant, ParticipantIdentity).values()
    entries = LogEntry.objects.filter(content_type__in=clinical_types)
    # 24 registrations each write a participant and an identity; enrolments and status changes
    # add updates.
    assert entries.filter(action=LogEntry.Action.CREATE).count() == 48
    assert entries.filter(action=LogEntry.Action.UPDATE).exists()
    assert set(entries.values_list("actor", flat=True)) == {investigator.pk}


def test_seed_demo_leaves_an_intact_audit_chain():
    from audit.chain import chain_verify

    seed()
    seed()

    report = chain_verify()
    assert report.ok, report.describe()
    assert report.checked == LogEntry.objects.count()


def test_seed_demo_participant_audit_entries_carry_the_demo_reason():
    seed()

    clinical_types = ContentType.objects.get_for_models(Participant, ParticipantIdentity).values()
    entries = LogEntry.objects.filter(content_type__in=clinical_types)
    assert not entries.filter(reason="").exists()
    assert entries.filter(
        action=LogEntry.Action.CREATE, reason="Synthetic demo data"
    ).count() == 48
    # A reason given for one change still wins over the surrounding one.
    assert entries.filter(reason="Demo: CAPS-5 below threshold").count() == 3


def test_demo_study_screens_against_the_mapp2_criteria():
    from screening.models import StudyScreeningConfig

    call_command("seed_demo", stdout=StringIO())
    config = StudyScreeningConfig.objects.get(study__code="MAPP-DEMO")
    assert config.criteria_set.code == "MAPP2"


def test_every_enrolled_demo_participant_has_a_course_with_a_dosing_session_due_today():
    from sessions_app.models import DosingSession, Visit

    seed()
    enrolled = Participant.objects.filter(enrolled_on__isnull=False)
    assert enrolled.exists()
    for participant in enrolled:
        assert Visit.objects.filter(participant=participant).count() == 15
    today = datetime.date.today()  # noqa: DTZ011
    due_today = DosingSession.objects.filter(
        visit__code="D1", visit__target_date=today, status=DosingSession.Status.NOT_STARTED
    )
    assert due_today.count() == 3  # one per site, ready to be run in the demo
