"""Shared fixtures: a study with two sites side by side, and one account per role."""

import pytest
from django.core.management.commands import flush
from django.db import connection
from django.test import TransactionTestCase

from accounts.models import Role
from tests.accounts.factories import (
    TEST_PASSWORD,
    MembershipFactory,
    SiteFactory,
    StudyFactory,
    UserFactory,
)
from tests.participants.factories import EnrolledParticipantFactory, IdentityFactory

_original_fixture_teardown = TransactionTestCase._fixture_teardown


_original_sql_flush = flush.sql_flush


def _sql_flush_cascading(style, connection, reset_sequences=True, allow_cascade=False):
    # django-auditlog's own (unused, swapped-out) entry table references the user table, so a
    # flush must TRUNCATE ... CASCADE on PostgreSQL.
    return _original_sql_flush(
        style, connection, reset_sequences=reset_sequences, allow_cascade=True
    )


def _fixture_teardown_lifting_truncate_guard(self):
    """Transactional tests end with a TRUNCATE of every table, which the audit table refuses.

    Only the test harness lifts that guard, for the flush alone; row UPDATE/DELETE stay refused.
    """
    if connection.vendor != "postgresql":
        return _original_fixture_teardown(self)
    with connection.cursor() as cursor:
        cursor.execute("ALTER TABLE audit_logentry DISABLE TRIGGER audit_logentry_no_truncate")
    flush.sql_flush = _sql_flush_cascading
    try:
        return _original_fixture_teardown(self)
    finally:
        flush.sql_flush = _original_sql_flush
        with connection.cursor() as cursor:
            cursor.execute("ALTER TABLE audit_logentry ENABLE TRIGGER audit_logentry_no_truncate")


TransactionTestCase._fixture_teardown = _fixture_teardown_lifting_truncate_guard


@pytest.fixture
def password():
    return TEST_PASSWORD


@pytest.fixture
def study(db):
    return StudyFactory(code="MAPP-TEST", name="Test study")


@pytest.fixture
def site1(study):
    return SiteFactory(study=study, number="01", name="First Site")


@pytest.fixture
def site2(study):
    return SiteFactory(study=study, number="02", name="Second Site")


def _member(username, role, site=None, study=None):
    user = UserFactory(username=username)
    MembershipFactory(user=user, role=role, site=site, study=study or site.study)
    return user


@pytest.fixture
def therapist(site1):
    return _member("therapist", Role.THERAPIST, site=site1)


@pytest.fixture
def investigator(site1):
    return _member("investigator", Role.INVESTIGATOR, site=site1)


@pytest.fixture
def therapist2(site2):
    return _member("therapist2", Role.THERAPIST, site=site2)


@pytest.fixture
def monitor(study, site1, site2):
    return _member("monitor", Role.MONITOR, study=study)


@pytest.fixture
def sponsor(study, site1, site2):
    return _member("sponsor", Role.DATA_MANAGER, study=study)


@pytest.fixture
def study_admin(study):
    user = _member("admin", Role.STUDY_ADMIN, study=study)
    user.is_staff = True
    user.save()
    return user


def _enrolled(site, given_name, family_name):
    """The first enrolled participant of `site`, with an identity."""
    participant = EnrolledParticipantFactory(
        site=site,
        study_code=f"S{site.number}-0001",
        screening_number=f"SCR{site.number}-0001",
    )
    IdentityFactory(participant=participant, given_name=given_name, family_name=family_name)
    return participant


@pytest.fixture
def participant1(site1):
    """S01-0001, Alice Ashdown, of site 1."""
    return _enrolled(site1, "Alice", "Ashdown")


@pytest.fixture
def participant2(site2):
    """S02-0001, Bruno Bexley, of site 2."""
    return _enrolled(site2, "Bruno", "Bexley")


@pytest.fixture
def login(client):
    """Log a user in on the test client; returns the client."""

    def _login(user):
        client.force_login(user)
        return client

    return _login
