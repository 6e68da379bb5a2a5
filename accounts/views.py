from django.conf import settings
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, JsonResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from accounts.forms import LoginForm, UnlockForm
from accounts.middleware import record_activity
from accounts.selectors import UNLOCK_USER, address_locked_out, locked_out_accounts
from accounts.services import UNLOCK_REFUSED, account_unlock


@require_POST
@login_required
def keepalive(request):
    """Called by the page while the user is typing or clicking, so that a long form (a session
    flowsheet, notes) does not time out under their hands. The idle timeout middleware has already
    recorded this request as activity; here it is written at once, whatever the resolution, so
    that the page's count-down matches the server's."""
    record_activity(request)
    return JsonResponse({"idle_timeout": settings.SESSION_IDLE_TIMEOUT})


def _lockouts_page(request, bound: UnlockForm | None = None, status: int = 200):
    lockouts = locked_out_accounts(user=request.user)
    rows = [
        (
            lockout,
            bound
            if bound is not None and bound.account.pk == lockout.account.pk
            # An unbound form per account; the one posted keeps what was typed.
            else UnlockForm(account=lockout.account),
        )
        for lockout in lockouts
    ]
    return render(request, "accounts/lockouts.html", {"rows": rows}, status=status)


@login_required
def lockouts(request):
    """The study administrator's list of accounts locked out after failed log-ins."""
    if not request.user.has_perm(UNLOCK_USER):
        raise PermissionDenied(UNLOCK_REFUSED)
    return _lockouts_page(request)


@require_POST
@login_required
def unlock(request, pk: int):
    """Unlock one account, with a reason (audited)."""
    if not request.user.has_perm(UNLOCK_USER):
        raise PermissionDenied(UNLOCK_REFUSED)
    lockout = next(
        (row for row in locked_out_accounts(user=request.user) if row.account.pk == pk), None
    )
    if lockout is None:
        raise Http404("No such locked-out account.")
    account = lockout.account
    form = UnlockForm(request.POST, account=account)
    if form.is_valid():
        try:
            account_unlock(actor=request.user, account=account, reason=form.cleaned_data["reason"])
        except ValidationError as error:
            form.add_error("reason" if hasattr(error, "error_dict") else None, error.messages)
        else:
            messages.success(request, f"{account.get_username()} is unlocked and can log in again.")
            return redirect("lockouts")
    return _lockouts_page(request, bound=form)


class LoginView(auth_views.LoginView):
    """The log-in page. Beyond django-axes' lockout of one username at one address, an address
    that fails for many usernames (someone trying accounts in turn) is refused for the cool-off
    time too, whichever username it tries next."""

    authentication_form = LoginForm
    redirect_authenticated_user = True

    def post(self, request, *args, **kwargs):
        if address_locked_out(request):
            return render(
                request, settings.AXES_LOCKOUT_TEMPLATE, {"address_locked": True}, status=429
            )
        return super().post(request, *args, **kwargs)
