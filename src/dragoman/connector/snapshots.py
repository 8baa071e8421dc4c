"""What an entity sends for a language: a frozen snapshot of the fields whose source changed since
their last import into that language, each with the hash of its source text.

A field's hash is SHA-256 over its name and text (UTF-8, NFC-normalised, so two spellings of one
text are one text). A field is sent for a language when it has text and its hash differs from the
one recorded when that field was last imported into the language; a language with nothing to send
is left out for that entity (Lionbridge's inRiver connector works out per language whether there is
anything to send). The hash sent with a field is checked again when the translation comes back: a
translation of a source that changed meanwhile is known for what it is.

Shapes: `field_hash(name, text) -> str` (64 hex), `Snapshot(entity, revision, language, fields)`
with `fields: {name: (text, hash)}`, `snapshot_for(entity, revision, fields, language, imported)`
-> Snapshot | None, where `imported: {field name: hash imported into that language}`.
"""

from __future__ import annotations

import hashlib
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

__all__ = ["Snapshot", "field_hash", "out_of_date", "snapshot_for"]


def field_hash(name: str, text: str) -> str:
    """The hash of one field's source: SHA-256 (hex) of `name`, a NUL, and the NFC form of `text`."""
    normal = unicodedata.normalize("NFC", text)
    return hashlib.sha256(name.encode() + b"\0" + normal.encode()).hexdigest()


@dataclass(frozen=True, slots=True)
class Snapshot:
    """One entity × one target language, frozen when the job is created: the fields to translate
    as they were at `revision`, each with its source hash."""

    entity: str
    revision: str
    language: str
    fields: Mapping[str, tuple[str, str]]  # name -> (source text, field_hash)
    target_revision: str | None = None  # the entity's target-language version's revision, in its source system


def snapshot_for(
    entity: str,
    revision: str,
    fields: Mapping[str, str],
    language: str,
    imported: Mapping[str, str],
) -> Snapshot | None:
    """The fields of `entity` (at `revision`) to send for `language`: those with text whose hash is not
    the one last imported into `language` (`imported`: field name -> hash). None when there is none."""
    chosen: dict[str, tuple[str, str]] = {}
    for name, text in sorted(fields.items()):
        if not text.strip():
            continue
        digest = field_hash(name, text)
        if imported.get(name) != digest:
            chosen[name] = (text, digest)
    if not chosen:
        return None
    return Snapshot(entity, revision, language, chosen)


def out_of_date(
    frozen: Sequence[tuple[str, str, str, Mapping[str, str]]],
    revisions: Mapping[str, str],
    imported: Mapping[str, Mapping[str, Mapping[str, str]]],
) -> tuple[list[str], list[str]]:
    """Why a draft's frozen snapshots are no longer what is to send: (entities changed since, as
    "'id' (revision a, now b)"; items whose every field was imported as it is meanwhile, as "'id'
    into xx"). `frozen`: (entity, language, revision, {field: hash}) per item; `revisions`: each
    entity's revision now; `imported`: entity -> language -> field -> hash last imported."""
    changed = list(
        dict.fromkeys(
            f"{entity!r} (revision {revision}, now {revisions[entity]})"
            for entity, _, revision, _ in frozen
            if entity in revisions and revisions[entity] != revision
        )
    )
    done = [
        f"{entity!r} into {language}"
        for entity, language, _, hashes in frozen
        if all(imported.get(entity, {}).get(language, {}).get(name) == digest for name, digest in hashes.items())
    ]
    return changed, done
