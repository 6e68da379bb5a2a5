import pytest

from accounts.models import Membership, Role
from accounts.selectors import user_scope
from tests.accounts.factories import MembershipFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_therapist_may_see_identity_at_own_site_only(therapist, participant1, participant2):
    assert therapist.has_perm("participants.view_participantidentity", participant1)
    assert not therapist.has_perm("participants.view_participantidentity", participant2)
    assert not therapist.has_perm("participants.view_participant", participant2)


def test_monitor_reads_every_site_but_never_identity(monitor, participant1, participant2):
    for participant in (participant1, participant2):
        assert monitor.has_perm("participants.view_participant", participant)
        assert not monitor.has_perm("participants.view_participantidentity", participant)
    assert user_scope(monitor).identity_site_ids == frozenset()


def test_sponsor_data_manager_may_export_but_not_read_identity_or_audit(sponsor, participant1):
    assert sponsor.has_perm("participants.export_deidentified")
    assert not sponsor.has_perm("participants.view_participantidentity", participant1)
    assert not sponsor.has_perm("audit.view_logentry", participant1)


def test_only_investigators_sign(therapist, investigator):
    assert investigator.has_perm("participants.sign_participant")
    assert not therapist.has_perm("participants.sign_participant")


def test_role_at_one_site_grants_nothing_at_another(site1, site2, participant2):
    user = UserFactory(username="dual")
    MembershipFactory(user=user, role=Role.INVESTIGATOR, site=site1)
    MembershipFactory(user=user, role=Role.THERAPIST, site=site2)
    assert user.has_perm("participants.sign_participant")  # somewhere
    assert not user.has_perm("participants.sign_participant", participant2)  # not at site 2
    assert user.has_perm("participants.view_participantidentity", participant2)


def test_inactive_membership_grants_nothing(site1, participant1):
    user = UserFactory(username="former")
    MembershipFactory(user=user, role=Role.THERAPIST, site=site1, is_active=False)
    assert not user.has_perm("participants.view_participant")
    assert user_scope(user).sites_with("participants.view_participant") == frozenset()


def test_site_role_needs_a_site_and_study_role_none(site1, study):
    user = UserFactory(username="misfiled")
    bad = [
        Membership(user=user, study=study, site=None, role=Role.THERAPIST),
        Membership(user=user, study=study, site=site1, role=Role.MONITOR),
    ]
    for membership in bad:
        with pytest.raises(Exception, match="site"):
            membership.full_clean()
