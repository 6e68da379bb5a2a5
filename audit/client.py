"""The address of the client a request comes from, for the audit trail and the login lockout.

Without a proxy it is the connection's address. Behind reverse proxies the connection comes
from the nearest proxy; each proxy appends the address it saw to X-Forwarded-For, so with
`TRUSTED_PROXY_COUNT` proxies in front of the app the client's address is the N-th entry from
the right. Entries further left were written by the client itself and are never trusted; with no
trusted proxy configured the header is ignored altogether.
"""

import ipaddress

from django.conf import settings
from django.http import HttpRequest


def client_address(request: HttpRequest) -> str | None:
    remote = request.META.get("REMOTE_ADDR")
    proxies = settings.TRUSTED_PROXY_COUNT
    if proxies > 0:
        forwarded = [a.strip() for a in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
        forwarded = [a for a in forwarded if a]
        if len(forwarded) >= proxies:
            candidate = forwarded[-proxies]
            try:
                return str(ipaddress.ip_address(candidate))
            except ValueError:
                pass
    return remote
