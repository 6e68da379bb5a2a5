"""Request-wide settings of the signed-in user: the idle timeout and the time zone of their site."""

import time

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.utils import timezone

from accounts.selectors import user_scope

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


def activate_site_time_zone(site) -> None:
    """For the rest of the request, times are those of `site` (a page about its records)."""
    timezone.activate(site.zoneinfo)


class SiteTimeZoneMixin:
    """A page about one site's record shows its times, and reads times typed into its forms, in
    that site's time zone, whatever the zones of the user's other sites.

    The view loads its record in `dispatch` before calling up to this mixin, and names the
    record's site in `time_zone_site` (None: a page about no record yet, which keeps the user's
    zone). The zone is active before any form is bound and any template renders.
    """

    def time_zone_site(self):
        raise NotImplementedError(f"{type(self).__name__} must name the site of its record.")

    def dispatch(self, request, *args, **kwargs):
        site = self.time_zone_site()
        if site is not None:
            activate_site_time_zone(site)
        return super().dispatch(request, *args, **kwargs)
