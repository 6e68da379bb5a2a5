"""The reason for a change, carried from the form that asked for it to the log entry it explains."""

import contextlib
from collections.abc import Iterator
from contextvars import ContextVar

_reason: ContextVar[str] = ContextVar("audit_reason", default="")


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
