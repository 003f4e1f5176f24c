"""Keeps the current request's client address where actions can record it in the audit log."""

from contextvars import ContextVar

_client_ip: ContextVar[str | None] = ContextVar("jiuye_client_ip", default=None)


def current_client_ip() -> str | None:
    return _client_ip.get()


def client_ip_of(request) -> str | None:
    # Behind the bureau's reverse proxy the first X-Forwarded-For hop is the client; the proxy
    # must overwrite the header, which is how the deployment guide configures it.
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    if forwarded:
        return forwarded.split(",")[0].strip() or None
    return request.META.get("REMOTE_ADDR") or None


class RequestContextMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        token = _client_ip.set(client_ip_of(request))
        try:
            return self.get_response(request)
        finally:
            _client_ip.reset(token)


class SessionTouchMiddleware:
    """Slides the idle timeout without writing the session on every request.

    ``SESSION_SAVE_EVERY_REQUEST`` would write (and commit) the session row on each request,
    which on PostgreSQL puts a commit into every page and API call. Saving once a minute keeps
    the 30-minute idle timeout exact to the minute and leaves reads read-only."""

    INTERVAL_SECONDS = 60

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        import time

        response = self.get_response(request)
        session = getattr(request, "session", None)
        if session is not None and not session.is_empty():
            now = int(time.time())
            if now - int(session.get("_touched", 0)) >= self.INTERVAL_SECONDS:
                session["_touched"] = now
        return response
