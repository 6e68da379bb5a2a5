"""A locked casebook's refusal that no page caught reaches the user as a message on the page they
came from, not as a server error."""

from django.contrib.messages import get_messages
from django.contrib.messages.storage.fallback import FallbackStorage
from django.contrib.sessions.backends.signed_cookies import SessionStore

from participants.casebook import CasebookLocked
from participants.middleware import CasebookLockedMiddleware

MESSAGE = "This participant's casebook is locked (by Ada Admin on 01 Dec 2026): no change…"


def _request(rf, referer: str):
    request = rf.post("/sessions/1/", HTTP_REFERER=referer)
    request.session = SessionStore()
    request._messages = FallbackStorage(request)
    return request


def _middleware():
    return CasebookLockedMiddleware(lambda request: None)


def test_the_refusal_is_told_on_the_page_the_user_came_from(rf):
    request = _request(rf, "http://testserver/sessions/1/")
    response = _middleware().process_exception(request, CasebookLocked(MESSAGE))
    assert response.status_code == 302
    assert response["Location"] == "http://testserver/sessions/1/"
    assert [str(m) for m in get_messages(request)] == [MESSAGE]


def test_another_sites_address_is_not_followed(rf):
    request = _request(rf, "https://elsewhere.example/")
    response = _middleware().process_exception(request, CasebookLocked(MESSAGE))
    assert response["Location"] == "/"


def test_other_errors_pass_on(rf):
    assert _middleware().process_exception(_request(rf, ""), ValueError("no")) is None
