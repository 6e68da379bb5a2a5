"""Writes about accounts that the Django admin does not do: unlocking a locked-out account."""

from axes.handlers.proxy import AxesProxyHandler
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction

from accounts.models import User
from accounts.selectors import UNLOCK_USER, locked_out_accounts
from audit.context import change_reason, records_actor
from audit.models import LogEntry
from audit.services import event_log

UNLOCK_REFUSED = "Only a study administrator can unlock accounts."
UNLOCK_REASON_REQUIRED = "Say why this account is being unlocked (for example, who asked and how)."
NOT_LOCKED = "This account is not locked out (any more)."


@records_actor
def account_unlock(*, actor: User, account: User, reason: str) -> LogEntry:
    """Lift the lockout of `account` (every failed log-in of its username is forgotten).

    The unlock is written to the audit trail as a change of the account, with who did it, when,
    the failed log-ins it forgave and the reason.
    """
    if not actor.has_perm(UNLOCK_USER):
        raise PermissionDenied(UNLOCK_REFUSED)
    reason = reason.strip()
    if not reason:
        raise ValidationError({"reason": UNLOCK_REASON_REQUIRED})
    lockout = next(
        (row for row in locked_out_accounts(user=actor) if row.account.pk == account.pk), None
    )
    if lockout is None:
        raise ValidationError(NOT_LOCKED)
    with transaction.atomic(), change_reason(reason):
        AxesProxyHandler.reset_attempts(username=account.get_username())
        return event_log(
            actor=actor,
            instance=account,
            action=LogEntry.Action.UPDATE,
            changes={"lockout": ["locked out", "unlocked"]},
            additional_data={
                "unlocked": {
                    "failures": lockout.failures,
                    "last_failure": lockout.last_failure.isoformat(),
                }
            },
        )
