"""A hypothesis state machine that drives random interleavings of task events, cancels and crashes
through a backend (the pure domain, or the real store) and checks docs/lifecycle.md's invariants at every step."""

from __future__ import annotations

from typing import Protocol

from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from dragoman.domain.jobs import JobView, Summary, Task, recover_task
from dragoman.domain.states import CANCELLABLE_JOB_STATES, TERMINAL_JOB_STATES, JobStatus, TaskStatus
from dragoman.errors import CancelRefused


class Backend(Protocol):
    def claim(self) -> str | None: ...
    def finish(self, task_id: str, status: TaskStatus, characters: int) -> None: ...
    def finish_and_claim(self, task_id: str, status: TaskStatus, characters: int) -> str | None: ...
    def cancel(self) -> None: ...
    def view(self) -> JobView: ...
    def tasks(self) -> list[Task]: ...


# A running task picked at random, and the outcome it reports.
OUTCOME = {
    "pick": st.integers(0, 100),
    "status": st.sampled_from([TaskStatus.SUCCEEDED, TaskStatus.FAILED]),
    "characters": st.integers(1, 5000),
}


class LifecycleMachine(RuleBasedStateMachine):
    backend: Backend
    size: int

    def __init__(self) -> None:
        super().__init__()
        self.running: list[str] = []
        self.first_terminal: JobStatus | None = None
        self.terminal_tasks: dict[str, TaskStatus] = {}

    def started(self, task_id: str | None) -> None:
        if task_id is not None:
            assert not self.backend.view().job.cancel_requested, "a cancelled job's task was started"
            self.running.append(task_id)

    @rule()
    def claim(self) -> None:
        self.started(self.backend.claim())

    @precondition(lambda self: self.running)
    @rule(**OUTCOME)
    def finish(self, pick: int, status: TaskStatus, characters: int) -> None:
        self.backend.finish(self.running.pop(pick % len(self.running)), status, characters)

    @precondition(lambda self: self.running)
    @rule(**OUTCOME)
    def finish_and_claim_next(self, pick: int, status: TaskStatus, characters: int) -> None:
        # a busy worker reports its task and takes the next one in the same step
        self.started(self.backend.finish_and_claim(self.running.pop(pick % len(self.running)), status, characters))

    @precondition(lambda self: self.running)
    @rule(pick=st.integers(0, 100))
    def stop_at_safe_point(self, pick: int) -> None:
        # a running task notices a cancel (only ever after one was accepted)
        if self.backend.view().job.cancel_requested:
            self.backend.finish(self.running.pop(pick % len(self.running)), TaskStatus.CANCELLED, 0)

    @precondition(lambda self: self.running)
    @rule(pick=st.integers(0, 100), published=st.booleans(), characters=st.integers(1, 5000))
    def crash_and_recover(self, pick: int, published: bool, characters: int) -> None:
        task_id = self.running.pop(pick % len(self.running))
        status = recover_task(published=published, cancel_requested=self.backend.view().job.cancel_requested)
        self.backend.finish(task_id, status, characters)

    @rule()
    def cancel(self) -> None:
        before = self.backend.view()
        try:
            self.backend.cancel()
        except CancelRefused:
            assert before.status not in CANCELLABLE_JOB_STATES
            return
        assert before.status in CANCELLABLE_JOB_STATES
        after = self.backend.view()
        assert after.summary.not_yet_started == 0
        assert after.summary.cancelled == before.summary.cancelled + before.summary.not_yet_started

    @invariant()
    def counters_add_up_and_billing_is_exact(self) -> None:
        view, tasks = self.backend.view(), self.backend.tasks()
        summary = view.summary
        assert summary == Summary.of(tasks)  # stored counters are exactly what the tasks say
        assert summary.total == self.size == len(tasks)
        assert summary.in_progress == len(self.running)
        succeeded = [task for task in tasks if task.status is TaskStatus.SUCCEEDED]
        assert summary.characters_charged == sum(task.characters or 0 for task in succeeded)
        assert all(task.billed_characters == 0 for task in tasks if task.status is TaskStatus.CANCELLED)

    @invariant()
    def terminal_never_changes(self) -> None:
        view = self.backend.view()
        for task in self.backend.tasks():
            if task.id in self.terminal_tasks:
                assert task.status is self.terminal_tasks[task.id]
            elif task.status in (TaskStatus.SUCCEEDED, TaskStatus.FAILED, TaskStatus.CANCELLED):
                self.terminal_tasks[task.id] = task.status
        if self.first_terminal is not None:
            assert view.status is self.first_terminal
        elif view.status in TERMINAL_JOB_STATES:
            self.first_terminal = view.status

    @invariant()
    def cancelling_means_something_runs(self) -> None:
        view = self.backend.view()
        if view.status is JobStatus.CANCELLING:
            assert view.summary.in_progress > 0
        if view.job.cancel_requested:
            assert view.summary.not_yet_started == 0
