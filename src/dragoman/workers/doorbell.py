"""The doorbell: Procrastinate messages ("run task X") written in the store's own transactions, so a
task and its message commit together or not at all (DESIGN §1 rule 2 keeps the cancel one
transaction: the messages of a cancelled job are dropped, and its running ones asked to abort, in
the cancel's commit).

A message is a row of `procrastinate_jobs` for the task `dragoman.run_task` with `{"task_id",
"job_id"}` as its arguments, on the queue of its language pair (`dragoman.en-es`; a worker may listen
to some pairs only), with the task's id as its queueing lock: one waiting message per task at most,
whoever rings. Procrastinate's own triggers notify the workers (LISTEN/NOTIFY) of new messages and of
abort requests. A message's priority is minus its task's place in its job: workers take every job's
first tasks before any job's later ones, so a one-line job is not queued behind all of a job of
thousands (as the in-process runner's fair claims do). Source: Procrastinate 3.10 `sql/schema.sql`
(`procrastinate_defer_jobs_v1` inserts
the same way; the partial unique index `procrastinate_jobs_queueing_lock_idx_v1`).

Shapes: `ProcrastinateDoorbell().ring(connection, job_id, task_ids=None)`, `.cancel(connection,
job_id)`, `.ring_unqueued(connection) -> int`, `.close_stalled(connection, seconds) -> int`.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import Connection, text

from dragoman.engines.base import LanguagePair

__all__ = ["QUEUE_PREFIX", "TASK_NAME", "ProcrastinateDoorbell", "queue_of", "unserved_queues"]

TASK_NAME = "dragoman.run_task"
QUEUE_PREFIX = "dragoman."

_MESSAGES = """
INSERT INTO procrastinate_jobs (queue_name, task_name, priority, lock, queueing_lock, args)
SELECT 'dragoman.' || lower(split_part(t.source_language, '-', 1))
       || '-' || lower(split_part(t.target_language, '-', 1)), 'dragoman.run_task', -t.seq, NULL, t.id,
       jsonb_build_object('task_id', t.id, 'job_id', t.job_id)
FROM tasks t JOIN jobs j ON j.id = t.job_id
WHERE {which} AND t.status = 'pending' AND j.validated AND NOT j.cancel_requested
ORDER BY t.seq
ON CONFLICT (queueing_lock) WHERE status = 'todo' DO NOTHING
"""
_RING_JOB = text(_MESSAGES.format(which="t.job_id = :job"))
_RING_TASKS = text(_MESSAGES.format(which="t.job_id = :job AND t.id = ANY(:tasks)"))
# Pending tasks no message rings for (a message lost with a worker, tasks made before the queue was
# on): the reconciliation that makes the queue a doorbell, never the record.
_RING_UNQUEUED = text(
    _MESSAGES.format(
        which="NOT EXISTS (SELECT 1 FROM procrastinate_jobs p WHERE p.queueing_lock = t.id "
        "AND p.status IN ('todo', 'doing'))"
    )
)
_DROP_WAITING = text(
    "UPDATE procrastinate_jobs SET status = 'cancelled' WHERE args->>'job_id' = :job AND status = 'todo'"
)
_ABORT_RUNNING = text(
    "UPDATE procrastinate_jobs SET abort_requested = true WHERE args->>'job_id' = :job AND status = 'doing' "
    "AND NOT abort_requested"
)
# Messages a dead worker was running (no heartbeat for `seconds`): closed as failed. The task itself
# is settled by Dragoman's recovery, whose pending verdict rings again.
_CLOSE_STALLED = text(
    "UPDATE procrastinate_jobs SET status = 'failed' WHERE status = 'doing' AND task_name = 'dragoman.run_task' "
    "AND (worker_id IS NULL OR worker_id IN (SELECT id FROM procrastinate_workers "
    "WHERE last_heartbeat < now() - make_interval(secs => :seconds)))"
)

# Messages that ended (run, failed, dropped by a cancel, aborted) with nothing happening to them for
# `hours`: deleted with their events, so the queue holds what is live and the recent past, not every
# message ever sent. Dragoman's tasks table is the record; a message only rang for a task.
_PRUNE_ENDED = text(
    "DELETE FROM procrastinate_jobs p WHERE p.task_name = 'dragoman.run_task' "
    "AND p.status::text IN ('succeeded', 'failed', 'cancelled', 'aborted') "
    "AND NOT EXISTS (SELECT 1 FROM procrastinate_events e WHERE e.job_id = p.id "
    "AND e.at >= now() - make_interval(hours => :hours))"
)


def queue_of(source_language: str, target_language: str) -> str:
    """The queue of a language pair's messages (`dragoman.en-es`), as `dragoman worker --queue en-es`
    names it: the languages without their regions (`es-MX` is translated by the `es` pair), `auto`
    for a source to be detected."""
    source, target = (tag.split("-", 1)[0].lower() for tag in (source_language, target_language))
    return f"{QUEUE_PREFIX}{source}-{target}"


def unserved_queues(queues: Sequence[str], pairs: Sequence[LanguagePair]) -> list[str]:
    """The queue names among `queues` (`en-es`, `auto-ca`, as `--queue` gives them) that no message
    can ever be on, given the engine's language `pairs`: a worker listening there would wait forever."""
    known = {f"{pair.source}-{pair.target}" for pair in pairs}
    targets = {pair.target for pair in pairs}
    return [name for name in queues if name not in known and not (name.startswith("auto-") and name[5:] in targets)]


class ProcrastinateDoorbell:
    """Writes and withdraws Procrastinate messages on a connection of the store (PostgreSQL)."""

    def ring(self, connection: Connection, job_id: str, task_ids: Sequence[str] | None = None) -> None:
        """A message for each pending task of the job (or of `task_ids`) that has none waiting."""
        if task_ids is None:
            connection.execute(_RING_JOB, {"job": job_id})
        else:
            connection.execute(_RING_TASKS, {"job": job_id, "tasks": list(task_ids)})

    def cancel(self, connection: Connection, job_id: str) -> None:
        """Drop the job's waiting messages and ask the workers running its tasks to abort them (they
        also see the job's cancel flag at their next segment)."""
        connection.execute(_DROP_WAITING, {"job": job_id})
        connection.execute(_ABORT_RUNNING, {"job": job_id})

    def ring_unqueued(self, connection: Connection) -> int:
        """Ring for every runnable pending task that no live message rings for; how many."""
        return connection.execute(_RING_UNQUEUED).rowcount

    def close_stalled(self, connection: Connection, seconds: float) -> int:
        """Close the messages of workers silent for `seconds`; how many."""
        return connection.execute(_CLOSE_STALLED, {"seconds": seconds}).rowcount

    def prune(self, connection: Connection, hours: int) -> int:
        """Delete Dragoman's messages that ended more than `hours` ago, with their events; how many."""
        return connection.execute(_PRUNE_ENDED, {"hours": hours}).rowcount
