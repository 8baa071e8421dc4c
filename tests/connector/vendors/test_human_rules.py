"""What the human vendor's queue allows in each state (src/dragoman/connector/vendors/human_rules.py),
checked for every state and cancel request, and against the connector's lifecycle: whatever the
queue answers, the connector's job can take it."""

from __future__ import annotations

import itertools

import pytest

from dragoman.connector.lifecycle import CancelRequest, ConnectorJobStatus, vendor_answer
from dragoman.connector.vendors.base import CancelAnswer, VendorState
from dragoman.connector.vendors.human_rules import (
    AgencyAction,
    QueueCancel,
    QueueState,
    after_request_cancel,
    after_withdraw,
    agency_actions,
    decide,
    vendor_status,
)
from dragoman.errors import CancelRefused, Conflict

Q, C, A = QueueState, QueueCancel, AgencyAction
EVERY = list(itertools.product(QueueState, QueueCancel))


def test_a_received_job_is_accepted_then_delivered_by_the_last_language() -> None:
    assert decide(A.ACCEPT, Q.RECEIVED, C.NONE) == (Q.IN_PRODUCTION, C.NONE)
    assert decide(A.UPLOAD, Q.IN_PRODUCTION, C.NONE) == (Q.IN_PRODUCTION, C.NONE)  # one language of two
    assert decide(A.UPLOAD, Q.IN_PRODUCTION, C.NONE, complete=True) == (Q.DELIVERED, C.NONE)


def test_an_agency_may_deliver_without_accepting_first() -> None:
    assert decide(A.UPLOAD, Q.RECEIVED, C.NONE, complete=True) == (Q.DELIVERED, C.NONE)


def test_accepting_again_changes_nothing() -> None:
    assert decide(A.ACCEPT, Q.IN_PRODUCTION, C.NONE) == (Q.IN_PRODUCTION, C.NONE)


@pytest.mark.parametrize("state", [Q.DELIVERED, Q.CANCELLED])
def test_nothing_is_accepted_or_uploaded_once_delivered_or_cancelled(state: QueueState) -> None:
    for action in (A.ACCEPT, A.UPLOAD):
        with pytest.raises(Conflict, match=str(state)):
            decide(action, state, C.NONE, complete=True)


def test_a_cancelled_job_is_not_downloaded_but_a_delivered_one_is() -> None:
    with pytest.raises(Conflict, match="cancelled"):
        decide(A.DOWNLOAD, Q.CANCELLED, C.APPROVED)
    assert decide(A.DOWNLOAD, Q.DELIVERED, C.NONE) == (Q.DELIVERED, C.NONE)


@pytest.mark.parametrize("state", [Q.RECEIVED, Q.IN_PRODUCTION])
def test_a_pending_request_is_approved_into_cancelled_or_refused_into_production(state: QueueState) -> None:
    assert decide(A.APPROVE_CANCEL, state, C.REQUESTED) == (Q.CANCELLED, C.APPROVED)
    assert decide(A.REFUSE_CANCEL, state, C.REQUESTED) == (Q.IN_PRODUCTION, C.REFUSED)


@pytest.mark.parametrize(
    ("cancel", "said"),
    [(C.NONE, "no cancel was requested"), (C.APPROVED, "already approved"), (C.REFUSED, "already refused")],
)
def test_answering_without_a_pending_request_is_refused_saying_why(cancel: QueueCancel, said: str) -> None:
    for action in (A.APPROVE_CANCEL, A.REFUSE_CANCEL):
        with pytest.raises(CancelRefused, match=said):
            decide(action, Q.IN_PRODUCTION, cancel)


def test_delivering_while_a_request_waits_answers_it_refused() -> None:
    assert decide(A.UPLOAD, Q.IN_PRODUCTION, C.REQUESTED, complete=True) == (Q.DELIVERED, C.REFUSED)
    assert decide(A.UPLOAD, Q.IN_PRODUCTION, C.REQUESTED) == (Q.IN_PRODUCTION, C.REQUESTED)  # not yet all


def test_the_connector_s_request_is_recorded_once_and_answered_at_once_when_the_job_ended() -> None:
    assert after_request_cancel(Q.RECEIVED, C.NONE) == (Q.RECEIVED, C.REQUESTED)
    assert after_request_cancel(Q.IN_PRODUCTION, C.REQUESTED) == (Q.IN_PRODUCTION, C.REQUESTED)
    assert after_request_cancel(Q.DELIVERED, C.NONE) == (Q.DELIVERED, C.REFUSED)
    assert after_request_cancel(Q.CANCELLED, C.NONE) == (Q.CANCELLED, C.APPROVED)
    assert after_request_cancel(Q.IN_PRODUCTION, C.REFUSED) == (Q.IN_PRODUCTION, C.REFUSED)  # the answer stands


@pytest.mark.parametrize(("state", "cancel"), EVERY)
def test_a_withdrawn_job_is_cancelled_whatever_it_was(state: QueueState, cancel: QueueCancel) -> None:
    assert after_withdraw(state, cancel) == (Q.CANCELLED, cancel)


@pytest.mark.parametrize(("state", "cancel"), EVERY)
def test_the_actions_offered_are_exactly_those_decide_accepts(state: QueueState, cancel: QueueCancel) -> None:
    offered = agency_actions(state, cancel)
    for action in AgencyAction:
        try:
            decide(action, state, cancel)
            accepted = True
        except Conflict:
            accepted = False
        assert (action in offered) is accepted, (action, state, cancel)


def test_what_the_agency_can_do_in_each_state() -> None:
    assert agency_actions(Q.RECEIVED, C.NONE) == {A.DOWNLOAD, A.ACCEPT, A.UPLOAD}
    assert agency_actions(Q.IN_PRODUCTION, C.REQUESTED) == {
        A.DOWNLOAD, A.ACCEPT, A.UPLOAD, A.APPROVE_CANCEL, A.REFUSE_CANCEL,
    }  # fmt: skip
    assert agency_actions(Q.DELIVERED, C.REFUSED) == {A.DOWNLOAD}
    assert agency_actions(Q.CANCELLED, C.APPROVED) == frozenset()


@pytest.mark.parametrize(("state", "cancel"), EVERY)
def test_the_connector_reads_the_state_and_only_a_given_answer(state: QueueState, cancel: QueueCancel) -> None:
    status = vendor_status(state, cancel)
    assert status.state is VendorState(state.value)
    assert status.cancel == {C.APPROVED: CancelAnswer.APPROVED, C.REFUSED: CancelAnswer.REFUSED}.get(cancel)


@pytest.mark.parametrize("job", [ConnectorJobStatus.SENT, ConnectorJobStatus.IN_PRODUCTION])
@pytest.mark.parametrize("action", [A.APPROVE_CANCEL, A.REFUSE_CANCEL])
def test_every_answer_the_agency_gives_is_one_the_connector_s_lifecycle_takes(
    job: ConnectorJobStatus, action: AgencyAction
) -> None:
    _, cancel = decide(action, Q.RECEIVED, C.REQUESTED)
    answer = vendor_status(*decide(action, Q.RECEIVED, C.REQUESTED)).cancel
    status, request = vendor_answer(job, CancelRequest.REQUESTED, approved=answer is CancelAnswer.APPROVED)
    expected = ConnectorJobStatus.CANCELLED if cancel is C.APPROVED else ConnectorJobStatus.IN_PRODUCTION
    assert status is expected and request.value == cancel.value


@pytest.mark.parametrize(("state", "cancel"), EVERY)
def test_languages_uploaded_while_the_job_is_live_are_complete_for_the_connector(
    state: QueueState, cancel: QueueCancel
) -> None:
    status = vendor_status(state, cancel, ("es",))
    if state in (Q.RECEIVED, Q.IN_PRODUCTION):  # an upload is work started: imported at the next poll
        assert status.state is VendorState.IN_PRODUCTION and status.complete_languages == {"es"}
    else:  # delivered: the whole job is imported; cancelled: nothing is
        assert status.state is VendorState(state.value) and status.complete_languages == frozenset()
    assert status.cancel == vendor_status(state, cancel).cancel
    assert vendor_status(state, cancel, ()).complete_languages == frozenset()
