from auditlog.middleware import AuditlogMiddleware as BaseAuditlogMiddleware

from audit.client import client_address


class AuditlogMiddleware(BaseAuditlogMiddleware):
    """auditlog's middleware, recording the client's address as audit/client.py finds it.

    X-Forwarded-For is whatever the client sends: only the entries the trusted proxies wrote
    (`TRUSTED_PROXY_COUNT`) count; without trusted proxies the trail keeps what the server saw.
    """

    @staticmethod
    def _get_remote_addr(request):
        return client_address(request)

    @staticmethod
    def _get_remote_port(request):
        return None
