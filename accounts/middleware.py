"""Request-wide settings of the signed-in user: the idle timeout and the time zone of their site."""

import time

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.utils import timezone

from accounts.selectors import user_scope

LAST_ACTIVITY_KEY = "trialsite_last_activity"
# The activity time is written at most this often (seconds): a page's many requests do not each
# write the session, which on SQLite would make concurrent requests wait on one another.
ACTIVITY_RESOLUTION = 60


def record_activity(request, now: int | None = None) -> None:
    request.session[LAST_ACTIVITY_KEY] = int(time.time()) if now is None else now


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
            elif now - last >= ACTIVITY_RESOLUTION or LAST_ACTIVITY_KEY not in request.session:
                record_activity(request, now)
        return self.get_response(request)


class PrivatePagesMiddleware:
    """A page shown to a signed-in user is never stored by the browser or a proxy: pages show
    identity, confidential notes and clinical data, on computers that clinic staff share."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if request.user.is_authenticated and not response.has_header("Cache-Control"):
            response["Cache-Control"] = "no-store, private"
        return response


class SiteTimeZoneMiddleware:
    """Times are entered and shown in the time zone of the user's site.

    Staff whose sites share one time zone work in it. Users across time zones (a monitor of a
    study spanning continents) see the server's TIME_ZONE, and pages about one site's records
    switch to that site's zone (see `SiteTimeZoneMixin`).
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        zone = user_scope(request.user).time_zone if request.user.is_authenticated else None
        if zone:
            timezone.activate(zone)
        else:
            timezone.deactivate()
        try:
            return self.get_response(request)
        finally:
            timezone.deactivate()
