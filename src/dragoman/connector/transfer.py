"""Entities of the embedded catalogue in and out as JSON and CSV: what `POST
/connector/entities:import` and `dragoman connector entities import` read, and what the exports write.

JSON: an array of `{"id": str, "source_language": str, "fields": {name: text}}`. An export writes
each entity whole (`documents.entity_document`: also its revision, translations and language sets);
an import reads only the three members above and ignores the rest, which are the connector's to
write, so an export imports back unchanged.

CSV (UTF-8, a byte-order mark allowed, a header row, RFC 4180 quoting): columns `id`,
`source_language`, then one per field, named by the field; an empty cell is no field (a field with
no text is never sent anyway). An export adds `revision` and, per imported translation,
`<field>@<language>` columns; an import skips those.

An import is checked whole before anything is written (every problem raises Invalid naming the
record, by position, and what is wrong), then each entity is created or updated; running it again
changes nothing (an entity's revision moves only when its fields change).

Shapes: `EntityRecord(id, source_language, fields)`; `parse_json(data) / parse_csv(data) ->
list[EntityRecord]`; `export_json(entities) / export_csv(entities) -> bytes`;
`import_entities(connector, tenant, records) -> ImportReport(created, updated, unchanged)`.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import orjson

from dragoman.connector.documents import entity_document
from dragoman.connector.service import Connector
from dragoman.connector.store import Entity
from dragoman.connector.validation import check_entity
from dragoman.errors import Invalid, NotFound
from dragoman.planning import language

__all__ = [
    "FORMATS",
    "EntityRecord",
    "ImportReport",
    "export_csv",
    "export_json",
    "import_entities",
    "parse",
    "parse_csv",
    "parse_json",
]

FORMATS = ("json", "csv")
_RESERVED = ("id", "source_language", "revision")
_TRANSLATION_COLUMN = re.compile(r"@[A-Za-z]{2,3}(-[A-Za-z0-9]{1,8})*$")
MAX_ID_CHARACTERS = 200


@dataclass(frozen=True, slots=True)
class EntityRecord:
    """One entity as an import gives it."""

    id: str
    source_language: str
    fields: Mapping[str, str]


@dataclass(frozen=True, slots=True)
class ImportReport:
    """What an import did, by entity id, in the order given."""

    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)

    def document(self) -> dict[str, list[str]]:
        return {"created": self.created, "updated": self.updated, "unchanged": self.unchanged}


def parse(data: bytes, format_name: str) -> list[EntityRecord]:
    """`data` in `format_name` (json or csv). Raises Invalid."""
    if format_name == "json":
        return parse_json(data)
    if format_name == "csv":
        return parse_csv(data)
    raise Invalid(f"{format_name!r} is not an entity format; use one of {', '.join(FORMATS)}")


def parse_json(data: bytes) -> list[EntityRecord]:
    """A JSON array of entities. Raises Invalid."""
    try:  # orjson refuses lone surrogates and runaway nesting, which the standard library lets through
        document = orjson.loads(data.removeprefix(b"\xef\xbb\xbf"))
    except orjson.JSONDecodeError as exc:
        raise Invalid(f"the entities are not valid JSON: {exc}") from None
    if not isinstance(document, list):
        raise Invalid("the entities must be a JSON array of objects with id, source_language and fields")
    records = []
    for number, entry in enumerate(document):
        where = f"entity [{number}]"
        if not isinstance(entry, dict):
            raise Invalid(f"{where} is not an object with id, source_language and fields")
        fields = entry.get("fields")
        if not isinstance(fields, dict) or not all(isinstance(text, str) for text in fields.values()):
            raise Invalid(f"{where}: fields must be an object of field names and texts")
        records.append(_record(where, entry.get("id"), entry.get("source_language"), fields))
    return _checked(records)


def parse_csv(data: bytes) -> list[EntityRecord]:
    """CSV with a header row: id, source_language, then one column per field. Raises Invalid."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise Invalid(f"the CSV is not UTF-8: {exc}") from None
    try:
        rows = list(csv.reader(io.StringIO(text, newline=""), strict=True))
    except csv.Error as exc:
        raise Invalid(f"the CSV cannot be read: {exc}") from None
    if not rows:
        raise Invalid("the CSV is empty: it needs a header row (id, source_language, field names)")
    header = rows[0]
    missing = [name for name in ("id", "source_language") if name not in header]
    if missing:
        raise Invalid(f"the CSV header has no {' or '.join(missing)} column")
    seen = [name for name in header if header.count(name) > 1]
    if seen:
        raise Invalid(f"the CSV header names column {seen[0]!r} twice")
    if any(not name for name in header):
        raise Invalid("the CSV header has a column without a name")
    fields = [
        (column, name)
        for column, name in enumerate(header)
        if name not in _RESERVED and not _TRANSLATION_COLUMN.search(name)
    ]
    records = []
    for line, row in enumerate(rows[1:], start=2):
        if not any(cell.strip() for cell in row):
            continue  # a blank line
        where = f"CSV line {line}"
        if len(row) != len(header):
            raise Invalid(f"{where} has {len(row)} cells; the header has {len(header)}")
        values = dict(zip(header, row, strict=True))
        texts = {name: row[column] for column, name in fields if row[column] != ""}
        records.append(_record(where, values["id"], values["source_language"], texts))
    return _checked(records)


def _record(where: str, entity_id: Any, source_language: Any, fields: Mapping[str, str]) -> EntityRecord:
    if not isinstance(entity_id, str) or not 1 <= len(entity_id) <= MAX_ID_CHARACTERS:
        raise Invalid(f"{where}: id must be a text of 1 to {MAX_ID_CHARACTERS} characters")
    if not isinstance(source_language, str):
        raise Invalid(f"{where} ({entity_id}): source_language must be a language code such as en")
    try:
        code = language(source_language)
        check_entity(entity_id, fields)
    except Invalid as exc:
        raise Invalid(f"{where} ({entity_id}): {exc.message}") from None
    return EntityRecord(entity_id, code, dict(fields))


def _checked(records: list[EntityRecord]) -> list[EntityRecord]:
    seen: set[str] = set()
    for record in records:
        if record.id in seen:
            raise Invalid(f"entity {record.id!r} is given twice")
        seen.add(record.id)
    return records


def export_json(entities: Iterable[Entity]) -> bytes:
    """Every entity whole, as a JSON array (UTF-8)."""
    return json.dumps([entity_document(entity) for entity in entities], ensure_ascii=False, indent=1).encode()


def export_csv(entities: Sequence[Entity]) -> bytes:
    """One row per entity: id, source_language, revision, each field (columns in order of first
    appearance), then each `<field>@<language>` translation (UTF-8, CRLF line ends as RFC 4180 says)."""
    names = list(dict.fromkeys(name for entity in entities for name in entity.fields))
    translated = list(
        dict.fromkeys(
            f"{name}@{target}"
            for entity in entities
            for target, values in sorted(entity.translations.items())
            for name in values
        )
    )
    out = io.StringIO(newline="")
    writer = csv.writer(out)
    writer.writerow(["id", "source_language", "revision", *names, *translated])
    for entity in entities:
        translations = {
            f"{name}@{target}": text for target, values in entity.translations.items() for name, text in values.items()
        }
        writer.writerow(
            [
                entity.id,
                entity.source_language,
                entity.revision,
                *(entity.fields.get(name, "") for name in names),
                *(translations.get(column, "") for column in translated),
            ]
        )
    return out.getvalue().encode()


def import_entities(connector: Connector, tenant: str, records: Sequence[EntityRecord]) -> ImportReport:
    """Create or update each entity (the records are checked already: `parse`)."""
    report = ImportReport()
    for record in records:
        try:
            before: str | None = connector.store.entity(tenant, record.id).revision
        except NotFound:
            before = None
        after = connector.put_entity(tenant, record.id, record.source_language, record.fields).revision
        if before is None:
            report.created.append(record.id)
        elif after != before:
            report.updated.append(record.id)
        else:
            report.unchanged.append(record.id)
    return report
