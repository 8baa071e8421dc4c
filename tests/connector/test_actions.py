"""The actions a connector job takes in each state (`lifecycle.actions`, what a page offers and what
the REST API's job documents list), checked against the rules that decide them."""

from __future__ import annotations

import itertools

import pytest

from dragoman.connector.lifecycle import (
    CANCELLABLE_BY_REQUEST,
    TERMINAL_JOB_STATES,
    CancelRequest,
    ConnectorJobStatus,
    JobAction,
    actions,
    decide_cancel,
)
from dragoman.errors import CancelRefused

S = ConnectorJobStatus
A = JobAction


@pytest.mark.parametrize(("status", "request_", "expected"), [
    (S.DRAFT, CancelRequest.NONE, {A.SEND, A.CANCEL}),
    (S.SENDING, CancelRequest.NONE, {A.CANCEL}),
    (S.SEND_FAILED, CancelRequest.NONE, {A.SEND, A.CANCEL}),
    (S.SENT, CancelRequest.NONE, {A.CANCEL, A.POLL}),
    (S.SENT, CancelRequest.REQUESTED, {A.CANCEL, A.POLL}),  # asking again is the same request
    (S.IN_PRODUCTION, CancelRequest.REFUSED, {A.POLL}),
    (S.READY_FOR_IMPORT, CancelRequest.NONE, {A.IMPORT}),
    (S.READY_FOR_IMPORT, CancelRequest.REFUSED, {A.IMPORT}),
    (S.IMPORTED, CancelRequest.NONE, set()),
    (S.IMPORTED, CancelRequest.REFUSED, {A.RESUBMIT}),
    (S.IMPORTED_WITH_ERRORS, CancelRequest.NONE, set()),
    (S.CANCELLED, CancelRequest.APPROVED, {A.RESUBMIT}),
])  # fmt: skip
def test_each_state_offers_what_it_takes(
    status: ConnectorJobStatus, request_: CancelRequest, expected: set[JobAction]
) -> None:
    assert actions(status, request_) == expected


@pytest.mark.parametrize(("status", "request_"), list(itertools.product(S, CancelRequest)))
def test_cancel_is_offered_exactly_when_it_is_decided(status: ConnectorJobStatus, request_: CancelRequest) -> None:
    try:
        decide_cancel(status, request_)
        accepted = True
    except CancelRefused:
        accepted = False
    assert (A.CANCEL in actions(status, request_)) is accepted
    assert (A.POLL in actions(status, request_)) is (status in CANCELLABLE_BY_REQUEST)
    if A.RESUBMIT in actions(status, request_):
        assert status in TERMINAL_JOB_STATES  # a live job's entities are still in translation
