"""The automatic sender's records: per tenant and rule, when it last ran, what it did, the job its
latest run made, and which process runs it now (table `connector_rule_runs`, migration 0010).

A run is claimed (`claim`) in one statement, like a job's lease: two `dragoman serve` processes on
one state database never run one rule at once. The job a run makes is recorded (`record(job_id=)`)
before the job is created, so a crash anywhere leaves a record the next run can act on.

Shapes: `RuleRunState(tenant, rule, last_run_at, job_id, outcome)`; `RuleRuns(engine)`:
`state(tenant, rule) -> RuleRunState | None`, `states(tenant) -> {rule: RuleRunState}`,
`claim(tenant, rule, owner, seconds, now) -> RuleRunState | None` (None: another process runs it),
`record(tenant, rule, owner, **values)`, `release(tenant, rule, owner)`. Store failures raise StoreError.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, Engine, insert, or_, select, update
from sqlalchemy.exc import IntegrityError, SQLAlchemyError

from dragoman.connector.schema import connector_rule_runs
from dragoman.errors import StoreError

__all__ = ["RuleRunState", "RuleRuns"]

T = connector_rule_runs


@dataclass(frozen=True, slots=True)
class RuleRunState:
    """A rule's record: when its latest run started, the job that run made (or one before it: the
    latest job any run made), and what the latest run did, in words."""

    tenant: str
    rule: str
    last_run_at: datetime | None = None
    job_id: str | None = None
    outcome: str | None = None


class RuleRuns:
    """Rule run records in the service's state database."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    @contextmanager
    def _begin(self) -> Iterator[Connection]:
        try:
            with self._engine.begin() as connection:
                yield connection
        except SQLAlchemyError as exc:
            raise StoreError("the state database is unavailable or busy; try again") from exc

    def state(self, tenant: str, rule: str) -> RuleRunState | None:
        with self._begin() as connection:
            row = connection.execute(select(T).where(T.c.tenant == tenant, T.c.rule == rule)).first()
        return None if row is None else _state(row)

    def states(self, tenant: str) -> dict[str, RuleRunState]:
        with self._begin() as connection:
            rows = connection.execute(select(T).where(T.c.tenant == tenant)).all()
        return {row.rule: _state(row) for row in rows}

    def claim(self, tenant: str, rule: str, owner: str, seconds: float, now: datetime) -> RuleRunState | None:
        """Take the rule for `owner` for `seconds` and mark it run at `now`: its record as it was
        before, or None when another process holds an unexpired claim."""
        if self.state(tenant, rule) is None:
            try:
                with self._begin() as connection:
                    connection.execute(insert(T).values(tenant=tenant, rule=rule))
            except StoreError as exc:
                if not isinstance(exc.__cause__, IntegrityError):  # another process made it meanwhile
                    raise
        with self._begin() as connection:
            before = connection.execute(select(T).where(T.c.tenant == tenant, T.c.rule == rule)).first()
            taken = connection.execute(
                update(T)
                .where(
                    T.c.tenant == tenant,
                    T.c.rule == rule,
                    or_(T.c.lease_owner.is_(None), T.c.lease_owner == owner, T.c.lease_until < now),
                )
                .values(lease_owner=owner, lease_until=now + timedelta(seconds=seconds), last_run_at=now)
            ).rowcount
        return _state(before) if taken and before is not None else None

    def record(self, tenant: str, rule: str, owner: str, **values: Any) -> None:
        """Set `values` (job_id, outcome) on the rule's record, while `owner` holds it."""
        with self._begin() as connection:
            connection.execute(
                update(T).where(T.c.tenant == tenant, T.c.rule == rule, T.c.lease_owner == owner).values(**values)
            )

    def release(self, tenant: str, rule: str, owner: str) -> None:
        with self._begin() as connection:
            connection.execute(
                update(T)
                .where(T.c.tenant == tenant, T.c.rule == rule, T.c.lease_owner == owner)
                .values(lease_owner=None, lease_until=None)
            )


def _state(row: Any) -> RuleRunState:
    return RuleRunState(row.tenant, row.rule, row.last_run_at, row.job_id, row.outcome)
