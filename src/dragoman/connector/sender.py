"""The automatic sender (issue 12 §7): runs the rules of `connector.rules`, each when it is due.

A run of a rule, under a claim on the rule (`RuleRuns.claim`: two processes never run one rule at
once), in this order:

1. If the job the rule's latest run made is still a draft, a failed send or being sent (a run that
   crashed or was stopped after creating it), that job is sent now and the run ends there: no second
   job is made for the same entities. A job that no longer exists (the crash came before it was
   created), or that was sent, cancelled or imported, leaves the run to go on.
2. The rule's source system, if it has one, is synced (what changed since its last sync).
3. `rules.select` decides which entities go into which targets, from the entities of the rule's
   source (or of the embedded catalogue), their language sets and the hashes last imported.
4. Nothing selected: no job. Otherwise the new job's id is recorded on the rule first, then the job
   is created (one per run, each entity frozen only into the targets selected for it) and sent. A
   vendor that cannot take it leaves it `send_failed`; the next run sends it again (step 1).

`run_due` runs every rule that is due (`rules.due`: `every_seconds` since its latest run started),
logging what fails and never raising: `dragoman serve`'s receiver calls it at each round.

Shapes: `Sender(connector, rules: {name: Rule}, runs: RuleRuns)`; `for_service(service) -> Sender`;
`RuleRun(rule, tenant, ran_at, synced, job, resumed, outcome)`; `run(tenant, name) -> RuleRun`
raises NotFound (no such rule for the tenant), Conflict (another process runs it now),
SourceSystemError (its source system failed; nothing was sent), StoreError, and what `create_job`
raises; `rules_of(tenant) -> [(name, Rule, RuleRunState | None)]`; `run_due() -> [RuleRun]`.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from dragoman.connector.lifecycle import ConnectorJobStatus
from dragoman.connector.rule_runs import RuleRuns, RuleRunState
from dragoman.connector.rules import Candidate, Rule, check, due, select
from dragoman.connector.service import Connector, SyncReport
from dragoman.connector.store import ConnectorJob
from dragoman.errors import ConfigError, Conflict, NotFound, ServiceError

__all__ = ["RuleRun", "Sender", "for_service"]

log = logging.getLogger("dragoman.connector")
S = ConnectorJobStatus
UNSENT = frozenset({S.DRAFT, S.SEND_FAILED, S.SENDING})


def utcnow() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


@dataclass(frozen=True, slots=True)
class RuleRun:
    """What one run of a rule did: the sync of its source (if it has one), the job it sent (None:
    nothing was selected), whether that job was one an earlier run had left unsent, and in words."""

    rule: str
    tenant: str
    ran_at: datetime
    synced: SyncReport | None
    job: ConnectorJob | None
    resumed: bool
    outcome: str


class Sender:
    """The rules of one service, run against its connector (see the module's docstring)."""

    def __init__(
        self,
        connector: Connector,
        rules: Mapping[str, Rule],
        runs: RuleRuns,
        *,
        now: Callable[[], datetime] = utcnow,
    ) -> None:
        self.connector = connector
        self.rules = dict(rules)
        self.runs = runs
        self._now = now

    def rule(self, tenant: str, name: str) -> Rule:
        """Rule `name` of `tenant`. Raises NotFound."""
        found = self.rules.get(name)
        if found is None or found.tenant != tenant:
            raise NotFound(f"no automatic sending rule {name!r}")
        return found

    def rules_of(self, tenant: str) -> list[tuple[str, Rule, RuleRunState | None]]:
        """`tenant`'s rules by name, each with its record (None: never run)."""
        states = self.runs.states(tenant)
        return [(name, rule, states.get(name)) for name, rule in sorted(self.rules.items()) if rule.tenant == tenant]

    def run_due(self) -> list[RuleRun]:
        """Run every rule that is due; what they did. Logs failures, never raises."""
        done = []
        for name, rule in sorted(self.rules.items()):
            try:
                state = self.runs.state(rule.tenant, name)
                if not due(state.last_run_at if state else None, rule.every_seconds, self._now()):
                    continue
                report = self.run(rule.tenant, name)
            except Conflict as exc:  # another process runs it now, or an entity went into translation meanwhile
                log.info("connector rule %s: %s", name, exc.message, extra={"action": "rule", "rule": name})
                continue
            except ServiceError as exc:
                log.warning("connector rule %s failed: %s", name, exc.message, extra={"action": "rule", "rule": name})
                continue
            except Exception:
                log.exception("connector rule %s failed", name, extra={"action": "rule", "rule": name})
                continue
            log.info("connector rule %s: %s", name, report.outcome, extra={"action": "rule", "rule": name})
            done.append(report)
        return done

    def run(self, tenant: str, name: str) -> RuleRun:
        """Run rule `name` of `tenant` now (see the module's docstring)."""
        rule = self.rule(tenant, name)
        owner = self.connector.owner
        now = self._now()
        before = self.runs.claim(tenant, name, owner, self.connector.lease_seconds, now)
        if before is None:
            raise Conflict(f"the rule {name!r} is being run by another process now; try again in a moment")
        try:
            report = self._run(tenant, name, rule, before, now)
        except ServiceError as exc:
            self.runs.record(tenant, name, owner, outcome=f"failed: {exc.message}")
            raise
        finally:
            self.runs.release(tenant, name, owner)
        return report

    def _run(self, tenant: str, name: str, rule: Rule, before: RuleRunState, now: datetime) -> RuleRun:
        owner = self.connector.owner
        left = self._unsent(tenant, before.job_id)
        if left is not None:
            try:
                job = self.connector.send(tenant, left.id)
            except Conflict:
                if left.status is not ConnectorJobStatus.DRAFT:
                    raise
                # a draft gone out of date (or whose entities went into translation) is cancelled,
                # and this run makes a new job of what is to send now
                self.connector.cancel(tenant, left.id)
            else:
                outcome = f"sent job {job.id}, which an earlier run made and left unsent: {job.status.value}"
                self.runs.record(tenant, name, owner, outcome=outcome)
                return RuleRun(name, tenant, now, None, job, True, outcome)
        synced = self.connector.sync(tenant, rule.source) if rule.source is not None else None
        chosen = select(rule.select, rule.source_language, rule.target_languages, self._candidates(tenant, rule))
        if not chosen:
            outcome = "nothing to send"
            self.runs.record(tenant, name, owner, outcome=outcome)
            return RuleRun(name, tenant, now, synced, None, False, outcome)
        job_id = str(uuid.uuid4())
        self.runs.record(tenant, name, owner, job_id=job_id)  # before the job exists: see the docstring
        targets = [target for target in rule.target_languages if any(target in into for into in chosen.values())]
        stamp = now.strftime("%Y-%m-%d %H:%M:%S")
        job = self.connector.create_job(
            tenant, f"{rule.job_prefix(name)} {stamp}", rule.source_language, targets, rule.vendor, list(chosen),
            only=chosen, id=job_id, instructions=rule.instructions,
            due_at=now + timedelta(days=rule.due_days) if rule.due_days is not None else None,
        )  # fmt: skip
        job = self.connector.send(tenant, job.id)
        outcome = f"job {job.id}: {len(chosen)} entities, {len(job.items)} items, {job.status.value}"
        if job.error:
            outcome += f" ({job.error})"
        self.runs.record(tenant, name, owner, outcome=outcome)
        return RuleRun(name, tenant, now, synced, job, False, outcome)

    def _unsent(self, tenant: str, job_id: str | None) -> ConnectorJob | None:
        """The job an earlier run made, while it is not sent yet (draft, failed send, being sent)."""
        if job_id is None:
            return None
        try:
            job = self.connector.store.job(tenant, job_id)
        except NotFound:  # the run stopped before creating it
            return None
        return job if job.status in UNSENT else None

    def _candidates(self, tenant: str, rule: Rule) -> list[Candidate]:
        imported = self.connector.store.imported(tenant)
        return [
            Candidate(
                entity.id, entity.source_language, entity.fields, entity.in_translation, imported.get(entity.id, {})
            )
            for entity in self.connector.store.entities(tenant)
            if entity.source == rule.source
        ]


def for_service(service: Any) -> Sender:
    """The sender of a `dragoman.service.Dragoman`: its connector, the rules DRAGOMAN_CONNECTOR_RULES
    configures, their records in its state database."""
    rules = {name: check(name, table) for name, table in service.settings.connector_rules.items()}
    return Sender(service.connector, rules, RuleRuns(service.store._engine))


def check_rules(service: Any) -> None:
    """Raise ConfigError naming DRAGOMAN_CONNECTOR_RULES for a rule `dragoman serve` could never run:
    one whose vendor does not translate its source language into one of its targets (with the
    engine installed here: known only once the service is built), or one for a tenant no front door
    knows. Without this, such a rule failed at every run and sent nothing, not even its good targets."""
    from dragoman.config import setting_name
    from dragoman.planning import CLI_TENANT, language, locale

    settings = service.settings
    for name, table in settings.connector_rules.items():
        rule = check(name, table)
        where = f"{setting_name('connector_rules')} at {name}"
        if rule.tenant not in settings.tenants and rule.tenant != CLI_TENANT:
            known = ", ".join(sorted({*settings.tenants, CLI_TENANT}))
            raise ConfigError(f"{where}: no tenant {rule.tenant!r} (known: {known})")
        vendor = service.connector.vendors.get(rule.vendor)
        if vendor is None:
            continue  # the settings' own check names an unknown vendor
        try:
            vendor.check_languages(language(rule.source_language), [locale(t) for t in rule.target_languages])
        except ServiceError as exc:
            raise ConfigError(f"{where}: {exc.message}") from None
