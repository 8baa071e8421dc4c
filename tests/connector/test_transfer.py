"""Entities in and out as JSON and CSV (src/dragoman/connector/transfer.py): parsing refuses bad input
whole, naming where; an export parses back to the same entities."""

from __future__ import annotations

import json

import pytest

from dragoman.connector.store import Entity
from dragoman.connector.transfer import EntityRecord, export_csv, export_json, parse, parse_csv, parse_json
from dragoman.errors import Invalid

CHAIR = Entity(
    "chair",
    "en",
    "3",
    {"name": "The red house", "description": 'I like dogs, "big" ones.\nAnd cats.'},
    {"es": {"name": "La casa roja"}},
    frozenset({"ca"}),
    frozenset({"es"}),
)
TABLE = Entity("table/1", "en", "1", {"name": "The cat is black.", "sku": "T-1"})


def test_an_export_parses_back_to_the_same_entities_in_either_format() -> None:
    expected = [
        EntityRecord("chair", "en", dict(CHAIR.fields)),
        EntityRecord("table/1", "en", dict(TABLE.fields)),
    ]
    assert parse_json(export_json([CHAIR, TABLE])) == expected
    assert parse_csv(export_csv([CHAIR, TABLE])) == expected


def test_a_json_export_holds_each_entity_whole() -> None:
    (chair,) = json.loads(export_json([CHAIR]))
    assert chair == {
        "id": "chair",
        "source_language": "en",
        "revision": "3",
        "fields": dict(CHAIR.fields),
        "translations": {"es": {"name": "La casa roja"}},
        "in_translation": ["ca"],
        "translated": ["es"],
    }


def test_a_csv_export_has_a_column_per_field_then_per_translation() -> None:
    lines = export_csv([CHAIR, TABLE]).decode().splitlines()
    assert lines[0] == "id,source_language,revision,name,description,sku,name@es"
    assert lines[-1] == "table/1,en,1,The cat is black.,,T-1,"


def test_csv_reads_a_byte_order_mark_blank_lines_and_empty_cells_as_no_field() -> None:
    data = "\ufeffid,source_language,name,sku\r\n\r\nlamp,EN,The lamp,\r\n".encode()
    assert parse_csv(data) == [EntityRecord("lamp", "en", {"name": "The lamp"})]


@pytest.mark.parametrize(("data", "words"), [
    (b"", "empty"),
    (b"name\nx\n", "no id or source_language column"),
    (b"id,source_language,name,name\n", "twice"),
    (b"id,source_language,\n", "without a name"),
    (b"id,source_language,name\na,en\n", "CSV line 2 has 2 cells"),
    (b"id,source_language,name\na,en,x\n,en,y\n", "CSV line 3: id"),
    (b"id,source_language,name\na,??,x\n", "CSV line 2 (a)"),
    (b"id,source_language\na,en\na,en\n", "'a' is given twice"),
    (b"id,source_language\n\"a,en\n", "cannot be read"),
    (b"\xff", "not UTF-8"),
])  # fmt: skip
def test_bad_csv_is_refused_naming_where(data: bytes, words: str) -> None:
    with pytest.raises(Invalid, match=words.replace("(", r"\(").replace(")", r"\)")):
        parse_csv(data)


@pytest.mark.parametrize(("data", "words"), [
    (b"{", "not valid JSON"),
    (b'{"id": "a"}', "JSON array"),
    (b"[1]", r"entity \[0\] is not an object"),
    (b'[{"id": "a", "source_language": "en"}]', r"entity \[0\]: fields"),
    (b'[{"id": "a", "source_language": "en", "fields": {"n": 1}}]', "fields must be"),
    (b'[{"id": "", "source_language": "en", "fields": {}}]', "id must be"),
    (b'[{"id": "a", "source_language": 5, "fields": {}}]', "source_language must be"),
    (b'[{"id": "a", "source_language": "en", "fields": {"n": "\\ud800"}}]', "not valid JSON"),  # a lone surrogate
])  # fmt: skip
def test_bad_json_is_refused_naming_where(data: bytes, words: str) -> None:
    with pytest.raises(Invalid, match=words):
        parse_json(data)


def test_only_json_and_csv_are_formats() -> None:
    with pytest.raises(Invalid, match="json, csv"):
        parse(b"", "xml")
