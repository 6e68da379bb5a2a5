"""Ends a session after a period without activity, and says so on the login page."""

import time

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout

LAST_ACTIVITY_KEY = "trialsite_last_activity"


class IdleTimeoutMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.user.is_authenticated:
            now = int(time.time())
            last = request.session.get(LAST_ACTIVITY_KEY, now)
            if now - last > settings.SESSION_IDLE_TIMEOUT:
                logout(request)
                messages.warning(
                    request,
                    "Your session expired after a period of inactivity. Please log in again.",
                )
            else:
                request.session[LAST_ACTIVITY_KEY] = now
        return self.get_response(request)
