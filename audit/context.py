"""The reason for a change, carried from the form that asked for it to the log entry it explains,
and the user a service acts for, recorded as the entry's actor."""

import contextlib
import functools
from collections.abc import Callable, Iterator
from contextvars import ContextVar

_reason: ContextVar[str] = ContextVar("audit_reason", default="")
_actor: ContextVar[object | None] = ContextVar("audit_actor", default=None)


@contextlib.contextmanager
def change_reason(reason: str) -> Iterator[None]:
    """Every audit entry written inside this block records `reason`.

    An empty `reason` keeps the reason of an enclosing block.
    """
    token = _reason.set(reason.strip() or _reason.get())
    try:
        yield
    finally:
        _reason.reset(token)


def current_reason() -> str:
    return _reason.get()


@contextlib.contextmanager
def acting_as(actor) -> Iterator[None]:
    """Every audit entry written inside this block names `actor` (a user) as who did it, whatever
    the request's user (a seeder, a Celery task, a command) or an enclosing block says."""
    token = _actor.set(actor)
    try:
        yield
    finally:
        _actor.reset(token)


def current_actor():
    return _actor.get()


def records_actor(service: Callable) -> Callable:
    """A service taking `actor=`: what it writes is recorded as that user's doing."""

    @functools.wraps(service)
    def wrapper(*args, actor, **kwargs):
        if actor is None:
            raise ValueError(f"{service.__name__} needs the user it acts for (actor=).")
        with acting_as(actor):
            return service(*args, actor=actor, **kwargs)

    return wrapper
