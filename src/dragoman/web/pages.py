"""What the dashboard's pages say about jobs, decided without HTML: front-door names, the status in
each protocol's words, what a cancel would do (in numbers) and what it did. Pure functions of the
domain's records; the templates only lay them out.

Shapes: `front_door(origin) -> str`; `protocol_status(view) -> ProtocolStatus | None`;
`consequences(view) -> CancelConsequences`; `cancel_result(view) -> CancelResult`;
`refused_result(view) -> CancelResult`.
"""

from __future__ import annotations

from dataclasses import dataclass

from dragoman.api.aws.wire import AWS_ORIGIN
from dragoman.api.aws.wire import JOB_STATUS as AMAZON_STATUS
from dragoman.api.azure.wire import JOB_STATUS as AZURE_STATUS
from dragoman.domain.jobs import LOST_RACE, CancelOutcome, JobView
from dragoman.domain.specs import CLI_ORIGIN
from dragoman.domain.states import CANCELLABLE_JOB_STATES, JobStatus

__all__ = [
    "FRONT_DOORS",
    "CancelConsequences",
    "CancelResult",
    "CancelState",
    "ProtocolStatus",
    "can_cancel",
    "cancel_result",
    "cancel_state",
    "consequences",
    "front_door",
    "protocol_status",
    "refused_result",
]

AZURE_ORIGIN = "azure"
CONNECTOR_ORIGIN = "connector"
# origin -> the front door's name, in the order the filter lists them
FRONT_DOORS: dict[str, str] = {
    CLI_ORIGIN: "Command line",
    AZURE_ORIGIN: "Azure Document Translation",
    AWS_ORIGIN: "Amazon Translate",
    CONNECTOR_ORIGIN: "Content connector",
}
# Dragoman's status, in words a person reads
STATUS_WORDS: dict[JobStatus, str] = {
    JobStatus.VALIDATING: "validating",
    JobStatus.INVALID: "failed validation",
    JobStatus.QUEUED: "waiting",
    JobStatus.RUNNING: "running",
    JobStatus.CANCELLING: "cancelling",
    JobStatus.SUCCEEDED: "succeeded",
    JobStatus.PARTIALLY_FAILED: "partly failed",
    JobStatus.FAILED: "failed",
    JobStatus.CANCELLED: "cancelled",
}


@dataclass(frozen=True, slots=True)
class ProtocolStatus:
    """A job's status as its front door's protocol names it (`Succeeded` on Azure, `COMPLETED` on Amazon)."""

    protocol: str
    status: str


@dataclass(frozen=True, slots=True)
class CancelConsequences:
    """What a cancel accepted now would do, by DESIGN's rules 1-5: pending documents are dropped and
    free, running ones stop at their next safe point and are not billed, finished ones stay (and
    the succeeded ones stay billed)."""

    dropped: int
    stopping: int
    kept: int
    kept_characters: int
    failed: int

    @property
    def sentences(self) -> list[str]:
        lines = []
        if self.dropped:
            lines.append(f"{self.dropped} waiting will be dropped and are free")
        if self.stopping:
            lines.append(f"{self.stopping} running stop at their next safe point and are not billed")
        lines.append(f"{self.kept} finished stay, billed {self.kept_characters} characters")
        if self.failed:
            lines.append(f"{self.failed} failed stay failed, not billed")
        return lines


@dataclass(frozen=True, slots=True)
class CancelResult:
    """What a cancel did, as the store reported it: `outcome` is `cancelled`, `cancelling` or
    `lost the race`, `message` says it in numbers."""

    outcome: str
    message: str


def front_door(origin: str) -> str:
    """The name of the front door a job came through (its `origin`)."""
    return FRONT_DOORS.get(origin, origin)


def protocol_status(view: JobView) -> ProtocolStatus | None:
    """The job's status in its protocol's words, for jobs that came through Azure or Amazon."""
    if view.job.origin == AZURE_ORIGIN:
        return ProtocolStatus("Azure", AZURE_STATUS[view.status])
    if view.job.origin == AWS_ORIGIN:
        return ProtocolStatus("Amazon", AMAZON_STATUS[view.status])
    return None


def can_cancel(view: JobView) -> bool:
    """Whether a cancel would be accepted now (DESIGN rule 1)."""
    return view.status in CANCELLABLE_JOB_STATES


def consequences(view: JobView) -> CancelConsequences:
    """What a cancel of `view` would do if it were accepted now."""
    summary = view.summary
    return CancelConsequences(
        dropped=summary.not_yet_started,
        stopping=summary.in_progress,
        kept=summary.succeeded,
        kept_characters=summary.characters_charged,
        failed=summary.failed,
    )


def cancel_result(view: JobView) -> CancelResult:
    """What an accepted cancel did, from the job as the cancel left it."""
    summary = view.summary
    kept = f"{summary.succeeded} finished stay, billed {summary.characters_charged} characters"
    if view.cancel_outcome is CancelOutcome.LOST_RACE:
        return CancelResult(
            "lost the race",
            f"{LOST_RACE}: the job {view.status}; {kept}",
        )
    if view.cancel_outcome is CancelOutcome.IN_PROGRESS:
        return CancelResult(
            "cancelling",
            f"{summary.cancelled} cancelled, free; {summary.in_progress} running stop at their next safe point "
            f"and are not billed; {kept}",
        )
    return CancelResult("cancelled", f"{summary.cancelled} cancelled, free; {kept}")


def refused_result(view: JobView) -> CancelResult:
    """A cancel the store refused. Someone's cancel was accepted before it (another tab, a double
    submit): what that cancel did. Otherwise the job had already ended (it finished while the
    confirmation was open): the race was lost."""
    if view.job.cancel_requested:
        earlier = cancel_result(view)
        return CancelResult(earlier.outcome, f"a cancel was accepted before this one: {earlier.message}")
    summary = view.summary
    return CancelResult(
        "lost the race",
        f"the job had already ended ({STATUS_WORDS[view.status]}) before the cancel reached it: "
        f"{summary.succeeded} finished stay, billed {summary.characters_charged} characters",
    )


@dataclass(frozen=True, slots=True)
class CancelState:
    """What the cancel area shows for a job: the confirmation (`consequences`, while the job can be
    cancelled), or what became of it (`result`: a cancel's outcome, or the race it lost)."""

    view: JobView
    consequences: CancelConsequences | None
    result: CancelResult | None

    @property
    def settled(self) -> bool:
        """Nothing more will change: the job has ended."""
        return self.view.is_terminal


def cancel_state(view: JobView) -> CancelState:
    """The cancel area of `view` now (see CancelState)."""
    if can_cancel(view):
        return CancelState(view, consequences(view), None)
    if view.job.cancel_requested:
        return CancelState(view, None, cancel_result(view))
    return CancelState(view, None, refused_result(view))
