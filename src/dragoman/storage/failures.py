"""Network failures of a storage call in words a caller can act on. Exception class names of the
HTTP stacks underneath (`ConnectTimeoutError`, `EndpointConnectionError`) are internal words: they
go to the server's log, never into an answer (issue 10 §4)."""

from __future__ import annotations

__all__ = ["unreachable"]


def unreachable(exc: BaseException) -> str:
    """Why a storage server gave no usable answer, for an error message: it did not answer in time,
    or it could not be reached (refused, unknown host, connection cut)."""
    if "timeout" in type(exc).__name__.lower() or isinstance(exc, TimeoutError):
        return "the storage server did not answer in time"
    return "the storage server could not be reached"
