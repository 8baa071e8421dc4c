"""What the connector's pages say, without HTML: words for every status and answer, the lifecycle's
steps, the cancel a job's page offers (the connector's own decision), each entity's cell per
language with its out-of-date marker, and the catalogue's filter."""

from __future__ import annotations

from datetime import datetime

import pytest

from dragoman.connector.lifecycle import CancelRequest, ConnectorJobStatus, decide_cancel
from dragoman.connector.snapshots import field_hash
from dragoman.connector.store import ConnectorJob, Entity
from dragoman.connector.vendors.human_rules import QueueCancel, QueueState
from dragoman.errors import CancelRefused, Invalid
from dragoman.web import connector_pages as cp

S = ConnectorJobStatus


def job(status: ConnectorJobStatus, request: CancelRequest = CancelRequest.NONE) -> ConnectorJob:
    moment = datetime(2026, 1, 1)
    return ConnectorJob("j", "acme", "n", "en", ("es",), "agency", status, request, moment, moment)


def entity(
    fields: dict[str, str], *, in_translation: frozenset[str] = frozenset(), translated: frozenset[str] = frozenset()
) -> Entity:
    return Entity("chair", "en", "1", fields, {}, in_translation, translated)


def test_every_state_and_answer_has_words() -> None:
    assert {cp.status_words(status) for status in S} >= {"send failed", "ready for import", "imported with errors"}
    assert len({cp.status_words(status) for status in S}) == len(S)
    for request in CancelRequest:
        assert cp.cancel_request_words(request)
    assert cp.cancel_request_words(CancelRequest.REFUSED).startswith("refused by the vendor")
    for state in QueueState:
        assert cp.agency_state_words(state)
    for cancel in QueueCancel:
        assert cp.agency_cancel_words(cancel)


@pytest.mark.parametrize("status", list(S))
def test_the_lifecycle_shows_one_current_step(status: ConnectorJobStatus) -> None:
    steps = cp.lifecycle_steps(status)
    current = [step for step in steps if step.mark == "current"]
    assert [step.words for step in current] == [cp.status_words(status)]
    marks = [step.mark for step in steps]
    assert marks == sorted(marks, key=["done", "current", "ahead"].index)  # done, then current, then ahead


@pytest.mark.parametrize("request_", list(CancelRequest))
@pytest.mark.parametrize("status", list(S))
def test_the_cancel_offered_is_the_connector_s_decision(status: ConnectorJobStatus, request_: CancelRequest) -> None:
    offer = cp.cancel_offer(job(status, request_))
    try:
        decision = decide_cancel(status, request_)
    except CancelRefused:
        assert offer is None
        return
    if decision.value == "request_vendor":
        if request_ is CancelRequest.REQUESTED:
            assert offer is None  # asked already: the answer comes with a poll
        else:
            assert offer is not None and offer.label == "Request cancellation from the vendor"
    else:
        assert offer is not None and offer.label == "Cancel the job" and offer.explanation.startswith("free")


def test_actions_follow_the_lifecycle() -> None:
    assert cp.job_actions(job(S.DRAFT)) == ["send"]
    assert cp.job_actions(job(S.SENT)) == ["poll"]
    assert cp.job_actions(job(S.READY_FOR_IMPORT)) == ["import"]
    assert cp.job_actions(job(S.CANCELLED)) == ["resubmit"]
    assert cp.job_actions(job(S.IMPORTED)) == []


def test_a_translated_language_is_out_of_date_when_a_field_changed_or_was_added() -> None:
    fields = {"name": "Red chair", "description": "A chair."}
    imported = {"es": {"name": field_hash("name", "Red chair"), "description": field_hash("description", "A chair.")}}
    chair = entity(fields, in_translation=frozenset({"ca"}), translated=frozenset({"es"}))
    cells = cp.language_cells(chair, imported, ["ca", "es", "fr"])
    assert [(c.state, c.words, c.out_of_date) for c in cells] == [
        ("in_translation", "In translation", False),
        ("translated", "Translated", False),
        ("none", "—", False),
    ]
    edited = entity({**fields, "name": "Blue chair", "material": "oak"}, translated=frozenset({"es"}))
    (cell,) = cp.language_cells(edited, imported, ["es"])
    assert cell.words == "Translated, out of date" and cell.changed == ("material", "name")


def test_the_catalogue_filter() -> None:
    chair = entity({"name": "x"}, in_translation=frozenset({"ca"}), translated=frozenset({"es"}))
    stale = {"es": {"name": "not the hash"}}
    assert cp.entity_filter(None, None, None).active is False
    assert cp.entity_filter("", "in_translation", "ca").keeps(chair, {})
    assert not cp.entity_filter("", "in_translation", "es").keeps(chair, {})
    assert cp.entity_filter("", "untranslated", "fr").keeps(chair, {})
    assert not cp.entity_filter("", "untranslated", "").keeps(chair, {})
    assert cp.entity_filter("", "out_of_date", "").keeps(chair, stale)
    assert not cp.entity_filter("", "out_of_date", "es").keeps(chair, {"es": {"name": field_hash("name", "x")}})
    assert cp.entity_filter("catalogue", "", "").keeps(chair, {})
    assert not cp.entity_filter("cms", "", "").keeps(chair, {})
    assert cp.entity_filter("", "nonsense", "es_mx") == cp.EntityFilter("", "", "es-MX")
    with pytest.raises(Invalid):
        cp.entity_filter("", "", "not a language!")
