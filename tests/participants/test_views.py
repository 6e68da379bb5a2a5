import datetime

import pytest
from django.urls import reverse

from audit.models import LogEntry
from participants.models import ParticipantIdentity
from tests.participants.factories import EnrolledParticipantFactory, IdentityFactory

pytestmark = pytest.mark.django_db

PARTICIPANT_URLS = ["detail", "identity", "identity_edit", "history"]


def _identity_post(identity, **overrides):
    data = {
        "version": identity.version,
        "given_name": identity.given_name,
        "family_name": identity.family_name,
        "date_of_birth": identity.date_of_birth.isoformat(),
        "sex": identity.sex,
        "phone": identity.phone,
        "email": identity.email,
        "address_line": identity.address_line,
        "city": identity.city,
        "postal_code": identity.postal_code,
        "country": identity.country,
        "support_contact_name": identity.support_contact_name,
        "support_contact_phone": identity.support_contact_phone,
        "reason": "Participant moved house",
    }
    data.update(overrides)
    return data


def test_pages_need_login(client, participant1):
    for name in PARTICIPANT_URLS:
        response = client.get(reverse(f"participants:{name}", args=[participant1.pk]))
        assert response.status_code == 302
        assert response.url.startswith(reverse("login"))


def test_therapist_list_shows_own_site_only(login, therapist, participant1, participant2):
    response = login(therapist).get(reverse("participants:list"))
    assert response.status_code == 200
    assert b"S01-0001" in response.content
    assert b"S02-0001" not in response.content


def test_filtering_by_another_sites_id_shows_nothing_of_it(
    login, therapist, participant1, participant2
):
    response = login(therapist).get(reverse("participants:list"), {"site": participant2.site_id})
    assert b"S02-0001" not in response.content
    assert b"Select a valid choice" in response.content


@pytest.mark.parametrize("name", PARTICIPANT_URLS)
def test_therapist_cannot_open_other_sites_participant(login, therapist, participant2, name):
    response = login(therapist).get(reverse(f"participants:{name}", args=[participant2.pk]))
    assert response.status_code == 404
    assert b"Bruno" not in response.content and b"S02-0001" not in response.content


def test_therapist_cannot_post_to_other_sites_identity(login, therapist, participant2):
    identity = participant2.identity
    response = login(therapist).post(
        reverse("participants:identity_edit", args=[participant2.pk]),
        _identity_post(identity, given_name="Hijacked"),
    )
    assert response.status_code == 404
    identity.refresh_from_db()
    assert identity.given_name == "Bruno"


@pytest.mark.parametrize("role", ["monitor", "sponsor"])
def test_sponsor_roles_never_see_identity(request, login, role, participant1):
    user = request.getfixturevalue(role)
    client = login(user)
    detail = client.get(reverse("participants:detail", args=[participant1.pk]))
    assert detail.status_code == 200
    assert b"Alice" not in detail.content and b"Ashdown" not in detail.content
    for name in ("identity", "identity_edit"):
        response = client.get(reverse(f"participants:{name}", args=[participant1.pk]))
        assert response.status_code == 404
        assert b"Alice" not in response.content


def test_monitor_sees_every_sites_participants(login, monitor, participant1, participant2):
    response = login(monitor).get(reverse("participants:list"))
    assert b"S01-0001" in response.content and b"S02-0001" in response.content


def test_viewing_an_identity_is_logged(login, therapist, participant1):
    response = login(therapist).get(reverse("participants:identity", args=[participant1.pk]))
    assert response.status_code == 200
    assert b"Alice Ashdown" in response.content
    access = LogEntry.objects.get_for_object(participant1.identity).filter(
        action=LogEntry.Action.ACCESS
    )
    assert access.count() == 1
    assert access.get().actor == therapist


def test_identity_edit_is_audited_with_actor_and_reason(login, therapist, participant1):
    identity = participant1.identity
    response = login(therapist).post(
        reverse("participants:identity_edit", args=[participant1.pk]),
        _identity_post(identity, city="Newtown"),
    )
    assert response.status_code == 302
    identity.refresh_from_db()
    assert identity.city == "Newtown"
    assert identity.version == 2
    entry = LogEntry.objects.get_for_object(identity).filter(action=LogEntry.Action.UPDATE).get()
    assert entry.actor == therapist
    assert entry.reason == "Participant moved house"
    assert "city" in entry.changes and "Newtown" not in str(entry.changes)


def test_identity_edit_without_reason_is_refused_and_keeps_input(login, therapist, participant1):
    identity = participant1.identity
    response = login(therapist).post(
        reverse("participants:identity_edit", args=[participant1.pk]),
        _identity_post(identity, city="Newtown", reason="  "),
    )
    assert response.status_code == 200
    form = response.context["form"]
    assert form.errors["reason"] == ["Say why this record is being changed."]
    assert b'value="Newtown"' in response.content
    identity.refresh_from_db()
    assert identity.city != "Newtown"


def test_impossible_date_of_birth_is_refused_beside_the_field(login, therapist, participant1):
    response = login(therapist).post(
        reverse("participants:identity_edit", args=[participant1.pk]),
        _identity_post(participant1.identity, date_of_birth="2099-01-01", phone="+44 1234"),
    )
    assert response.status_code == 200
    assert "date_of_birth" in response.context["form"].errors
    assert b"cannot be in the future" in response.content
    assert b'value="+44 1234"' in response.content


def test_second_of_two_concurrent_edits_is_refused(login, therapist, investigator, participant1):
    identity = participant1.identity
    url = reverse("participants:identity_edit", args=[participant1.pk])
    stale = _identity_post(identity, city="Firstville")
    # The investigator saves first, from the same version.
    first = login(investigator).post(url, _identity_post(identity, phone="+44 1111"))
    assert first.status_code == 302
    response = login(therapist).post(url, stale)
    assert response.status_code == 200
    assert b"changed by someone else" in response.content
    assert b'value="Firstville"' in response.content
    identity.refresh_from_db()
    assert identity.phone == "+44 1111"
    assert identity.city != "Firstville"
    # Saving the re-shown form again is a deliberate choice, made with the current values in view.
    form = response.context["form"]
    again = login(therapist).post(url, {**stale, "version": form["version"].value()})
    assert again.status_code == 302
    identity.refresh_from_db()
    assert identity.city == "Firstville"


def test_history_shows_who_what_when_and_why(login, therapist, participant1):
    client = login(therapist)
    client.post(
        reverse("participants:identity_edit", args=[participant1.pk]),
        _identity_post(participant1.identity, city="Newtown"),
    )
    response = client.get(reverse("participants:history", args=[participant1.pk]))
    assert response.status_code == 200
    content = response.content.decode()
    assert "Participant moved house" in content
    assert therapist.printed_name in content
    assert "Newtown" not in content  # identity values are masked


def test_sponsor_cannot_read_the_audit_trail(login, sponsor, participant1):
    response = login(sponsor).get(reverse("participants:history", args=[participant1.pk]))
    assert response.status_code == 403
    assert b"permission" in response.content


def test_list_query_count_does_not_grow_with_participants(
    login, therapist, site1, django_assert_max_num_queries
):
    client = login(therapist)
    url = reverse("participants:list")
    client.get(url)  # warm up session and content types
    for _ in range(3):
        IdentityFactory(participant=EnrolledParticipantFactory(site=site1))
    with django_assert_max_num_queries(50) as few:
        client.get(url)
    for _ in range(20):
        IdentityFactory(participant=EnrolledParticipantFactory(site=site1))
    with django_assert_max_num_queries(50) as many:
        response = client.get(url)
    assert len(response.context["participants"]) == 23
    assert len(many.captured_queries) == len(few.captured_queries)


def test_history_query_count_does_not_grow_with_entries(
    login, therapist, participant1, django_assert_max_num_queries
):
    client = login(therapist)
    url = reverse("participants:history", args=[participant1.pk])
    edit = reverse("participants:identity_edit", args=[participant1.pk])
    client.get(url)
    with django_assert_max_num_queries(60) as few:
        client.get(url)
    for n in range(5):
        identity = ParticipantIdentity.objects.get(pk=participant1.identity.pk)
        client.post(edit, _identity_post(identity, city=f"Town{n}"))
    client.get(url)  # shows (and so clears) the messages of the saves, as the first visit did
    with django_assert_max_num_queries(60) as many:
        client.get(url)
    assert len(many.captured_queries) == len(few.captured_queries)


def test_opening_the_identity_edit_form_is_logged_as_a_view(login, therapist, participant1):
    login(therapist).get(reverse("participants:identity_edit", args=[participant1.pk]))
    assert (
        LogEntry.objects.get_for_object(participant1.identity)
        .filter(action=LogEntry.Action.ACCESS, actor=therapist)
        .exists()
    )


def test_role_in_another_study_does_not_widen_the_participant_list(login, therapist, participant1):
    from accounts.models import Role
    from tests.accounts.factories import MembershipFactory, SiteFactory, StudyFactory

    other_site = SiteFactory(study=StudyFactory(code="OTHER"), number="07")
    outsider = EnrolledParticipantFactory(site=other_site, study_code="S07-0001")
    MembershipFactory(user=therapist, role=Role.STUDY_ADMIN, site=None, study=other_site.study)
    client = login(therapist)
    listing = client.get(reverse("participants:list")).content
    assert b"S01-0001" in listing and b"S07-0001" not in listing
    assert b"S07" not in client.get(reverse("home")).content
    assert client.get(reverse("participants:detail", args=[outsider.pk])).status_code == 404


def test_the_identity_form_works_on_29_february(login, therapist, participant1, monkeypatch):
    # 1900 has no 29 February: the check 120 years back must not crash.
    monkeypatch.setattr(
        "participants.validators.timezone.localdate", lambda: datetime.date(2020, 2, 29)
    )
    identity = participant1.identity
    response = login(therapist).post(
        reverse("participants:identity_edit", args=[participant1.pk]),
        _identity_post(identity, date_of_birth="1899-12-31", reason="Typo in the year"),
    )
    assert response.status_code == 200
    assert "more than 120 years ago" in str(response.context["form"].errors["date_of_birth"])
