from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import JsonResponse
from django.views.decorators.http import require_POST

from accounts.middleware import record_activity


@require_POST
@login_required
def keepalive(request):
    """Called by the page while the user is typing or clicking, so that a long form (a session
    flowsheet, notes) does not time out under their hands. The idle timeout middleware has already
    recorded this request as activity; here it is written at once, whatever the resolution, so
    that the page's count-down matches the server's."""
    record_activity(request)
    return JsonResponse({"idle_timeout": settings.SESSION_IDLE_TIMEOUT})
