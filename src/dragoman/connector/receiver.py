"""The receiver: one thread of `dragoman serve` that polls, every `DRAGOMAN_CONNECTOR_POLL_SECONDS`,
the vendor of each connector job a vendor holds (sent or in production), so that a cancel request's
answer, work started and a delivery reach Dragoman with nobody asking (issue 12 §6; polling is the
backbone, as in the Smartling connector's cron sync).

Each poll is `Connector.poll`, whose changes are guarded by the job's state (a poll made by hand at
the same moment changes nothing twice). A job whose poll fails is logged and polled again at the
next round; the thread never dies of it. It does not import: a delivered job waits in
`ready_for_import` until someone imports it (the review gate between retrieving a translation and
writing it into the catalogue).
"""

from __future__ import annotations

import logging
import threading

from dragoman.connector.service import Connector
from dragoman.errors import ServiceError

__all__ = ["Receiver"]

log = logging.getLogger("dragoman.connector")


class Receiver:
    def __init__(self, connector: Connector, interval: float) -> None:
        """`interval`: seconds between rounds (> 0)."""
        self._connector = connector
        self._interval = interval
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

    def poll_once(self) -> int:
        """Poll every live job once; how many were polled."""
        polled = 0
        try:
            live = self._connector.store.live_jobs()
        except ServiceError as exc:
            log.warning("connector receiver: cannot list live jobs: %s", exc.message, extra={"action": "receive"})
            return 0
        for tenant, job_id in live:
            if self._stopping.is_set():
                break
            try:
                self._connector.poll(tenant, job_id)
                polled += 1
            except Exception:  # one job's vendor failing must not stop the others' polls
                log.exception(
                    "connector receiver: polling job %s failed", job_id, extra={"action": "receive", "job_id": job_id}
                )
        return polled

    def _run(self) -> None:
        while not self._stopping.wait(self._interval):
            self.poll_once()
