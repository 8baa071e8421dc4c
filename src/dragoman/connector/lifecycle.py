"""A connector job's lifecycle and its cancel rules (docs/connector.md), modelled on how PIM
connectors hand work to a translation vendor (Lionbridge's inRiver connector: Draft, Sending, Sent,
Work in progress, Ready for import, Imported; Drupal TMGMT; the Smartling connector).

    draft ─send→ sending ─sent→ sent ─accepted→ in_production ─delivered→ ready_for_import ─import→ imported
                   │  └─failed→ send_failed ─send→ sending          (sent ─delivered→ too)   └→ imported_with_errors
                   └─cancel→ cancelled   (draft, send_failed ─cancel→ cancelled)

Cancel: before anything reached the vendor (draft), while sending, or after a failed send, the
connector cancels on its own and the job ends cancelled at once; while sending or after a failed
send, whatever reached the vendor is withdrawn (`CancelDecision.WITHDRAW`): a send that failed
partway (one language's vendor job started, the next refused) leaves vendor jobs behind. Once
sent, a cancel is a request to the vendor, recorded durably (`CancelRequest.REQUESTED`): the vendor
approves (job → cancelled) or refuses because work started (job → in_production, the request
recorded refused). Once delivered or imported, a cancel is refused: the work is done (import or
discard it).

Shapes: `ConnectorJobStatus`, `CancelRequest`, `transition(old, new) -> new` (raises
InvalidTransition), `decide_cancel(status, request) -> CancelDecision` (raises CancelRefused),
`vendor_answer(status, request, approved) -> (status, request)`, `actions(status, request)` -> the
JobActions a job takes now.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from dragoman.errors import CancelRefused, InvalidTransition

__all__ = [
    "CANCELLABLE_BY_CONNECTOR",
    "CANCELLABLE_BY_REQUEST",
    "LIVE_JOB_STATES",
    "TERMINAL_JOB_STATES",
    "TRANSITIONS",
    "CancelDecision",
    "CancelRequest",
    "ConnectorJobStatus",
    "JobAction",
    "actions",
    "decide_cancel",
    "send_retry_due",
    "transition",
    "vendor_answer",
]


class ConnectorJobStatus(StrEnum):
    DRAFT = "draft"
    SENDING = "sending"
    SEND_FAILED = "send_failed"
    SENT = "sent"
    IN_PRODUCTION = "in_production"
    READY_FOR_IMPORT = "ready_for_import"
    IMPORTED = "imported"
    IMPORTED_WITH_ERRORS = "imported_with_errors"
    CANCELLED = "cancelled"


class CancelRequest(StrEnum):
    """A cancel asked of the vendor, and its answer."""

    NONE = "none"
    REQUESTED = "requested"
    APPROVED = "approved"
    REFUSED = "refused"


class CancelDecision(StrEnum):
    CANCEL_NOW = "cancel_now"  # nothing reached the vendor (a draft): cancelled at once
    WITHDRAW = "withdraw"  # sending or send_failed: cancelled at once; what reached the vendor is withdrawn
    REQUEST_VENDOR = "request_vendor"  # sent: recorded as a request the vendor answers


S = ConnectorJobStatus
TRANSITIONS: dict[ConnectorJobStatus, frozenset[ConnectorJobStatus]] = {
    S.DRAFT: frozenset({S.SENDING, S.CANCELLED}),
    S.SENDING: frozenset({S.SENT, S.SEND_FAILED, S.CANCELLED}),
    S.SEND_FAILED: frozenset({S.SENDING, S.CANCELLED}),
    # a vendor may deliver without saying it started; an approved cancel ends the job
    S.SENT: frozenset({S.IN_PRODUCTION, S.READY_FOR_IMPORT, S.CANCELLED}),
    S.IN_PRODUCTION: frozenset({S.READY_FOR_IMPORT, S.CANCELLED}),
    S.READY_FOR_IMPORT: frozenset({S.IMPORTED, S.IMPORTED_WITH_ERRORS}),
    S.IMPORTED: frozenset(),
    S.IMPORTED_WITH_ERRORS: frozenset(),
    S.CANCELLED: frozenset(),
}
TERMINAL_JOB_STATES = frozenset(status for status, following in TRANSITIONS.items() if not following)
# Jobs whose items hold their entities' languages In translation
LIVE_JOB_STATES = frozenset({S.SENDING, S.SENT, S.IN_PRODUCTION, S.READY_FOR_IMPORT})
CANCELLABLE_BY_CONNECTOR = frozenset({S.DRAFT, S.SENDING, S.SEND_FAILED})
CANCELLABLE_BY_REQUEST = frozenset({S.SENT, S.IN_PRODUCTION})


def transition(old: ConnectorJobStatus, new: ConnectorJobStatus) -> ConnectorJobStatus:
    """`new`, if the lifecycle allows `old` → `new`. Raises InvalidTransition."""
    if new not in TRANSITIONS[old]:
        raise InvalidTransition(f"a connector job cannot go from {old} to {new}")
    return new


def decide_cancel(status: ConnectorJobStatus, request: CancelRequest = CancelRequest.NONE) -> CancelDecision:
    """What a cancel of a job in `status` does (see the module's docstring). A second request while
    one awaits the vendor's answer is the same request. Raises CancelRefused."""
    if status in (S.SENDING, S.SEND_FAILED):  # a failed send may have reached the vendor in part
        return CancelDecision.WITHDRAW
    if status in CANCELLABLE_BY_CONNECTOR:
        return CancelDecision.CANCEL_NOW
    if status in CANCELLABLE_BY_REQUEST:
        if request is CancelRequest.REFUSED:
            raise CancelRefused("the vendor refused to cancel this job: work on it has started")
        return CancelDecision.REQUEST_VENDOR
    if status is S.CANCELLED:
        raise CancelRefused("the job is already cancelled")
    if status is S.READY_FOR_IMPORT:
        raise CancelRefused("the job's translations are delivered: import them, or leave them unimported")
    raise CancelRefused(f"the job is {status}: its translations are already imported")


def vendor_answer(
    status: ConnectorJobStatus, request: CancelRequest, *, approved: bool
) -> tuple[ConnectorJobStatus, CancelRequest]:
    """The job after the vendor answered a pending cancel request: approved → cancelled; refused →
    in_production (work started), the request recorded refused. An answer to no pending request
    changes nothing. Raises InvalidTransition when the job can no longer take the answer."""
    if request is not CancelRequest.REQUESTED:
        return status, request
    if approved:
        return transition(status, S.CANCELLED), CancelRequest.APPROVED
    if status is S.SENT:
        status = transition(status, S.IN_PRODUCTION)
    return status, CancelRequest.REFUSED


class JobAction(StrEnum):
    """What can be asked of a connector job (the REST API's `:send`, `:cancel`, ...)."""

    SEND = "send"
    CANCEL = "cancel"
    POLL = "poll"
    IMPORT = "import"
    RESUBMIT = "resubmit"


def actions(status: ConnectorJobStatus, request: CancelRequest = CancelRequest.NONE) -> frozenset[JobAction]:
    """The actions a job in `status`, with cancel `request`, takes now (what a page offers): send a draft
    or a failed send; cancel what `decide_cancel` accepts; poll a job the vendor holds; import a
    delivered one; resubmit a cancelled job, or one whose cancel the vendor refused once it ended."""
    found = set()
    if status in (S.DRAFT, S.SEND_FAILED):
        found.add(JobAction.SEND)
    try:
        decide_cancel(status, request)
        found.add(JobAction.CANCEL)
    except CancelRefused:
        pass
    if status in CANCELLABLE_BY_REQUEST:
        found.add(JobAction.POLL)
    if status is S.READY_FOR_IMPORT:
        found.add(JobAction.IMPORT)
    if status is S.CANCELLED or (request is CancelRequest.REFUSED and status in TERMINAL_JOB_STATES):
        found.add(JobAction.RESUBMIT)
    return frozenset(found)


def send_retry_due(attempts: int, last_attempt_at: datetime, now: datetime, cap: int, first_wait: float) -> bool:
    """Whether a failed send (`send_failed`, `attempts` made so far, the last at `last_attempt_at`)
    is tried again now, on its own: while fewer than `cap` attempts were made, once `first_wait`
    seconds have passed after the first failure, twice that after the second, and so on (the RWS
    connector's outbox skips an item after 3 failed attempts; ../shared/reference/connector.md §1).
    Sending by hand is always allowed."""
    if attempts >= cap:
        return False
    wait: float = first_wait * 2 ** max(attempts - 1, 0)
    return (now - last_attempt_at).total_seconds() >= wait
