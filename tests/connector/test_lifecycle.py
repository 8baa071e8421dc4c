"""A connector job's lifecycle and cancel rules (src/dragoman/connector/lifecycle.py)."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from dragoman.connector.lifecycle import (
    TERMINAL_JOB_STATES,
    TRANSITIONS,
    CancelDecision,
    CancelRequest,
    ConnectorJobStatus,
    JobAction,
    actions,
    decide_cancel,
    send_retry_due,
    transition,
    vendor_answer,
)
from dragoman.errors import CancelRefused, InvalidTransition

S = ConnectorJobStatus


def test_the_happy_path_is_allowed_and_ends() -> None:
    path = [S.DRAFT, S.SENDING, S.SENT, S.IN_PRODUCTION, S.READY_FOR_IMPORT, S.IMPORTED]
    for old, new in zip(path, path[1:], strict=False):
        assert transition(old, new) is new
    assert {S.IMPORTED, S.IMPORTED_WITH_ERRORS, S.CANCELLED} == TERMINAL_JOB_STATES


@pytest.mark.parametrize(("old", "new"), [(S.DRAFT, S.SENT), (S.IMPORTED, S.SENDING), (S.CANCELLED, S.SENT),
                                          (S.READY_FOR_IMPORT, S.CANCELLED), (S.SENT, S.IMPORTED)])  # fmt: skip
def test_other_moves_are_refused(old: ConnectorJobStatus, new: ConnectorJobStatus) -> None:
    with pytest.raises(InvalidTransition):
        transition(old, new)


def test_before_anything_reached_the_vendor_the_connector_cancels_on_its_own() -> None:
    assert decide_cancel(S.DRAFT) is CancelDecision.CANCEL_NOW
    assert decide_cancel(S.SENDING) is CancelDecision.WITHDRAW  # guaranteed: what reached the vendor is withdrawn


def test_a_failed_send_is_cancelled_on_the_connectors_own_and_what_reached_the_vendor_withdrawn() -> None:
    # a send that failed partway (one language's vendor job started, the next refused) left vendor jobs
    assert decide_cancel(S.SEND_FAILED) is CancelDecision.WITHDRAW
    assert decide_cancel(S.SEND_FAILED, CancelRequest.NONE) is CancelDecision.WITHDRAW
    assert JobAction.CANCEL in actions(S.SEND_FAILED) and JobAction.SEND in actions(S.SEND_FAILED)


@pytest.mark.parametrize("status", list(S))
def test_only_a_draft_is_cancelled_without_asking_the_vendor_what_it_holds(status: ConnectorJobStatus) -> None:
    try:
        decision = decide_cancel(status)
    except CancelRefused:
        return
    # every state after the first vendor call withdraws or asks the vendor: none leaves a vendor job unknown
    assert (decision is CancelDecision.CANCEL_NOW) == (status is S.DRAFT)


@pytest.mark.parametrize("status", [S.SENT, S.IN_PRODUCTION])
def test_once_sent_a_cancel_is_a_request_the_vendor_answers(status: ConnectorJobStatus) -> None:
    assert decide_cancel(status) is CancelDecision.REQUEST_VENDOR
    assert decide_cancel(status, CancelRequest.REQUESTED) is CancelDecision.REQUEST_VENDOR  # the same request
    assert vendor_answer(status, CancelRequest.REQUESTED, approved=True) == (S.CANCELLED, CancelRequest.APPROVED)
    refused = vendor_answer(status, CancelRequest.REQUESTED, approved=False)
    assert refused == (S.IN_PRODUCTION, CancelRequest.REFUSED)  # work has started
    with pytest.raises(CancelRefused, match="refused"):
        decide_cancel(*refused)


@pytest.mark.parametrize("status", [S.READY_FOR_IMPORT, S.IMPORTED, S.IMPORTED_WITH_ERRORS, S.CANCELLED])
def test_delivered_imported_or_cancelled_jobs_cannot_be_cancelled(status: ConnectorJobStatus) -> None:
    with pytest.raises(CancelRefused):
        decide_cancel(status)


def test_an_answer_to_no_request_changes_nothing() -> None:
    assert vendor_answer(S.SENT, CancelRequest.NONE, approved=True) == (S.SENT, CancelRequest.NONE)


def test_a_late_approval_of_a_delivered_job_is_refused_by_the_lifecycle() -> None:
    with pytest.raises(InvalidTransition):
        vendor_answer(S.READY_FOR_IMPORT, CancelRequest.REQUESTED, approved=True)


def test_every_state_is_reachable_from_draft() -> None:
    seen, frontier = {S.DRAFT}, [S.DRAFT]
    while frontier:
        for following in TRANSITIONS[frontier.pop()]:
            if following not in seen:
                seen.add(following)
                frontier.append(following)
    assert seen == set(S)


def test_a_failed_send_is_retried_on_its_own_with_a_growing_wait_and_a_cap() -> None:
    failed = datetime(2026, 11, 30, 12, 0, 0)

    def later(**wait: float) -> datetime:
        return failed + timedelta(**wait)

    assert not send_retry_due(1, failed, later(seconds=29), 5, 30)
    assert send_retry_due(1, failed, later(seconds=30), 5, 30)  # after the first failure: 30 s
    assert not send_retry_due(2, failed, later(seconds=59), 5, 30) and send_retry_due(
        2, failed, later(seconds=60), 5, 30
    )
    assert send_retry_due(4, failed, later(seconds=240), 5, 30)  # 30, 60, 120, 240...
    assert not send_retry_due(5, failed, later(days=9), 5, 30)  # the cap: by hand only from then on
