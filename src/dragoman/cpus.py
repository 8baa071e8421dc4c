"""How many processors this process may run on, for the defaults that size work by them."""

from __future__ import annotations

import os

__all__ = ["available_cpus"]


def available_cpus() -> int:
    """The processors this process may run on: its CPU affinity (`taskset`, a container's cpuset),
    else every processor the machine has; at least 1. A CPU quota (a container's `--cpus`) is not
    read: set `DRAGOMAN_WORKERS` there."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):  # not on Linux
        return os.cpu_count() or 1
