"""Each entity's language status, recomputed from history, never edited in place.

Every entity has, per target language, at most one of two marks: **In translation** (a live
connector job carries the language for it) and **Translated** (a translation into it was imported
through the connector, and none is under way). Both are a function of the entity's item history
(`ItemEvent`s), so a cancel cannot leave a language stuck "in translation" and a language that was
translated before a cancelled re-send goes back to Translated (Lionbridge's inRiver connector
re-evaluates the same way).

Rules (each a test):
- sending an item puts its language In translation (out of Translated, if it was there);
- importing it moves the language to Translated;
- cancelling it, or its import failing, takes the language out of In translation, and back to
  Translated only if the entity had been imported into it through the connector before;
- one entity × language is carried by at most one live item (`check_not_in_translation`).

Shapes: `ItemEvent(entity, language, job, kind)`, `language_sets(events) -> {entity: LanguageSets}`.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from enum import StrEnum

from dragoman.errors import Conflict

__all__ = ["ItemEvent", "ItemEventKind", "LanguageSets", "check_not_in_translation", "language_sets"]


class ItemEventKind(StrEnum):
    SENT = "sent"  # the item (entity × language) was put in a job being sent
    IMPORTED = "imported"  # its translation was written back to the entity
    CANCELLED = "cancelled"  # its job was cancelled (or the item withdrawn) before it was imported
    FAILED = "failed"  # its import failed (the job ends imported_with_errors)


@dataclass(frozen=True, slots=True)
class ItemEvent:
    """One step in the history of one entity × language, in the order it happened."""

    entity: str
    language: str
    job: str
    kind: ItemEventKind


@dataclass(slots=True)
class LanguageSets:
    in_translation: set[str] = field(default_factory=set)
    translated: set[str] = field(default_factory=set)


def language_sets(events: Iterable[ItemEvent]) -> dict[str, LanguageSets]:
    """Every entity's In translation / Translated sets implied by `events` (in order). A language is
    never in both. Linear in the number of events."""
    live: dict[tuple[str, str], set[str]] = {}  # (entity, language) -> jobs carrying it, not yet ended
    ever_imported: set[tuple[str, str]] = set()
    entities: set[str] = set()
    for event in events:
        key = (event.entity, event.language)
        entities.add(event.entity)
        jobs = live.setdefault(key, set())
        if event.kind is ItemEventKind.SENT:
            jobs.add(event.job)
            continue
        jobs.discard(event.job)
        if event.kind is ItemEventKind.IMPORTED:
            ever_imported.add(key)
    sets = {entity: LanguageSets() for entity in entities}
    for (entity, language), jobs in live.items():
        if jobs:
            sets[entity].in_translation.add(language)
        elif (entity, language) in ever_imported:
            sets[entity].translated.add(language)
    return sets


def check_not_in_translation(sets: LanguageSets, entity: str, language: str) -> None:
    """Raise Conflict if `language` is already In translation for `entity`: one live item per entity
    × language, as one writer per target for documents (a second job would race the first's import)."""
    if language in sets.in_translation:
        raise Conflict(f"{entity} is already in translation into {language} in another job; cancel it or wait")
