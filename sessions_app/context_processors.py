from accounts.selectors import user_scope
from sessions_app.selectors import VIEW_ALERT, open_alert_count


def open_alerts(request):
    """The number of open vital-sign alerts, for the navigation's badge: one COUNT query.

    Only for users whose role shows alerts at some site. The user's scope is cached on the user
    for the request (the navigation's roles already computed it), so the count is the only query.
    """
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated or not user_scope(user).sites_with(VIEW_ALERT):
        return {}
    return {"open_alert_count": open_alert_count(user=user)}
