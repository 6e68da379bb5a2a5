"""The audit chain's advisory lock is taken once a transaction (a reading posted used to take it
twice: the casebook guard's, then its entry's), and again whenever it may have been released."""

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from audit.models import CHAIN_LOCK_KEY, chain_lock

LOCK_SQL = "pg_advisory_xact_lock"


def _locks_taken(action) -> int:
    with CaptureQueriesContext(connection) as queries:
        action()
    return sum(LOCK_SQL in q["sql"] for q in queries.captured_queries)


def _held() -> bool:
    """Whether this connection holds the chain's lock, as PostgreSQL sees it."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND pid = pg_backend_pid()"
            " AND objid = %s AND granted",
            [CHAIN_LOCK_KEY],
        )
        return cursor.fetchone()[0] > 0


@pytest.mark.django_db(transaction=True)
def test_lock_taken_once_per_transaction_and_again_in_the_next():
    with transaction.atomic():
        assert _locks_taken(chain_lock) == 1
        with transaction.atomic():  # a savepoint, released: its locks stay with the transaction
            assert _locks_taken(chain_lock) == 0
        assert _locks_taken(chain_lock) == 0
        assert _held()
    assert not _held()
    with transaction.atomic():
        assert _locks_taken(chain_lock) == 1
        assert _held()


@pytest.mark.django_db(transaction=True)
def test_lock_taken_again_after_the_savepoint_that_took_it_is_rolled_back():
    with transaction.atomic():
        try:
            with transaction.atomic():
                assert _locks_taken(chain_lock) == 1
                raise ValueError
        except ValueError:
            pass
        assert not _held()  # PostgreSQL released it with the savepoint
        assert _locks_taken(chain_lock) == 1
        assert _held()


@pytest.mark.django_db(transaction=True)
def test_lock_taken_again_after_a_rolled_back_transaction():
    with transaction.atomic():
        chain_lock()
        transaction.set_rollback(True)
    with transaction.atomic():
        assert _locks_taken(chain_lock) == 1
