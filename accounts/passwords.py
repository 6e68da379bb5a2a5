"""Re-entering a password to attest or sign, outside the login form.

Every re-entered password goes through `password_confirm`. With the request, it is checked as a
login attempt through django-axes: a wrong one counts toward the same lockout as the login form
(per username and address), a locked-out account is refused even with the right password, and the
right one clears the earlier failures, as a login does.
"""

from datetime import timedelta

from axes.conf import settings
from axes.handlers.proxy import AxesProxyHandler
from axes.helpers import get_cool_off
from django.contrib.auth import authenticate
from django.http import HttpRequest

from accounts.models import User


class PasswordRefusedError(Exception):
    """The password was wrong, or the account is locked out after too many wrong ones."""


class AccountLockedError(PasswordRefusedError):
    """Too many wrong passwords: the account is locked out, whatever the password typed."""


def _duration(delta: timedelta) -> str:
    minutes = max(1, round(delta.total_seconds() / 60))
    if minutes % 60:
        return f"{minutes} minute{'s' if minutes != 1 else ''}"
    hours = minutes // 60
    return f"{hours} hour{'s' if hours != 1 else ''}"


def _refused(user: User) -> PasswordRefusedError:
    return PasswordRefusedError(f"That is not {user.printed_name}'s password.")


def password_confirm(*, user: User, password: str, request: HttpRequest | None = None) -> None:
    """Raise PasswordRefusedError unless `password` is `user`'s and the account may be used.

    With `request`, the attempt is recorded by django-axes: call this before opening a transaction
    that its refusal would roll back, or the recorded failure is rolled back with it. The refusal
    of a locked-out account is an AccountLockedError, whose message says for how long.

    Without a request (services called from tests or management commands), a plain check that
    still refuses inactive users; nothing is recorded.
    """
    if request is None:
        if not user.is_active or not user.check_password(password):
            raise _refused(user)
        return
    flagged_before = getattr(request, "axes_locked_out", False)
    authenticated = authenticate(request, username=user.get_username(), password=password)
    locked_out = getattr(request, "axes_locked_out", False)
    # The request is the page of the user at the device, not a login: left set, the flag would
    # make AxesMiddleware replace that page, and everything typed on it, by the lockout page.
    if hasattr(request, "axes_locked_out"):
        request.axes_locked_out = flagged_before
    if locked_out:
        cool_off = get_cool_off(request)
        until = (
            f"is locked for {_duration(cool_off)}"
            if cool_off
            else "is locked until a study administrator unlocks it"
        )
        raise AccountLockedError(
            f"Too many wrong passwords for {user.printed_name}: this account {until}."
        )
    if authenticated is None or authenticated.pk != user.pk:
        raise _refused(user)
    if settings.AXES_ENABLED and settings.AXES_RESET_ON_SUCCESS:
        # As a login does (AXES_RESET_ON_SUCCESS): clear the failures of this username here.
        AxesProxyHandler.reset_attempts(
            username=user.get_username(), ip_address=request.axes_ip_address
        )
