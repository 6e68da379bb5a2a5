"""Re-entering a password to attest or sign, outside the login form.

(Interface in place; lockout through django-axes is being wired in.)
"""

from accounts.models import User


class PasswordRefusedError(Exception):
    """The password was wrong, or the account is locked out after too many wrong ones."""


def password_confirm(*, user: User, password: str, request=None) -> None:
    """Raise PasswordRefusedError unless `password` is `user`'s and the account may be used."""
    if not user.is_active or not user.check_password(password):
        raise PasswordRefusedError(f"That is not {user.printed_name}'s password.")
