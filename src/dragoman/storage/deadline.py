"""A whole remote storage call bounded in time, and stopped by a cancel.

Socket timeouts bound each wait, not a call: a host that answers one byte every few seconds never
trips a 15 s read timeout, and held both workers for minutes in the 2026 review (a 39-byte blob took
156 s). So each call to a remote store gets its own HTTP session whose connections register their
sockets; it runs on a thread of its own while the caller waits for it, and when the call's deadline
passes or the task it serves is cancelled, the caller stops waiting (DeadlineExceeded, or Aborted)
and shuts those sockets down, so the abandoned call ends a moment later too.

The task a call serves is known from `abortable(should_abort)`, which the runner wraps around a task's
storage work (a context variable, so stores keep their simple signatures).
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from contextvars import ContextVar
from typing import TYPE_CHECKING, TypeVar

from dragoman.abort import AbortCheck, Aborted, never_abort
from dragoman.errors import AccessDenied

if TYPE_CHECKING:  # requests is loaded with the first blob call: local folders never need it
    import requests

__all__ = ["DeadlineExceeded", "abortable", "call_bounded"]

T = TypeVar("T")

_WATCH_SECONDS = 0.05
_should_abort: ContextVar[AbortCheck] = ContextVar("storage_should_abort", default=never_abort)


class DeadlineExceeded(AccessDenied):
    """A remote storage call did not finish within its deadline."""


@contextmanager
def abortable(should_abort: AbortCheck) -> Iterator[None]:
    """Remote storage calls made inside the block stop (Aborted) as soon as `should_abort()` says so."""
    token = _should_abort.set(should_abort)
    try:
        yield
    finally:
        _should_abort.reset(token)


class _Sockets:
    """The sockets of one call's connections; `cut` shuts them all down, now and for any opened later."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._open: list[socket.socket] = []
        self._cut = False

    def add(self, sock: socket.socket) -> None:
        with self._lock:
            self._open.append(sock)
            if not self._cut:
                return
        _shutdown(sock)

    def cut(self) -> None:
        with self._lock:
            self._cut = True
            sockets = list(self._open)
        for sock in sockets:
            _shutdown(sock)


def _shutdown(sock: socket.socket) -> None:
    with suppress(OSError):
        sock.shutdown(socket.SHUT_RDWR)


def _session(sockets: _Sockets) -> requests.Session:
    import requests
    from requests.adapters import HTTPAdapter
    from urllib3.connection import HTTPConnection, HTTPSConnection
    from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool

    class Connection(HTTPConnection):
        def _new_conn(self) -> socket.socket:
            sock = super()._new_conn()
            sockets.add(sock)
            return sock

    class SecureConnection(HTTPSConnection):
        def _new_conn(self) -> socket.socket:
            sock = super()._new_conn()
            sockets.add(sock)
            return sock

    class Pool(HTTPConnectionPool):
        ConnectionCls = Connection

    class SecurePool(HTTPSConnectionPool):
        ConnectionCls = SecureConnection

    adapter = HTTPAdapter(max_retries=0)
    adapter.poolmanager.pool_classes_by_scheme = {"http": Pool, "https": SecurePool}
    session = requests.Session()
    session.trust_env = False  # no proxy or .netrc from the environment for a caller's URL
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    return session


def call_bounded(call: Callable[[requests.Session], T], seconds: float, what: str) -> T:
    """`call(session)` on a thread of its own, with an HTTP session made for it, waited for at most
    `seconds` in all. Raises DeadlineExceeded (naming `what`) past the deadline, and Aborted as soon
    as the task it serves is cancelled (within about 50 ms): either way the call's connections are shut
    down, and the abandoned call ends on its own a moment later. Whatever `call` raises is raised."""
    should_abort = _should_abort.get()
    sockets = _Sockets()
    done = threading.Event()
    outcome: list[T] = []
    failure: list[BaseException] = []

    def run() -> None:
        session = _session(sockets)
        try:
            outcome.append(call(session))
        except BaseException as exc:  # handed to the waiting caller
            failure.append(exc)
        finally:
            session.close()
            done.set()

    threading.Thread(target=run, name="dragoman-storage-call", daemon=True).start()
    deadline = time.monotonic() + seconds
    while not done.wait(_WATCH_SECONDS):
        if should_abort():
            sockets.cut()
            raise Aborted()
        if time.monotonic() >= deadline:
            sockets.cut()
            raise DeadlineExceeded(f"{what} did not finish within {seconds:g} s")
    if failure:
        raise failure[0]
    return outcome[0]
