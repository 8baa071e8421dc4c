"""Entities' language sets, recomputed from history (src/dragoman/connector/languages.py), checked
against random sequences of sends, vendor outcomes, cancel requests, approvals, refusals, imports
and crashes (a crash loses nothing recorded: the sets are recomputed from the history alone)."""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dragoman.connector.languages import (
    ItemEvent,
    ItemEventKind,
    LanguageSets,
    check_not_in_translation,
    language_sets,
)
from dragoman.connector.lifecycle import (
    LIVE_JOB_STATES,
    TRANSITIONS,
    CancelDecision,
    CancelRequest,
    ConnectorJobStatus,
    decide_cancel,
    transition,
    vendor_answer,
)
from dragoman.errors import CancelRefused, Conflict, InvalidTransition

S = ConnectorJobStatus
K = ItemEventKind
ENTITIES = ["chair", "table"]
LANGUAGES = ["es", "ca"]


def test_send_import_cancel_and_resend() -> None:
    history = [
        ItemEvent("chair", "es", "j1", K.SENT),
        ItemEvent("chair", "ca", "j1", K.SENT),
    ]
    assert language_sets(history)["chair"] == LanguageSets({"es", "ca"}, set())
    history += [ItemEvent("chair", "es", "j1", K.IMPORTED), ItemEvent("chair", "ca", "j1", K.FAILED)]
    assert language_sets(history)["chair"] == LanguageSets(set(), {"es"})
    # re-sending a translated language moves it to In translation; cancelling puts it back
    history.append(ItemEvent("chair", "es", "j2", K.SENT))
    assert language_sets(history)["chair"] == LanguageSets({"es"}, set())
    history.append(ItemEvent("chair", "es", "j2", K.CANCELLED))
    assert language_sets(history)["chair"] == LanguageSets(set(), {"es"})
    # a language never imported before goes back to nothing
    history += [ItemEvent("chair", "fr", "j3", K.SENT), ItemEvent("chair", "fr", "j3", K.CANCELLED)]
    assert language_sets(history)["chair"] == LanguageSets(set(), {"es"})


def test_one_live_item_per_entity_and_language() -> None:
    sets = language_sets([ItemEvent("chair", "es", "j1", K.SENT)])["chair"]
    with pytest.raises(Conflict, match="already in translation"):
        check_not_in_translation(sets, "chair", "es")
    check_not_in_translation(sets, "chair", "ca")


@dataclass
class SimulatedJob:
    items: list[tuple[str, str]]
    status: S = S.DRAFT
    request: CancelRequest = CancelRequest.NONE
    moves: list[tuple[S, S]] = field(default_factory=list)

    def move(self, new: S) -> None:
        old, self.status = self.status, transition(self.status, new)
        self.moves.append((old, new))


class Reference:
    """The rules applied step by step, as a connector that edits the sets in place would (the
    Lionbridge semantics): what `language_sets` must equal after any history."""

    def __init__(self) -> None:
        self.sets: dict[str, LanguageSets] = {}
        self.imported_before: set[tuple[str, str]] = set()

    def apply(self, event: ItemEvent) -> None:
        sets = self.sets.setdefault(event.entity, LanguageSets())
        key = (event.entity, event.language)
        if event.kind is K.SENT:
            sets.in_translation.add(event.language)
            sets.translated.discard(event.language)
        elif event.kind is K.IMPORTED:
            sets.in_translation.discard(event.language)
            sets.translated.add(event.language)
            self.imported_before.add(key)
        else:
            sets.in_translation.discard(event.language)
            if key in self.imported_before:
                sets.translated.add(event.language)


OPERATIONS = st.sampled_from(
    ["create", "advance", "advance", "advance", "send", "sent", "send_failed", "accept", "deliver", "import",
     "cancel", "approve", "refuse", "crash"]
)  # fmt: skip
# "advance" takes a job one step along the happy path, so that deep histories (imported, re-sent,
# then cancelled) are common, not rare
_NEXT = {S.DRAFT: "send", S.SEND_FAILED: "send", S.SENDING: "sent", S.SENT: "accept", S.IN_PRODUCTION: "deliver",
         S.READY_FOR_IMPORT: "import"}  # fmt: skip


@settings(max_examples=500, deadline=None)
@given(st.lists(st.tuples(OPERATIONS, st.integers(0, 3), st.integers(0, 15)), min_size=1, max_size=80))
def test_random_histories_keep_every_invariant(steps: list[tuple[str, int, int]]) -> None:
    jobs: list[SimulatedJob] = []
    history: list[ItemEvent] = []
    reference = Reference()

    def record(job_index: int, item: tuple[str, str], kind: K) -> None:
        event = ItemEvent(item[0], item[1], f"j{job_index}", kind)
        history.append(event)
        reference.apply(event)

    def end_items(index: int, kind: K) -> None:
        for item in jobs[index].items:
            record(index, item, kind)

    for operation, pick, bits in steps:
        if operation == "create":
            current = language_sets(history)
            items = []
            for n, entity in enumerate(ENTITIES):
                for m, language in enumerate(LANGUAGES):
                    if bits >> (n * len(LANGUAGES) + m) & 1:
                        try:
                            check_not_in_translation(current.get(entity, LanguageSets()), entity, language)
                        except Conflict:
                            continue
                        if all((entity, language) not in job.items for job in jobs if job.status is S.DRAFT):
                            items.append((entity, language))
            if items:
                jobs.append(SimulatedJob(items))
            continue
        if not jobs or operation == "crash":
            continue  # a crash: nothing recorded is lost; the sets come from the history alone
        index = len(jobs) - 1 - pick % len(jobs)  # the newest jobs most often
        job = jobs[index]
        if operation == "advance":
            operation = _NEXT.get(job.status, "crash")
        try:
            if operation == "send":
                if job.status is S.DRAFT:
                    current = language_sets(history)
                    for entity, language in job.items:  # a draft's items may have been sent by another job since
                        check_not_in_translation(current.get(entity, LanguageSets()), entity, language)
                    job.move(S.SENDING)
                    end_items(index, K.SENT)
                else:
                    job.move(S.SENDING)  # a retry after send_failed: its items are still live
            elif operation == "sent":
                job.move(S.SENT)
            elif operation == "send_failed":
                job.move(S.SEND_FAILED)
            elif operation == "accept":
                job.move(S.IN_PRODUCTION)
            elif operation == "deliver":
                job.move(S.READY_FOR_IMPORT)
            elif operation == "import":
                failing = {item for n, item in enumerate(job.items) if bits >> n & 1}
                job.move(S.IMPORTED_WITH_ERRORS if failing else S.IMPORTED)
                for item in job.items:
                    record(index, item, K.FAILED if item in failing else K.IMPORTED)
            elif operation == "cancel":
                was_live = job.status in LIVE_JOB_STATES or job.status is S.SEND_FAILED
                decision = decide_cancel(job.status, job.request)
                if decision is CancelDecision.REQUEST_VENDOR:
                    job.request = CancelRequest.REQUESTED
                else:
                    job.move(S.CANCELLED)
                    if was_live:
                        end_items(index, K.CANCELLED)
            elif operation in ("approve", "refuse"):
                before = job.status
                status, request = vendor_answer(job.status, job.request, approved=operation == "approve")
                if status is not before:
                    job.move(status)
                job.request = request
                if status is S.CANCELLED and before is not S.CANCELLED:
                    end_items(index, K.CANCELLED)
        except (InvalidTransition, CancelRefused, Conflict):
            pass  # refused: nothing changed

        sets = language_sets(history)
        for entity, entity_sets in sets.items():
            assert not entity_sets.in_translation & entity_sets.translated  # never in both
            assert entity_sets == reference.sets[entity]  # what the history implies, step by step
        for job in jobs:
            assert all(new in TRANSITIONS[old] for old, new in job.moves)  # only along the lifecycle
    cancelled = {(event.job, event.entity, event.language) for event in history if event.kind is K.CANCELLED}
    imported = {(event.job, event.entity, event.language) for event in history if event.kind is K.IMPORTED}
    assert not cancelled & imported  # nothing is imported for a cancelled item
