from django.conf import settings

from accounts.selectors import user_scope


def user_roles(request):
    """The memberships shown in the navigation: who is logged in, their role and site."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {
        "user_memberships": user_scope(user).memberships,
        "idle_timeout": settings.SESSION_IDLE_TIMEOUT,
    }
