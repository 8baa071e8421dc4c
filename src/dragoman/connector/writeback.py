"""Whether an import may write a translation back into a source system (pure).

A connector job freezes, with each item, the revision of the entity's target-language version at
that moment. At import the version is read again:

- unchanged since the item was frozen: the translation is written;
- changed, and it already holds exactly this translation: it is our own earlier write (an import
  that stopped before recording it): nothing is written, and the item is recorded imported;
- changed otherwise: an editor (or another tool) changed it since; it is not overwritten, and the
  item fails as a conflict naming both revisions.

Besides, a version that already holds exactly the translation is never written again (a
byte-identical re-import changes nothing). Source: ../shared/reference/connector.md §2 (Strapi and
wagtail-localize users whose manual edits were overwritten by a re-sync).
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum

__all__ = ["WriteDecision", "conflict_message", "decide_write"]


class WriteDecision(StrEnum):
    WRITE = "write"
    ALREADY_WRITTEN = "already_written"  # the version holds exactly this translation: record, write nothing
    CONFLICT = "conflict"


def decide_write(
    frozen_revision: str | None,
    current_revision: str | None,
    current_fields: Mapping[str, str] | None,
    translation: Mapping[str, str],
) -> WriteDecision:
    """What to do with `translation` for a version frozen at `frozen_revision` (None: there was none)
    and now at `current_revision` with `current_fields` (None: there is none now)."""
    if current_fields is not None and all(current_fields.get(name) == text for name, text in translation.items()):
        return WriteDecision.ALREADY_WRITTEN
    if current_revision == frozen_revision:
        return WriteDecision.WRITE
    return WriteDecision.CONFLICT


def conflict_message(language: str, frozen_revision: str | None, current_revision: str | None) -> str:
    """The item error an import records for a conflict, in plain words."""
    if frozen_revision is None:
        return (
            f"conflict: a {language} version was created in the source system after the job was made "
            f"(revision {current_revision}); it was not overwritten"
        )
    if current_revision is None:
        return f"conflict: the {language} version was deleted in the source system after the job was made"
    return (
        f"conflict: the {language} version was changed in the source system after the job was made "
        f"(revision {frozen_revision} then, {current_revision} now); it was not overwritten"
    )
