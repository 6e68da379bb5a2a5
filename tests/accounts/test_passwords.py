"""A re-entered password counts toward the same django-axes lockout as the login form."""

import datetime

import pytest
from axes.models import AccessAttempt
from django.test import RequestFactory
from django.urls import reverse

from accounts.passwords import AccountLockedError, PasswordRefusedError, password_confirm

pytestmark = pytest.mark.django_db


def page_request():
    """A fresh request of someone at the device (not a login), as each re-entry is."""
    return RequestFactory().post("/sessions/1/", {"action": "attest-co"})


def failures(user) -> int:
    return sum(
        AccessAttempt.objects.filter(username=user.get_username()).values_list(
            "failures_since_start", flat=True
        )
    )


def test_right_password_is_confirmed(investigator, password):
    password_confirm(user=investigator, password=password, request=page_request())
    assert failures(investigator) == 0


def test_wrong_password_is_refused_and_counted_once(investigator):
    with pytest.raises(PasswordRefusedError) as caught:
        password_confirm(user=investigator, password="wrong", request=page_request())
    assert not isinstance(caught.value, AccountLockedError)
    assert str(caught.value) == f"That is not {investigator.printed_name}'s password."
    assert failures(investigator) == 1


def test_too_many_wrong_passwords_lock_the_account_even_for_the_right_one(
    investigator, password, settings
):
    for attempt in range(1, settings.AXES_FAILURE_LIMIT + 1):
        request = page_request()
        with pytest.raises(PasswordRefusedError) as caught:
            password_confirm(user=investigator, password="wrong", request=request)
        # The last one reaches the limit and says so.
        locked = attempt == settings.AXES_FAILURE_LIMIT
        assert isinstance(caught.value, AccountLockedError) is locked
        # AxesMiddleware must not turn the page into its lockout page.
        assert request.axes_locked_out is False

    with pytest.raises(AccountLockedError) as caught:
        password_confirm(user=investigator, password=password, request=page_request())
    assert str(caught.value) == (
        f"Too many wrong passwords for {investigator.printed_name}: this account is locked for "
        "15 minutes."
    )


def test_the_lockout_message_reads_the_cool_off_from_the_settings(investigator, settings):
    settings.AXES_COOLOFF_TIME = datetime.timedelta(hours=1)
    settings.AXES_FAILURE_LIMIT = 1
    with pytest.raises(AccountLockedError, match="this account is locked for 1 hour."):
        password_confirm(user=investigator, password="wrong", request=page_request())


def test_an_account_locked_at_the_login_form_is_refused_here(
    client, investigator, password, settings
):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        client.post(reverse("login"), {"username": investigator.username, "password": "wrong"})
    with pytest.raises(AccountLockedError):
        password_confirm(user=investigator, password=password, request=page_request())


def test_wrong_passwords_here_lock_the_login_form(client, investigator, password, settings):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        with pytest.raises(PasswordRefusedError):
            password_confirm(user=investigator, password="wrong", request=page_request())
    response = client.post(
        reverse("login"), {"username": investigator.username, "password": password}
    )
    assert response.status_code == 429
    assert "_auth_user_id" not in client.session


def test_the_right_password_after_fewer_failures_works_and_clears_them(
    investigator, password, settings
):
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        with pytest.raises(PasswordRefusedError):
            password_confirm(user=investigator, password="wrong", request=page_request())
    password_confirm(user=investigator, password=password, request=page_request())
    assert failures(investigator) == 0
    # The count starts again: one more wrong password does not lock the account.
    with pytest.raises(PasswordRefusedError) as caught:
        password_confirm(user=investigator, password="wrong", request=page_request())
    assert not isinstance(caught.value, AccountLockedError)


def test_an_inactive_account_is_refused_with_or_without_the_request(investigator, password):
    investigator.is_active = False
    investigator.save()
    with pytest.raises(PasswordRefusedError):
        password_confirm(user=investigator, password=password, request=page_request())
    with pytest.raises(PasswordRefusedError):
        password_confirm(user=investigator, password=password)


def test_without_a_request_the_password_is_checked_and_nothing_counted(investigator, password):
    password_confirm(user=investigator, password=password)
    with pytest.raises(PasswordRefusedError, match="That is not"):
        password_confirm(user=investigator, password="wrong")
    assert failures(investigator) == 0
