"""What the `human` vendor's queue allows in each state: the agency's actions and the connector's
calls, as pure functions of a queued job's state and cancel request (tested in
tests/connector/vendors/test_human_rules.py). The queue executes what they decide.

    received ─accept→ in_production ─upload (every language)→ delivered
       │  └────────── upload (every language) ───────────────↗
       └─(any live state) approve-cancel, or the connector's withdraw → cancelled

- **download**: while received, in production or delivered (a delivered file can be fetched again);
  never once cancelled.
- **accept**: received → in_production; accepting again changes nothing.
- **upload**: while received or in production (an agency may deliver without accepting first: the
  connector then goes sent → ready_for_import, which its lifecycle allows). A job of several target
  languages takes one file per language; a language uploaded again replaces its translations until
  the last language arrives, which makes the job delivered. The connector imports each language
  uploaded at its next poll (`vendor_status`), while others are still to come: a language uploaded
  again after that poll is not imported again. Delivering while a cancel request waits
  answers it refused: the work is done. Nothing is taken once delivered or cancelled.
- **approve-cancel**: a pending request → cancelled, the request approved.
- **refuse-cancel**: a pending request → refused; work has started, so a received job is in
  production (as the connector's lifecycle reads a refusal). The job goes on.
- the connector's **request_cancel**: records a request on a live job (asking again while one waits
  is the same request); a delivered job answers refused at once, a cancelled one approved; an answer
  already given stands.
- the connector's **withdraw** (a job cancelled while it was being sent): cancelled, whatever it was.

Shapes: `QueueState`, `QueueCancel`, `AgencyAction`; `agency_actions(state, cancel) -> frozenset`;
`decide(action, state, cancel, *, complete=False) -> (state, cancel)` raises Conflict (CancelRefused
for the cancel answers) when the action is not allowed now; `after_request_cancel(state, cancel)`,
`after_withdraw(state, cancel)`; `vendor_status(state, cancel, delivered) -> VendorStatus`.
"""

from __future__ import annotations

from collections.abc import Collection
from enum import StrEnum

from dragoman.connector.vendors.base import CancelAnswer, VendorState, VendorStatus
from dragoman.errors import CancelRefused, Conflict

__all__ = [
    "AgencyAction",
    "QueueCancel",
    "QueueState",
    "after_request_cancel",
    "after_withdraw",
    "agency_actions",
    "decide",
    "vendor_status",
]


class QueueState(StrEnum):
    RECEIVED = "received"
    IN_PRODUCTION = "in_production"
    DELIVERED = "delivered"
    CANCELLED = "cancelled"


class QueueCancel(StrEnum):
    NONE = "none"
    REQUESTED = "requested"
    APPROVED = "approved"
    REFUSED = "refused"


class AgencyAction(StrEnum):
    DOWNLOAD = "download"
    ACCEPT = "accept"
    UPLOAD = "upload"
    APPROVE_CANCEL = "approve-cancel"
    REFUSE_CANCEL = "refuse-cancel"


Q = QueueState
C = QueueCancel
A = AgencyAction
LIVE = frozenset({Q.RECEIVED, Q.IN_PRODUCTION})


def decide(
    action: AgencyAction, state: QueueState, cancel: QueueCancel, *, complete: bool = False
) -> tuple[QueueState, QueueCancel]:
    """The job after the agency's `action` (`complete`: an upload that leaves every target language
    delivered). Raises Conflict, or CancelRefused for a cancel answer with no request to answer."""
    if action is A.DOWNLOAD:
        if state is Q.CANCELLED:
            raise Conflict("the job is cancelled: there is nothing to translate")
        return state, cancel
    if action is A.ACCEPT:
        if state not in LIVE:
            raise Conflict(f"the job is {state}: only a received job is accepted")
        return Q.IN_PRODUCTION, cancel
    if action is A.UPLOAD:
        if state not in LIVE:
            raise Conflict(f"the job is {state}: translations are uploaded only while it is received or in production")
        if not complete:
            return state, cancel
        return Q.DELIVERED, C.REFUSED if cancel is C.REQUESTED else cancel
    if cancel is not C.REQUESTED:
        said = {C.NONE: "no cancel was requested", C.APPROVED: "the cancel was already approved",
                C.REFUSED: "the cancel was already refused"}[cancel]  # fmt: skip
        raise CancelRefused(f"there is no cancel request to answer: {said}")
    if state not in LIVE:
        raise Conflict(f"the job is {state}: its cancel request can no longer be answered")
    if action is A.APPROVE_CANCEL:
        return Q.CANCELLED, C.APPROVED
    return Q.IN_PRODUCTION, C.REFUSED


def agency_actions(state: QueueState, cancel: QueueCancel) -> frozenset[AgencyAction]:
    """The actions `decide` accepts now, for a job in `state` with `cancel`."""
    found = set()
    for action in AgencyAction:
        try:
            decide(action, state, cancel)
        except Conflict:
            continue
        found.add(action)
    return frozenset(found)


def after_request_cancel(state: QueueState, cancel: QueueCancel) -> tuple[QueueState, QueueCancel]:
    """The job once the connector asked to cancel it (see the module's docstring)."""
    if cancel is not C.NONE:
        return state, cancel
    if state is Q.DELIVERED:
        return state, C.REFUSED
    if state is Q.CANCELLED:
        return state, C.APPROVED
    return state, C.REQUESTED


def after_withdraw(state: QueueState, cancel: QueueCancel) -> tuple[QueueState, QueueCancel]:
    """The job once the connector withdrew it: cancelled; its cancel request as it was."""
    return Q.CANCELLED, cancel


def vendor_status(state: QueueState, cancel: QueueCancel, delivered: Collection[str] = ()) -> VendorStatus:
    """What the connector's poll reads: the state, the cancel answer once there is one, and, while the
    job is live, the target languages already uploaded (`delivered`) as complete, so the connector
    imports each as soon as it arrives. An upload is work started: a received job with a language
    uploaded reads as in production (the connector's `sent → in_production`)."""
    answer = {C.APPROVED: CancelAnswer.APPROVED, C.REFUSED: CancelAnswer.REFUSED}.get(cancel)
    if state in LIVE and delivered:
        return VendorStatus(VendorState.IN_PRODUCTION, answer, frozenset(delivered))
    return VendorStatus(VendorState(state.value), answer)
