"""What an entity sends for a language (src/dragoman/connector/snapshots.py)."""

from __future__ import annotations

from dragoman.connector.snapshots import field_hash, out_of_date, snapshot_for


def test_only_fields_changed_since_their_last_import_are_sent() -> None:
    fields = {"name": "Red chair", "description": "A chair, painted red.", "sku": ""}
    first = snapshot_for("chair-1", "r1", fields, "es", imported={})
    assert first is not None and set(first.fields) == {"name", "description"}  # empty fields are not sent
    imported = {name: digest for name, (_, digest) in first.fields.items()}
    assert snapshot_for("chair-1", "r1", fields, "es", imported) is None  # nothing changed: left out
    changed = snapshot_for("chair-1", "r2", {**fields, "description": "A chair, painted blue."}, "es", imported)
    assert changed is not None and set(changed.fields) == {"description"} and changed.revision == "r2"
    assert snapshot_for("chair-1", "r1", fields, "ca", imported={}) is not None  # per language


def test_a_hash_names_its_field_and_reads_one_text_in_any_normal_form() -> None:
    assert field_hash("name", "Café") == field_hash("name", "Cafe\u0301")  # NFC: one text
    assert field_hash("name", "Red") != field_hash("title", "Red")
    assert len(field_hash("name", "Red")) == 64


def test_a_draft_is_out_of_date_when_an_entity_changed_or_its_fields_were_imported_as_they_are() -> None:
    hashes = {"name": field_hash("name", "The red house")}
    frozen = [("chair", "es", "1", hashes), ("chair", "ca", "1", hashes), ("table", "es", "3", {"name": "h"})]
    changed, done = out_of_date(frozen, {"chair": "2", "table": "3"}, {"table": {"es": {"name": "h"}}})
    assert changed == ["'chair' (revision 1, now 2)"]  # once, however many languages it has
    assert done == ["'table' into es"]
    assert out_of_date(frozen, {"chair": "1", "table": "3"}, {}) == ([], [])
