from queries.selectors import waiting_for


def queries_waiting(request):
    """The number of queries waiting for the user, for the navigation's badge, and the worklist
    that shows them: one COUNT query, none for users whose roles answer or review no query (the
    user's scope is cached for the request by the navigation's roles)."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    waiting = waiting_for(user=user)
    if waiting is None:
        return {}
    return {"queries_waiting": waiting.count(), "queries_waiting_url": waiting.url}
