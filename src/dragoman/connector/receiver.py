"""The receiver: one thread of `dragoman serve` that, every `DRAGOMAN_CONNECTOR_POLL_SECONDS`,

1. finishes the sends a crash interrupted (jobs left `sending` that no process holds), and sends
   again the jobs a vendor could not take, up to `DRAGOMAN_CONNECTOR_SEND_ATTEMPTS` attempts, the
   first retry after `DRAGOMAN_CONNECTOR_SEND_RETRY_SECONDS` and each next after twice as long;
2. syncs each configured source system (entities changed since its last sync);
3. runs the automatic sending rules that are due (`connector.sender`, passed as a round), when some
   are configured;
4. polls the vendor of each connector job a vendor holds (sent or in production), so that a cancel
   request's answer, work started, a target language finished and a delivery reach Dragoman with
   nobody asking (issue 12 §6; polling is the backbone, as in the Smartling connector's cron sync);
5. with `DRAGOMAN_CONNECTOR_IMPORT=auto` (the default), imports each delivered job. With `review`,
   a delivered job waits in `ready_for_import` until someone imports it.

Each poll and import runs under the job's lease (`ConnectorStore.lease`), so two `dragoman serve`
processes on one state database never work on one job at once, and every change is guarded by the
job's state. A source, rule or job whose round fails is logged and tried again at the next round;
the thread never dies of it.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

from dragoman.connector.lifecycle import ConnectorJobStatus
from dragoman.connector.service import Connector
from dragoman.errors import ServiceError

__all__ = ["Receiver"]

log = logging.getLogger("dragoman.connector")


class Receiver:
    def __init__(
        self,
        connector: Connector,
        interval: float,
        *,
        auto_import: bool = True,
        rounds: list[Callable[[], object]] | None = None,
        send_attempts: int = 0,
        send_retry_seconds: float = 30.0,
    ) -> None:
        """`interval`: seconds between rounds (> 0); `rounds`: more work to do at each round, before
        the polls (the automatic sender's)."""
        self._connector = connector
        self._interval = interval
        self._auto_import = auto_import
        self._rounds = list(rounds or [])
        self._send_attempts = send_attempts  # 0: failed sends are retried by hand only
        self._send_retry_seconds = send_retry_seconds
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="connector-receiver", daemon=True)
            self._thread.start()

    def stop(self, timeout: float = 30.0) -> None:
        self._stopping.set()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None

    def sync_sources(self) -> int:
        """Sync every configured source system once; how many entities were read."""
        read = 0
        for name, source in self._connector.sources.items():
            if self._stopping.is_set():
                break
            try:
                read += self._connector.sync(source.tenant, name).read
            except ServiceError as exc:
                log.warning("connector receiver: syncing source %s failed: %s", name, exc.message,
                            extra={"action": "sync", "source": name})  # fmt: skip
            except Exception:
                log.exception("connector receiver: syncing source %s failed", name, extra={"action": "sync"})
        return read

    def poll_once(self) -> int:
        """Poll every live job once (and import the delivered ones, with auto import); how many were
        polled or imported."""
        done = 0
        try:
            live = self._connector.store.live_jobs(with_delivered=self._auto_import)
        except ServiceError as exc:
            log.warning("connector receiver: cannot list live jobs: %s", exc.message, extra={"action": "receive"})
            return 0
        for tenant, job_id in live:
            if self._stopping.is_set():
                break
            try:
                job = self._connector.poll(tenant, job_id, with_items=False)
                if self._auto_import and job.status is ConnectorJobStatus.READY_FOR_IMPORT:
                    job = self._connector.import_job(tenant, job_id)
                    log.info("connector job %s imported: %s", job_id, job.status,
                             extra={"action": "import", "job_id": job_id, "status": str(job.status)})  # fmt: skip
                done += 1
            except ServiceError as exc:  # a vendor or source that is down, a lease another process holds
                log.warning("connector receiver: job %s: %s", job_id, exc.message,
                            extra={"action": "receive", "job_id": job_id})  # fmt: skip
            except Exception:  # one job's vendor failing must not stop the others' polls
                log.exception(
                    "connector receiver: polling job %s failed", job_id, extra={"action": "receive", "job_id": job_id}
                )
        return done

    def resume_sends(self) -> int:
        """Finish the sends a crash interrupted, and try again those a vendor could not take (with
        `send_attempts` and `send_retry_seconds`); how many."""
        try:
            resumed = self._connector.resume_sends()
            if self._send_attempts:
                resumed += self._connector.retry_failed_sends(self._send_attempts, self._send_retry_seconds)
            return resumed
        except ServiceError as exc:
            log.warning("connector receiver: resuming sends failed: %s", exc.message, extra={"action": "send"})
            return 0

    def round(self) -> None:
        """One full round: interrupted sends, sources, extra rounds (rules), polls and imports."""
        self.resume_sends()
        self.sync_sources()
        for extra in self._rounds:
            if self._stopping.is_set():
                return
            try:
                extra()
            except Exception:
                log.exception("connector receiver: a scheduled round failed", extra={"action": "receive"})
        self.poll_once()

    def _run(self) -> None:
        while not self._stopping.wait(self._interval):
            self.round()
