"""Whether a `dragoman serve` runs on a store: its runner writes a heartbeat into the state database
every BEAT_SECONDS (`store.runners.RunnerRegistry`), and a heartbeat younger than FRESH_SECONDS
says it does. The same store is what counts, not an address: a service on another data folder that
answers on the configured port runs nothing of this store's jobs, and a service killed outright
(SIGKILL, a power cut) leaves a heartbeat that goes stale.
"""

from __future__ import annotations

from datetime import datetime, timedelta

__all__ = ["BEAT_SECONDS", "FRESH_SECONDS", "SERVE", "WORKER", "is_fresh"]

BEAT_SECONDS = 2.0
FRESH_SECONDS = 15.0  # several missed beats, and some clock skew between machines sharing PostgreSQL
SERVE = "serve"  # the kind of runner `dragoman serve` runs (a command's embedded runner writes none)
WORKER = "worker"  # a `dragoman worker` process (many machines): it runs the store's jobs as well


def is_fresh(beat_at: datetime | None, now: datetime) -> bool:
    """Whether a heartbeat written at `beat_at` (naive UTC, as stored) says its runner is alive at
    `now`: no older than FRESH_SECONDS (and not from further in the future than that, skew aside)."""
    if beat_at is None:
        return False
    return abs(now - beat_at) <= timedelta(seconds=FRESH_SECONDS)
