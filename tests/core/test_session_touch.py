"""The idle timeout slides with use, with the session saved at most once a minute."""

import time

from django.contrib.sessions.models import Session

from jiuye.core.middleware import SessionTouchMiddleware


def _session(client) -> Session:
    return Session.objects.get(session_key=client.session.session_key)


def test_session_saved_once_a_minute_not_on_every_request(staff, client_for):
    client = client_for(staff["county_operator"])
    client.get("/")
    first = _session(client)
    assert first.get_decoded()["_touched"] > 0

    # Within the minute: no write, so the row (and its expiry) stays as it was.
    client.get("/")
    assert _session(client).expire_date == first.expire_date

    # A minute later the next request slides the expiry forward.
    session = client.session
    session["_touched"] = int(time.time()) - SessionTouchMiddleware.INTERVAL_SECONDS - 1
    session.save()
    saved = _session(client).expire_date
    time.sleep(1.1)
    client.get("/")
    assert _session(client).expire_date > saved
