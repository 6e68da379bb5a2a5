from auditlog.middleware import AuditlogMiddleware as BaseAuditlogMiddleware


class AuditlogMiddleware(BaseAuditlogMiddleware):
    """auditlog's middleware, recording the connection's address rather than a client's header.

    X-Forwarded-For is whatever the client sends; the audit trail keeps what the server saw.
    Behind a reverse proxy that is the proxy's address (set the proxy to log client addresses).
    """

    @staticmethod
    def _get_remote_addr(request):
        return request.META.get("REMOTE_ADDR")

    @staticmethod
    def _get_remote_port(request):
        return None
