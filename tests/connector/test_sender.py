"""The automatic sender (src/dragoman/connector/sender.py) in process, with the local vendor run by
a real runner with Apertium, over the embedded catalogue: rules create and send jobs with nobody
asking, send only what changed, never make a second job for a run a crash interrupted, and run when
they are due, one process at a time."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from dragoman.config import Settings
from dragoman.connector.lifecycle import ConnectorJobStatus
from dragoman.connector.rule_runs import RuleRuns
from dragoman.connector.sender import Sender, for_service
from dragoman.connector.service import Connector
from dragoman.connector.store import ConnectorJob
from dragoman.errors import Conflict, NotFound
from dragoman.service import Dragoman
from tests.conftest import wait_for

S = ConnectorJobStatus
TENANT = "default"
EVERYTHING = {"select": "all", "source_language": "en", "target_languages": ["es", "ca"], "every_seconds": 60}


@pytest.fixture
def service(tmp_path: Path) -> Iterator[Dragoman]:
    rules = {
        "everything": {**EVERYTHING, "job_name": "auto", "instructions": "Keep it short.", "due_days": 2},
        "updates": {**EVERYTHING, "select": "changed", "target_languages": ["es"]},
        "ready": {**EVERYTHING, "select": {"field": "status", "equals": "ready"}, "target_languages": ["ca"]},
        "acme": {**EVERYTHING, "tenant": "acme"},
    }
    settings = Settings(data_dir=tmp_path / "data", roots=[tmp_path / "docs"], workers=2, connector_rules=rules)
    with Dragoman.from_settings(settings, with_runner=True) as running:
        yield running


def catalogue(connector: Connector) -> None:
    connector.put_entity(TENANT, "chair", "en", {"name": "The red house", "description": "I like dogs."})
    connector.put_entity(TENANT, "table", "en", {"name": "The cat is black.", "sku": ""})


def imported(connector: Connector, job_id: str) -> ConnectorJob:
    wait_for(lambda: connector.poll(TENANT, job_id).status is S.READY_FOR_IMPORT, timeout=60)
    return connector.import_job(TENANT, job_id)


def test_a_rule_sends_what_needs_translating_and_then_only_what_changed(service: Dragoman) -> None:
    sender = for_service(service)
    connector = sender.connector
    catalogue(connector)
    first = sender.run(TENANT, "everything")
    assert first.job is not None and first.job.status is S.SENT and not first.resumed
    assert first.job.name.startswith("auto ") and first.job.instructions == "Keep it short."
    assert first.job.due_at is not None and first.job.due_at - first.ran_at == timedelta(days=2)
    assert sorted((item.entity, item.language, tuple(item.fields)) for item in first.job.items) == [
        ("chair", "ca", ("description", "name")), ("chair", "es", ("description", "name")),
        ("table", "ca", ("name",)), ("table", "es", ("name",)),
    ]  # fmt: skip
    again = sender.run(TENANT, "everything")  # everything is in translation
    assert again.job is None and again.outcome == "nothing to send"
    assert imported(connector, first.job.id).status is S.IMPORTED
    assert sender.run(TENANT, "everything").job is None  # everything is translated as it is
    # one field edited: only it is sent, into each target
    connector.put_entity(TENANT, "chair", "en", {"name": "The red house", "description": "The cat is black."})
    edited = sender.run(TENANT, "everything")
    assert edited.job is not None
    assert sorted((item.entity, item.language, tuple(item.fields)) for item in edited.job.items) == [
        ("chair", "ca", ("description",)), ("chair", "es", ("description",)),
    ]  # fmt: skip
    assert len(connector.store.jobs(TENANT)) == 2
    state = sender.runs.state(TENANT, "everything")
    assert state is not None and state.job_id == edited.job.id and state.outcome == edited.outcome
    assert [name for name, _, _ in sender.rules_of(TENANT)] == ["everything", "ready", "updates"]
    assert [name for name, _, _ in sender.rules_of("acme")] == ["acme"]


def test_changed_sends_only_entities_translated_before_and_a_field_value_only_those_with_it(
    service: Dragoman,
) -> None:
    sender = for_service(service)
    connector = sender.connector
    catalogue(connector)
    assert sender.run(TENANT, "updates").job is None  # nothing was ever translated: nothing changed
    connector.put_entity(TENANT, "lamp", "en", {"name": "The lamp", "status": "ready"})
    ready = sender.run(TENANT, "ready")
    assert ready.job is not None and {(item.entity, item.language) for item in ready.job.items} == {("lamp", "ca")}
    assert ready.job.target_languages == ("ca",)
    imported(connector, ready.job.id)
    first = connector.send(TENANT, connector.create_job(TENANT, "by hand", "en", ["es"], "local", ["chair"]).id)
    imported(connector, first.id)
    connector.put_entity(TENANT, "chair", "en", {"name": "The red chair", "description": "I like dogs."})
    updates = sender.run(TENANT, "updates")
    assert updates.job is not None
    assert [(item.entity, item.language, tuple(item.fields)) for item in updates.job.items] == [
        ("chair", "es", ("name",))
    ]  # the table, never translated, is not an update


class Crashing(Connector):
    """A connector whose process dies (an exception nobody catches) at `where` once."""

    def __init__(self, base: Connector, where: str) -> None:
        super().__init__(base.store, base.vendors, base.sources, lease_seconds=base.lease_seconds)
        self.where = where

    def create_job(self, *args: Any, **kwargs: Any) -> ConnectorJob:
        if self.where == "create":
            self.where = ""
            raise KeyboardInterrupt  # before the job was created, after its id was recorded
        return super().create_job(*args, **kwargs)

    def send(self, tenant: str, job_id: str) -> ConnectorJob:
        if self.where == "send":
            self.where = ""
            raise KeyboardInterrupt  # after the job was created, before it was sent
        return super().send(tenant, job_id)


@pytest.mark.parametrize("where", ["create", "send"])
def test_a_run_a_crash_interrupted_never_makes_a_second_job(service: Dragoman, where: str) -> None:
    healthy = for_service(service)
    catalogue(healthy.connector)
    crashing = Sender(Crashing(healthy.connector, where), healthy.rules, healthy.runs)
    with pytest.raises(KeyboardInterrupt):
        crashing.run(TENANT, "everything")
    left = healthy.connector.store.jobs(TENANT)
    assert [job.status for job in left] == ([S.DRAFT] if where == "send" else [])
    assert healthy.connector.store.entity(TENANT, "chair").in_translation == frozenset()  # a draft holds nothing
    after = healthy.run(TENANT, "everything")
    assert after.job is not None and after.job.status is S.SENT and after.resumed is (where == "send")
    jobs = healthy.connector.store.jobs(TENANT)
    assert len(jobs) == 1 and jobs[0].id == after.job.id and len(after.job.items) == 4
    if where == "send":
        assert after.job.id == left[0].id  # the draft the crashed run left, sent now
    assert healthy.connector.store.entity(TENANT, "chair").in_translation == {"es", "ca"}
    assert healthy.run(TENANT, "everything").job is None  # and nothing more


def test_a_job_that_failed_to_send_is_sent_again_by_the_next_run(service: Dragoman) -> None:
    sender = for_service(service)
    catalogue(sender.connector)
    local = sender.connector.vendors["local"]
    submit = local.submit

    def down(tenant: str, job: ConnectorJob) -> str:
        raise Conflict("the vendor is down")

    local.submit = down  # type: ignore[method-assign]
    failed = sender.run(TENANT, "everything")
    assert failed.job is not None and failed.job.status is S.SEND_FAILED and "the vendor is down" in failed.outcome
    local.submit = submit  # type: ignore[method-assign]
    retried = sender.run(TENANT, "everything")
    assert retried.resumed and retried.job is not None and retried.job.id == failed.job.id
    assert retried.job.status is S.SENT and len(sender.connector.store.jobs(TENANT)) == 1


def test_rules_run_when_due_and_one_process_at_a_time(service: Dragoman) -> None:
    clock = [datetime(2026, 1, 1, 12)]
    base = for_service(service)
    catalogue(base.connector)
    rules = {"everything": base.rules["everything"], "updates": base.rules["updates"]}
    sender = Sender(base.connector, rules, RuleRuns(service.store._engine), now=lambda: clock[0])
    ran = sender.run_due()
    assert sorted(run.rule for run in ran) == ["everything", "updates"]
    assert sender.run_due() == []  # not due again yet
    clock[0] += timedelta(seconds=59)
    assert sender.run_due() == []
    clock[0] += timedelta(seconds=1)
    assert sorted(run.rule for run in sender.run_due()) == ["everything", "updates"]
    # another process holds the rule: this one does not run it
    other = Connector(base.connector.store, base.connector.vendors)
    assert sender.runs.claim(TENANT, "everything", other.owner, 60, clock[0]) is not None
    with pytest.raises(Conflict, match="another process"):
        sender.run(TENANT, "everything")
    clock[0] += timedelta(seconds=60)
    assert [run.rule for run in sender.run_due()] == ["updates"]  # the other's claim (60 s) has not lapsed
    with pytest.raises(NotFound):
        sender.run("acme", "everything")  # a rule belongs to one tenant
    with pytest.raises(NotFound):
        sender.run(TENANT, "nowhere")
