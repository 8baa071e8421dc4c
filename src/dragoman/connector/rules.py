"""Automatic sending (issue 12 §7): the rules a service is configured with, and what a rule selects.

A rule (`DRAGOMAN_CONNECTOR_RULES` JSON, or the `[connector_rules.<name>]` tables of the
DRAGOMAN_CONFIG file) belongs to one tenant and names where its entities come from (`source`: a
configured source system, or none for the embedded catalogue), which entities it selects, their
source language, the target languages, the vendor, and how often it runs:

    {"catalogue-es": {"select": "all", "source_language": "en", "target_languages": ["es", "ca"],
                      "vendor": "local", "every_seconds": 3600}}

`select` is one of:

- `"all"`: every entity of the rule's source, in each target it is not up to date in (new entities
  included);
- `"changed"`: only entities translated before that changed since: an entity is sent into a target
  it was imported into through the connector before, when one of its fields (with text) has a hash
  other than the one last imported into that target (a field added since counts). A new entity is
  never sent by such a rule;
- `{"field": NAME, "equals": VALUE}`: the entities whose field NAME is exactly VALUE (a workflow
  status field, say), each as `"all"` sends it.

Whatever the selection, an entity is never sent into a target it is In translation into (one live
job per entity and language, docs/connector.md), nor into one it is up to date in (nothing to send:
`snapshots.snapshot_for`); an entity with no target left is not selected. The rule's runner
(`connector.sender`) creates one job per run for what is selected, and sends it.

Shapes: `Rule` and `FieldEquals` (pydantic, frozen); `check(name, table) -> Rule` (raises ValueError
saying what is wrong); `Candidate(id, source_language, fields, in_translation, imported)` with
`imported: {language: {field: hash last imported}}`; `select(rule_select, source_language, targets,
candidates) -> {entity id: (targets to send, in the rule's order)}`; `due(last_run_at, every_seconds,
now) -> bool`. Pure: no I/O.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from dragoman.connector.snapshots import snapshot_for

__all__ = ["NAME", "Candidate", "FieldEquals", "Rule", "Selection", "check", "due", "select"]

NAME = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")


class FieldEquals(BaseModel):
    """Select the entities whose field `field` is exactly `equals`."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    field: str = Field(min_length=1, max_length=200)
    equals: str


Selection = Literal["all", "changed"] | FieldEquals


class Rule(BaseModel):
    """One automatic sending rule (see the module's docstring)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    tenant: str = Field(default="default", min_length=1, max_length=200, description="The tenant it sends for.")
    source: str | None = Field(
        default=None, description="A configured source system's name; none: the embedded catalogue."
    )
    select: Selection = Field(description='"all", "changed", or {"field": NAME, "equals": VALUE}.')
    source_language: str = Field(min_length=1, max_length=64)
    target_languages: list[str] = Field(min_length=1, max_length=100)
    vendor: str = Field(default="local", min_length=1, max_length=64)
    every_seconds: float = Field(gt=0, le=31 * 86400, description="How often it runs.")
    job_name: str = Field(default="", max_length=200, description="Its jobs' names start with it (default: rule NAME).")
    instructions: str = Field(default="", max_length=100_000, description="Instructions for the vendor.")
    due_days: int | None = Field(default=None, ge=0, le=3650, description="Its jobs are due this many days after.")

    @field_validator("select", mode="before")
    @classmethod
    def _select(cls, value: Any) -> Any:
        plain = 'must be "all", "changed" or {"field": NAME, "equals": VALUE}'
        if isinstance(value, str) and value not in ("all", "changed"):
            raise ValueError(f"{plain} (got {value!r})")
        if isinstance(value, Mapping):
            if set(value) != {"field", "equals"} or not all(isinstance(part, str) for part in value.values()):
                raise ValueError(f"{plain}, NAME and VALUE text (got {dict(value)!r})")
        elif not isinstance(value, str | FieldEquals):
            raise ValueError(f"{plain} (got {value!r})")
        return value

    @field_validator("source_language")
    @classmethod
    def _source_language(cls, value: str) -> str:
        from dragoman.errors import Invalid
        from dragoman.planning import language

        try:
            return language(value)
        except Invalid as exc:
            raise ValueError(exc.message) from None

    @field_validator("target_languages")
    @classmethod
    def _targets(cls, value: list[str]) -> list[str]:
        from dragoman.errors import Invalid
        from dragoman.planning import locale

        try:
            return list(dict.fromkeys(locale(target) for target in value))
        except Invalid as exc:
            raise ValueError(exc.message) from None

    def job_prefix(self, name: str) -> str:
        """What the names of the jobs of rule `name` start with."""
        return self.job_name or f"rule {name}"


def check(name: str, table: Mapping[str, Any]) -> Rule:
    """Rule `name` as its table says. Raises ValueError saying what is wrong (an unusable name, a
    missing or unknown option, a bad language, a target that is the source)."""
    if not NAME.match(name):
        raise ValueError(f"rule name {name!r} is not 1 to 64 lowercase letters, digits, '-' or '_'")
    try:
        rule = Rule(**dict(table))
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc']) or 'rule'}: {e['msg'].removeprefix('Value error, ')}"
            for e in exc.errors()
        )
        raise ValueError(f"rule {name!r}: {problems}") from None
    from dragoman.domain.specs import primary_language

    if any(primary_language(target) == rule.source_language for target in rule.target_languages):
        raise ValueError(f"rule {name!r}: target_languages: the source language {rule.source_language} is a target")
    return rule


@dataclass(frozen=True, slots=True)
class Candidate:
    """An entity as a rule sees it: its fields now, the targets it is In translation into, and per
    language the hash of each field last imported into it."""

    id: str
    source_language: str
    fields: Mapping[str, str]
    in_translation: frozenset[str] = frozenset()
    imported: Mapping[str, Mapping[str, str]] = field(default_factory=dict)


def _matches(selection: Selection, candidate: Candidate) -> bool:
    if isinstance(selection, FieldEquals):
        return candidate.fields.get(selection.field) == selection.equals
    return True


def _sends(selection: Selection, candidate: Candidate, target: str) -> bool:
    """Whether `candidate` is sent into `target`: not In translation into it, with something to send,
    and, for "changed", imported into it before."""
    if target in candidate.in_translation:
        return False
    imported = candidate.imported.get(target, {})
    if selection == "changed" and not imported:
        return False
    return snapshot_for(candidate.id, "", candidate.fields, target, imported) is not None


def select(
    selection: Selection, source_language: str, targets: Sequence[str], candidates: Iterable[Candidate]
) -> dict[str, tuple[str, ...]]:
    """Entity id -> the targets to send it into (in `targets`' order), for each candidate in
    `source_language` the selection picks that has a target left (see the module's docstring)."""
    chosen: dict[str, tuple[str, ...]] = {}
    for candidate in candidates:
        if candidate.source_language != source_language or not _matches(selection, candidate):
            continue
        into = tuple(target for target in targets if _sends(selection, candidate, target))
        if into:
            chosen[candidate.id] = into
    return chosen


def due(last_run_at: datetime | None, every_seconds: float, now: datetime) -> bool:
    """Whether a rule that last ran at `last_run_at` (None: never) is due at `now`."""
    return last_run_at is None or now - last_run_at >= timedelta(seconds=every_seconds)
