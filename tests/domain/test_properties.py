"""Random interleavings against the pure domain rules."""

from __future__ import annotations

from datetime import UTC, datetime

from hypothesis import settings

from dragoman.domain.jobs import Job, JobView, Summary, Task, decide_cancel
from dragoman.domain.states import TaskStatus, transition
from tests.lifecycle_machine import LifecycleMachine

NOW = datetime(2026, 1, 1, tzinfo=UTC)


class PureBackend:
    def __init__(self, size: int) -> None:
        self.job = Job("j", "t", NOW, NOW)
        self._tasks = [
            Task(f"t{i}", "j", i, "file:///s", f"file:///t{i}", "en", "es", TaskStatus.PENDING, NOW, NOW)
            for i in range(size)
        ]

    def claim(self) -> str | None:
        for index, task in enumerate(self._tasks):
            if task.status is TaskStatus.PENDING:
                self._tasks[index] = task.evolve(status=transition(task.status, TaskStatus.RUNNING))
                return task.id
        return None

    def finish(self, task_id: str, status: TaskStatus, characters: int) -> None:
        index = next(i for i, task in enumerate(self._tasks) if task.id == task_id)
        task = self._tasks[index]
        self._tasks[index] = task.evolve(status=transition(task.status, status), characters=characters)

    def finish_and_claim(self, task_id: str, status: TaskStatus, characters: int) -> str | None:
        self.finish(task_id, status, characters)
        return self.claim()

    def cancel(self) -> None:
        self.job, _ = decide_cancel(self.job, Summary.of(self._tasks))
        self._tasks = [
            task.evolve(status=transition(task.status, TaskStatus.CANCELLED))
            if task.status is TaskStatus.PENDING
            else task
            for task in self._tasks
        ]

    def view(self) -> JobView:
        return JobView(self.job, Summary.of(self._tasks))

    def tasks(self) -> list[Task]:
        return list(self._tasks)


class PureLifecycle(LifecycleMachine):
    size = 6

    def __init__(self) -> None:
        self.backend = PureBackend(self.size)
        super().__init__()


TestPureLifecycle = PureLifecycle.TestCase
TestPureLifecycle.settings = settings(max_examples=300, stateful_step_count=40, deadline=None)
