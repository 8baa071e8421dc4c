"""Jobs held by their submitter: created, but not claimable until the submitter decides to go on.

The command line creates its job held (status `validating`) and, once the job exists, either
cancels it (a Ctrl-C came while it was being created) or releases it to the runners
(`JobStore.release_job`). A `dragoman serve` on the same store can therefore never start a document
of a job whose command was interrupted while submitting it. A submitter that dies before deciding
(SIGKILL) leaves its job held: the runners' recovery cancels it once the submitter is gone.

The holder is recorded in the job's labels as `host:pid`.
"""

from __future__ import annotations

import os
import socket
from collections.abc import Mapping

from dragoman.processes import pid_alive

__all__ = ["HOLDER_LABEL", "holder_gone", "holder_of", "this_holder"]

HOLDER_LABEL = "dragoman.held_by"


def this_holder() -> str:
    """This process, as a holder: `host:pid`."""
    return f"{socket.gethostname()}:{os.getpid()}"


def holder_of(labels: Mapping[str, object] | None) -> str | None:
    """The holder recorded in a job's labels, or None."""
    holder = (labels or {}).get(HOLDER_LABEL)
    return holder if isinstance(holder, str) else None


def holder_gone(holder: str | None) -> bool:
    """Whether the process that holds a job is certainly gone: it ran on this machine and its pid is
    not alive. A holder on another machine (a shared PostgreSQL store) is never presumed gone, and a
    job with no recorded holder is not one this module decides about (False)."""
    if holder is None:
        return False
    host, _, pid = holder.rpartition(":")
    if host != socket.gethostname() or not pid.isdigit():
        return False
    return not pid_alive(int(pid))
