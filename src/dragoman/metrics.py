"""What `GET /metrics` shows, in Prometheus's text format through the official `prometheus-client`.

Two kinds of numbers, on a registry of the service's own (never the client's global one, so that
several services in one process keep theirs apart):

- what the state database holds, read from it at each scrape (`store/stats.py`: one aggregate query),
  so every `dragoman serve` of a shared PostgreSQL shows the same values and a restart loses none:
  `dragoman_jobs{status}`, `dragoman_tasks{status}`, `dragoman_characters_billed_total`,
  `dragoman_queue_depth`, `dragoman_running_tasks{node}` (per runner process, `host:pid`: a
  `dragoman worker` or a `dragoman serve`'s runner), and `dragoman_store_up` (0: the database did
  not answer, and those are left out of this scrape);
- what this process saw happen, counted from its start: `dragoman_task_duration_seconds{outcome}`,
  `dragoman_cancel_to_terminal_seconds`, `dragoman_characters_translated_total{kind}` and
  `dragoman_engine_pipeline_restarts_total{engine,reason}`. Each is recorded where it happens (the
  runner, the store's end-of-job hook, the engine), by the process that did it: sum them over the
  processes.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from datetime import UTC
from typing import Literal

from prometheus_client import CollectorRegistry, Counter, Histogram
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.exposition import choose_encoder

from dragoman.domain.jobs import JobView
from dragoman.domain.states import JobStatus, TaskStatus
from dragoman.errors import ServiceError
from dragoman.store.stats import StoreStats

__all__ = ["Metrics", "TranslatedKind"]

log = logging.getLogger("dragoman.metrics")

# A task takes from tens of milliseconds (a line of text) to many minutes (a book).
_TASK_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0, 600.0, 1800.0)
# A cancel ends a job at once when nothing of it runs, else at its running tasks' next safe point.
_CANCEL_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0)

# A task's outcome as the duration histogram labels it: a shutdown releases a task to run again later.
_OUTCOMES = {
    TaskStatus.SUCCEEDED: "succeeded",
    TaskStatus.FAILED: "failed",
    TaskStatus.CANCELLED: "cancelled",
    TaskStatus.PENDING: "released",
}
TranslatedKind = Literal["task", "sync"]
_TRANSLATED_KINDS: tuple[TranslatedKind, ...] = ("task", "sync")
_PIPELINE_ENDS = ("crashed", "stalled")  # engines/_pipeline.py PipelineEnd


class Metrics:
    def __init__(self, stats: StoreStats | None = None) -> None:
        """`stats`: the state database the store metrics are read from (None: only this process's)."""
        self.registry = CollectorRegistry()
        self._stats = stats
        if stats is not None:
            self.registry.register(_StoreCollector(stats))
        self._task_duration = Histogram(
            "dragoman_task_duration_seconds",
            "Seconds this process's runner worked on a task, from its claim to its recorded outcome "
            "(succeeded, failed, cancelled, or released by a shutdown to run again).",
            ["outcome"],
            buckets=_TASK_BUCKETS,
            registry=self.registry,
        )
        self._cancel_to_terminal = Histogram(
            "dragoman_cancel_to_terminal_seconds",
            "Seconds from a job's cancel being recorded to the job's final state, for the jobs whose "
            "final state this process recorded (0 when nothing of the job was running).",
            buckets=_CANCEL_BUCKETS,
            registry=self.registry,
        )
        self._translated = Counter(
            "dragoman_characters_translated",
            "Source characters this process translated and delivered: documents of tasks that succeeded "
            "(kind=task) and synchronous translations (kind=sync). A document already in the target "
            "language counts none.",
            ["kind"],
            registry=self.registry,
        )
        self._restarts = Counter(
            "dragoman_engine_pipeline_restarts",
            "Kept-alive engine pipelines of this process that died, crashed or stalled, and are started "
            "afresh for the next request.",
            ["engine", "reason"],
            registry=self.registry,
        )
        for outcome in _OUTCOMES.values():  # every series exists from the start, at zero
            self._task_duration.labels(outcome)
        for kind in _TRANSLATED_KINDS:
            self._translated.labels(kind)
        for reason in _PIPELINE_ENDS:
            self._restarts.labels("apertium", reason)

    def task_ran(self, status: TaskStatus, seconds: float) -> None:
        """A task's outcome was recorded after `seconds` of work: `status` is what it was recorded as."""
        self._task_duration.labels(_OUTCOMES[status]).observe(seconds)

    def translated(self, characters: int, kind: TranslatedKind) -> None:
        """`characters` of source were translated and delivered, by a task or a synchronous request."""
        self._translated.labels(kind).inc(characters)

    def pipeline_ended(self, engine: str, reason: str) -> None:
        """A kept-alive pipeline of `engine` died (`reason`: crashed or stalled)."""
        self._restarts.labels(engine, reason).inc()

    def job_ended(self, view: JobView) -> None:
        """The store's end-of-job hook: a job this process ended; if a cancel was recorded for it, how
        long it took to end. The moment it ended is its last update; both are the store's clock."""
        if not view.job.cancel_requested or self._stats is None:
            return
        try:
            requested = self._stats.cancel_requested_at(view.job.id)
        except ServiceError:
            log.warning("could not read when a cancel was recorded", extra={"action": "metrics", "job_id": view.job.id})
            return
        if requested is not None:
            ended = view.job.updated_at.astimezone(UTC)
            self._cancel_to_terminal.observe(max(0.0, (ended - requested).total_seconds()))

    def render(self, accept: str | None = None) -> tuple[bytes, str]:
        """Every metric, and its content type, in the format the scraper's `Accept` header asks for:
        Prometheus's text format 0.0.4 by default, OpenMetrics when asked. Reads the state database."""
        encode, content_type = choose_encoder(accept or "")
        return encode(self.registry), content_type


class _StoreCollector:
    """The state database's numbers, read at each scrape."""

    def __init__(self, stats: StoreStats) -> None:
        self._stats = stats

    def describe(self) -> Iterator[Metric]:
        yield from _StoreFamilies().all()

    def collect(self) -> Iterator[Metric]:
        families = _StoreFamilies()
        try:
            counts = self._stats.counts()
            running = self._stats.running_by_node()
        except ServiceError:
            log.warning("the state database did not answer a scrape", extra={"action": "metrics"})
            families.up.add_metric([], 0)
            yield families.up
            return
        for job_status in JobStatus:
            families.jobs.add_metric([job_status.value], counts.jobs[job_status])
        for task_status in TaskStatus:
            families.tasks.add_metric([task_status.value], counts.tasks[task_status])
        families.billed.add_metric([], counts.characters_billed)
        families.queue.add_metric([], counts.queue_depth)
        for node, count in sorted(running.items()):
            families.running.add_metric([node], count)
        families.up.add_metric([], 1)
        yield from families.all()


class _StoreFamilies:
    def __init__(self) -> None:
        self.jobs = GaugeMetricFamily("dragoman_jobs", "Jobs in the state database, by status.", labels=["status"])
        self.tasks = GaugeMetricFamily(
            "dragoman_tasks",
            "Tasks (one document into one language) in the state database, by status.",
            labels=["status"],
        )
        self.billed = CounterMetricFamily(
            "dragoman_characters_billed",
            "Source characters billed over every job in the state database: those of its succeeded tasks.",
        )
        self.queue = GaugeMetricFamily(
            "dragoman_queue_depth", "Tasks waiting for a worker: the pending tasks of queued and running jobs."
        )
        self.running = GaugeMetricFamily(
            "dragoman_running_tasks",
            "Tasks running, by the runner process whose claim holds them (node: host:pid); a node running "
            "nothing is left out.",
            labels=["node"],
        )
        self.up = GaugeMetricFamily(
            "dragoman_store_up",
            "1 if the state database answered this scrape; 0 if not (its numbers are then left out).",
        )

    def all(self) -> list[Metric]:
        return [self.jobs, self.tasks, self.billed, self.queue, self.running, self.up]
