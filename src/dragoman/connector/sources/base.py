"""The interface every source system of the content connector implements (a CMS or a PIM).

A source system lists the entities whose source changed since a cursor, reads one, tells the
revision and the text of an entity's version in a target language, and writes translated fields
back into that version. It only executes and reports: whether a write would overwrite an editor's
change is decided by `connector.writeback`.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field

__all__ = ["SourceEntity", "SourceSystem", "TargetVersion"]


@dataclass(frozen=True, slots=True)
class SourceEntity:
    """An entity as its source system holds it: its native id, source language, the revision it was
    read at (opaque, ordered by the system: Strapi's `updatedAt`), and its localized text fields."""

    id: str
    source_language: str
    revision: str
    fields: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class TargetVersion:
    """An entity's version in one target language: its revision and its localized text fields."""

    revision: str
    fields: Mapping[str, str] = field(default_factory=dict)


class SourceSystem(ABC):
    """One configured source system, named `name`, holding the entities of one tenant (`tenant`);
    `kind` is its kind's name in DRAGOMAN_CONNECTOR_SOURCES (strapi)."""

    kind: str
    name: str
    tenant: str

    @abstractmethod
    def changed(self, since: str | None) -> Iterator[SourceEntity]:
        """Entities whose source changed at or after revision `since` (None: all), oldest first.
        Raises ServiceError when the system cannot be reached or answers an error."""

    @abstractmethod
    def read(self, entity_id: str) -> SourceEntity:
        """The entity as it is now. Raises NotFound, ServiceError."""

    @abstractmethod
    def target(self, entity_id: str, language: str) -> TargetVersion | None:
        """The entity's version in `language` (a locale tag), or None when it has none. Raises ServiceError."""

    @abstractmethod
    def write(self, entity_id: str, language: str, fields: Mapping[str, str]) -> TargetVersion:
        """Write `fields` (localized fields only) into the entity's version in `language`, creating it
        when absent; the version as written. Raises NotFound (the entity is gone from the system),
        ServiceError (the system cannot be reached or failed: try again later)."""
