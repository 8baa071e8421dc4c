"""What an entity sends for a language (src/dragoman/connector/snapshots.py)."""

from __future__ import annotations

from dragoman.connector.snapshots import field_hash, snapshot_for


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
